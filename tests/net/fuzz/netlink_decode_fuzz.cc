// libFuzzer target over rtnetlink answers and notifications: splitMessages, then decodeErrorCode
// and decodeAddressMessage on every message, as the address manager does with each datagram.
// Beyond "no crash, no out-of-bounds read" (ASan/UBSan): each message's payload lies inside the
// datagram, and an error code is what the header promises: 0 or a positive errno.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "net/linux/netlink_codec.h"

namespace {

using namespace kubevip::net::netlink;

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto messages = splitMessages(std::span(data, size));
  if (!messages) return 0;
  for (const Message& m : *messages) {
    check(m.payload.empty() || (m.payload.data() >= data && m.payload.data() < data + size &&
                                m.payload.data() + m.payload.size() <= data + size));
    if (isError(m)) {
      auto code = decodeErrorCode(m);
      check(!code.ok() || code.value() >= 0);
    }
    if (isAddressMessage(m)) (void)decodeAddressMessage(m).ok();
  }
  return 0;
}

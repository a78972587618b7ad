// libFuzzer target over the whole BGP decode path: the framer, every message decoder in both AS
// number sizes, and the encoders on whatever decodes. Properties checked beyond "no crash, no
// out-of-bounds read" (ASan/UBSan): a Frame never claims more bytes than were given, and encoding
// is idempotent: encode(decode(encode(m))) == encode(m) for every message m that decodes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <variant>
#include <vector>

#include "bgp/message.h"
#include "bgp/message_decoder.h"
#include "bgp/update.h"

namespace {

using namespace kubevip::bgp;

void check(bool condition) {
  if (!condition) std::abort();
}

std::vector<uint8_t> encode(const Message& m, bool four_octet_as, bool& ok) {
  ok = true;
  if (auto* open = std::get_if<OpenMessage>(&m)) return encodeOpen(*open);
  if (auto* update = std::get_if<UpdateMessage>(&m)) {
    auto bytes = encodeUpdate(*update, four_octet_as);
    ok = bytes.ok();  // may exceed 4096 octets once the Extended Length bits are normalised
    return ok ? bytes.value() : std::vector<uint8_t>{};
  }
  if (auto* n = std::get_if<Notification>(&m)) return encodeNotification(*n);
  if (auto* refresh = std::get_if<RouteRefreshMessage>(&m)) return encodeRouteRefresh(*refresh);
  return encodeKeepalive();
}

void roundTrip(const Frame& frame, bool four_octet_as) {
  auto decoded = decodeFrame(frame, four_octet_as);
  if (!decoded) return;
  bool ok = false;
  auto once = encode(decoded.value(), four_octet_as, ok);
  if (!ok) return;
  auto again_frame = findMessage(once);
  check(again_frame.ok() && again_frame.value().has_value());
  auto again = decodeFrame(*again_frame.value(), four_octet_as);
  check(again.ok());
  auto twice = encode(again.value(), four_octet_as, ok);
  check(ok && twice == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> stream(data, size);
  while (!stream.empty()) {
    auto frame = findMessage(stream);
    if (!frame.ok() || !frame.value().has_value()) break;
    check(frame.value()->length <= stream.size());
    check(frame.value()->length >= kHeaderLength);
    roundTrip(*frame.value(), true);
    roundTrip(*frame.value(), false);
    stream = stream.subspan(frame.value()->length);
  }
  // The decoders also take bodies directly, without the framer's length checks.
  decodeOpen(std::span(data, size)).ok();
  decodeUpdate(std::span(data, size), true).ok();
  decodeUpdate(std::span(data, size), false).ok();
  decodeNotification(std::span(data, size)).ok();
  decodeRouteRefresh(std::span(data, size)).ok();
  return 0;
}

// libFuzzer target over received ARP frames: decodeArpFrame and claimInFrame (which also routes
// IPv6 frames to the NDP decoder). Beyond "no crash, no out-of-bounds read" (ASan/UBSan): a frame
// that decodes encodes to a frame that decodes to the same packet, and a claim is only ever made
// for an IPv4 sender of an ARP packet that decodes, never for the 0.0.0.0 of a probe.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "net/address_claim.h"
#include "net/arp.h"

namespace {

using namespace kubevip::net;

void check(bool condition) {
  if (!condition) std::abort();
}

const MacAddress kOwn{{0x02, 0x00, 0x00, 0x00, 0x00, 0x0a}};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> frame(data, size);
  auto packet = decodeArpFrame(frame);
  if (packet) {
    check(packet->sender_ip.isV4() && packet->target_ip.isV4());
    auto encoded = encodeArpFrame(*packet);
    auto again = decodeArpFrame(encoded);
    check(again.ok());
    check(encodeArpFrame(*again) == encoded);
  }
  auto claim = claimInFrame(frame, kOwn);
  if (claim && claim->has_value() && size >= 14 && data[12] == 0x08 && data[13] == 0x06) {
    check(packet.ok());
    check((*claim)->address == packet->sender_ip);
    check(!(*claim)->address.isUnspecified());
  }
  return 0;
}

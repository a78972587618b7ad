// libFuzzer target over received Neighbor Advertisement frames: decodeNeighborAdvertisementFrame
// and claimInFrame. The decoder checks the ICMPv6 checksum before it reads the flags and options,
// so random bytes would almost never get past it: the harness decodes the input as it is (the
// checksum path) and then a copy whose checksum it has set right (the option parsing). Beyond "no
// crash, no out-of-bounds read" (ASan/UBSan): what decodes is never a multicast target, and a
// claim names the decoded target.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "net/address_claim.h"
#include "net/ndp.h"
#include "net/wire.h"

namespace {

using namespace kubevip::net;

void check(bool condition) {
  if (!condition) std::abort();
}

const MacAddress kOwn{{0x02, 0x00, 0x00, 0x00, 0x00, 0x0a}};
constexpr size_t kIcmpAt = wire::kEthernetHeaderSize + 40;  // Ethernet + fixed IPv6 header
constexpr size_t kChecksumAt = kIcmpAt + 2;

// The ICMPv6 checksum of the message the IPv6 payload length delimits, written into the copy; the
// frame unchanged when it is too short to hold one or the length does not fit.
std::vector<uint8_t> withChecksumFixed(std::span<const uint8_t> frame) {
  std::vector<uint8_t> fixed(frame.begin(), frame.end());
  if (fixed.size() < kChecksumAt + 2) return fixed;
  size_t payload = wire::readU16(fixed, wire::kEthernetHeaderSize + 4);
  if (payload < 4 || kIcmpAt + payload > fixed.size()) return fixed;
  fixed[kChecksumAt] = 0;
  fixed[kChecksumAt + 1] = 0;
  auto source = wire::readV6(fixed, wire::kEthernetHeaderSize + 8);
  auto destination = wire::readV6(fixed, wire::kEthernetHeaderSize + 24);
  uint16_t sum = icmpv6Checksum(source, destination, std::span(fixed).subspan(kIcmpAt, payload));
  fixed[kChecksumAt] = static_cast<uint8_t>(sum >> 8);
  fixed[kChecksumAt + 1] = static_cast<uint8_t>(sum & 0xff);
  return fixed;
}

void decode(std::span<const uint8_t> frame) {
  auto na = decodeNeighborAdvertisementFrame(frame);
  if (na) {
    check(na->target.isV6() && na->source.isV6());
    check(na->target.raw()[0] != 0xff);
  }
  auto claim = claimInFrame(frame, kOwn);
  if (claim && claim->has_value() && wire::readU16(frame, 12) == wire::kEtherTypeIpv6) {
    check(na.ok());
    check((*claim)->address == na->target);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> frame(data, size);
  decode(frame);
  auto fixed = withChecksumFixed(frame);
  if (!std::equal(fixed.begin(), fixed.end(), frame.begin())) decode(fixed);
  return 0;
}

// Random and mutated input for every decoder: none may crash, read out of bounds (run under the
// asan preset to check that) or accept a frame of the wrong kind.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "net/address_claim.h"
#include "net/arp.h"
#include "net/linux/netlink_codec.h"
#include "net/ndp.h"

namespace kubevip::net {
namespace {

constexpr int kIterations = 20000;

void decodeAll(std::span<const uint8_t> bytes) {
  (void)decodeArpFrame(bytes).ok();
  (void)decodeNeighborAdvertisementFrame(bytes).ok();
  (void)claimInFrame(bytes, MacAddress{}).ok();
  auto msgs = netlink::splitMessages(bytes);
  if (!msgs) return;
  for (const auto& m : *msgs) {
    (void)netlink::decodeErrorCode(m).ok();
    (void)netlink::decodeAddressMessage(m).ok();
  }
}

std::vector<uint8_t> randomBytes(std::mt19937& rng, size_t max) {
  std::vector<uint8_t> out(std::uniform_int_distribution<size_t>(0, max)(rng));
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

TEST(FuzzTest, RandomBytes) {
  std::mt19937 rng(12345);
  for (int i = 0; i < kIterations; ++i) {
    auto bytes = randomBytes(rng, 200);
    // Steer some inputs past the first checks so the deeper paths are exercised too.
    if (bytes.size() >= 22 && i % 3 == 0) {
      bytes[12] = 0x86, bytes[13] = 0xdd, bytes[14] = 0x60, bytes[20] = 58, bytes[21] = 255;
    }
    if (bytes.size() >= 22 && i % 3 == 1) {
      bytes[12] = 0x08, bytes[13] = 0x06, bytes[14] = 0, bytes[15] = 1, bytes[16] = 8;
      bytes[17] = 0, bytes[18] = 6, bytes[19] = 4;
    }
    decodeAll(bytes);
  }
}

TEST(FuzzTest, MutatedValidMessages) {
  const MacAddress mac{{0x02, 0, 0, 0, 0, 1}};
  auto v4 = IpAddress::parse("192.0.2.1").value();
  auto v6 = IpAddress::parse("2001:db8::1").value();
  std::vector<std::vector<uint8_t>> seeds = {
      encodeGratuitousArpRequest(mac, v4),
      encodeUnsolicitedNeighborAdvertisement(mac, v6, v6),
      netlink::encodeAddRequest(1, 2, v6, 64, {.valid = seconds(3)}).value(),
      netlink::encodeRemoveRequest(1, 2, v4, 24).value(),
  };
  // Our requests become "notifications" by flipping the type to RTM_NEWADDR (20) as they are.
  std::mt19937 rng(54321);
  for (int i = 0; i < kIterations; ++i) {
    auto bytes = seeds[static_cast<size_t>(i) % seeds.size()];
    int flips = std::uniform_int_distribution<int>(1, 4)(rng);
    for (int f = 0; f < flips; ++f) {
      bytes[std::uniform_int_distribution<size_t>(0, bytes.size() - 1)(rng)] =
          static_cast<uint8_t>(rng());
    }
    if (i % 5 == 0) bytes.resize(std::uniform_int_distribution<size_t>(0, bytes.size())(rng));
    decodeAll(bytes);
  }
}

TEST(FuzzTest, DecodersRejectEachOthersFrames) {
  const MacAddress mac{{0x02, 0, 0, 0, 0, 1}};
  auto v6 = IpAddress::parse("2001:db8::1").value();
  EXPECT_FALSE(decodeArpFrame(encodeUnsolicitedNeighborAdvertisement(mac, v6, v6)).ok());
  EXPECT_FALSE(
      decodeNeighborAdvertisementFrame(encodeArpProbe(mac, IpAddress::parse("192.0.2.1").value()))
          .ok());
  EXPECT_FALSE(decodeNeighborAdvertisementFrame(encodeDadNeighborSolicitation(mac, v6)).ok());
}

}  // namespace
}  // namespace kubevip::net

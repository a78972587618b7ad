#include "bgp/capabilities.h"

#include <gtest/gtest.h>

#include "bgp/hex.h"

namespace kubevip::bgp {
namespace {

using testing::fromHex;

TEST(BgpCapabilities, GracefulRestartLayoutIsFlagsTimeThenFamiliesWithForwardingBit) {
  // RFC 4724 §3: R and N bits, 12-bit time; per family AFI, SAFI, flags (F is the top bit).
  Capabilities caps;
  caps.graceful_restart = GracefulRestart{true, false, 300, {{kIpv6Unicast, true}}};
  std::vector<uint8_t> out;
  encodeCapabilities(caps, out);
  EXPECT_EQ(out, fromHex("40 06 81 2c 00 02 01 80"));
}

TEST(BgpCapabilities, ExtendedNextHopLayoutIsNlriAfiNlriSafiNextHopAfi) {
  // RFC 8950 §3: each entry has a two-octet NLRI SAFI.
  Capabilities caps;
  caps.extended_next_hop = {ExtendedNextHop{kAfiIpv4, kSafiUnicast, kAfiIpv6}};
  std::vector<uint8_t> out;
  encodeCapabilities(caps, out);
  EXPECT_EQ(out, fromHex("05 06 00 01 00 01 00 02"));
}

TEST(BgpCapabilities, DecodeRoundTripsEveryKnownCapability) {
  Capabilities caps;
  caps.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  caps.route_refresh = true;
  caps.four_octet_as = 4200000001;
  caps.graceful_restart = GracefulRestart{false, true, 4095, {{kIpv4Unicast, false}}};
  caps.extended_next_hop = {ExtendedNextHop{}};
  caps.others = {RawCapability{71, {}}};
  std::vector<uint8_t> out;
  encodeCapabilities(caps, out);
  Capabilities decoded;
  auto ok = decodeCapabilities(out, decoded);
  ASSERT_TRUE(ok.ok()) << ok.error().reason;
  EXPECT_EQ(decoded, caps);
}

TEST(BgpCapabilities, CapabilityHeaderCutShortIsUnspecificOpenError) {
  Capabilities decoded;
  auto r = decodeCapabilities(fromHex("02"), decoded);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().notification.code, NotificationCode::kOpenMessage);
  EXPECT_EQ(r.error().notification.subcode, open_error::kUnspecific);
}

}  // namespace
}  // namespace kubevip::bgp

#include "bgp/negotiation.h"

#include <gtest/gtest.h>

namespace kubevip::bgp {
namespace {

Capabilities dualStack() {
  Capabilities caps;
  caps.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  caps.route_refresh = true;
  return caps;
}

OpenMessage ours() { return OpenMessage::forLocalAs(65001, 90, 0x0a000001, dualStack()); }

TEST(BgpNegotiation, HoldTimeIsTheSmallerAndKeepaliveAThirdOfIt) {
  auto s = negotiate(ours(), OpenMessage::forLocalAs(65002, 30, 2, dualStack()), 65002u);
  ASSERT_TRUE(s.ok()) << s.error().reason;
  EXPECT_EQ(s->hold_time_seconds, 30);
  EXPECT_EQ(s->keepalive_seconds, 10);
  EXPECT_EQ(s->peer_as, 65002u);
  EXPECT_TRUE(s->four_octet_as);
  EXPECT_TRUE(s->route_refresh);
  EXPECT_EQ(s->families, (std::vector<AfiSafi>{kIpv4Unicast, kIpv6Unicast}));
}

TEST(BgpNegotiation, HoldTimeZeroMeansNoKeepalives) {
  auto s = negotiate(ours(), OpenMessage::forLocalAs(65002, 0, 2, dualStack()), std::nullopt);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->hold_time_seconds, 0);
  EXPECT_EQ(s->keepalive_seconds, 0);
}

TEST(BgpNegotiation, HoldTimeOfOneOrTwoSecondsIsUnacceptableHoldTime) {
  for (uint16_t hold : {1, 2}) {
    auto s = negotiate(ours(), OpenMessage::forLocalAs(65002, hold, 2, dualStack()), 65002u);
    ASSERT_FALSE(s.ok()) << hold;
    EXPECT_EQ(s.error().notification.code, NotificationCode::kOpenMessage);
    EXPECT_EQ(s.error().notification.subcode, open_error::kUnacceptableHoldTime);
  }
  EXPECT_TRUE(negotiate(ours(), OpenMessage::forLocalAs(65002, 3, 2, dualStack()), 65002u).ok());
}

TEST(BgpNegotiation, UnexpectedPeerAsIsBadPeerAs) {
  auto s = negotiate(ours(), OpenMessage::forLocalAs(65003, 90, 2, dualStack()), 65002u);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().notification.code, NotificationCode::kOpenMessage);
  EXPECT_EQ(s.error().notification.subcode, open_error::kBadPeerAs);
}

TEST(BgpNegotiation, PeerAsComesFromTheFourOctetCapabilityNotAsTrans) {
  auto s = negotiate(ours(), OpenMessage::forLocalAs(4200000002, 90, 2, dualStack()), 4200000002u);
  ASSERT_TRUE(s.ok()) << s.error().reason;
  EXPECT_EQ(s->peer_as, 4200000002u);
}

TEST(BgpNegotiation, FourOctetAsOnlyWhenBothOfferIt) {
  OpenMessage old_peer{kBgpVersion, 65002, 90, 2, dualStack()};
  auto s = negotiate(ours(), old_peer, 65002u);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->four_octet_as);
}

TEST(BgpNegotiation, InternalPeerWithOurIdentifierIsBadBgpIdentifier) {
  auto s = negotiate(ours(), OpenMessage::forLocalAs(65001, 90, 0x0a000001, dualStack()), 65001u);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().notification.subcode, open_error::kBadBgpIdentifier);
}

TEST(BgpNegotiation, FamiliesAreTheIntersectionAndNoMultiprotocolMeansIpv4Only) {
  OpenMessage v6_only = OpenMessage::forLocalAs(65002, 90, 2, {});
  v6_only.capabilities.multiprotocol = {kIpv6Unicast};
  auto s = negotiate(ours(), v6_only, 65002u);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->families, std::vector<AfiSafi>{kIpv6Unicast});
  auto plain = negotiate(ours(), OpenMessage::forLocalAs(65002, 90, 2, {}), 65002u);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->families, std::vector<AfiSafi>{kIpv4Unicast});
  EXPECT_FALSE(plain->route_refresh);
}

TEST(BgpNegotiation, Ipv4OverIpv6NextHopAndGracefulRestartWhenBothOffer) {
  OpenMessage mine = ours();
  mine.capabilities.extended_next_hop = {ExtendedNextHop{}};
  mine.capabilities.graceful_restart = GracefulRestart{false, false, 120, {}};
  OpenMessage theirs = OpenMessage::forLocalAs(65002, 90, 2, dualStack());
  auto without = negotiate(mine, theirs, 65002u);
  ASSERT_TRUE(without.ok());
  EXPECT_FALSE(without->ipv4_over_ipv6_next_hop);
  EXPECT_FALSE(without->peer_graceful_restart.has_value());
  theirs.capabilities.extended_next_hop = {ExtendedNextHop{}};
  theirs.capabilities.graceful_restart = GracefulRestart{true, false, 60, {{kIpv4Unicast, true}}};
  auto with = negotiate(mine, theirs, 65002u);
  ASSERT_TRUE(with.ok());
  EXPECT_TRUE(with->ipv4_over_ipv6_next_hop);
  EXPECT_EQ(with->peer_graceful_restart, theirs.capabilities.graceful_restart);
}

}  // namespace
}  // namespace kubevip::bgp

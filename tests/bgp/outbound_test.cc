// The UPDATEs a session builds for its peer, without a session.
#include "bgp/outbound.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bgp/update.h"
#include "support/addresses.h"

namespace kubevip::bgp {
namespace {

using ::testing::HasSubstr;

using test::ip;

OutboundContext context(const char* local, std::optional<IpAddress> cross = std::nullopt) {
  OutboundContext c;
  c.local_as = 65000;
  c.peer_as = 65001;
  c.local_address = ip(local);
  c.negotiated.peer_as = 65001;
  c.negotiated.four_octet_as = true;
  c.negotiated.families = {kIpv4Unicast, kIpv6Unicast};
  if (cross) c.cross_family_next_hop = [cross](IpFamily, const IpAddress&) { return cross; };
  return c;
}

TEST(BgpOutbound, Ipv4RouteWithAnIpv6NextHopNeedsExtendedNextHop) {
  OutboundUpdates out =
      announceRoutes(context("2001:db8::2", ip("2001:db8::3")), {{ip("192.0.2.10"), {}}});
  EXPECT_TRUE(out.messages.empty());
  ASSERT_EQ(out.held_back.size(), 1u);
  EXPECT_THAT(out.held_back[0].reason, HasSubstr("did not negotiate extended next hops"));
}

// RFC 8950: negotiated extended next hops let the session's IPv6 address carry an IPv4 route.
TEST(BgpOutbound, Ipv4RouteOverAnIpv6SessionWithExtendedNextHopsTakesTheSessionsAddress) {
  OutboundContext c = context("2001:db8::2");
  c.negotiated.ipv4_over_ipv6_next_hop = true;
  OutboundUpdates out = announceRoutes(c, {{ip("192.0.2.10"), {}}});
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_TRUE(out.held_back.empty());
  RouteAttributes a;
  a.local_as = 65000;
  a.next_hop = ip("2001:db8::2");
  EXPECT_EQ(out.messages[0],
            encodeUpdate(announce(a, {Prefix::host(ip("192.0.2.10"))}).value(), true).value());
  // A configured IPv4 next hop still wins.
  c = context("2001:db8::2", ip("10.0.0.2"));
  c.negotiated.ipv4_over_ipv6_next_hop = true;
  out = announceRoutes(c, {{ip("192.0.2.10"), {}}});
  ASSERT_EQ(out.messages.size(), 1u);
  a.next_hop = ip("10.0.0.2");
  EXPECT_EQ(out.messages[0],
            encodeUpdate(announce(a, {Prefix::host(ip("192.0.2.10"))}).value(), true).value());
}

TEST(BgpOutbound, Ipv4RouteOverAnIpv6SessionTakesTheCrossFamilyIpv4NextHop) {
  OutboundUpdates out =
      announceRoutes(context("2001:db8::2", ip("10.0.0.2")), {{ip("192.0.2.10"), {}}});
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_TRUE(out.held_back.empty());
  RouteAttributes a;
  a.local_as = 65000;
  a.next_hop = ip("10.0.0.2");
  EXPECT_EQ(out.messages[0],
            encodeUpdate(announce(a, {Prefix::host(ip("192.0.2.10"))}).value(), true).value());
  EXPECT_EQ(out.announced.size(), 1u);
}

TEST(BgpOutbound, Ipv6RouteWithAnIpv4NextHopIsHeldBack) {
  OutboundUpdates out =
      announceRoutes(context("10.0.0.2", ip("10.0.0.3")), {{ip("2001:db8::10"), {}}});
  EXPECT_TRUE(out.messages.empty());
  ASSERT_EQ(out.held_back.size(), 1u);
  EXPECT_THAT(out.held_back[0].reason, HasSubstr("needs an IPv6 next hop, not 10.0.0.3"));
}

TEST(BgpOutbound, ARouteWhoseAttributesCannotFitAnyUpdateIsHeldBack) {
  RoutePolicy huge;
  huge.communities.assign(1100, 0xfde80001);  // 4400 octets of COMMUNITIES
  OutboundUpdates out =
      announceRoutes(context("10.0.0.2"), {{ip("192.0.2.10"), huge}, {ip("192.0.2.11"), {}}});
  EXPECT_EQ(out.messages.size(), 1u);
  EXPECT_EQ(out.announced.size(), 1u);
  ASSERT_EQ(out.held_back.size(), 1u);
  EXPECT_EQ(out.held_back[0].address, ip("192.0.2.10"));
  EXPECT_THAT(out.held_back[0].reason, HasSubstr("exceeds 4096"));
}

TEST(BgpOutbound, WithdrawalsAreOneUpdatePerFamily) {
  auto out = withdrawRoutes({ip("192.0.2.10"), ip("2001:db8::10"), ip("192.0.2.11")}, true);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(
      out[0],
      encodeUpdate(
          withdraw({Prefix::host(ip("192.0.2.10")), Prefix::host(ip("192.0.2.11"))}).value(), true)
          .value());
}

}  // namespace
}  // namespace kubevip::bgp

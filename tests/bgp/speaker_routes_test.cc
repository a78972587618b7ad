// The routes a speaker sends: on Established, on changes, on ROUTE-REFRESH, per peer type.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bgp/speaker_fixture.h"

namespace kubevip::bgp {
namespace {

using ::testing::HasSubstr;
using namespace ::kubevip::bgp::testing;  // NOLINT(google-build-using-namespace)

class BgpRoutes : public SpeakerFixture {};

RouteAttributes external(const char* next_hop) {
  RouteAttributes a;
  a.local_as = kLocalAs;
  a.external = true;
  a.next_hop = ip(next_hop);
  return a;
}

UpdateMessage announced(const RouteAttributes& a, std::vector<const char*> addresses) {
  std::vector<Prefix> prefixes;
  for (const char* address : addresses) prefixes.push_back(Prefix::host(ip(address)));
  return announce(a, prefixes).value();
}

TEST_F(BgpRoutes, RoutesGoOutOnEstablishedPackedByAttributesThenEndOfRib) {
  create();
  RoutePolicy tagged;
  tagged.communities = {0xfde80001};
  speaker_->announce(ip("192.0.2.11"), {});
  speaker_->announce(ip("192.0.2.10"), {});
  speaker_->announce(ip("192.0.2.12"), tagged);
  FakePeer peer = establish();

  RouteAttributes tagged_attributes = external("10.0.0.2");
  tagged_attributes.communities = {0xfde80001};
  std::vector<uint8_t> expected =
      encoded(announced(external("10.0.0.2"), {"192.0.2.10", "192.0.2.11"}));
  for (const UpdateMessage& u : {announced(tagged_attributes, {"192.0.2.12"}),
                                 endOfRib(kIpv4Unicast), endOfRib(kIpv6Unicast)}) {
    auto bytes = encoded(u);
    expected.insert(expected.end(), bytes.begin(), bytes.end());
  }
  EXPECT_EQ(peer.takeBytes(), expected);
  EXPECT_EQ(peerStatus().routes_announced, 3u);
  EXPECT_EQ(peerStatus().updates_sent, 4u);
}

TEST_F(BgpRoutes, AnnounceAndWithdrawWhileEstablishedSendIncrementalUpdates) {
  FakePeer peer = establish();
  peer.takeBytes();
  speaker_->announce(ip("192.0.2.10"), {});
  EXPECT_EQ(updatesIn(peer.takeMessages()),
            std::vector<UpdateMessage>{announced(external("10.0.0.2"), {"192.0.2.10"})});
  EXPECT_TRUE(speaker_->announced(ip("192.0.2.10")));
  EXPECT_EQ(peerStatus().routes_announced, 1u);

  speaker_->announce(ip("192.0.2.10"), {});
  EXPECT_TRUE(peer.takeBytes().empty()) << "an unchanged announcement sends nothing";

  RoutePolicy with_med;
  with_med.med = 7;
  speaker_->announce(ip("192.0.2.10"), with_med);
  RouteAttributes a = external("10.0.0.2");
  a.multi_exit_disc = 7;
  EXPECT_EQ(updatesIn(peer.takeMessages()),
            std::vector<UpdateMessage>{announced(a, {"192.0.2.10"})});

  speaker_->withdraw(ip("192.0.2.10"));
  EXPECT_EQ(updatesIn(peer.takeMessages()),
            std::vector<UpdateMessage>{withdraw({Prefix::host(ip("192.0.2.10"))}).value()});
  EXPECT_FALSE(speaker_->announced(ip("192.0.2.10")));
  EXPECT_EQ(peerStatus().routes_announced, 0u);

  speaker_->withdraw(ip("192.0.2.10"));
  EXPECT_TRUE(peer.takeBytes().empty());
}

TEST_F(BgpRoutes, ExternalPeerGetsOurAsAndNoLocalPref) {
  RoutePolicy policy;
  policy.local_pref = 200;
  FakePeer peer = establish();
  peer.takeBytes();
  speaker_->announce(ip("192.0.2.10"), policy);
  auto updates = updatesIn(peer.takeMessages());
  ASSERT_EQ(updates.size(), 1u);
  const PathAttributes& a = updates[0].attributes;
  EXPECT_EQ(a.as_path, (std::vector<AsPathSegment>{{AsPathSegment::Type::kSequence, {kLocalAs}}}));
  EXPECT_FALSE(a.local_pref.has_value());
  EXPECT_EQ(a.next_hop, ip("10.0.0.2"));
}

TEST_F(BgpRoutes, InternalPeerGetsAnEmptyAsPathAndLocalPref) {
  create(settings(kLocalAs));
  FakePeer peer = establish(peerCapabilities(), "10.0.0.2", kLocalAs);
  peer.takeBytes();
  speaker_->announce(ip("192.0.2.10"), {});
  RoutePolicy preferred;
  preferred.local_pref = 200;
  speaker_->announce(ip("192.0.2.11"), preferred);
  auto updates = updatesIn(peer.takeMessages());
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0].attributes.as_path, std::vector<AsPathSegment>{});
  EXPECT_EQ(updates[0].attributes.local_pref, 100u);
  EXPECT_EQ(updates[1].attributes.local_pref, 200u);
}

TEST_F(BgpRoutes, CommunitiesLargeCommunitiesAndMedAreOnTheWire) {
  FakePeer peer = establish();
  peer.takeBytes();
  RoutePolicy policy;
  policy.communities = {0xfde80064};  // 65000:100
  policy.large_communities = {{65000, 1, 2}};
  policy.med = 50;
  speaker_->announce(ip("192.0.2.10"), policy);
  RouteAttributes a = external("10.0.0.2");
  a.communities = policy.communities;
  a.large_communities = policy.large_communities;
  a.multi_exit_disc = 50;
  EXPECT_EQ(peer.takeBytes(), encoded(announced(a, {"192.0.2.10"})));
}

TEST_F(BgpRoutes, Ipv6RouteGoesInMpReachWithTheSessionsAddress) {
  SpeakerSettings s = settings();
  s.peers[0].address = ip("2001:db8::1");
  create(s);
  FakePeer peer = establish(peerCapabilities(), "2001:db8::2");
  peer.takeBytes();
  speaker_->announce(ip("2001:db8::10"), {});
  auto updates = updatesIn(peer.takeMessages());
  ASSERT_EQ(updates.size(), 1u);
  ASSERT_TRUE(updates[0].attributes.mp_reach.has_value());
  EXPECT_EQ(updates[0].attributes.mp_reach->next_hop, ip("2001:db8::2"));
  EXPECT_EQ(updates[0].attributes.mp_reach->nlri,
            std::vector<Prefix>{Prefix::host(ip("2001:db8::10"))});
  EXPECT_TRUE(updates[0].nlri.empty());
}

TEST_F(BgpRoutes, CrossFamilyRouteWithoutNextHopIsHeldBackWithTheReason) {
  FakePeer peer = establish();
  peer.takeBytes();
  speaker_->announce(ip("2001:db8::10"), {});
  EXPECT_TRUE(peer.takeBytes().empty());
  EXPECT_EQ(peerStatus().routes_announced, 0u);
  EXPECT_THAT(peerStatus().last_error, HasSubstr("2001:db8::10 is held back"));
  EXPECT_THAT(peerStatus().last_error, HasSubstr("no IPv6 next hop"));
}

TEST_F(BgpRoutes, CrossFamilyNextHopComesFromTheSettings) {
  SpeakerSettings s = settings();
  s.cross_family_next_hop = [](IpFamily family,
                               const IpAddress& local) -> std::optional<IpAddress> {
    EXPECT_EQ(family, IpFamily::kV6);
    EXPECT_EQ(local, ip("10.0.0.2"));
    return ip("2001:db8::2");
  };
  create(s);
  FakePeer peer = establish();
  peer.takeBytes();
  speaker_->announce(ip("2001:db8::10"), {});
  auto updates = updatesIn(peer.takeMessages());
  ASSERT_EQ(updates.size(), 1u);
  ASSERT_TRUE(updates[0].attributes.mp_reach.has_value());
  EXPECT_EQ(updates[0].attributes.mp_reach->next_hop, ip("2001:db8::2"));
}

TEST_F(BgpRoutes, RouteOfAFamilyThePeerDidNotOfferIsHeldBack) {
  create();
  speaker_->announce(ip("2001:db8::10"), {});
  FakePeer peer = establish(peerCapabilities(/*ipv6=*/false));
  // Only IPv4 was negotiated: no route, and End-of-RIB for IPv4 only.
  EXPECT_EQ(peer.takeBytes(), encoded(endOfRib(kIpv4Unicast)));
  EXPECT_THAT(peerStatus().last_error, HasSubstr("did not negotiate IPv6 unicast"));
}

TEST_F(BgpRoutes, InboundUpdatesAreIgnored) {
  FakePeer peer = establish();
  peer.takeBytes();
  RouteAttributes theirs;
  theirs.local_as = kPeerAs;
  theirs.next_hop = ip("10.0.0.1");
  peer.deliver(encoded(announced(theirs, {"198.51.100.0"})));
  // Treat-as-withdraw (RFC 7606): routes without ORIGIN; the session stays.
  UpdateMessage no_origin = announced(theirs, {"198.51.100.1"});
  no_origin.attributes.origin.reset();
  peer.deliver(encoded(no_origin));
  EXPECT_TRUE(peer.takeBytes().empty());
  EXPECT_EQ(peerStatus().state, FsmState::kEstablished);
  EXPECT_EQ(peerStatus().updates_received, 2u);
}

TEST_F(BgpRoutes, RouteRefreshIsAnsweredWithTheFamilysRoutesAndEndOfRib) {
  create();
  speaker_->announce(ip("192.0.2.10"), {});
  speaker_->announce(ip("2001:db8::10"), {});
  FakePeer peer = establish();
  peer.takeBytes();
  peer.deliver(encodeRouteRefresh({kIpv4Unicast, 0}));
  std::vector<uint8_t> expected = encoded(announced(external("10.0.0.2"), {"192.0.2.10"}));
  std::vector<uint8_t> end_of_rib = encoded(endOfRib(kIpv4Unicast));
  expected.insert(expected.end(), end_of_rib.begin(), end_of_rib.end());
  EXPECT_EQ(peer.takeBytes(), expected);
}

TEST_F(BgpRoutes, RouteRefreshWithoutGracefulRestartHasNoEndOfRib) {
  create();
  speaker_->announce(ip("192.0.2.10"), {});
  FakePeer peer = establish(peerCapabilities(true, /*graceful_restart=*/false));
  peer.takeBytes();
  peer.deliver(encodeRouteRefresh({kIpv4Unicast, 0}));
  EXPECT_EQ(peer.takeBytes(), encoded(announced(external("10.0.0.2"), {"192.0.2.10"})));
}

TEST_F(BgpRoutes, ManyRoutesAreSplitIntoUpdatesThatFit) {
  create();
  for (int i = 0; i < 1000; ++i) {
    speaker_->announce(
        IpAddress::v4({10, 1, static_cast<uint8_t>(i / 256), static_cast<uint8_t>(i % 256)}), {});
  }
  FakePeer peer = establish();
  std::vector<uint8_t> bytes = peer.takeBytes();
  std::size_t prefixes = 0;
  std::size_t updates = 0;
  std::span<const uint8_t> rest(bytes);
  while (!rest.empty()) {
    auto frame = findMessage(rest);
    ASSERT_TRUE(frame.ok() && frame->has_value());
    EXPECT_LE((*frame)->length, kMaxMessageLength);
    auto update = decodeUpdate((*frame)->body, true);
    ASSERT_TRUE(update.ok());
    prefixes += update->nlri.size();
    ++updates;
    rest = rest.subspan((*frame)->length);
  }
  EXPECT_EQ(prefixes, 1000u);
  EXPECT_GT(updates, 3u);   // 1000 host routes take more than one UPDATE,
  EXPECT_LT(updates, 10u);  // and they share UPDATEs (plus two End-of-RIBs)
  EXPECT_EQ(peerStatus().routes_announced, 1000u);
}

TEST_F(BgpRoutes, RoutesAreSentAgainAfterTheSessionComesBack) {
  create();
  speaker_->announce(ip("192.0.2.10"), {});
  FakePeer peer = establish();
  peer.takeBytes();
  peer.closeFromPeer("reset");
  EXPECT_EQ(peerStatus().routes_announced, 0u);
  time_.advance(std::chrono::seconds(1));
  FakePeer again = transport_.answer(ip("10.0.0.2"));
  again.takeBytes();
  again.deliver(peerOpen(kPeerAs));
  again.deliver(encodeKeepalive());
  auto updates = updatesIn(again.takeMessages());
  ASSERT_EQ(updates.size(), 3u);  // the route, then End-of-RIB for IPv4 and IPv6
  EXPECT_EQ(updates[0], announced(external("10.0.0.2"), {"192.0.2.10"}));
  EXPECT_EQ(peerStatus().routes_announced, 1u);
}

}  // namespace
}  // namespace kubevip::bgp

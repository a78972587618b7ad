// The session's life with one peer: handshake, errors, timers, passive peers, the clean stop.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bgp/speaker_fixture.h"

namespace kubevip::bgp {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using namespace ::kubevip::bgp::testing;  // NOLINT(google-build-using-namespace)

class BgpSession : public SpeakerFixture {};

Capabilities ourCapabilities() {
  Capabilities caps;
  caps.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  caps.route_refresh = true;
  caps.extended_next_hop = {ExtendedNextHop{kAfiIpv4, kSafiUnicast, kAfiIpv6}};
  GracefulRestart gr;
  gr.restart_time_seconds = 120;
  gr.families = {{kIpv4Unicast, true}, {kIpv6Unicast, true}};
  caps.graceful_restart = gr;
  return caps;
}

void expectNotification(const FakePeer& peer, Notification expected) {
  auto sent = notificationsIn(peer.takeMessages());
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent.front().code, expected.code);
  EXPECT_EQ(sent.front().subcode, expected.subcode);
  EXPECT_EQ(sent.front().data, expected.data);
  EXPECT_TRUE(peer.closing()) << "the connection is closed after the NOTIFICATION";
}

// The peer's port is where we connect (the Go kube-vip reads it from bgp_peers and then ignores
// it).
TEST_F(BgpSession, ThePeersPortIsWhereWeConnect) {
  SpeakerSettings s = settings();
  s.peers[0].port = 1179;
  create(s);
  ASSERT_TRUE(speaker_->start().ok());
  ASSERT_EQ(transport_.attempts.size(), 1u);
  EXPECT_EQ(transport_.attempts[0].request.port, 1179);
  EXPECT_EQ(speaker_->status()[0].port, 1179);
}

TEST_F(BgpSession, HandshakeIsByteExactAndEndsWithEndOfRibPerFamily) {
  SpeakerSettings s = settings();
  s.source_ip = ip("10.0.0.2");
  s.source_interface = "eth1";
  s.peers[0].md5_password = "secret";
  s.peers[0].ttl = 2;
  create(s);
  ASSERT_TRUE(speaker_->start().ok());

  ASSERT_EQ(transport_.attempts.size(), 1u);
  const ConnectRequest& request = transport_.attempts[0].request;
  EXPECT_EQ(request.peer, ip("10.0.0.1"));
  EXPECT_EQ(request.port, 179);
  EXPECT_EQ(request.source, ip("10.0.0.2"));
  EXPECT_EQ(request.bind_interface, "eth1");
  EXPECT_EQ(request.md5_password, "secret");
  EXPECT_EQ(request.ttl, 2);
  EXPECT_EQ(peerStatus().state, FsmState::kConnect);

  FakePeer peer = transport_.answer(ip("10.0.0.2"));
  EXPECT_EQ(peer.takeBytes(),
            encodeOpen(OpenMessage::forLocalAs(kLocalAs, 30, kOurRouterId, ourCapabilities())));
  EXPECT_EQ(peerStatus().state, FsmState::kOpenSent);

  peer.deliver(peerOpen(kPeerAs));
  EXPECT_EQ(peer.takeBytes(), encodeKeepalive());
  EXPECT_EQ(peerStatus().state, FsmState::kOpenConfirm);

  peer.deliver(encodeKeepalive());
  std::vector<uint8_t> end_of_ribs = encoded(endOfRib(kIpv4Unicast));
  std::vector<uint8_t> v6 = encoded(endOfRib(kIpv6Unicast));
  end_of_ribs.insert(end_of_ribs.end(), v6.begin(), v6.end());
  EXPECT_EQ(peer.takeBytes(), end_of_ribs);

  PeerStatus status = peerStatus();
  EXPECT_EQ(status.state, FsmState::kEstablished);
  EXPECT_EQ(status.negotiated_hold_time, seconds(30));
  EXPECT_EQ(status.established_since, time_.now());
  EXPECT_EQ(status.updates_sent, 2u);
  EXPECT_EQ(transitions_, (std::vector<std::pair<FsmState, FsmState>>{
                              {FsmState::kIdle, FsmState::kConnect},
                              {FsmState::kConnect, FsmState::kOpenSent},
                              {FsmState::kOpenSent, FsmState::kOpenConfirm},
                              {FsmState::kOpenConfirm, FsmState::kEstablished}}));
}

TEST_F(BgpSession, NoGracefulRestartCapabilityWhenItsTimeIsZero) {
  SpeakerSettings s = settings();
  s.graceful_restart_time = seconds(0);
  create(s);
  ASSERT_TRUE(speaker_->start().ok());
  FakePeer peer = transport_.answer(ip("10.0.0.2"));
  Capabilities caps = ourCapabilities();
  caps.graceful_restart.reset();
  EXPECT_EQ(peer.takeBytes(),
            encodeOpen(OpenMessage::forLocalAs(kLocalAs, 30, kOurRouterId, caps)));
}

TEST_F(BgpSession, MessagesSplitAcrossReadsAreReassembled) {
  create();
  ASSERT_TRUE(speaker_->start().ok());
  FakePeer peer = transport_.answer(ip("10.0.0.2"));
  peer.takeBytes();
  std::vector<uint8_t> stream = peerOpen(kPeerAs);
  std::vector<uint8_t> keepalive = encodeKeepalive();
  stream.insert(stream.end(), keepalive.begin(), keepalive.end());
  for (uint8_t byte : stream) peer.deliver({byte});
  EXPECT_EQ(peerStatus().state, FsmState::kEstablished);
}

TEST_F(BgpSession, PeerAsMismatchIsBadPeerAs) {
  create();
  ASSERT_TRUE(speaker_->start().ok());
  FakePeer peer = transport_.answer(ip("10.0.0.2"));
  peer.takeBytes();
  peer.deliver(peerOpen(65099));
  auto sent = notificationsIn(peer.takeMessages());
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].code, NotificationCode::kOpenMessage);
  EXPECT_EQ(sent[0].subcode, open_error::kBadPeerAs);
  EXPECT_TRUE(peer.closing());
  EXPECT_EQ(peerStatus().state, FsmState::kIdle);
  EXPECT_THAT(peerStatus().last_error, HasSubstr("65099"));
}

TEST_F(BgpSession, BadMarkerIsConnectionNotSynchronized) {
  FakePeer peer = establish();
  peer.takeBytes();
  std::vector<uint8_t> bad = encodeKeepalive();
  bad[3] = 0;
  peer.deliver(bad);
  expectNotification(
      peer, {NotificationCode::kMessageHeader, header_error::kConnectionNotSynchronized, {}});
  EXPECT_EQ(peerStatus().state, FsmState::kIdle);
}

TEST_F(BgpSession, BadLengthIsBadMessageLengthCarryingTheLength) {
  FakePeer peer = establish();
  peer.takeBytes();
  std::vector<uint8_t> bad = encodeKeepalive();
  bad[16] = 0x00;
  bad[17] = 0x14;  // a KEEPALIVE of 20 octets
  bad.push_back(0);
  peer.deliver(bad);
  expectNotification(peer,
                     {NotificationCode::kMessageHeader, header_error::kBadMessageLength, {0, 20}});
}

TEST_F(BgpSession, UpdateWithBrokenAttributeListIsMalformedAttributeList) {
  FakePeer peer = establish();
  peer.takeBytes();
  // Withdrawn Routes Length 0, Total Path Attribute Length 200 with nothing after it.
  std::vector<uint8_t> bad;
  appendHeader(MessageType::kUpdate, 4, bad);
  bad.insert(bad.end(), {0, 0, 0, 200});
  peer.deliver(bad);
  auto sent = notificationsIn(peer.takeMessages());
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].code, NotificationCode::kUpdateMessage);
  EXPECT_EQ(sent[0].subcode, update_error::kMalformedAttributeList);
  EXPECT_TRUE(peer.closing());
}

TEST_F(BgpSession, OpenOfAnotherVersionIsUnsupportedVersion) {
  create();
  ASSERT_TRUE(speaker_->start().ok());
  FakePeer peer = transport_.answer(ip("10.0.0.2"));
  peer.takeBytes();
  std::vector<uint8_t> open = peerOpen(kPeerAs);
  open[kHeaderLength] = 3;
  peer.deliver(open);
  expectNotification(
      peer, {NotificationCode::kOpenMessage, open_error::kUnsupportedVersion, {0, kBgpVersion}});
}

TEST_F(BgpSession, RouteRefreshOfTheWrongLengthIsInvalidMessageLength) {
  FakePeer peer = establish();
  peer.takeBytes();
  std::vector<uint8_t> bad;
  appendHeader(MessageType::kRouteRefresh, 5, bad);
  bad.insert(bad.end(), {0, 1, 0, 1, 0});
  peer.deliver(bad);
  auto sent = notificationsIn(peer.takeMessages());
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].code, NotificationCode::kRouteRefresh);
  EXPECT_EQ(sent[0].subcode, route_refresh_error::kInvalidMessageLength);
  EXPECT_EQ(sent[0].data, bad);  // RFC 7313 §5: the whole message
  EXPECT_TRUE(peer.closing());
  EXPECT_EQ(peer.closeBound(), milliseconds(1000));
  EXPECT_THAT(peerStatus().last_error, HasSubstr("ROUTE-REFRESH length 24 is not 23"));
}

TEST_F(BgpSession, KeepaliveBeforeOpenIsAnFsmError) {
  create();
  ASSERT_TRUE(speaker_->start().ok());
  FakePeer peer = transport_.answer(ip("10.0.0.2"));
  peer.takeBytes();
  peer.deliver(encodeKeepalive());
  expectNotification(peer, {NotificationCode::kFsm, 1, {}});  // RFC 6608: in OpenSent
}

TEST_F(BgpSession, PeerNotificationEndsTheSessionWithoutAnswer) {
  FakePeer peer = establish();
  peer.takeBytes();
  peer.deliver(encodeNotification({NotificationCode::kCease, cease::kAdministrativeReset, {}}));
  EXPECT_TRUE(notificationsIn(peer.takeMessages()).empty());
  EXPECT_TRUE(peer.closing());
  EXPECT_EQ(peerStatus().state, FsmState::kIdle);
  EXPECT_THAT(peerStatus().last_error, HasSubstr("NOTIFICATION 6/4"));
}

TEST_F(BgpSession, HoldTimerExpirySendsHoldTimerExpiredAndReconnectsAfterBackoff) {
  FakePeer peer = establish();
  peer.takeBytes();
  time_.advance(seconds(29));
  EXPECT_EQ(peerStatus().state, FsmState::kEstablished);
  auto keepalives = peer.takeMessages();  // ours, every 10 s
  EXPECT_EQ(keepalives.size(), 2u);
  time_.advance(seconds(1));
  expectNotification(peer, {NotificationCode::kHoldTimerExpired, 0, {}});
  EXPECT_EQ(peerStatus().state, FsmState::kIdle);
  EXPECT_THAT(peerStatus().last_error, HasSubstr("hold time"));
  ASSERT_EQ(transport_.attempts.size(), 1u);

  time_.advance(milliseconds(999));
  EXPECT_EQ(transport_.attempts.size(), 1u);
  time_.advance(milliseconds(1));  // the first back-off is 1 s
  ASSERT_EQ(transport_.attempts.size(), 2u);
  EXPECT_EQ(peerStatus().state, FsmState::kConnect);
  FakePeer again = transport_.answer(ip("10.0.0.2"));
  EXPECT_EQ(peerStatus().state, FsmState::kOpenSent);
  peer.finishClose();  // the old connection is gone once flushed
  EXPECT_TRUE(peer.destroyed());
}

TEST_F(BgpSession, ConnectRetryExpiryWithoutPasswordSuggestsOne) {
  create();
  ASSERT_TRUE(speaker_->start().ok());
  time_.advance(seconds(1));
  EXPECT_TRUE(*transport_.attempts[0].cancelled);
  ASSERT_EQ(transport_.attempts.size(), 2u);
  EXPECT_EQ(peerStatus().state, FsmState::kConnect);
  EXPECT_THAT(peerStatus().last_error, HasSubstr("ConnectRetry timer expired"));
  EXPECT_THAT(peerStatus().last_error,
              HasSubstr("if the peer expects a TCP MD5 password, set it (bgp_peerpass / the "
                        "peer's password)"));
}

TEST_F(BgpSession, ConnectRetryExpiryWithPasswordWarnsOfAMismatch) {
  SpeakerSettings s = settings();
  s.peers[0].md5_password = "secret";
  create(s);
  ASSERT_TRUE(speaker_->start().ok());
  time_.advance(seconds(1));
  EXPECT_THAT(peerStatus().last_error,
              HasSubstr("a peer with a different TCP MD5 password (or none) drops our SYNs "
                        "without an answer"));
}

TEST_F(BgpSession, RefusedConnectRetriesAfterBackoff) {
  create();
  ASSERT_TRUE(speaker_->start().ok());
  transport_.refuseLast("connection refused");
  EXPECT_EQ(peerStatus().state, FsmState::kIdle);
  EXPECT_THAT(peerStatus().last_error, HasSubstr("connection refused"));
  time_.advance(seconds(1));
  EXPECT_EQ(transport_.attempts.size(), 2u);
}

TEST_F(BgpSession, ConnectionClosedByThePeerEndsTheSession) {
  FakePeer peer = establish();
  peer.closeFromPeer("connection reset by peer");
  EXPECT_EQ(peerStatus().state, FsmState::kIdle);
  EXPECT_THAT(peerStatus().last_error, HasSubstr("connection reset by peer"));
}

TEST_F(BgpSession, PassivePeerIsAcceptedThroughTheListenerAndASecondConnectionRefused) {
  SpeakerSettings s = settings();
  s.peers[0].passive = true;
  s.peers[0].md5_password = "secret";
  s.listen_port = 1179;
  create(s);
  ASSERT_TRUE(speaker_->start().ok());
  EXPECT_TRUE(transport_.attempts.empty());
  ASSERT_TRUE(transport_.listen_request.has_value());
  EXPECT_EQ(transport_.listen_request->port, 1179);
  ASSERT_EQ(transport_.listen_request->peers.size(), 1u);
  EXPECT_EQ(transport_.listen_request->peers[0].address, ip("10.0.0.1"));
  EXPECT_EQ(transport_.listen_request->peers[0].md5_password, "secret");
  EXPECT_EQ(peerStatus().state, FsmState::kActive);

  FakePeer peer = transport_.arrive(ip("10.0.0.1"), ip("10.0.0.2"));
  EXPECT_EQ(peerStatus().state, FsmState::kOpenSent);
  EXPECT_EQ(peer.takeBytes(),
            encodeOpen(OpenMessage::forLocalAs(kLocalAs, 30, kOurRouterId, ourCapabilities())));

  FakePeer second = transport_.arrive(ip("10.0.0.1"), ip("10.0.0.2"));
  expectNotification(second, {NotificationCode::kCease, cease::kConnectionRejected, {}});
  FakePeer stranger = transport_.arrive(ip("10.0.0.9"), ip("10.0.0.2"));
  expectNotification(stranger, {NotificationCode::kCease, cease::kConnectionRejected, {}});
  second.finishClose();
  EXPECT_TRUE(second.destroyed());

  peer.deliver(peerOpen(kPeerAs));
  peer.deliver(encodeKeepalive());
  EXPECT_EQ(peerStatus().state, FsmState::kEstablished);
}

TEST_F(BgpSession, PassivePeerReconnectingDuringTheBackoffIsAccepted) {
  SpeakerSettings s = settings();
  s.peers[0].passive = true;
  create(s);
  ASSERT_TRUE(speaker_->start().ok());
  FakePeer peer = transport_.arrive(ip("10.0.0.1"), ip("10.0.0.2"));
  peer.closeFromPeer("reset");
  ASSERT_EQ(peerStatus().state, FsmState::kIdle);
  FakePeer again = transport_.arrive(ip("10.0.0.1"), ip("10.0.0.2"));
  EXPECT_EQ(peerStatus().state, FsmState::kOpenSent);
  EXPECT_FALSE(again.closing());
}

TEST_F(BgpSession, PassivePeerIsRefusedAfterStop) {
  SpeakerSettings s = settings();
  s.peers[0].passive = true;
  create(s);
  ASSERT_TRUE(speaker_->start().ok());
  auto accepted = transport_.accepted;  // as if the listener were still open
  speaker_->stop(milliseconds(500), [] {});
  auto line = std::make_shared<FakeLine>();
  accepted(std::make_unique<FakeConnection>(line, ip("10.0.0.2"), ip("10.0.0.1")));
  EXPECT_EQ(peerStatus().state, FsmState::kIdle);
  EXPECT_TRUE(FakePeer(line).closing());
}

TEST_F(BgpSession, StopWithdrawsThenSendsCeaseThenClosesAfterFlush) {
  FakePeer peer = establish();
  speaker_->announce(ip("192.0.2.10"), {});
  speaker_->announce(ip("192.0.2.11"), {});
  peer.takeBytes();
  bool done = false;
  speaker_->stop(milliseconds(2000), [&] { done = true; });

  auto sent = peer.takeMessages();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(std::get<UpdateMessage>(sent[0]),
            withdraw({Prefix::host(ip("192.0.2.10")), Prefix::host(ip("192.0.2.11"))}).value());
  EXPECT_EQ(std::get<Notification>(sent[1]),
            (Notification{NotificationCode::kCease, cease::kAdministrativeShutdown, {}}));
  EXPECT_TRUE(peer.closing());
  EXPECT_EQ(peer.closeBound(), milliseconds(2000));
  EXPECT_FALSE(done);
  peer.finishClose();
  EXPECT_TRUE(done);
  EXPECT_EQ(peerStatus().state, FsmState::kIdle);
  EXPECT_EQ(peerStatus().routes_announced, 0u);
  time_.advance(seconds(120));
  EXPECT_EQ(transport_.attempts.size(), 1u) << "a stopped session does not restart";
}

TEST_F(BgpSession, ASecondStopWhileTheFirstRunsIsDoneWithIt) {
  FakePeer peer = establish();
  int done = 0;
  speaker_->stop(milliseconds(500), [&] { ++done; });
  speaker_->stop(milliseconds(500), [&] { ++done; });
  EXPECT_EQ(done, 0);
  peer.finishClose();
  EXPECT_EQ(done, 2);
  time_.advance(milliseconds(500));
  EXPECT_EQ(done, 2);
}

TEST_F(BgpSession, StopIsDoneAfterItsBoundWhenTheConnectionDoesNotDrain) {
  FakePeer peer = establish();
  bool done = false;
  speaker_->stop(milliseconds(500), [&] { done = true; });
  time_.advance(milliseconds(499));
  EXPECT_FALSE(done);
  time_.advance(milliseconds(1));
  EXPECT_TRUE(done);
}

TEST_F(BgpSession, StopOfASessionNotEstablishedJustCloses) {
  create();
  ASSERT_TRUE(speaker_->start().ok());
  bool done = false;
  speaker_->stop(milliseconds(500), [&] { done = true; });
  EXPECT_TRUE(done);
  EXPECT_TRUE(*transport_.attempts[0].cancelled);
}

TEST_F(BgpSession, StopClosesTheListener) {
  SpeakerSettings s = settings();
  s.peers[0].passive = true;
  create(s);
  ASSERT_TRUE(speaker_->start().ok());
  EXPECT_TRUE(*transport_.listener_alive);
  speaker_->stop(milliseconds(500), [] {});
  EXPECT_FALSE(*transport_.listener_alive);
}

TEST_F(BgpSession, StartFailsWhenThePassivePeersCannotBeListenedFor) {
  SpeakerSettings s = settings();
  s.peers[0].passive = true;
  create(s);
  transport_.listen_error = makeError(ErrorCode::kSystem, "bind: address in use");
  auto started = speaker_->start();
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.error().message, HasSubstr("listening on port 179"));
  EXPECT_THAT(started.error().message, HasSubstr("address in use"));
}

TEST(BgpSpeakerSettings, BadSettingsAreRefusedNamingWhatIsWrong) {
  ManualTimeSource time;
  TopRandom random;
  FakeTransport transport;
  auto refused = [&](SpeakerSettings s) {
    auto created = Speaker::create(time, random, transport, std::move(s), {});
    return created.ok() ? std::string() : created.error().message;
  };
  SpeakerSettings s = speakerSettings();
  s.router_id = 0;
  EXPECT_THAT(refused(s), HasSubstr("router id 0"));
  s = speakerSettings();
  s.peers[0].hold_time = seconds(2);
  EXPECT_THAT(refused(s), HasSubstr("hold time 2"));
  s = speakerSettings();
  s.peers.push_back(s.peers[0]);
  EXPECT_THAT(refused(s), HasSubstr("10.0.0.1 is configured twice"));
  s = speakerSettings();
  s.graceful_restart_time = seconds(5000);
  EXPECT_THAT(refused(s), HasSubstr("graceful restart time 5000"));
  EXPECT_EQ(refused(speakerSettings()), "");
}

}  // namespace
}  // namespace kubevip::bgp

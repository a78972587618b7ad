#include "bgp/speaker_fixture.h"

namespace kubevip::bgp::testing {

Capabilities peerCapabilities(bool ipv6, bool graceful_restart) {
  Capabilities caps;
  caps.multiprotocol = {kIpv4Unicast};
  if (ipv6) caps.multiprotocol.push_back(kIpv6Unicast);
  caps.route_refresh = true;
  if (graceful_restart) {
    GracefulRestart gr;
    gr.restart_time_seconds = 120;
    gr.families = {{kIpv4Unicast, false}};
    caps.graceful_restart = gr;
  }
  return caps;
}

std::vector<uint8_t> peerOpen(uint32_t as, uint16_t hold_time, Capabilities caps) {
  return encodeOpen(OpenMessage::forLocalAs(as, hold_time, kPeerRouterId, std::move(caps)));
}

std::vector<UpdateMessage> updatesIn(const std::vector<Message>& messages) {
  std::vector<UpdateMessage> out;
  for (const Message& m : messages) {
    if (auto* u = std::get_if<UpdateMessage>(&m)) out.push_back(*u);
  }
  return out;
}

std::vector<Notification> notificationsIn(const std::vector<Message>& messages) {
  std::vector<Notification> out;
  for (const Message& m : messages) {
    if (auto* n = std::get_if<Notification>(&m)) out.push_back(*n);
  }
  return out;
}

std::vector<uint8_t> encoded(const UpdateMessage& update) {
  auto bytes = encodeUpdate(update, true);
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? bytes.value() : std::vector<uint8_t>{};
}

SpeakerSettings speakerSettings(uint32_t peer_as) {
  SpeakerSettings s;
  s.local_as = kLocalAs;
  s.router_id = kOurRouterId;
  s.graceful_restart_time = std::chrono::seconds(120);
  PeerSettings peer;
  peer.address = ip("10.0.0.1");
  peer.as = peer_as;
  s.peers = {peer};
  return s;
}

void SpeakerFixture::create(SpeakerSettings s) {
  SpeakerHooks hooks;
  hooks.state_changed = [this](const PeerStatus& peer, FsmState from) {
    transitions_.emplace_back(from, peer.state);
  };
  auto created = Speaker::create(time_, random_, transport_, std::move(s), std::move(hooks));
  ASSERT_TRUE(created.ok()) << created.error().describe();
  speaker_ = std::move(created).value();
}

FakePeer SpeakerFixture::establish(Capabilities caps, const char* local, uint32_t peer_as) {
  if (!speaker_) create(settings(peer_as));
  EXPECT_TRUE(speaker_->start().ok());
  FakePeer peer = transport_.answer(ip(local));
  peer.takeBytes();  // our OPEN
  peer.deliver(peerOpen(peer_as, 90, std::move(caps)));
  peer.takeBytes();  // our KEEPALIVE
  peer.deliver(encodeKeepalive());
  EXPECT_EQ(peerStatus().state, FsmState::kEstablished);
  return peer;
}

}  // namespace kubevip::bgp::testing

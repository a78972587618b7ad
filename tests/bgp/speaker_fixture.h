// The speaker's test bench: a speaker over FakeTransport in simulated time, and the peer's
// messages built with the wire format's encoders.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "bgp/fake_transport.h"
#include "bgp/message.h"
#include "bgp/speaker.h"
#include "bgp/update.h"
#include "common/time_source.h"
#include "support/addresses.h"

namespace kubevip::bgp::testing {

using test::ip;

// The jitter factor is always 1.0: timers run for their full value.
class TopRandom final : public RandomSource {
 public:
  int64_t uniform(int64_t, int64_t high) override { return high; }
};

inline constexpr uint32_t kLocalAs = 65000;
inline constexpr uint32_t kPeerAs = 65001;
inline constexpr uint32_t kOurRouterId = 0x0a000002;   // 10.0.0.2
inline constexpr uint32_t kPeerRouterId = 0x0a000001;  // 10.0.0.1

// What a FRR-like peer offers: both families, four-octet AS, route refresh, graceful restart.
Capabilities peerCapabilities(bool ipv6 = true, bool graceful_restart = true);
std::vector<uint8_t> peerOpen(uint32_t as, uint16_t hold_time = 90,
                              Capabilities caps = peerCapabilities());

std::vector<UpdateMessage> updatesIn(const std::vector<Message>& messages);
std::vector<Notification> notificationsIn(const std::vector<Message>& messages);
// Local AS 65000, one active peer 10.0.0.1 in `peer_as`.
SpeakerSettings speakerSettings(uint32_t peer_as = kPeerAs);
// The encoded form of an UPDATE the test expects, with four-octet AS numbers.
std::vector<uint8_t> encoded(const UpdateMessage& update);

class SpeakerFixture : public ::testing::Test {
 protected:
  static SpeakerSettings settings(uint32_t peer_as = kPeerAs) { return speakerSettings(peer_as); }
  void create(SpeakerSettings s = settings());
  // Starts the speaker, answers its connect from `local` and runs the handshake; the messages
  // sent on Established are left for the test to take.
  FakePeer establish(Capabilities caps = peerCapabilities(), const char* local = "10.0.0.2",
                     uint32_t peer_as = kPeerAs);
  PeerStatus peerStatus() const { return speaker_->status().front(); }

  ManualTimeSource time_;
  TopRandom random_;
  FakeTransport transport_;
  std::unique_ptr<Speaker> speaker_;
  std::vector<std::pair<FsmState, FsmState>> transitions_;  // (from, to)
};

}  // namespace kubevip::bgp::testing

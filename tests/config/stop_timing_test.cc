// The order of the stop timers (config/stop_timing.h): each elector's own bound ends before the
// daemon's deadline, and the deadline fits in a pod's grace period.
#include "config/stop_timing.h"

#include <gtest/gtest.h>

namespace kubevip::config {
namespace {

Config raftConfig(milliseconds election_timeout) {
  Config c;
  c.election.election_timeout = election_timeout;
  return c;
}

Config leaseConfig(std::chrono::seconds retry_period) {
  Config c;
  c.kubernetes = KubernetesLease{};
  c.kubernetes->retry_period = retry_period;
  return c;
}

// Before, the daemon's deadline (2 x timeout, at least 600 ms) tied with Raft's transfer timeout.
TEST(StopTiming, DaemonDeadlineOutlastsTheRaftTransfer) {
  for (int ms : {100, 300, 1000, 5000}) {
    const Config c = raftConfig(milliseconds(ms));
    EXPECT_GE(daemonStopDeadline(c),
              raftTransferTimeout(c.election.election_timeout) + kStopCloseMargin)
        << "election timeout " << ms << " ms";
  }
  EXPECT_EQ(daemonStopDeadline(Config{}), milliseconds(800));
}

// Before, the deadline was 600 ms whatever the mode: a stop in Lease mode was cut off before the
// release request (bounded by 1 s) could be answered.
TEST(StopTiming, LeaseDeadlineLeavesRoomForTheRequestInFlightAndTheRelease) {
  for (int s : {1, 2, 5, 10}) {
    const Config c = leaseConfig(std::chrono::seconds(s));
    const Duration request = leaseRequestTimeout(c.kubernetes->retry_period);
    EXPECT_GE(request, std::chrono::seconds(s));
    EXPECT_GE(daemonStopDeadline(c), 2 * request + kStopCloseMargin) << "retry period " << s;
  }
  EXPECT_EQ(leaseRequestTimeout(std::chrono::seconds(0)), milliseconds(1000)) << "at least 1 s";
  EXPECT_EQ(daemonStopDeadline(leaseConfig(std::chrono::seconds(1))), milliseconds(2200));
}

TEST(StopTiming, SingleNodeStopsAtOnce) {
  Config c;
  c.single_node = true;
  EXPECT_EQ(daemonStopDeadline(c), kStopCloseMargin);
}

TEST(StopTiming, BgpAddsTheSpeakersStopAfterTheDaemonsDeadline) {
  Config c;
  EXPECT_EQ(processStopBound(c), daemonStopDeadline(c));
  c.bgp = BgpConfig{};
  EXPECT_EQ(processStopBound(c), daemonStopDeadline(c) + kBgpStopBound);
  EXPECT_LE(processStopBound(c), kMaxStopDeadline);
}

TEST(StopTiming, DefaultsFitInAPodsGracePeriod) {
  EXPECT_LE(daemonStopDeadline(Config{}), kMaxStopDeadline);
  EXPECT_LE(daemonStopDeadline(leaseConfig(std::chrono::seconds(1))), kMaxStopDeadline);
}

}  // namespace
}  // namespace kubevip::config

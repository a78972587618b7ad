#include "election/lease_elector.h"

#include <gtest/gtest.h>

#include <map>

#include "election/lease_fake_api.h"

namespace kubevip::election {
namespace {

using testing::FakeLeaseStore;
using Verb = FakeLeaseStore::Verb;

// Always the longest jitter unless told otherwise, so that bounds are checked at their worst.
class FixedRandom final : public RandomSource {
 public:
  int64_t uniform(int64_t low, int64_t high) override { return pick_max ? high : low; }
  bool pick_max = true;
};

struct Node {
  std::unique_ptr<LeaseElector> elector;
  int started = 0;
  int stopped = 0;
  std::vector<std::string> leaders;
  std::optional<SteadyTime> stopped_at;
};

class LeaseElectorTest : public ::testing::Test {
 protected:
  LeaseElectorTest() : store_(time_) {}

  LeaseElectorOptions options(const std::string& id) {
    LeaseElectorOptions o;
    o.identity = id;
    o.wall_clock = [this] {
      return k8s::WallTime(std::chrono::duration_cast<std::chrono::microseconds>(
                 time_.now().time_since_epoch())) +
             wall_offset_;
    };
    return o;
  }

  Node& add(const std::string& id, LeaseElectorOptions o, RandomSource* random = nullptr) {
    auto elector =
        LeaseElector::create(time_, random ? *random : random_, store_.client(id), std::move(o));
    EXPECT_TRUE(elector.ok()) << elector.error().describe();
    Node& node = nodes_[id];
    node.elector = std::move(*elector);
    ElectorCallbacks cb;
    cb.started_leading = [&node] { ++node.started; };
    cb.stopped_leading = [&node, this] {
      ++node.stopped;
      node.stopped_at = time_.now();
    };
    cb.new_leader = [&node](const std::string& l) { node.leaders.push_back(l); };
    EXPECT_TRUE(node.elector->start(cb).ok());
    return node;
  }
  Node& add(const std::string& id) { return add(id, options(id)); }

  void run(Duration d) {
    // In steps, so that timers armed from callbacks fire at their own deadlines.
    const auto end = time_.now() + d;
    while (time_.now() < end)
      time_.advance(std::min<Duration>(milliseconds(10), end - time_.now()));
  }

  int leaders() const {
    int n = 0;
    for (const auto& [id, node] : nodes_) n += node.elector->isLeader() ? 1 : 0;
    return n;
  }

  ManualTimeSource time_;
  FixedRandom random_;
  FakeLeaseStore store_;
  std::map<std::string, Node> nodes_;
  std::chrono::microseconds wall_offset_{1'700'000'000'000'000};
};

TEST_F(LeaseElectorTest, ValidationFollowsClientGo) {
  auto o = options("a");
  EXPECT_TRUE(validateLeaseOptions(o).ok());
  o.renew_deadline = seconds(5);
  auto s = validateLeaseOptions(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("must be greater than the renew deadline"), std::string::npos);
  o = options("a");
  o.renew_deadline = milliseconds(1200);  // == 1.2 * retryPeriod
  s = validateLeaseOptions(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("1.2 x the retry period"), std::string::npos);
  o = options("");
  EXPECT_FALSE(validateLeaseOptions(o).ok());
  EXPECT_FALSE(LeaseElector::create(time_, random_, store_.client("x"), o).ok());
}

TEST_F(LeaseElectorTest, CreatesTheLeaseWhenMissingAndLeads) {
  Node& a = add("a");
  run(milliseconds(50));
  EXPECT_TRUE(a.elector->isLeader());
  EXPECT_EQ(a.started, 1);
  ASSERT_TRUE(store_.lease);
  EXPECT_EQ(store_.lease->spec.holder_identity, "a");
  EXPECT_EQ(store_.lease->spec.lease_duration_seconds, 5);
  EXPECT_EQ(store_.lease->spec.lease_transitions, 0);
  EXPECT_EQ(store_.count("a", Verb::kCreate), 1);
  EXPECT_TRUE(store_.lease->spec.acquire_time.has_value());
}

TEST_F(LeaseElectorTest, RenewsOnTheFastPathKeepingAcquireTime) {
  Node& a = add("a");
  run(milliseconds(50));
  const auto acquired = store_.lease->spec.acquire_time;
  const int gets = store_.count("a", Verb::kGet);
  const auto first_renew = store_.lease->spec.renew_time;
  run(seconds(10));
  EXPECT_TRUE(a.elector->isLeader());
  EXPECT_EQ(a.stopped, 0);
  EXPECT_EQ(store_.lease->spec.acquire_time, acquired);
  EXPECT_GT(store_.lease->spec.renew_time, first_renew);
  EXPECT_EQ(store_.lease->spec.lease_transitions, 0);
  EXPECT_EQ(store_.count("a", Verb::kGet), gets);  // no reads while renewing
  EXPECT_GE(store_.count("a", Verb::kUpdate), 9);
}

TEST_F(LeaseElectorTest, ValidityIsRenewalSendTimePlusDurationMinusDeadline) {
  Node& a = add("a");
  const SteadyTime t0 = time_.now();
  run(milliseconds(50));
  ASSERT_TRUE(a.elector->isLeader());
  // The GET that led to the CREATE was sent at t0.
  EXPECT_EQ(a.elector->leadershipValidUntil(), t0 + seconds(2));
  run(seconds(3));
  EXPECT_GT(a.elector->leadershipValidUntil(), time_.now() + seconds(1));
}

TEST_F(LeaseElectorTest, DoesNotTakeALeaseAnotherNodeKeepsRenewing) {
  k8s::LeaseSpec other{"other", 5, wall_offset_ + k8s::WallTime{}, {}, 3};
  // The other node's clock is an hour behind: renewTime means nothing to us.
  other.renew_time = k8s::WallTime{} + std::chrono::microseconds(1);
  store_.writeDirectly(other);
  Node& a = add("a");
  for (int i = 0; i < 20; ++i) {
    run(seconds(1));
    other.renew_time = *other.renew_time + std::chrono::microseconds(1);
    store_.writeDirectly(other);
  }
  EXPECT_FALSE(a.elector->isLeader());
  EXPECT_EQ(a.elector->leaderId(), "other");
  ASSERT_FALSE(a.leaders.empty());
  EXPECT_EQ(a.leaders.front(), "other");
  EXPECT_EQ(store_.count("a", Verb::kUpdate), 0);
}

TEST_F(LeaseElectorTest, TakesOverAfterLeaseDurationFromLocalObservation) {
  k8s::LeaseSpec other{"other", 5, {}, {}, 3};
  // renewTime far in the future (the other node's clock jumped): ignored as well.
  other.renew_time = k8s::WallTime{} + std::chrono::hours(24 * 365 * 100);
  store_.writeDirectly(other);
  Node& a = add("a");
  const SteadyTime first_seen = time_.now() + store_.latency;
  run(milliseconds(4900));
  EXPECT_FALSE(a.elector->isLeader());
  // The record stops changing: expiry is first_seen + 5 s, and a looks again right after it
  // rather than at its next jittered poll.
  run(milliseconds(150));
  ASSERT_TRUE(a.elector->isLeader());
  EXPECT_LE(time_.now(), first_seen + seconds(5) + milliseconds(40));
  EXPECT_GE(a.elector->leadershipValidUntil(), first_seen + seconds(5));
  EXPECT_EQ(store_.lease->spec.holder_identity, "a");
  EXPECT_EQ(store_.lease->spec.lease_transitions, 4);
}

TEST_F(LeaseElectorTest, ExactlyOneOfThreeLeadsAndConflictsLoseTheRace) {
  store_.latency = milliseconds(200);  // overlapping requests
  add("a");
  add("b");
  add("c");
  run(seconds(1));
  EXPECT_EQ(leaders(), 1);
  for (int i = 0; i < 30; ++i) {
    run(milliseconds(500));
    EXPECT_LE(leaders(), 1);
  }
  EXPECT_EQ(leaders(), 1);
  // All three raced for the missing Lease: two CREATEs got AlreadyExists.
  EXPECT_EQ(store_.count("a", Verb::kCreate) + store_.count("b", Verb::kCreate) +
                store_.count("c", Verb::kCreate),
            3);
}

TEST_F(LeaseElectorTest, PutWithStaleResourceVersionIsAConflict) {
  k8s::LeaseSpec free_lease{"", 1, {}, {}, 7};
  store_.writeDirectly(free_lease);
  store_.latency = milliseconds(100);
  Node& a = add("a");
  // Between a's GET (t=50ms) and its PUT (t=150ms) someone else writes.
  time_.advance(milliseconds(60));
  store_.writeDirectly({"intruder", 5, {}, {}, 8});
  run(milliseconds(200));
  EXPECT_FALSE(a.elector->isLeader());
  EXPECT_EQ(store_.conflicts, 1);
  EXPECT_EQ(store_.lease->spec.holder_identity, "intruder");
}

TEST_F(LeaseElectorTest, LeaderStepsDownBeforeOthersCanSeeTheLeaseExpire) {
  Node& a = add("a");
  run(seconds(3));
  ASSERT_TRUE(a.elector->isLeader());
  // The last request that reached the store is a successful renewal sent `latency/2` earlier.
  store_.down = true;
  const SteadyTime cut = time_.now();
  run(seconds(6));
  ASSERT_FALSE(a.elector->isLeader());
  EXPECT_EQ(a.stopped, 1);
  ASSERT_TRUE(a.stopped_at);
  // Nobody can take over before (last renewal sent) + 5 s > cut + 4 s; a gave up by cut + 2 s.
  EXPECT_LE(*a.stopped_at, cut + seconds(2));
  EXPECT_EQ(a.elector->leadershipValidUntil(), SteadyTime{});
  // It comes back: the Lease still names a, which re-acquires without a transition.
  store_.down = false;
  run(seconds(3));
  EXPECT_TRUE(a.elector->isLeader());
  EXPECT_EQ(a.started, 2);
  EXPECT_EQ(store_.lease->spec.lease_transitions, 0);
}

TEST_F(LeaseElectorTest, RenewDeadlineEndsLeadershipWhenItComesFirst) {
  // With a long lease the validity lasts 7 s, so the 3 s renew deadline ends leadership first.
  auto o = options("a");
  o.lease_duration = seconds(10);
  Node& a = add("a", o);
  run(seconds(2));
  ASSERT_TRUE(a.elector->isLeader());
  store_.down = true;
  const SteadyTime cut = time_.now();
  run(seconds(6));
  EXPECT_FALSE(a.elector->isLeader());
  ASSERT_TRUE(a.stopped_at);
  // The first failing cycle starts at most one retry period after the cut.
  EXPECT_LE(*a.stopped_at, cut + seconds(1) + seconds(3) + milliseconds(20));
  EXPECT_GT(*a.stopped_at, cut + seconds(2));
}

TEST_F(LeaseElectorTest, ALeaderThatSeesAnotherHolderStepsDownAtOnce) {
  Node& a = add("a");
  run(seconds(2));
  ASSERT_TRUE(a.elector->isLeader());
  store_.writeDirectly({"usurper", 5, {}, {}, 1});  // fast-path PUT now conflicts, GET shows it
  run(seconds(1));
  EXPECT_FALSE(a.elector->isLeader());
  EXPECT_EQ(a.elector->leaderId(), "usurper");
}

TEST_F(LeaseElectorTest, CleanStopReleasesAndTheNextNodeTakesOverWithinARetry) {
  Node& a = add("a");
  run(milliseconds(100));
  Node& b = add("b");
  run(seconds(5));
  ASSERT_TRUE(a.elector->isLeader());
  ASSERT_FALSE(b.elector->isLeader());
  bool done = false;
  int stopped_before_release = -1;
  a.elector->stop([&] {
    done = true;
    stopped_before_release = a.stopped;
  });
  EXPECT_EQ(a.stopped, 1);  // the VIP goes before the Lease
  const SteadyTime released_from = time_.now();
  run(milliseconds(50));
  ASSERT_TRUE(done);
  EXPECT_EQ(stopped_before_release, 1);
  // Released as client-go does it, unless b has already taken it.
  if (store_.lease->spec.holder_identity.empty()) {
    EXPECT_EQ(store_.lease->spec.lease_duration_seconds, 1);
  }
  EXPECT_EQ(a.elector->state(), LeaseElector::State::kStopped);
  // b sees the release through its watch and acquires at once, not at its next poll (which can
  // be up to 2.2 retry periods away): release PUT, event, acquire PUT, each one latency.
  run(milliseconds(50));
  EXPECT_TRUE(b.elector->isLeader());
  EXPECT_LE(time_.now() - released_from, milliseconds(100));
  EXPECT_EQ(store_.lease->spec.holder_identity, "b");
  EXPECT_EQ(store_.lease->spec.lease_transitions, 1);
}

TEST_F(LeaseElectorTest, StopOfAFollowerWritesNothing) {
  store_.writeDirectly({"other", 5, {}, {}, 0});
  Node& a = add("a");
  run(seconds(2));
  const int updates = store_.count("a", Verb::kUpdate);
  bool done = false;
  a.elector->stop([&] { done = true; });
  run(seconds(1));
  EXPECT_TRUE(done);
  EXPECT_EQ(store_.count("a", Verb::kUpdate), updates);
  EXPECT_EQ(a.stopped, 0);
}

TEST_F(LeaseElectorTest, FollowersPollWithClientGoJitter) {
  // Polls wait retryPeriod x [1, 1 + 1.2]; "other" holds the Lease for the whole test (5 s).
  store_.writeDirectly({"other", 5, {}, {}, 0});
  FixedRandom shortest;
  shortest.pick_max = false;
  add("a", options("a"), &shortest);
  add("b");
  run(milliseconds(4500));
  EXPECT_EQ(store_.count("a", Verb::kGet), 5);  // t = 0, 1.01, 2.02, 3.03, 4.04
  EXPECT_EQ(store_.count("b", Verb::kGet), 3);  // t = 0, 2.21, 4.42
  EXPECT_EQ(leaders(), 0);
}

TEST_F(LeaseElectorTest, AFollowerWithAWatchPollsLessWhenAskedAndStillTakesOverAtExpiry) {
  // "other" keeps renewing for 20 s; the watch shows each renewal.
  k8s::LeaseSpec other{"other", 5, {}, {}, 0};
  store_.writeDirectly(other);
  FixedRandom shortest;
  shortest.pick_max = false;
  auto o = options("a");
  o.follower_poll_while_watching = seconds(5);
  Node& a = add("a", o, &shortest);
  for (int i = 1; i <= 20; ++i) {
    run(seconds(1));
    other.renew_time = k8s::WallTime{} + std::chrono::microseconds(i);
    store_.writeDirectly(other);
  }
  // Without the option it would GET every 1.01 s (about 20 times).
  EXPECT_LE(store_.count("a", Verb::kGet), 5);
  EXPECT_FALSE(a.elector->isLeader());
  // "other" dies: the expiry check still runs at the observed expiry, not at the next poll.
  const SteadyTime last_seen = time_.now();
  run(seconds(5) + milliseconds(200));
  EXPECT_TRUE(a.elector->isLeader());
  EXPECT_LE(time_.now(), last_seen + seconds(5) + milliseconds(200));
}

TEST_F(LeaseElectorTest, ReleaseSeenByWatchIsAcquiredWithoutWaitingForThePoll) {
  store_.writeDirectly({"other", 5, {}, {}, 2});
  Node& a = add("a");
  run(milliseconds(500));
  ASSERT_EQ(store_.openWatches(), 1);
  const int gets = store_.count("a", Verb::kGet);
  store_.writeDirectly({"", 1, {}, {}, 2});  // "other" releases on a clean stop
  run(milliseconds(30));
  EXPECT_TRUE(a.elector->isLeader());
  EXPECT_EQ(store_.count("a", Verb::kGet), gets);  // acquired on the event's resourceVersion
  EXPECT_EQ(store_.lease->spec.holder_identity, "a");
  EXPECT_EQ(store_.lease->spec.lease_transitions, 3);
  EXPECT_EQ(store_.openWatches(), 0);  // a leader does not watch
}

TEST_F(LeaseElectorTest, RenewalSeenByWatchRestartsTheWaitButNeverShortensIt) {
  k8s::LeaseSpec other{"other", 5, {}, {}, 0};
  store_.writeDirectly(other);
  Node& a = add("a");  // polls at 0 and then every 2.2 s (longest jitter)
  run(milliseconds(2500));
  // One last renewal, seen by the watch at 2.505 s; the next poll would only see it at 4.42 s.
  other.renew_time = k8s::WallTime{} + std::chrono::microseconds(1);
  store_.writeDirectly(other);
  const SteadyTime seen = time_.now() + store_.latency / 2;
  run(seconds(5) - milliseconds(20));
  EXPECT_FALSE(a.elector->isLeader());  // still within 5 s of the observation
  run(milliseconds(100));
  // Expired counting from the watch's observation; from the poll's it would be 9.42 s.
  EXPECT_TRUE(a.elector->isLeader());
  EXPECT_LE(time_.now(), seen + seconds(5) + milliseconds(100));
}

TEST_F(LeaseElectorTest, WithoutAWatchPollingStillTakesOver) {
  store_.watch_down = true;
  store_.writeDirectly({"other", 5, {}, {}, 0});
  Node& a = add("a");
  run(seconds(1));
  store_.writeDirectly({"", 1, {}, {}, 0});
  run(milliseconds(100));
  EXPECT_FALSE(a.elector->isLeader());  // nobody told it
  run(milliseconds(2200));
  EXPECT_TRUE(a.elector->isLeader());  // its next poll did
  EXPECT_GE(store_.watch_starts, 2);   // and it kept trying to watch, with backoff
  EXPECT_LE(store_.watch_starts, 3);
}

TEST_F(LeaseElectorTest, AWatchTheServerEndsIsStartedAgainAtOnce) {
  store_.writeDirectly({"other", 5, {}, {}, 0});
  add("a");
  run(seconds(2));
  ASSERT_EQ(store_.watch_starts, 1);
  store_.endWatches(okStatus());  // the server's timeoutSeconds
  run(milliseconds(20));
  EXPECT_EQ(store_.watch_starts, 2);
  EXPECT_EQ(store_.openWatches(), 1);
  // Ended again at once: that is a failure, retried after a backoff rather than in a loop.
  store_.endWatches(okStatus());
  run(milliseconds(500));
  EXPECT_EQ(store_.watch_starts, 2);
  run(milliseconds(600));
  EXPECT_EQ(store_.watch_starts, 3);
}

TEST_F(LeaseElectorTest, ABrokenWatchIsStartedAgainAfterABackoff) {
  store_.writeDirectly({"other", 5, {}, {}, 0});
  Node& a = add("a");
  run(seconds(1));
  ASSERT_EQ(store_.watch_starts, 1);
  store_.breakWatches();
  run(milliseconds(500));
  EXPECT_EQ(store_.openWatches(), 0);  // backing off (one retry period)
  run(milliseconds(600));
  EXPECT_EQ(store_.openWatches(), 1);
  EXPECT_EQ(store_.watch_starts, 2);
  store_.writeDirectly({"", 1, {}, {}, 0});
  run(milliseconds(30));
  EXPECT_TRUE(a.elector->isLeader());
}

// Readiness follows the API server: unreachable while requests fail (the reason names the
// failure), reachable again after one succeeds; a 409 is an answer. Every request is reported.
TEST_F(LeaseElectorTest, StatusTellsWhetherTheApiServerAnswers) {
  Node& a = add("a");
  run(seconds(1));
  ASSERT_TRUE(a.elector->isLeader());
  ElectorStatus status = a.elector->status();
  EXPECT_EQ(status.backend, "lease");
  EXPECT_EQ(status.role, "leader");
  EXPECT_EQ(status.lease_holder, "a");
  EXPECT_TRUE(status.backend_reachable);
  store_.down = true;
  run(seconds(2));
  status = a.elector->status();
  EXPECT_FALSE(status.backend_reachable);
  EXPECT_NE(status.unreachable_reason.find("cannot reach the API server (test)"), std::string::npos)
      << status.unreachable_reason;
  store_.down = false;
  run(seconds(2));
  EXPECT_TRUE(a.elector->status().backend_reachable);
  Node& b = add("b");
  run(seconds(2));
  EXPECT_EQ(b.elector->status().role, "follower");
  EXPECT_TRUE(b.elector->status().backend_reachable);
}

TEST_F(LeaseElectorTest, EveryRequestIsReportedWithItsLatency) {
  auto elector = LeaseElector::create(time_, random_, store_.client("a"), options("a"));
  ASSERT_TRUE(elector.ok());
  int ok = 0, failed = 0;
  ElectorCallbacks cb;
  cb.backend_request = [&](Duration latency, const Status& result) {
    EXPECT_GE(latency, Duration::zero());
    // The first read finds no Lease (404) and creates it: an answer, not a failure.
    if (!result.ok() && result.error().code == ErrorCode::kNotFound) return;
    (result.ok() ? ok : failed)++;
  };
  ASSERT_TRUE((*elector)->start(cb).ok());
  run(seconds(2));
  EXPECT_GT(ok, 0);
  EXPECT_EQ(failed, 0);
  store_.down = true;
  run(seconds(2));
  EXPECT_GT(failed, 0);
}

}  // namespace
}  // namespace kubevip::election

#include "election/etcd_elector.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <map>
#include <sstream>

#include "config/stop_timing.h"
#include "election/etcd_fake_client.h"

namespace kubevip::election {
namespace {

using testing::FakeEtcd;
using testing::FakeEtcdClient;
using Op = FakeEtcd::Op;

constexpr char kKey[] = "/kube-vip/test/lock";
constexpr std::chrono::seconds kTtl{4};  // keep-alive, margin and poll: 1 s each

// Always the longest jitter, so that bounds are checked at their worst.
class MaxRandom final : public RandomSource {
 public:
  int64_t uniform(int64_t /*low*/, int64_t high) override { return high; }
};

// The default logger's lines, for the tests that check what an operator is told.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(stream_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  std::string text() const { return stream_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream stream_;
};

struct Node {
  std::unique_ptr<EtcdElector> elector;
  FakeEtcdClient* client = nullptr;
  int started = 0;
  int stopped = 0;
  int requests = 0;
  std::vector<std::string> leaders;
  std::optional<SteadyTime> started_at;
  std::optional<SteadyTime> stopped_at;
};

class EtcdElectorTest : public ::testing::Test {
 protected:
  EtcdElectorTest() : etcd_(time_) { etcd_.trace = &trace_; }

  static EtcdElectorOptions options(const std::string& id) {
    EtcdElectorOptions o;
    o.identity = id;
    o.key = kKey;
    o.ttl = kTtl;
    return o;
  }

  Node& add(const std::string& id) {
    auto client = std::make_unique<FakeEtcdClient>(etcd_, id);
    FakeEtcdClient* raw = client.get();
    auto elector = EtcdElector::create(time_, random_, std::move(client), options(id));
    EXPECT_TRUE(elector.ok()) << elector.error().describe();
    Node& node = nodes_[id];
    node.elector = std::move(*elector);
    node.client = raw;
    ElectorCallbacks cb;
    cb.started_leading = [&node, this, id] {
      ++node.started;
      node.started_at = time_.now();
      trace_.push_back(id + " started_leading");
    };
    cb.stopped_leading = [&node, this, id] {
      ++node.stopped;
      node.stopped_at = time_.now();
      trace_.push_back(id + " stopped_leading");
    };
    cb.new_leader = [&node](const std::string& l) { node.leaders.push_back(l); };
    cb.backend_request = [&node](Duration, const Status&) { ++node.requests; };
    EXPECT_TRUE(node.elector->start(cb).ok());
    return node;
  }

  // In 1 ms steps, so that every timer fires at its own deadline.
  void run(Duration d) {
    const auto end = time_.now() + d;
    while (time_.now() < end) time_.advance(std::min<Duration>(milliseconds(1), end - time_.now()));
  }
  // Runs until `done` holds (checked every 1 ms), at most `limit`.
  bool runUntil(const std::function<bool()>& done, Duration limit) {
    const auto end = time_.now() + limit;
    while (!done()) {
      if (time_.now() >= end) return false;
      time_.advance(milliseconds(1));
    }
    return true;
  }

  int leaders() const {
    int n = 0;
    for (const auto& [id, node] : nodes_) n += node.elector->isLeader() ? 1 : 0;
    return n;
  }

  // A key held by a node that is not under test, under a lease of the store's.
  int64_t holdByOther(const std::string& value) {
    const int64_t lease = etcd_.grant(kTtl.count()).id;
    etcd_.put(kKey, value, lease);
    return lease;
  }

  ManualTimeSource time_;
  MaxRandom random_;
  std::vector<std::string> trace_;
  FakeEtcd etcd_;
  std::map<std::string, Node> nodes_;
};

TEST(EtcdTimingsTest, EverythingIsAQuarterOfTheTtl) {
  const EtcdTimings t = etcdTimings(seconds(5));
  EXPECT_EQ(t.keep_alive_interval, milliseconds(1250));
  EXPECT_EQ(t.margin, milliseconds(1250));
  EXPECT_EQ(t.follower_poll, milliseconds(1250));
  EXPECT_EQ(etcdTimings(seconds(60)).keep_alive_interval, seconds(15));
}

TEST_F(EtcdElectorTest, ValidatesItsOptions) {
  EXPECT_TRUE(validateEtcdOptions(options("a")).ok());
  auto expectInvalid = [](const EtcdElectorOptions& o, const std::string& words) {
    const Status s = validateEtcdOptions(o);
    ASSERT_FALSE(s.ok()) << words;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(s.error().message.find(words), std::string::npos) << s.error().message;
  };
  expectInvalid(options(""), "identity");
  EtcdElectorOptions o = options("a");
  o.key = "kube-vip/lock";
  expectInvalid(o, "must start with '/'");
  o.key = "";
  expectInvalid(o, "election.key");
  o = options("a");
  o.ttl = seconds(1);
  expectInvalid(o, "below etcd's minimum of 2 s");
  EXPECT_FALSE(EtcdElector::create(time_, random_, etcd_.client("x"), options("")).ok());
  EXPECT_FALSE(EtcdElector::create(time_, random_, nullptr, options("x")).ok());
}

TEST_F(EtcdElectorTest, AcquiresAnAbsentKey) {
  LogCapture log;
  Node& a = add("a");
  run(milliseconds(50));
  ASSERT_TRUE(a.elector->isLeader());
  EXPECT_EQ(a.started, 1);
  const auto kv = etcd_.kv(kKey);
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->value, "a");
  EXPECT_EQ(kv->lease, a.elector->leaseId());
  EXPECT_TRUE(etcd_.leaseAlive(kv->lease));
  // Valid until the grant's SEND time + TTL - TTL/4.
  const auto grants = etcd_.sendTimes("a", Op::kGrant);
  ASSERT_EQ(grants.size(), 1u);
  EXPECT_EQ(a.elector->leadershipValidUntil(), grants[0] + seconds(3));
  const ElectorStatus s = a.elector->status();
  EXPECT_EQ(s.backend, "etcd");
  EXPECT_EQ(s.election_name, kKey);
  EXPECT_EQ(s.role, "leader");
  ASSERT_TRUE(s.term);
  EXPECT_EQ(*s.term, static_cast<uint64_t>(kv->mod_revision));  // the fencing token
  EXPECT_EQ(s.lease_holder, "a");
  EXPECT_TRUE(s.backend_reachable);
  EXPECT_EQ(a.elector->leaderId(), "a");
  EXPECT_NE(log.text().find("fencing token " + std::to_string(kv->mod_revision)), std::string::npos)
      << log.text();
  EXPECT_GE(a.requests, 3);  // get, grant, create
}

TEST_F(EtcdElectorTest, FollowsAHeldKeyAndReportsTheHolder) {
  const int64_t lease = holdByOther("other");
  Node& b = add("b");
  run(milliseconds(2500));
  EXPECT_FALSE(b.elector->isLeader());
  EXPECT_EQ(b.leaders, std::vector<std::string>{"other"});
  EXPECT_EQ(b.elector->leaderId(), "other");
  EXPECT_EQ(b.elector->leadershipValidUntil(), SteadyTime{});
  const ElectorStatus s = b.elector->status();
  EXPECT_EQ(s.role, "follower");
  EXPECT_EQ(s.lease_holder, "other");
  EXPECT_EQ(etcd_.count("b", Op::kGrant), 0);
  EXPECT_EQ(etcd_.count("b", Op::kCreate), 0);
  // Polled every TTL/4 + jitter (at most 1.5 s here), and watched.
  EXPECT_EQ(etcd_.count("b", Op::kGet), 2);  // t = 0 and 1.51 s
  EXPECT_EQ(etcd_.openWatches(), 1);
  EXPECT_TRUE(etcd_.leaseAlive(lease));
}

TEST_F(EtcdElectorTest, TakesOverAtOnceWhenTheWatchShowsTheDelete) {
  const int64_t lease = holdByOther("other");
  Node& b = add("b");
  run(milliseconds(1700));  // between two polls
  const int gets = etcd_.count("b", Op::kGet);
  ASSERT_TRUE(etcd_.revoke(lease).ok());  // the holder stopped cleanly
  const SteadyTime deleted = time_.now();
  ASSERT_TRUE(runUntil([&] { return b.elector->isLeader(); }, seconds(1)));
  // Watch event (5 ms), grant (10 ms), create (10 ms): no waiting for a poll.
  EXPECT_LE(time_.now() - deleted, milliseconds(30));
  EXPECT_EQ(etcd_.count("b", Op::kGet), gets);
  EXPECT_EQ(etcd_.kv(kKey)->value, "b");
  EXPECT_EQ(b.leaders, (std::vector<std::string>{"other", ""}));
}

TEST_F(EtcdElectorTest, KeepAlivesEveryQuarterTtlExtendValidityFromTheirSendTime) {
  Node& a = add("a");
  run(seconds(10));
  ASSERT_TRUE(a.elector->isLeader());
  const auto sends = etcd_.sendTimes("a", Op::kKeepAlive);
  ASSERT_GE(sends.size(), 9u);
  for (size_t i = 1; i < sends.size(); ++i) EXPECT_EQ(sends[i] - sends[i - 1], seconds(1));
  // The answer (10 ms) is in: valid until that keep-alive's send time + 3 s.
  EXPECT_EQ(a.elector->leadershipValidUntil(), sends.back() + seconds(3));

  // A slow answer extends from the send time, not from its arrival.
  etcd_.slowness["a"] = milliseconds(800);
  const SteadyTime next = sends.back() + seconds(1);
  run(next - time_.now() + milliseconds(900));
  const auto later_sends = etcd_.sendTimes("a", Op::kKeepAlive);
  ASSERT_EQ(later_sends.back(), next);
  EXPECT_EQ(a.elector->leadershipValidUntil(), next + seconds(3));
  EXPECT_TRUE(a.elector->isLeader());
}

// Lost contact: requests refused, or never answered. Either way the leadership ends exactly at
// the last successful keep-alive's send time + TTL - TTL/4, and the etcd lease outlives it.
class EtcdLostContactTest : public EtcdElectorTest,
                            public ::testing::WithParamInterface<FakeEtcd::Link> {};

TEST_P(EtcdLostContactTest, StepsDownByItselfAtValidUntil) {
  LogCapture log;
  Node& a = add("a");
  Node& b = add("b");
  run(milliseconds(2050));  // a leads, its keep-alive of t=2.03 s is answered
  ASSERT_TRUE(a.elector->isLeader());
  const SteadyTime last_ok = etcd_.sendTimes("a", Op::kKeepAlive).back();
  ASSERT_EQ(a.elector->leadershipValidUntil(), last_ok + seconds(3));
  const int64_t lease = a.elector->leaseId();
  etcd_.links["a"] = GetParam();
  ASSERT_TRUE(runUntil([&] { return a.stopped > 0; }, seconds(5)));
  EXPECT_EQ(*a.stopped_at, last_ok + seconds(3));
  EXPECT_FALSE(a.elector->isLeader());
  EXPECT_EQ(a.elector->leadershipValidUntil(), SteadyTime{});
  // etcd still holds the key for a while: nobody else can lead before a has let go.
  ASSERT_TRUE(etcd_.leaseExpiry(lease));
  EXPECT_GE(*etcd_.leaseExpiry(lease) - *a.stopped_at, seconds(1));
  EXPECT_NE(log.text().find("lost contact with etcd: "), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("releasing the VIP"), std::string::npos);
  if (GetParam() == FakeEtcd::Link::kFailing) {
    EXPECT_NE(log.text().find("connection refused (test), releasing the VIP"), std::string::npos)
        << log.text();
    EXPECT_FALSE(a.elector->status().backend_reachable);
    EXPECT_NE(a.elector->status().unreachable_reason.find("connection refused"), std::string::npos);
  }
  // b takes over once etcd expires the lease, after a stepped down.
  ASSERT_TRUE(runUntil([&] { return b.elector->isLeader(); }, seconds(5)));
  EXPECT_GE(*b.started_at, *a.stopped_at);
  EXPECT_LE(leaders(), 1);
}

INSTANTIATE_TEST_SUITE_P(RefusedOrSilent, EtcdLostContactTest,
                         ::testing::Values(FakeEtcd::Link::kFailing, FakeEtcd::Link::kSilent));

TEST_F(EtcdElectorTest, NeverTwoLeadersWhileTheLeaderIsCutOff) {
  Node& a = add("a");
  add("b");
  add("c");
  run(milliseconds(500));
  ASSERT_TRUE(a.elector->isLeader());
  etcd_.links["a"] = FakeEtcd::Link::kSilent;
  for (int i = 0; i < 10000; ++i) {
    time_.advance(milliseconds(1));
    ASSERT_LE(leaders(), 1) << "at step " << i;
  }
  EXPECT_EQ(leaders(), 1);
  EXPECT_FALSE(a.elector->isLeader());
}

TEST_F(EtcdElectorTest, KeepAliveAnswerTtlZeroStepsDownAtOnce) {
  etcd_.watch_events_lost = true;  // only the keep-alive can tell
  Node& a = add("a");
  run(milliseconds(1500));
  ASSERT_TRUE(a.elector->isLeader());
  const SteadyTime valid_until = a.elector->leadershipValidUntil();
  ASSERT_TRUE(etcd_.revoke(a.elector->leaseId()).ok());
  ASSERT_TRUE(runUntil([&] { return a.stopped > 0; }, seconds(5)));
  const SteadyTime sent = etcd_.sendTimes("a", Op::kKeepAlive).back();
  EXPECT_EQ(*a.stopped_at, sent + etcd_.latency);  // at the answer
  EXPECT_LT(*a.stopped_at, valid_until);
  EXPECT_EQ(etcd_.count("a", Op::kRevoke), 0);  // nothing left to give back
}

TEST_F(EtcdElectorTest, LeaderStepsDownWhenItsKeyIsDeleted) {
  LogCapture log;
  Node& a = add("a");
  run(milliseconds(1500));
  ASSERT_TRUE(a.elector->isLeader());
  const int64_t lease = a.elector->leaseId();
  etcd_.erase(kKey);  // by hand: the lease lives on
  const SteadyTime erased = time_.now();
  ASSERT_TRUE(runUntil([&] { return a.stopped > 0; }, seconds(1)));
  EXPECT_EQ(*a.stopped_at - erased, etcd_.latency / 2);  // at the watch event
  EXPECT_NE(log.text().find("was deleted while this node held it"), std::string::npos)
      << log.text();
  run(milliseconds(20));
  EXPECT_EQ(etcd_.count("a", Op::kRevoke), 1);  // given back
  EXPECT_FALSE(etcd_.leaseAlive(lease));
}

TEST_F(EtcdElectorTest, LeaderStepsDownWhenItsKeyIsOverwritten) {
  LogCapture log;
  Node& a = add("a");
  run(milliseconds(1500));
  ASSERT_TRUE(a.elector->isLeader());
  etcd_.put(kKey, "intruder", 0);
  ASSERT_TRUE(runUntil([&] { return a.stopped > 0; }, seconds(1)));
  EXPECT_NE(log.text().find("overwritten by \"intruder\""), std::string::npos) << log.text();
  EXPECT_EQ(a.elector->leaderId(), "intruder");
  EXPECT_EQ(a.leaders.back(), "intruder");
  // The intruder's key is bound to no lease: it stays, and a follows it.
  run(seconds(5));
  EXPECT_FALSE(a.elector->isLeader());
}

TEST_F(EtcdElectorTest, LeaderWithoutAWatchNoticesByReading) {
  etcd_.watch_events_lost = true;
  Node& a = add("a");
  run(milliseconds(1500));
  ASSERT_TRUE(a.elector->isLeader());
  a.client->breakWatch();
  run(milliseconds(10));
  etcd_.erase(kKey);
  const SteadyTime erased = time_.now();
  // The next keep-alive round reads the key (the watch is down) and finds it gone; without that
  // read the keep-alives would keep the leadership going.
  ASSERT_TRUE(runUntil([&] { return a.stopped > 0; }, seconds(5)));
  EXPECT_LE(*a.stopped_at - erased, seconds(1) + etcd_.latency);
}

TEST_F(EtcdElectorTest, CleanStopRemovesTheVipBeforeRevokingThenCallsDone) {
  Node& a = add("a");
  Node& b = add("b");
  run(milliseconds(1500));
  ASSERT_TRUE(a.elector->isLeader());
  const int64_t lease = a.elector->leaseId();
  trace_.clear();
  bool done = false;
  a.elector->stop([&] {
    done = true;
    trace_.emplace_back("a done");
  });
  ASSERT_GE(trace_.size(), 2u);
  EXPECT_EQ(trace_[0], "a stopped_leading");
  EXPECT_EQ(trace_[1], "a revoke");
  EXPECT_FALSE(done);  // waits for etcd's answer
  const SteadyTime stop_at = time_.now();
  ASSERT_TRUE(runUntil([&] { return b.elector->isLeader(); }, seconds(1)));
  EXPECT_TRUE(done);
  EXPECT_FALSE(etcd_.leaseAlive(lease));
  // The follower's watch saw the delete: a take-over in a few round trips, not a TTL.
  EXPECT_LE(time_.now() - stop_at, milliseconds(40));
  EXPECT_EQ(a.elector->state(), EtcdElector::State::kStopped);
  EXPECT_EQ(etcd_.openWatches(), 1);  // b's only
  const auto done_at = std::find(trace_.begin(), trace_.end(), "a done");
  const auto b_started = std::find(trace_.begin(), trace_.end(), "b started_leading");
  EXPECT_LT(done_at, b_started);
}

TEST_F(EtcdElectorTest, StopWithEtcdSilentStillCallsDone) {
  LogCapture log;
  Node& a = add("a");
  run(milliseconds(1500));
  ASSERT_TRUE(a.elector->isLeader());
  etcd_.links["a"] = FakeEtcd::Link::kSilent;
  bool done = false;
  a.elector->stop([&] { done = true; });
  EXPECT_EQ(a.stopped, 1);
  const Duration bound = config::etcdStopBound(kTtl);
  run(bound - milliseconds(1));
  EXPECT_FALSE(done);
  run(milliseconds(1));
  EXPECT_TRUE(done);
  EXPECT_NE(log.text().find("did not answer the revoke"), std::string::npos) << log.text();
}

TEST_F(EtcdElectorTest, StopOfAFollowerAndBeforeStartIsImmediate) {
  holdByOther("other");
  Node& b = add("b");
  run(milliseconds(100));
  bool done = false;
  b.elector->stop([&] { done = true; });
  EXPECT_TRUE(done);
  EXPECT_EQ(b.stopped, 0);
  EXPECT_EQ(etcd_.count("b", Op::kRevoke), 0);

  auto idle = EtcdElector::create(time_, random_, etcd_.client("idle"), options("idle"));
  ASSERT_TRUE(idle);
  bool idle_done = false;
  (*idle)->stop([&] { idle_done = true; });
  EXPECT_TRUE(idle_done);
}

TEST_F(EtcdElectorTest, StopDuringAcquisitionGivesTheLeaseBack) {
  Node& a = add("a");
  run(milliseconds(12));  // the grant is out
  ASSERT_EQ(etcd_.count("a", Op::kGrant), 1);
  bool done = false;
  a.elector->stop([&] { done = true; });
  run(milliseconds(100));
  EXPECT_TRUE(done);
  EXPECT_EQ(a.started, 0);
  EXPECT_EQ(a.stopped, 0);
  EXPECT_FALSE(etcd_.kv(kKey));
  EXPECT_EQ(etcd_.count("a", Op::kRevoke), 1);  // the lease granted meanwhile
}

TEST_F(EtcdElectorTest, LostRaceRevokesTheUnusedLease) {
  Node& a = add("a");
  Node& b = add("b");
  run(milliseconds(100));
  ASSERT_EQ(leaders(), 1);
  Node& winner = a.elector->isLeader() ? a : b;
  Node& loser = a.elector->isLeader() ? b : a;
  const std::string loser_name = &loser == &a ? "a" : "b";
  const std::string winner_name = &winner == &a ? "a" : "b";
  EXPECT_EQ(etcd_.count(loser_name, Op::kGrant), 1);
  EXPECT_EQ(etcd_.count(loser_name, Op::kCreate), 1);
  EXPECT_EQ(etcd_.count(loser_name, Op::kRevoke), 1);
  EXPECT_EQ(loser.elector->leaseId(), 0);
  EXPECT_EQ(loser.leaders, std::vector<std::string>{winner_name});
  EXPECT_EQ(loser.elector->leaderId(), winner_name);
  EXPECT_EQ(etcd_.kv(kKey)->value, winner_name);
}

TEST_F(EtcdElectorTest, OwnIdentityUnderAForeignLeaseIsWaitedOut) {
  LogCapture log;
  // An earlier run of "a", killed: its key and lease are still there.
  const int64_t old_lease = holdByOther("a");
  const SteadyTime expiry = *etcd_.leaseExpiry(old_lease);
  Node& a = add("a");
  run(seconds(3));
  EXPECT_FALSE(a.elector->isLeader());
  EXPECT_EQ(etcd_.count("a", Op::kGrant), 0);
  EXPECT_NE(log.text().find("which this run did not grant"), std::string::npos) << log.text();
  ASSERT_TRUE(runUntil([&] { return a.elector->isLeader(); }, seconds(3)));
  EXPECT_GE(*a.started_at, expiry);
  EXPECT_NE(etcd_.kv(kKey)->lease, old_lease);
}

TEST_F(EtcdElectorTest, FailuresAreRetriedLoggedOnceAndMakeEtcdUnreachable) {
  LogCapture log;
  etcd_.links["a"] = FakeEtcd::Link::kFailing;
  Node& a = add("a");
  run(seconds(10));
  EXPECT_FALSE(a.elector->isLeader());
  EXPECT_GE(etcd_.count("a", Op::kGet), 6);  // retried every tick
  const ElectorStatus s = a.elector->status();
  EXPECT_FALSE(s.backend_reachable);
  EXPECT_NE(s.unreachable_reason.find("connection refused (test)"), std::string::npos);
  const std::string text = log.text();
  size_t lines = 0;
  for (size_t at = text.find("cannot read"); at != std::string::npos;
       at = text.find("cannot read", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << text;
  EXPECT_EQ(a.requests, etcd_.count("a", Op::kGet));

  etcd_.links["a"] = FakeEtcd::Link::kUp;
  ASSERT_TRUE(runUntil([&] { return a.elector->isLeader(); }, seconds(2)));
  EXPECT_TRUE(a.elector->status().backend_reachable);
}

TEST_F(EtcdElectorTest, DestroyedWithRequestsOutIsQuiet) {
  Node& a = add("a");
  run(milliseconds(1003));  // a keep-alive is out
  ASSERT_TRUE(a.elector->isLeader());
  a.elector.reset();
  run(seconds(2));  // its answer finds nobody
}

}  // namespace
}  // namespace kubevip::election

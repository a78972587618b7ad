// LeaseClientPool against the test API server (tests/e2e/apiserver/apiserver.py) on loopback, in
// the k8s_apiserver_client_test binary (apiserver_client_test.sh starts the server).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "common/event_loop.h"
#include "election/lease_elector.h"
#include "k8s/cluster_access.h"
#include "k8s/http_transport.h"
#include "k8s/lease_client_pool.h"

namespace kubevip::k8s {
namespace {

using std::chrono::milliseconds;

class LeaseClientPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("KUBEVIP_TEST_APISERVER");
    if (dir == nullptr) GTEST_SKIP() << "KUBEVIP_TEST_APISERVER is not set";
    dir_ = dir;
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop.ok());
    loop_ = std::move(*loop);
    prefix_ =
        std::string("pool-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : prefix_) c = static_cast<char>(std::tolower(c));
  }

  std::unique_ptr<LeaseClientPool> pool(const std::string& kubeconfig, int workers) {
    auto access = loadKubeconfig(dir_ + "/" + kubeconfig);
    EXPECT_TRUE(access.ok());
    auto p = LeaseClientPool::create(*loop_, *access, milliseconds(2000), workers);
    EXPECT_TRUE(p.ok()) << p.error().describe();
    return p.ok() ? std::move(*p) : nullptr;
  }

  // Runs the loop until the callback has fired.
  template <typename Fn>
  Result<Lease> call(Fn&& issue) {
    std::optional<Result<Lease>> out;
    issue([&](Result<Lease> r) {
      out.emplace(std::move(r));
      loop_->stop();
    });
    auto guard = loop_->time().createTimer();
    guard->start(std::chrono::seconds(10), [&] { loop_->stop(); });
    loop_->run();
    if (!out) return makeError(ErrorCode::kTimeout, "no callback");
    return std::move(*out);
  }
  bool runUntil(const std::function<bool()>& done, milliseconds limit = milliseconds(10000)) {
    auto poll = loop_->time().createTimer();
    std::function<void()> check = [&] {
      if (done()) {
        loop_->stop();
        return;
      }
      poll->start(milliseconds(10), check);
    };
    poll->start(milliseconds(0), check);
    auto guard = loop_->time().createTimer();
    guard->start(limit, [&] { loop_->stop(); });
    loop_->run();
    return done();
  }
  void runFor(milliseconds d) {
    auto t = loop_->time().createTimer();
    t->start(d, [&] { loop_->stop(); });
    loop_->run();
  }

  LeaseSpec spec(const std::string& holder) {
    LeaseSpec s;
    s.holder_identity = holder;
    s.lease_duration_seconds = 5;
    return s;
  }

  std::string dir_;
  std::unique_ptr<EventLoop> loop_;
  std::string prefix_;
};

TEST_F(LeaseClientPoolTest, TwoElectorsThroughPooledClientsElectOneLeader) {
  auto shared = pool("token.conf", 2);
  StdRandomSource random(11);
  std::vector<std::unique_ptr<election::LeaseElector>> electors;
  int leading = 0;
  for (const char* id : {"node-a", "node-b"}) {
    election::LeaseElectorOptions o;
    o.identity = id;
    auto e = election::LeaseElector::create(loop_->time(), random,
                                            shared->client("kube-system", prefix_), o);
    ASSERT_TRUE(e.ok());
    electors.push_back(std::move(*e));
    election::ElectorCallbacks cb;
    cb.started_leading = [&] { ++leading; };
    cb.stopped_leading = [&] { --leading; };
    ASSERT_TRUE(electors.back()->start(cb).ok());
  }
  runFor(milliseconds(3000));
  EXPECT_EQ(leading, 1);
  ASSERT_NE(electors[0]->isLeader(), electors[1]->isLeader());
  const int leader = electors[0]->isLeader() ? 0 : 1;
  EXPECT_EQ(electors[1 - leader]->leaderId(), leader == 1 ? "node-b" : "node-a");
  // A clean stop releases the Lease; the follower takes over.
  bool stopped = false;
  electors[leader]->stop([&] { stopped = true; });
  ASSERT_TRUE(runUntil([&] { return electors[1 - leader]->isLeader(); }));
  EXPECT_TRUE(stopped);
  EXPECT_EQ(leading, 1);
  electors.clear();  // before the pool
}

TEST_F(LeaseClientPoolTest, AWatchEventReachesTheRightClientOnly) {
  auto shared = pool("token.conf", 1);
  auto a = shared->client("kube-system", prefix_ + "-a");
  auto b = shared->client("kube-system", prefix_ + "-b");
  auto a_elsewhere = shared->client("default", prefix_ + "-a");  // same name, other namespace
  std::map<std::string, std::vector<LeaseWatchEvent>> seen;
  auto watch = [&](LeaseClient& client, const std::string& from) {
    LeaseWatchCallbacks callbacks;
    const std::string who = client.describe();
    callbacks.on_event = [&seen, who](LeaseWatchEvent e) { seen[who].push_back(std::move(e)); };
    callbacks.on_end = [who](Status s) {
      ADD_FAILURE() << who << " watch ended: " << (s ? "" : s.error().message);
    };
    client.watch(from, callbacks);
  };
  auto created_a = call([&](auto cb) { a->create(spec("x"), cb); });
  ASSERT_TRUE(created_a.ok()) << created_a.error().describe();
  auto created_b = call([&](auto cb) { b->create(spec("y"), cb); });
  ASSERT_TRUE(created_b.ok());
  auto created_c = call([&](auto cb) { a_elsewhere->create(spec("z"), cb); });
  ASSERT_TRUE(created_c.ok()) << created_c.error().describe();
  watch(*a, created_a->resource_version);
  watch(*b, created_b->resource_version);
  watch(*a_elsewhere, created_c->resource_version);
  // The first list of each namespace hands each watched Lease its current object.
  ASSERT_TRUE(runUntil([&] { return seen.size() == 3; }));
  EXPECT_EQ(seen[a->describe()][0].lease.resource_version, created_a->resource_version);
  EXPECT_EQ(seen[a->describe()][0].type, LeaseWatchEvent::Type::kModified);
  seen.clear();

  auto updated = call([&](auto cb) { a->update(created_a->resource_version, spec("x2"), cb); });
  ASSERT_TRUE(updated.ok()) << updated.error().describe();
  ASSERT_TRUE(runUntil([&] { return !seen[a->describe()].empty(); }));
  runFor(milliseconds(200));  // anything misrouted would arrive meanwhile
  ASSERT_EQ(seen[a->describe()].size(), 1u);
  EXPECT_EQ(seen[a->describe()][0].lease.spec.holder_identity, "x2");
  EXPECT_EQ(seen[a->describe()][0].lease.resource_version, updated->resource_version);
  EXPECT_TRUE(seen[b->describe()].empty());
  EXPECT_TRUE(seen[a_elsewhere->describe()].empty());

  // After cancelWatch nothing arrives; a watch registered from an older version gets the newer
  // one the informer already knows, from the loop.
  a->cancelWatch();
  seen.clear();
  auto again = call([&](auto cb) { a->update(updated->resource_version, spec("x3"), cb); });
  ASSERT_TRUE(again.ok());
  runFor(milliseconds(300));
  EXPECT_TRUE(seen.empty());
  watch(*a, updated->resource_version);
  EXPECT_TRUE(seen.empty()) << "called back from within watch()";
  ASSERT_TRUE(runUntil([&] { return !seen[a->describe()].empty(); }));
  EXPECT_EQ(seen[a->describe()][0].lease.spec.holder_identity, "x3");
}

TEST_F(LeaseClientPoolTest, AnInformerErrorEndsTheWatches) {
  auto refused = pool("norbac.conf", 1);
  auto client = refused->client("kube-system", prefix_);
  std::optional<Status> ended;
  LeaseWatchCallbacks callbacks;
  callbacks.on_end = [&](Status s) { ended = s; };
  client->watch("1", callbacks);
  ASSERT_TRUE(runUntil([&] { return ended.has_value(); }));
  ASSERT_FALSE(ended->ok());
  EXPECT_EQ(ended->error().code, ErrorCode::kPermission);
  EXPECT_NE(ended->error().message.find("cannot list resource \"leases\""), std::string::npos)
      << ended->error().message;
}

// Once the namespace's informer has listed, a broken watch is its own business: it resumes from
// its last resourceVersion, so the electors' watches stay and what is written meanwhile arrives.
TEST_F(LeaseClientPoolTest, ADroppedWatchAfterTheFirstListKeepsTheWatches) {
  auto shared = pool("token.conf", 1);
  auto a = shared->client("kube-system", prefix_ + "-a");
  std::vector<LeaseWatchEvent> seen;
  bool ended = false;
  LeaseWatchCallbacks callbacks;
  callbacks.on_event = [&](LeaseWatchEvent e) { seen.push_back(std::move(e)); };
  callbacks.on_end = [&](Status) { ended = true; };
  auto created = call([&](auto cb) { a->create(spec("x"), cb); });
  ASSERT_TRUE(created.ok()) << created.error().describe();
  a->watch(created->resource_version, callbacks);
  ASSERT_TRUE(runUntil([&] { return !seen.empty(); }));  // the first list
  auto admin = loadKubeconfig(dir_ + "/token.conf");
  ASSERT_TRUE(admin.ok());
  auto transport = HttpTransport::create(*admin, milliseconds(2000));
  ASSERT_TRUE(transport.ok());
  auto dropped = (*transport)->send({"POST", "/_test/drop-watches", ""});
  ASSERT_TRUE(dropped.ok() && dropped->status == 200) << (dropped.ok() ? dropped->body : "");
  auto updated = call([&](auto cb) { a->update(created->resource_version, spec("x2"), cb); });
  ASSERT_TRUE(updated.ok()) << updated.error().describe();
  ASSERT_TRUE(runUntil([&] { return seen.back().lease.spec.holder_identity == "x2"; }));
  EXPECT_FALSE(ended) << "a dropped watch ended the electors' watches";
}

TEST_F(LeaseClientPoolTest, NoAnswerAfterTheClientIsGone) {
  auto shared = pool("token.conf", 1);
  auto client = shared->client("kube-system", prefix_);
  bool answered = false;
  client->get([&](Result<Lease>) { answered = true; });
  client.reset();
  runFor(milliseconds(300));
  EXPECT_FALSE(answered);
  // Other clients of the pool carry on.
  auto other = shared->client("kube-system", prefix_ + "-other");
  auto missing = call([&](auto cb) { other->get(cb); });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

// Counts the requests an elector makes, for the request-rate figure.
class CountingClient final : public LeaseClient {
 public:
  CountingClient(std::unique_ptr<LeaseClient> inner, int& requests)
      : inner_(std::move(inner)), requests_(requests) {}
  void get(Callback done) override {
    ++requests_;
    inner_->get(std::move(done));
  }
  void create(const LeaseSpec& spec, Callback done) override {
    ++requests_;
    inner_->create(spec, std::move(done));
  }
  void update(const std::string& rv, const LeaseSpec& spec, Callback done) override {
    ++requests_;
    inner_->update(rv, spec, std::move(done));
  }
  void watch(const std::string& rv, LeaseWatchCallbacks callbacks) override {
    inner_->watch(rv, std::move(callbacks));
  }
  void cancelWatch() override { inner_->cancelWatch(); }
  std::string describe() const override { return inner_->describe(); }

 private:
  std::unique_ptr<LeaseClient> inner_;
  int& requests_;
};

// Not a check (no bound is asserted): measures the requests per second one elector makes per
// Lease it leads and per Lease it follows at the default timings, with two nodes (two pools)
// electing on kLeases Leases. Run it through apiserver_client_test.sh with the flags
// --gtest_filter='*RequestRate*' --gtest_also_run_disabled_tests.
TEST_F(LeaseClientPoolTest, DISABLED_RequestRateAtDefaultTimings) {
  constexpr int kLeases = 20;
  constexpr auto kWarmUp = milliseconds(6000);
  constexpr auto kMeasured = milliseconds(20000);
  std::vector<std::unique_ptr<LeaseClientPool>> pools;
  pools.push_back(pool("token.conf", 2));
  pools.push_back(pool("token.conf", 2));
  StdRandomSource random(5);
  std::vector<int> requests(2 * kLeases, 0);
  std::vector<std::unique_ptr<election::LeaseElector>> electors;
  for (int lease = 0; lease < kLeases; ++lease) {
    for (int node = 0; node < 2; ++node) {
      election::LeaseElectorOptions o;
      o.identity = node == 0 ? "node-a" : "node-b";
      auto client = std::make_unique<CountingClient>(
          pools[node]->client("kube-system", "pool-rate-" + std::to_string(lease)),
          requests[2 * lease + node]);
      auto e = election::LeaseElector::create(loop_->time(), random, std::move(client), o);
      ASSERT_TRUE(e.ok());
      ASSERT_TRUE((*e)->start({}).ok());
      electors.push_back(std::move(*e));
    }
  }
  runFor(kWarmUp);
  std::vector<bool> leading_before;
  for (auto& e : electors) leading_before.push_back(e->isLeader());
  std::fill(requests.begin(), requests.end(), 0);
  runFor(kMeasured);
  double leader_requests = 0;
  double follower_requests = 0;
  int leaders = 0;
  int followers = 0;
  for (size_t i = 0; i < electors.size(); ++i) {
    ASSERT_EQ(electors[i]->isLeader(), leading_before[i]) << "leadership moved while measuring";
    (electors[i]->isLeader() ? leader_requests : follower_requests) += requests[i];
    ++(electors[i]->isLeader() ? leaders : followers);
  }
  EXPECT_EQ(leaders, kLeases);
  const double seconds = std::chrono::duration<double>(kMeasured).count();
  std::printf("requests per second per Lease: leading %.3f, following %.3f (%d Leases, 2 nodes)\n",
              leader_requests / leaders / seconds, follower_requests / followers / seconds,
              kLeases);
  electors.clear();
}

TEST_F(LeaseClientPoolTest, AtLeastOneWorker) {
  auto access = loadKubeconfig(dir_ + "/token.conf");
  ASSERT_TRUE(access.ok());
  auto p = LeaseClientPool::create(*loop_, *access, milliseconds(2000), 0);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("at least 1 worker"), std::string::npos);
}

}  // namespace
}  // namespace kubevip::k8s

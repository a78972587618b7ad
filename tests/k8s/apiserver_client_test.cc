// The API client against the test API server (tests/e2e/apiserver/apiserver.py) on loopback.
// apiserver_client_test.sh starts the server and passes its directory in KUBEVIP_TEST_APISERVER.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "common/event_loop.h"
#include "election/lease_elector.h"
#include "k8s/apiserver_route.h"
#include "k8s/cluster_access.h"
#include "k8s/lease_client.h"

namespace kubevip::k8s {
namespace {

using std::chrono::milliseconds;

std::string serverDir() {
  const char* dir = std::getenv("KUBEVIP_TEST_APISERVER");
  return dir ? dir : "";
}

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (serverDir().empty()) GTEST_SKIP() << "KUBEVIP_TEST_APISERVER is not set";
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop.ok());
    loop_ = std::move(*loop);
    lease_name_ =
        std::string("test-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : lease_name_) c = static_cast<char>(std::tolower(c));
  }

  ClusterAccess access(const std::string& kubeconfig) {
    auto a = loadKubeconfig(serverDir() + "/" + kubeconfig);
    EXPECT_TRUE(a.ok()) << a.error().describe();
    return a.ok() ? *a : ClusterAccess{};
  }

  std::unique_ptr<ApiLeaseClient> client(ClusterAccess a) {
    auto c = ApiLeaseClient::create(*loop_, std::move(a), "kube-system", lease_name_,
                                    milliseconds(2000));
    EXPECT_TRUE(c.ok());
    return std::move(*c);
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

  LeaseSpec spec(const std::string& holder) {
    LeaseSpec s;
    s.holder_identity = holder;
    s.lease_duration_seconds = 5;
    s.renew_time =
        std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    return s;
  }

  std::unique_ptr<EventLoop> loop_;
  std::string lease_name_;
};

TEST_F(ApiServerTest, CreateGetUpdateAndConflicts) {
  auto c = client(access("token.conf"));
  auto missing = call([&](auto cb) { c->get(cb); });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("not found (404)"), std::string::npos);

  auto created = call([&](auto cb) { c->create(spec("a"), cb); });
  ASSERT_TRUE(created.ok()) << created.error().describe();
  EXPECT_EQ(created->spec.holder_identity, "a");
  EXPECT_FALSE(created->resource_version.empty());

  auto again = call([&](auto cb) { c->create(spec("b"), cb); });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_NE(again.error().message.find("already exists"), std::string::npos);

  auto got = call([&](auto cb) { c->get(cb); });
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->spec, created->spec);

  auto renewed = call([&](auto cb) { c->update(got->resource_version, spec("a"), cb); });
  ASSERT_TRUE(renewed.ok()) << renewed.error().describe();
  EXPECT_NE(renewed->resource_version, got->resource_version);

  auto stale = call([&](auto cb) { c->update(got->resource_version, spec("b"), cb); });
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_NE(stale.error().message.find("the object has been modified"), std::string::npos);
}

TEST_F(ApiServerTest, ClientCertificateKubeconfigWorks) {
  auto c = client(access("admin.conf"));
  auto created = call([&](auto cb) { c->create(spec("cert"), cb); });
  ASSERT_TRUE(created.ok()) << created.error().describe();
}

TEST_F(ApiServerTest, WrongTokenIs401) {
  auto c = client(access("wrong.conf"));
  auto r = call([&](auto cb) { c->get(cb); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermission);
  EXPECT_NE(r.error().message.find("unauthorized (401)"), std::string::npos) << r.error().message;
}

TEST_F(ApiServerTest, RbacRefusalNamesVerbAndResource) {
  auto none = client(access("norbac.conf"));
  auto r = call([&](auto cb) { none->get(cb); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermission);
  EXPECT_NE(r.error().message.find("cannot get resource \"leases\""), std::string::npos)
      << r.error().message;
  auto admin = client(access("token.conf"));
  auto created = call([&](auto cb) { admin->create(spec("x"), cb); });
  ASSERT_TRUE(created.ok());
  auto reader = client(access("reader.conf"));
  auto u = call([&](auto cb) { reader->update(created->resource_version, spec("r"), cb); });
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.error().message.find("cannot update resource \"leases\""), std::string::npos)
      << u.error().message;
}

TEST_F(ApiServerTest, UnreachableServerAndTlsFailureAreNamed) {
  ClusterAccess a = access("token.conf");
  ClusterAccess closed = a;
  closed.server = "https://127.0.0.1:1";
  auto c1 = client(closed);
  auto r = call([&](auto cb) { c1->get(cb); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("cannot reach the API server"), std::string::npos);

  ClusterAccess wrong_ca = a;
  auto other_ca = readFile(serverDir() + "/other-ca.crt");  // a CA that did not sign the server
  ASSERT_TRUE(other_ca.ok());
  wrong_ca.ca_pem = *other_ca;
  auto c2 = client(wrong_ca);
  r = call([&](auto cb) { c2->get(cb); });
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("TLS failure"), std::string::npos) << r.error().describe();

  wrong_ca.insecure_skip_tls_verify = true;
  auto c3 = client(wrong_ca);
  r = call([&](auto cb) { c3->get(cb); });
  EXPECT_EQ(r.ok() ? ErrorCode::kNotFound : r.error().code, ErrorCode::kNotFound);
}

// A kubeconfig that names the VIP (here 127.0.0.9, where nothing listens) or `kubernetes` reaches
// this node's API server on 127.0.0.1, and TLS is verified against the name the kubeconfig gives:
// a name the certificate lacks fails even though 127.0.0.1 is in it.
TEST_F(ApiServerTest, TheLocalApiServerIsVerifiedAsTheKubeconfigHost) {
  ClusterAccess a = access("admin.conf");
  const auto colon = a.server.rfind(':');
  const auto port = static_cast<uint16_t>(std::stoi(a.server.substr(colon + 1)));
  const ApiServerChoice local{true, false, port};

  ClusterAccess vip = a;
  vip.server = "https://127.0.0.9:1";
  auto direct = client(vip);
  auto r = call([&](auto cb) { direct->get(cb); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable) << r.error().describe();

  for (const std::string server : {"https://127.0.0.9:1", "https://kubernetes:1"}) {
    ClusterAccess named = a;
    named.server = server;
    auto chosen = chooseApiServer(named, local);
    ASSERT_TRUE(chosen.ok());
    auto c = client(*chosen);
    r = call([&](auto cb) { c->get(cb); });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kNotFound) << server << ": " << r.error().describe();
  }

  ClusterAccess unnamed = a;
  unnamed.server = "https://127.0.0.8:1";
  auto chosen = chooseApiServer(unnamed, local);
  ASSERT_TRUE(chosen.ok());
  auto c = client(*chosen);
  r = call([&](auto cb) { c->get(cb); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermission) << r.error().describe();
  EXPECT_NE(r.error().message.find("TLS failure talking to the API server at https://127.0.0.8:1 "
                                   "via 127.0.0.1:"),
            std::string::npos)
      << r.error().message;
}

TEST_F(ApiServerTest, InClusterTokenIsReReadWhenItChanges) {
  const std::string dir = serverDir() + "/sa-" + lease_name_;
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(serverDir() + "/serviceaccount/ca.crt", dir + "/ca.crt",
                             std::filesystem::copy_options::overwrite_existing);
  std::ofstream(dir + "/token") << "expired-token";
  const std::string url = *readFile(serverDir() + "/ready");
  const auto colon = url.rfind(':');
  auto env = [&](const std::string& n) -> std::optional<std::string> {
    if (n == "KUBERNETES_SERVICE_HOST") return std::string("127.0.0.1");
    if (n == "KUBERNETES_SERVICE_PORT") return url.substr(colon + 1, url.find('\n') - colon - 1);
    return std::nullopt;
  };
  auto a = loadInCluster(env, dir);
  ASSERT_TRUE(a.ok()) << a.error().describe();
  auto c = client(*a);
  auto r = call([&](auto cb) { c->get(cb); });
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("401"), std::string::npos);
  // The kubelet rotates the projected token: the next request uses the new one. It swaps the file
  // in by renaming; the new file may carry the old one's mtime (both written within one tick of
  // the kernel's coarse file clock), as forced here.
  std::filesystem::copy_file(serverDir() + "/serviceaccount/token", dir + "/token.new");
  std::filesystem::last_write_time(dir + "/token.new",
                                   std::filesystem::last_write_time(dir + "/token"));
  std::filesystem::rename(dir + "/token.new", dir + "/token");
  r = call([&](auto cb) { c->get(cb); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound) << r.error().describe();
}

TEST_F(ApiServerTest, WatchStreamsChangesAndCancelsAtOnce) {
  auto writer = client(access("token.conf"));
  auto created = call([&](auto cb) { writer->create(spec("a"), cb); });
  ASSERT_TRUE(created.ok()) << created.error().describe();
  auto watcher = client(access("reader.conf"));  // get/list/watch is enough
  std::vector<LeaseWatchEvent> events;
  std::optional<Status> ended;
  bool waiting = false;  // the writes' own call() must not be stopped by an early event
  LeaseWatchCallbacks callbacks;
  callbacks.on_event = [&](LeaseWatchEvent e) {
    events.push_back(std::move(e));
    if (waiting && events.size() == 2) loop_->stop();
  };
  callbacks.on_end = [&](Status s) {
    ended = s;
    loop_->stop();
  };
  watcher->watch(created->resource_version, callbacks);
  // Two writes after the watch's starting version: both arrive, in order.
  auto b = call([&](auto cb) { writer->update(created->resource_version, spec("b"), cb); });
  ASSERT_TRUE(b.ok());
  auto c = call([&](auto cb) { writer->update(b->resource_version, spec(""), cb); });
  ASSERT_TRUE(c.ok());
  auto guard = loop_->time().createTimer();
  guard->start(std::chrono::seconds(5), [&] { loop_->stop(); });
  waiting = true;
  if (events.size() < 2) loop_->run();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_FALSE(ended.has_value());
  EXPECT_EQ(events[0].type, LeaseWatchEvent::Type::kModified);
  EXPECT_EQ(events[0].lease.spec.holder_identity, "b");
  EXPECT_EQ(events[0].lease.resource_version, b->resource_version);
  EXPECT_EQ(events[1].lease.spec.holder_identity, "");
  // Cancelling an idle stream returns promptly (not after libcurl's 1 s progress tick).
  const auto before = std::chrono::steady_clock::now();
  watcher->cancelWatch();
  EXPECT_LT(std::chrono::steady_clock::now() - before, milliseconds(300));

  // A token without the watch right: the stream ends with the RBAC refusal.
  auto none = client(access("norbac.conf"));
  ended.reset();
  none->watch(created->resource_version, callbacks);
  guard->start(std::chrono::seconds(5), [&] { loop_->stop(); });
  loop_->run();
  ASSERT_TRUE(ended.has_value());
  ASSERT_FALSE(ended->ok());
  EXPECT_EQ(ended->error().code, ErrorCode::kPermission);
  EXPECT_NE(ended->error().message.find("cannot watch resource \"leases\""), std::string::npos)
      << ended->error().message;
}

TEST_F(ApiServerTest, TwoElectorsOnTheRealApiOneLeads) {
  StdRandomSource random(7);
  std::vector<std::unique_ptr<election::LeaseElector>> electors;
  int leading = 0;
  for (const char* id : {"node-a", "node-b"}) {
    election::LeaseElectorOptions o;
    o.identity = id;
    auto e = election::LeaseElector::create(loop_->time(), random, client(access("token.conf")), o);
    ASSERT_TRUE(e.ok());
    electors.push_back(std::move(*e));
    election::ElectorCallbacks cb;
    cb.started_leading = [&] { ++leading; };
    cb.stopped_leading = [&] { --leading; };
    ASSERT_TRUE(electors.back()->start(cb).ok());
  }
  auto t = loop_->time().createTimer();
  t->start(std::chrono::seconds(3), [&] { loop_->stop(); });
  loop_->run();
  EXPECT_EQ(leading, 1);
  EXPECT_NE(electors[0]->isLeader(), electors[1]->isLeader());
  auto leader = electors[0]->isLeader() ? 0 : 1;
  EXPECT_EQ(electors[1 - leader]->leaderId(), leader == 1 ? "node-b" : "node-a");
  // A clean stop releases the Lease; the other takes over within about one retry period.
  bool stopped = false;
  electors[leader]->stop([&] { stopped = true; });
  const auto released = std::chrono::steady_clock::now();
  auto poll = loop_->time().createTimer();
  std::function<void()> check = [&] {
    if (electors[1 - leader]->isLeader()) {
      loop_->stop();
      return;
    }
    poll->start(milliseconds(20), check);
  };
  poll->start(milliseconds(20), check);
  t->start(std::chrono::seconds(6), [&] { loop_->stop(); });
  loop_->run();
  EXPECT_TRUE(stopped);
  EXPECT_TRUE(electors[1 - leader]->isLeader());
  const auto took = std::chrono::steady_clock::now() - released;
  // The follower sees the release through its watch: well within one retry period (1 s).
  EXPECT_LT(took, std::chrono::milliseconds(1000));
  std::printf(
      "clean-stop handover through the API server: %lld ms\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  auto lease =
      getLeaseBlocking(access("token.conf"), "kube-system", lease_name_, milliseconds(2000));
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->spec.lease_transitions, 1);
}

}  // namespace
}  // namespace kubevip::k8s

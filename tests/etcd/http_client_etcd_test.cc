// The client against a real etcd 3.4 with client TLS on loopback. etcd_client_test.sh starts it
// and passes its directory in KUBEVIP_TEST_ETCD (endpoint, dead_endpoint, ca.crt, client.crt,
// client.key, other-ca.crt).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <vector>

#include "etcd/http_client.h"

namespace kubevip::etcd {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

std::string etcdDir() {
  const char* dir = std::getenv("KUBEVIP_TEST_ETCD");  // NOLINT(concurrency-mt-unsafe): no setenv
  return dir ? dir : "";
}

std::string firstLine(const std::string& name) {
  std::ifstream in(etcdDir() + "/" + name);
  std::string line;
  std::getline(in, line);
  return line;
}

class EtcdClientEtcdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (etcdDir().empty()) GTEST_SKIP() << "KUBEVIP_TEST_ETCD is not set";
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop.ok());
    loop_ = std::move(*loop);
    endpoint_ = firstLine("endpoint");
    dead_endpoint_ = firstLine("dead_endpoint");
    key_ = std::string("/kube-vip/test/") +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  HttpClientOptions options(std::vector<std::string> endpoints) {
    return {.endpoints = std::move(endpoints),
            .ca_file = etcdDir() + "/ca.crt",
            .cert_file = etcdDir() + "/client.crt",
            .key_file = etcdDir() + "/client.key",
            .request_timeout = milliseconds(500)};
  }

  std::unique_ptr<EtcdClient> client(std::vector<std::string> endpoints) {
    auto made = makeHttpEtcdClient(*loop_, options(std::move(endpoints)));
    EXPECT_TRUE(made.ok()) << made.error().message;
    return made.ok() ? std::move(*made) : nullptr;
  }

  // Runs the loop until `issue`'s callback has fired (or 10 s passed).
  template <typename T, typename Issue>
  T call(Issue&& issue) {
    std::optional<T> out;
    issue([&](T result) {
      out.emplace(std::move(result));
      loop_->stop();
    });
    auto guard = loop_->time().createTimer();
    guard->start(std::chrono::seconds(10), [&] { loop_->stop(); });
    loop_->run();
    if (!out) return makeError(ErrorCode::kTimeout, "no callback within 10 s");
    return std::move(*out);
  }

  Result<LeaseGrant> grant(EtcdClient& c) {
    return call<Result<LeaseGrant>>(
        [&](auto done) { c.grantLease(std::chrono::seconds(2), done); });
  }
  Result<CreateOutcome> create(EtcdClient& c, const std::string& value, int64_t lease) {
    return call<Result<CreateOutcome>>(
        [&](auto done) { c.createIfAbsent(key_, value, lease, done); });
  }
  Result<int64_t> keepAlive(EtcdClient& c, int64_t lease) {
    return call<Result<int64_t>>([&](auto done) { c.keepAlive(lease, done); });
  }
  Status revoke(EtcdClient& c, int64_t lease) {
    return call<Status>([&](auto done) { c.revokeLease(lease, done); });
  }
  Result<GetOutcome> get(EtcdClient& c) {
    return call<Result<GetOutcome>>([&](auto done) { c.get(key_, done); });
  }

  std::unique_ptr<EventLoop> loop_;
  std::string endpoint_;
  std::string dead_endpoint_;
  std::string key_;
};

TEST_F(EtcdClientEtcdTest, CreateLoseKeepAliveAndRevoke) {
  auto c = client({endpoint_});
  ASSERT_TRUE(c);
  auto a = grant(*c);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->ttl_seconds, 2);
  auto b = grant(*c);
  ASSERT_TRUE(b.ok()) << b.error().message;

  auto won = create(*c, "node-a", a->id);
  ASSERT_TRUE(won.ok()) << won.error().message;
  EXPECT_TRUE(won->created);
  ASSERT_TRUE(won->current.has_value());
  EXPECT_EQ(won->current->value, "node-a");
  EXPECT_EQ(won->current->lease, a->id);

  auto lost = create(*c, "node-b", b->id);
  ASSERT_TRUE(lost.ok()) << lost.error().message;
  EXPECT_FALSE(lost->created);
  ASSERT_TRUE(lost->current.has_value());
  EXPECT_EQ(lost->current->value, "node-a");
  EXPECT_EQ(lost->current->lease, a->id);
  EXPECT_EQ(lost->current->mod_revision, won->current->mod_revision);
  EXPECT_EQ(lost->current->create_revision, won->revision);

  auto ttl = keepAlive(*c, a->id);
  ASSERT_TRUE(ttl.ok()) << ttl.error().message;
  EXPECT_EQ(*ttl, 2);

  auto read = get(*c);
  ASSERT_TRUE(read.ok()) << read.error().message;
  ASSERT_TRUE(read->kv.has_value());
  EXPECT_EQ(*read->kv, *won->current);

  ASSERT_TRUE(revoke(*c, a->id).ok());
  auto gone = get(*c);
  ASSERT_TRUE(gone.ok()) << gone.error().message;
  EXPECT_FALSE(gone->kv.has_value());
  EXPECT_GT(gone->revision, won->revision);

  // etcd answers a keepalive of a lease it no longer knows with a message without TTL: 0.
  auto after = keepAlive(*c, a->id);
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(*after, 0);
  // Revoking it again, or binding a key to it, is etcd's NOT_FOUND, returned as is.
  Status again = revoke(*c, a->id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(again.error().message, HasSubstr("etcdserver: requested lease not found"));
  EXPECT_THAT(again.error().message, HasSubstr(endpoint_));
  auto orphan = create(*c, "node-a", a->id);
  ASSERT_FALSE(orphan.ok());
  EXPECT_EQ(orphan.error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(revoke(*c, b->id).ok());
}

TEST_F(EtcdClientEtcdTest, WatchSeesThePutAndTheDeleteWhileRequestsGoOn) {
  auto c = client({endpoint_});
  ASSERT_TRUE(c);
  auto before = get(*c);
  ASSERT_TRUE(before.ok()) << before.error().message;
  std::vector<WatchEvent> events;
  std::optional<Status> ended;
  bool awaiting_events =
      false;  // set once the requests are done: only then may events stop the loop
  c->watch(key_, before->revision + 1,
           {.on_event =
                [&](const WatchEvent& event) {
                  events.push_back(event);
                  if (awaiting_events && events.size() == 2) loop_->stop();
                },
            .on_end = [&](const Status& status) { ended.emplace(status); }});
  // The open watch must not hold up requests: they run on another thread and connection.
  auto lease = grant(*c);
  ASSERT_TRUE(lease.ok()) << lease.error().message;
  auto created = create(*c, "node-a", lease->id);
  ASSERT_TRUE(created.ok()) << created.error().message;
  Status revoked = revoke(*c, lease->id);
  ASSERT_TRUE(revoked.ok()) << revoked.error().message;
  awaiting_events = true;
  if (events.size() < 2) {
    auto guard = loop_->time().createTimer();
    guard->start(std::chrono::seconds(5), [&] { loop_->stop(); });
    loop_->run();
  }
  ASSERT_EQ(events.size(), 2u) << (ended && !ended->ok() ? ended->error().message : "");
  EXPECT_EQ(events[0].type, WatchEvent::Type::kPut);
  EXPECT_EQ(events[0].kv, *created->current);
  EXPECT_EQ(events[1].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(events[1].kv.key, key_);
  EXPECT_GT(events[1].kv.mod_revision, created->revision);
  EXPECT_FALSE(ended.has_value());
  c->cancelWatch();
}

TEST_F(EtcdClientEtcdTest, FailsOverFromAClosedPortAndNamesEveryDeadEndpoint) {
  auto c = client({dead_endpoint_, endpoint_});
  ASSERT_TRUE(c);
  auto lease = grant(*c);
  ASSERT_TRUE(lease.ok()) << lease.error().message;
  EXPECT_EQ(c->endpoint(), endpoint_);  // the one that answered is tried first from now on
  ASSERT_TRUE(revoke(*c, lease->id).ok());

  const std::string other_dead =
      "https://127.0.0.2:" + dead_endpoint_.substr(dead_endpoint_.rfind(':') + 1);
  auto dead = client({dead_endpoint_, other_dead});
  ASSERT_TRUE(dead);
  auto failed = grant(*dead);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.error().message, HasSubstr("no endpoint answered (2 tried)"));
  EXPECT_THAT(failed.error().message, HasSubstr(dead_endpoint_ + ": cannot reach etcd"));
  EXPECT_THAT(failed.error().message, HasSubstr(other_dead + ": cannot reach etcd"));
}

TEST_F(EtcdClientEtcdTest, AnEndpointThatNeverAnswersCostsOneTimeout) {
  // A listening socket nobody accepts on: the kernel completes the TCP handshake, TLS never starts.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  const std::string stuck = "https://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  auto c = client({stuck, endpoint_});
  ASSERT_TRUE(c);
  const auto start = std::chrono::steady_clock::now();
  auto lease = grant(*c);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ::close(fd);
  ASSERT_TRUE(lease.ok()) << lease.error().message;
  EXPECT_GE(elapsed, milliseconds(450));
  EXPECT_LT(elapsed, milliseconds(1500)) << "more than one 500 ms timeout plus a request";
  EXPECT_EQ(c->endpoint(), endpoint_);
  ASSERT_TRUE(revoke(*c, lease->id).ok());
}

TEST_F(EtcdClientEtcdTest, AWrongCaIsATlsErrorNamingTheEndpoint) {
  auto o = options({endpoint_});
  o.ca_file = etcdDir() + "/other-ca.crt";
  auto made = makeHttpEtcdClient(*loop_, o);
  ASSERT_TRUE(made.ok()) << made.error().message;
  auto failed = grant(**made);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kPermission);
  EXPECT_THAT(failed.error().message, HasSubstr("TLS failure talking to etcd at " + endpoint_));
}

TEST_F(EtcdClientEtcdTest, NoClientCertificateIsRefused) {
  auto o = options({endpoint_});
  o.cert_file.clear();
  o.key_file.clear();
  auto made = makeHttpEtcdClient(*loop_, o);
  ASSERT_TRUE(made.ok()) << made.error().message;
  auto failed = grant(**made);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.error().message, HasSubstr(endpoint_));
}

}  // namespace
}  // namespace kubevip::etcd

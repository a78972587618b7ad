// The client's checks of its options, and its behaviour with endpoints that refuse connections
// (closed ports on loopback); the client against a real etcd is http_client_etcd_test.cc.
#include "etcd/http_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

namespace kubevip::etcd {
namespace {

using ::testing::HasSubstr;

// A loopback port nothing listens on (bound, then closed).
int closedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A one-connection HTTP server on loopback that answers any request with canned bytes and then
// closes the connection: etcd misbehaving in ways a real etcd is not easily made to.
class CannedServer {
 public:
  explicit CannedServer(std::string answer) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(addr);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length), 0);
    url_ = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    thread_ = std::thread([this] { serve(); });
  }
  ~CannedServer() {
    thread_.join();
    ::close(fd_);
  }
  CannedServer(const CannedServer&) = delete;
  CannedServer& operator=(const CannedServer&) = delete;
  const std::string& url() const { return url_; }

 private:
  void serve() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) return;
    const int connection = ::accept(fd_, nullptr, nullptr);
    if (connection < 0) return;
    // The request: headers, then as many body bytes as Content-Length says.
    std::string request;
    char buffer[4096];
    for (;;) {
      const auto end = request.find("\r\n\r\n");
      if (end != std::string::npos) {
        const auto at = request.find("Content-Length: ");
        const size_t body = at == std::string::npos ? 0 : std::stoul(request.substr(at + 16));
        if (request.size() >= end + 4 + body) break;
      }
      pollfd c{connection, POLLIN, 0};
      if (::poll(&c, 1, 5000) != 1) break;
      const ssize_t n = ::read(connection, buffer, sizeof(buffer));
      if (n <= 0) break;
      request.append(buffer, static_cast<size_t>(n));
    }
    size_t sent = 0;
    while (sent < answer_.size()) {
      const ssize_t n = ::write(connection, answer_.data() + sent, answer_.size() - sent);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    ::close(connection);
  }

  std::string answer_;
  int fd_ = -1;
  std::string url_;
  std::thread thread_;
};

std::string httpAnswer(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + body;
}

class EtcdHttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop.ok());
    loop_ = std::move(*loop);
    dir_ =
        std::filesystem::temp_directory_path() / ("kv-etcd-client-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Result<std::unique_ptr<EtcdClient>> make(HttpClientOptions options) {
    return makeHttpEtcdClient(*loop_, std::move(options));
  }
  static HttpClientOptions options(
      std::vector<std::string> endpoints,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(500)) {
    HttpClientOptions o;
    o.endpoints = std::move(endpoints);
    o.request_timeout = timeout;
    return o;
  }

  std::string file(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  std::unique_ptr<EventLoop> loop_;
  std::filesystem::path dir_;
};

TEST_F(EtcdHttpClientTest, RefusesBadOptionsNamingWhatIsWrong) {
  auto none = make({});
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.error().message, HasSubstr("no endpoint"));

  for (const char* bad :
       {"127.0.0.1:2379", "ftp://h:1", "https://", "http://h:1/v3", "http://u@h:1"}) {
    auto client = make(options({"http://127.0.0.1:2379", bad}));
    ASSERT_FALSE(client.ok()) << bad;
    EXPECT_EQ(client.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(client.error().message, HasSubstr(std::string("\"") + bad + "\"")) << bad;
  }

  auto with_ca = [&](const std::string& ca_file) {
    auto o = options({"https://127.0.0.1:2379"});
    o.ca_file = ca_file;
    return make(o);
  };
  auto missing_ca = with_ca("/nonexistent/ca");
  ASSERT_FALSE(missing_ca.ok());
  EXPECT_THAT(missing_ca.error().message, HasSubstr("etcd CA file: cannot read /nonexistent/ca"));

  auto not_pem = with_ca(file("ca", "hello"));
  ASSERT_FALSE(not_pem.ok());
  EXPECT_THAT(not_pem.error().message, HasSubstr("not PEM"));

  auto half_options = options({"https://127.0.0.1:2379"});
  half_options.cert_file = file("c", "-----BEGIN CERTIFICATE-----\n");
  auto half = make(half_options);
  ASSERT_FALSE(half.ok());
  EXPECT_THAT(half.error().message, HasSubstr("only the certificate file is given"));

  auto zero = make(options({"http://127.0.0.1:2379"}, std::chrono::milliseconds(0)));
  ASSERT_FALSE(zero.ok());
  EXPECT_THAT(zero.error().message, HasSubstr("not positive"));

  auto trailing = make(options({"http://127.0.0.1:2379/"}));
  ASSERT_TRUE(trailing.ok()) << trailing.error().message;
  EXPECT_EQ((*trailing)->endpoint(), "http://127.0.0.1:2379");
}

TEST_F(EtcdHttpClientTest, AllEndpointsRefusingGivesOneErrorNamingEachAsynchronously) {
  const std::string first = "http://127.0.0.1:" + std::to_string(closedPort());
  const std::string second = "http://127.0.0.1:" + std::to_string(closedPort());
  auto client = make(options({first, second}));
  ASSERT_TRUE(client.ok()) << client.error().message;
  std::optional<Result<int64_t>> answer;
  (*client)->keepAlive(42, [&](Result<int64_t> ttl) {
    answer.emplace(std::move(ttl));
    loop_->stop();
  });
  EXPECT_FALSE(answer.has_value()) << "called back synchronously";
  auto guard = loop_->time().createTimer();
  guard->start(std::chrono::seconds(5), [&] { loop_->stop(); });
  loop_->run();
  ASSERT_TRUE(answer.has_value());
  ASSERT_FALSE(answer->ok());
  const std::string& message = answer->error().message;
  EXPECT_EQ(answer->error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(message, HasSubstr("etcd /v3/lease/keepalive: no endpoint answered (2 tried)"));
  EXPECT_THAT(message, HasSubstr(first + ": cannot reach etcd at " + first));
  EXPECT_THAT(message, HasSubstr(second + ": cannot reach etcd at " + second));
}

TEST_F(EtcdHttpClientTest, AWatchWithNoEndpointEndsWithAnErrorAndCancelSilencesIt) {
  const std::string dead = "http://127.0.0.1:" + std::to_string(closedPort());
  auto client = make(options({dead}));
  ASSERT_TRUE(client.ok());
  std::optional<Status> ended;
  (*client)->watch("/k", 0,
                   {.on_event = [](const WatchEvent&) { FAIL() << "no event expected"; },
                    .on_end =
                        [&](const Status& s) {
                          ended.emplace(s);
                          loop_->stop();
                        }});
  auto guard = loop_->time().createTimer();
  guard->start(std::chrono::seconds(5), [&] { loop_->stop(); });
  loop_->run();
  ASSERT_TRUE(ended.has_value());
  ASSERT_FALSE(ended->ok());
  EXPECT_THAT(ended->error().message, HasSubstr("etcd /v3/watch: no endpoint answered"));

  // Cancelled at once: no callback at all, even though the attempt fails right away.
  bool called = false;
  (*client)->watch("/k", 0, {.on_event = {}, .on_end = [&](const Status&) { called = true; }});
  (*client)->cancelWatch();
  guard->start(std::chrono::milliseconds(300), [&] { loop_->stop(); });
  loop_->run();
  EXPECT_FALSE(called);
}

TEST_F(EtcdHttpClientTest, DestroyedWithARequestInFlightNeverCallsBack) {
  const std::string dead = "http://127.0.0.1:" + std::to_string(closedPort());
  auto client = make(options({dead}));
  ASSERT_TRUE(client.ok());
  bool called = false;
  (*client)->get("/k", [&](const Result<GetOutcome>&) { called = true; });
  client->reset();
  auto guard = loop_->time().createTimer();
  guard->start(std::chrono::milliseconds(200), [&] { loop_->stop(); });
  loop_->run();
  EXPECT_FALSE(called);
}

TEST_F(EtcdHttpClientTest, AMalformedAnswerNamesTheFieldAndTheEndpoint) {
  CannedServer server(httpAnswer(R"({"result":{"header":{"revision":"3"},"ID":"x1"}})"));
  auto client = make(options({server.url()}));
  ASSERT_TRUE(client.ok());
  std::optional<Result<int64_t>> answer;
  (*client)->keepAlive(42, [&](Result<int64_t> ttl) {
    answer.emplace(std::move(ttl));
    loop_->stop();
  });
  auto guard = loop_->time().createTimer();
  guard->start(std::chrono::seconds(5), [&] { loop_->stop(); });
  loop_->run();
  ASSERT_TRUE(answer.has_value());
  ASSERT_FALSE(answer->ok());
  EXPECT_EQ(
      answer->error().message,
      "etcd /v3/lease/keepalive answer: result.ID: expected an int64 as a decimal string, got "
      "\"x1\" (from " +
          server.url() + ")");
}

TEST_F(EtcdHttpClientTest, AMemberWithoutALeaderIsPassedOverForTheNextEndpoint) {
  // What a member cut off from the others answers through the gateway (gRPC Unavailable).
  CannedServer cut_off(
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
      "Connection: close\r\n\r\n"
      R"({"error":"etcdserver: no leader","code":14,"message":"etcdserver: no leader"})");
  CannedServer healthy(httpAnswer(R"({"result":{"header":{"revision":"3"},"ID":"42","TTL":"2"}})"));
  auto client = make(options({cut_off.url(), healthy.url()}));
  ASSERT_TRUE(client.ok());
  std::optional<Result<int64_t>> answer;
  (*client)->keepAlive(42, [&](Result<int64_t> ttl) {
    answer.emplace(std::move(ttl));
    loop_->stop();
  });
  auto guard = loop_->time().createTimer();
  guard->start(std::chrono::seconds(5), [&] { loop_->stop(); });
  loop_->run();
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->ok()) << answer->error().describe();
  EXPECT_EQ(**answer, 2);
  EXPECT_EQ((*client)->endpoint(), healthy.url());
}

TEST_F(EtcdHttpClientTest, AWatchStreamThatEndsAfterEventsEndsTheWatchWithoutFailover) {
  const std::string key64 = "L2s=";  // "/k"
  CannedServer server(
      httpAnswer(R"({"result":{"header":{"revision":"4"},"created":true}})"
                 "\n"
                 R"({"result":{"header":{"revision":"5"},"events":[{"kv":{"key":")" +
                 key64 +
                 R"(","create_revision":"5","mod_revision":"5","version":"1","value":"YQ=="}}]}})"
                 "\n"));
  const std::string dead = "http://127.0.0.1:" + std::to_string(closedPort());
  auto client = make(options({server.url(), dead}));
  ASSERT_TRUE(client.ok());
  std::vector<WatchEvent> events;
  std::optional<Status> ended;
  (*client)->watch("/k", 5,
                   {.on_event = [&](const WatchEvent& event) { events.push_back(event); },
                    .on_end =
                        [&](const Status& s) {
                          ended.emplace(s);
                          loop_->stop();
                        }});
  auto guard = loop_->time().createTimer();
  guard->start(std::chrono::seconds(5), [&] { loop_->stop(); });
  loop_->run();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kv, (KeyValue{"/k", "a", 5, 5, 1, 0}));
  ASSERT_TRUE(ended.has_value());
  ASSERT_FALSE(ended->ok());
  EXPECT_EQ(ended->error().message,
            "etcd /v3/watch at " + server.url() + ": the stream of /k ended");
}

}  // namespace
}  // namespace kubevip::etcd

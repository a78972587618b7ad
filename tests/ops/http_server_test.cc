// OpsHttpServer over real loopback sockets (127.0.0.1 and ::1, port 0): routes, bounds on size,
// time and connections, several servers, and one port refused twice.
#include "ops/http_server.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "loopback_client.h"

namespace kubevip::ops {
namespace {

using testing::connectTcp;
using ::testing::EndsWith;
using testing::exchange;
using ::testing::HasSubstr;
using testing::readAll;
using testing::sendAll;
using ::testing::StartsWith;

Routes healthRoutes() {
  Routes routes;
  routes["/livez"] = [] { return HttpAnswer{200, "text/plain; charset=utf-8", "ok\n"}; };
  routes["/readyz"] = [] {
    return HttpAnswer{503, "text/plain; charset=utf-8", "not ready: no quorum\n"};
  };
  return routes;
}

std::unique_ptr<OpsHttpServer> mustCreate(const std::string& listen, Routes routes,
                                          HttpServerLimits limits = {}) {
  auto server = OpsHttpServer::create(listen, std::move(routes), limits);
  EXPECT_TRUE(server.ok()) << server.error().describe();
  return server.ok() ? std::move(*server) : nullptr;
}

TEST(OpsHttpServer, AnswersGetAndHeadAndClosesTheConnection) {
  auto server = mustCreate("127.0.0.1:0", healthRoutes());
  ASSERT_TRUE(server);
  ASSERT_NE(server->port(), 0);
  std::string get = exchange("127.0.0.1", server->port(), "GET /livez HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_THAT(get, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(get, HasSubstr("Connection: close\r\n"));
  EXPECT_THAT(get, EndsWith("\r\n\r\nok\n"));
  std::string head = exchange("127.0.0.1", server->port(), "HEAD /readyz HTTP/1.1\r\n\r\n");
  EXPECT_THAT(head, StartsWith("HTTP/1.1 503 Service Unavailable\r\n"));
  EXPECT_THAT(head, EndsWith("\r\n\r\n"));
}

TEST(OpsHttpServer, RefusesWhatItDoesNotServe) {
  auto server = mustCreate("127.0.0.1:0", healthRoutes());
  ASSERT_TRUE(server);
  EXPECT_THAT(exchange("127.0.0.1", server->port(), "GET /x HTTP/1.1\r\n\r\n"),
              StartsWith("HTTP/1.1 404 "));
  EXPECT_THAT(exchange("127.0.0.1", server->port(), "POST /livez HTTP/1.1\r\n\r\n"),
              StartsWith("HTTP/1.1 405 "));
  EXPECT_THAT(exchange("127.0.0.1", server->port(), "hello\r\n"), StartsWith("HTTP/1.1 400 "));
}

TEST(OpsHttpServer, AnOversizeHeadGets431AndTheServerLivesOn) {
  auto server = mustCreate("127.0.0.1:0", healthRoutes());
  ASSERT_TRUE(server);
  // More than the bound, without ever ending the head: answered as soon as the bound is passed.
  std::string request = "GET /livez HTTP/1.1\r\nX-Filler: " + std::string(64 * 1024, 'a');
  EXPECT_THAT(exchange("127.0.0.1", server->port(), request), StartsWith("HTTP/1.1 431 "));
  EXPECT_THAT(exchange("127.0.0.1", server->port(), "GET /livez HTTP/1.1\r\n\r\n"),
              EndsWith("ok\n"));
}

TEST(OpsHttpServer, AClientThatSendsTooSlowlyGets408) {
  HttpServerLimits limits;
  limits.timeout = milliseconds(100);
  auto server = mustCreate("127.0.0.1:0", healthRoutes(), limits);
  ASSERT_TRUE(server);
  UniqueFd fd = connectTcp("127.0.0.1", server->port());
  ASSERT_TRUE(fd.valid());
  ASSERT_TRUE(sendAll(fd.get(), "GET /livez HTTP/1.1\r\n"));  // and never the end of the head
  EXPECT_THAT(readAll(fd.get()), StartsWith("HTTP/1.1 408 "));
  EXPECT_EQ(server->stats().timed_out, 1u);
}

TEST(OpsHttpServer, ConnectionsBeyondTheLimitAreClosedAndTheOthersServed) {
  HttpServerLimits limits;
  limits.max_connections = 2;
  auto server = mustCreate("127.0.0.1:0", healthRoutes(), limits);
  ASSERT_TRUE(server);
  UniqueFd first = connectTcp("127.0.0.1", server->port());
  UniqueFd second = connectTcp("127.0.0.1", server->port());
  UniqueFd third = connectTcp("127.0.0.1", server->port());
  ASSERT_TRUE(first.valid() && second.valid() && third.valid());
  // The server accepts in order: the third finds two open and is closed without an answer.
  EXPECT_EQ(readAll(third.get()), "");
  EXPECT_EQ(server->stats().refused_over_limit, 1u);
  ASSERT_TRUE(sendAll(first.get(), "GET /livez HTTP/1.1\r\n\r\n"));
  EXPECT_THAT(readAll(first.get()), EndsWith("ok\n"));
}

TEST(OpsHttpServer, EveryAddressServesIpv4AndIpv6OnOneSocket) {
  auto server = mustCreate(":0", healthRoutes());
  ASSERT_TRUE(server);
  EXPECT_THAT(exchange("127.0.0.1", server->port(), "GET /livez HTTP/1.1\r\n\r\n"),
              EndsWith("ok\n"));
  UniqueFd v6 = connectTcp("::1", server->port());
  if (!v6.valid()) GTEST_SKIP() << "no IPv6 loopback here";
  ASSERT_TRUE(sendAll(v6.get(), "GET /livez HTTP/1.1\r\n\r\n"));
  EXPECT_THAT(readAll(v6.get()), EndsWith("ok\n"));
}

TEST(OpsHttpServer, TwoServersOnDifferentPortsAnswerTheirOwnRoutes) {
  Routes metrics;
  metrics["/metrics"] = [] { return HttpAnswer{200, "text/plain; version=0.0.4", "up 1\n"}; };
  auto a = mustCreate("127.0.0.1:0", std::move(metrics));
  auto b = mustCreate("127.0.0.1:0", healthRoutes());
  ASSERT_TRUE(a && b);
  EXPECT_THAT(exchange("127.0.0.1", a->port(), "GET /metrics HTTP/1.1\r\n\r\n"),
              EndsWith("up 1\n"));
  EXPECT_THAT(exchange("127.0.0.1", a->port(), "GET /livez HTTP/1.1\r\n\r\n"),
              StartsWith("HTTP/1.1 404 "));
  EXPECT_THAT(exchange("127.0.0.1", b->port(), "GET /livez HTTP/1.1\r\n\r\n"), EndsWith("ok\n"));
}

TEST(OpsHttpServer, ASecondServerOnTheSamePortFailsClearly) {
  auto first = mustCreate("127.0.0.1:0", healthRoutes());
  ASSERT_TRUE(first);
  std::string port = std::to_string(first->port());
  for (const std::string& listen : {"127.0.0.1:" + port, ":" + port}) {
    auto second = OpsHttpServer::create(listen, healthRoutes(), {}, "health_check_port");
    ASSERT_FALSE(second.ok()) << listen;
    EXPECT_EQ(second.error().code, ErrorCode::kConflict);
    EXPECT_THAT(second.error().message, StartsWith("cannot listen on health_check_port \"" +
                                                   listen + "\": the port is in use"));
    EXPECT_THAT(second.error().message, HasSubstr("one server with both routes"));
  }
}

TEST(OpsHttpServer, ABadListenValueIsNamed) {
  auto server = OpsHttpServer::create(":99999", healthRoutes(), {}, "prometheus_server");
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.error().message, "prometheus_server \":99999\": port out of range");
}

TEST(OpsHttpServer, HandlersRunOnTheServerThreadWhileTheCallerIsBlocked) {
  // The daemon's loop may be stuck; the server must answer without it.
  std::atomic<std::thread::id> handler_thread{};
  Routes routes;
  routes["/livez"] = [&] {
    handler_thread = std::this_thread::get_id();
    return HttpAnswer{200, "text/plain", "ok\n"};
  };
  auto server = mustCreate("127.0.0.1:0", std::move(routes));
  ASSERT_TRUE(server);
  EXPECT_THAT(exchange("127.0.0.1", server->port(), "GET /livez HTTP/1.1\r\n\r\n"),
              EndsWith("ok\n"));
  EXPECT_NE(handler_thread.load(), std::this_thread::get_id());
}

TEST(OpsHttpServer, StopsWithConnectionsOpen) {
  auto server = mustCreate("127.0.0.1:0", healthRoutes());
  ASSERT_TRUE(server);
  UniqueFd idle = connectTcp("127.0.0.1", server->port());
  ASSERT_TRUE(idle.valid());
  server.reset();  // must not wait for the idle client
  EXPECT_EQ(readAll(idle.get()), "");
}

// In a child process, so that lowering the descriptor limit cannot disturb other tests. Exit
// status 0 when the scenario held, otherwise the step that failed.
int acceptShortOfDescriptorsScenario() {
  auto server = OpsHttpServer::create("127.0.0.1:0", healthRoutes());
  if (!server.ok()) return 10;
  UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!client.valid()) return 11;
  testing::guardReceive(client.get());
  // Every descriptor below the client's in use, and none above allowed: accept() has no room.
  std::vector<UniqueFd> fillers;
  for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) < client.get();) {
    fillers.emplace_back(fd);
  }
  rlimit original{};
  ::getrlimit(RLIMIT_NOFILE, &original);
  rlimit tight = original;
  tight.rlim_cur = static_cast<rlim_t>(client.get()) + 1;
  if (::setrlimit(RLIMIT_NOFILE, &tight) != 0) return 12;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons((*server)->port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(client.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return 13;
  // Waits for the event, not for a time; the guard only ends a broken run.
  auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((*server)->stats().accept_pauses == 0) {
    if (std::chrono::steady_clock::now() > guard) return 14;
    std::this_thread::yield();
  }
  if ((*server)->stats().accepted != 0) return 15;
  // Descriptors again: the paused listener comes back and the waiting client is served.
  if (::setrlimit(RLIMIT_NOFILE, &original) != 0) return 16;
  if (!sendAll(client.get(), "GET /livez HTTP/1.1\r\n\r\n")) return 17;
  std::string answer = readAll(client.get());
  if (answer.find("\r\n\r\nok\n") == std::string::npos) return 18;
  return 0;
}

TEST(OpsHttpServer, OutOfDescriptorsItPausesAcceptingAndRecovers) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(acceptShortOfDescriptorsScenario());
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the scenario failed at step " << WEXITSTATUS(status);
}

}  // namespace
}  // namespace kubevip::ops

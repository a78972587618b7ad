// The caps on what the API server may send, against a loopback HTTP server that never stops
// sending: a body past kMaxResponseBodyBytes and a watch line past kMaxWatchLineBytes end the
// transfer with an error naming the cap and the URL, long before the server has sent it all.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>

#include "common/event_loop.h"
#include "k8s/http_transport.h"
#include "k8s/lease_watch.h"
#include "k8s/lease_watcher.h"

namespace kubevip::k8s {
namespace {

constexpr size_t kFloodBytes = size_t{64} << 20;

// Accepts one connection on 127.0.0.1, reads the request head, answers with `head` and then
// `kFloodBytes` of `fill` (no newline), or until the client goes away.
class FloodServer {
 public:
  explicit FloodServer(std::string head, char fill = 'x') : head_(std::move(head)), fill_(fill) {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(listener_, 1) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FloodServer() {
    shutdown(listener_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    close(listener_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  size_t sent() const { return sent_.load(); }

 private:
  void serve() {
    const int conn = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) return;
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = recv(conn, buf, sizeof(buf), 0);
      if (n <= 0) break;
      request.append(buf, static_cast<size_t>(n));
    }
    const std::string chunk(64 * 1024, fill_);
    bool ok =
        send(conn, head_.data(), head_.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(head_.size());
    while (ok && sent_ < kFloodBytes) {
      const ssize_t n = send(conn, chunk.data(), chunk.size(), MSG_NOSIGNAL);
      ok = n > 0;
      if (ok) sent_ += static_cast<size_t>(n);
    }
    close(conn);
  }

  std::string head_;
  char fill_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<size_t> sent_{0};
  std::thread thread_;
};

ClusterAccess plainHttp(const FloodServer& server) {
  ClusterAccess access;
  access.server = server.url();
  return access;
}

TEST(HttpCapsTest, AnOverlongBodyIsRefusedNamingTheCapAndTheUrl) {
  FloodServer server("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                     std::to_string(kFloodBytes) + "\r\n\r\n");
  auto transport = HttpTransport::create(plainHttp(server), std::chrono::seconds(20));
  ASSERT_TRUE(transport.ok());
  auto response = (*transport)->send({"GET", "/apis/coordination.k8s.io/v1/x", ""});
  ASSERT_FALSE(response.ok()) << "a body of " << response->body.size() << " bytes was accepted";
  EXPECT_EQ(response.error().message,
            "the response body from " + server.url() +
                "/apis/coordination.k8s.io/v1/x exceeds the 4 MiB cap (4194304 bytes); transfer "
                "aborted");
}

TEST(HttpCapsTest, AnOverlongErrorBodyOfAStreamIsRefused) {
  FloodServer server("HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\n");
  auto transport = HttpTransport::create(plainHttp(server), std::chrono::seconds(20));
  ASSERT_TRUE(transport.ok());
  std::atomic<bool> cancel{false};
  auto response = (*transport)
                      ->stream(
                          {"GET", "/watch", ""}, [](std::string_view) { return okStatus(); },
                          std::chrono::seconds(20), cancel);
  ASSERT_FALSE(response.ok()) << "an error body of " << response->body.size()
                              << " bytes was accepted";
  EXPECT_NE(response.error().message.find("/watch exceeds the 4 MiB cap"), std::string::npos)
      << response.error().message;
}

TEST(HttpCapsTest, AnOverlongWatchLineEndsTheWatchNamingTheCapAndTheUrl) {
  FloodServer server(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n");
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  auto watcher = LeaseWatcher::create(**loop, plainHttp(server), "kube-system", "plndr-cp-lock",
                                      std::chrono::seconds(20), 290);
  ASSERT_TRUE(watcher.ok());
  std::optional<Status> ended;
  LeaseWatchCallbacks callbacks;
  callbacks.on_end = [&](Status s) {
    ended = s;
    (*loop)->stop();
  };
  (*watcher)->start("7", callbacks);
  auto guard = (*loop)->time().createTimer();
  guard->start(std::chrono::seconds(30), [&] { (*loop)->stop(); });
  (*loop)->run();
  ASSERT_TRUE(ended.has_value()) << "the watch did not end";
  ASSERT_FALSE(ended->ok()) << "the watch ended normally after " << server.sent() << " bytes";
  EXPECT_NE(ended->error().message.find("watch Lease kube-system/plndr-cp-lock at " + server.url() +
                                        "/apis/coordination.k8s.io/v1/namespaces/kube-system/"
                                        "leases?watch=true"),
            std::string::npos)
      << ended->error().message;
  EXPECT_NE(ended->error().message.find("exceeds the 2 MiB cap (2097152 bytes)"), std::string::npos)
      << ended->error().message;
  EXPECT_LT(server.sent(), kFloodBytes) << "the transfer was not aborted";
}

}  // namespace
}  // namespace kubevip::k8s

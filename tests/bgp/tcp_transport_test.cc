// The Linux TCP transport of the BGP speaker against the real kernel, on loopback only
// (127.0.0.0/8 and ::1). Ports are chosen by the kernel: freePort() binds port 0 and releases it.
// The loop is run with runOnce() until a condition holds or a wall-clock cap passes; the caps
// are generous (a loaded 2-core machine) and only bound the tests of absence.
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "bgp/linux/socket_address.h"
#include "bgp/transport.h"
#include "common/event_loop.h"
#include "common/unique_fd.h"
#include "support/addresses.h"
#include "support/host_facilities.h"

namespace kubevip::bgp {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
constexpr auto kWait = std::chrono::seconds(10);
// How long a connection that must not happen is given to happen anyway.
constexpr auto kAbsenceBound = milliseconds(300);

using test::ip;

std::vector<uint8_t> bytesOf(const std::string& text) { return {text.begin(), text.end()}; }

ConnectRequest toPeer(const char* address, uint16_t port, std::string password = "", int ttl = 1) {
  ConnectRequest request;
  request.peer = ip(address);
  request.port = port;
  request.md5_password = std::move(password);
  request.ttl = ttl;
  return request;
}

ConnectRequest fromSource(ConnectRequest request, const char* source) {
  request.source = ip(source);
  return request;
}

ListenPeer listed(const char* address, std::string password = "", int ttl = 1) {
  ListenPeer peer;
  peer.address = ip(address);
  peer.md5_password = std::move(password);
  peer.ttl = ttl;
  return peer;
}

ListenRequest listenRequest(uint16_t port, std::optional<IpAddress> address,
                            std::vector<ListenPeer> peers = {}) {
  ListenRequest request;
  request.port = port;
  request.address = address;
  request.peers = std::move(peers);
  return request;
}

// A port free on both families of the loopback at the time of the call.
uint16_t freePort() {
  UniqueFd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int zero = 0;
  ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
  sockaddr_in6 any{};
  any.sin6_family = AF_INET6;
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&any), sizeof(any)), 0);
  return linux_tcp::localEndpointOf(fd.get()).value().port;
}

// The descriptor of our socket with these endpoints (the transport does not expose it; the
// options are read back from the kernel through it).
int findSocket(const Endpoint& local, const Endpoint& remote) {
  for (int fd = 0; fd < 4096; ++fd) {
    auto l = linux_tcp::localEndpointOf(fd);
    if (!l || !(*l == local)) continue;
    auto r = linux_tcp::remoteEndpointOf(fd);
    if (r && *r == remote) return fd;
  }
  return -1;
}

int intOption(int fd, int level, int name) {
  int value = -1;
  socklen_t length = sizeof(value);
  EXPECT_EQ(::getsockopt(fd, level, name, &value, &length), 0)
      << std::generic_category().message(errno);
  return value;
}

// What one end of a connection has seen.
struct Received {
  std::string bytes;
  std::optional<std::string> closed;
  Connection::Handlers handlers() {
    return {.received = [this](std::span<const uint8_t> b) { bytes.append(b.begin(), b.end()); },
            .closed = [this](const std::string& why) { closed = why; }};
  }
};

class TcpTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop.ok());
    loop_ = std::move(*loop);
    auto transport = createTcpTransport(*loop_);
    ASSERT_TRUE(transport.ok());
    transport_ = std::move(*transport);
  }

  template <typename Pred>
  bool runUntil(Pred done, Clock::duration cap = kWait) {
    auto deadline = Clock::now() + cap;
    while (!done() && Clock::now() < deadline) {
      loop_->runOnce();
      std::this_thread::sleep_for(milliseconds(1));
    }
    return done();
  }
  void runFor(Clock::duration span) {
    runUntil([] { return false; }, span);
  }

  std::unique_ptr<Listener> listen(const ListenRequest& request) {
    auto listener = transport_->listen(
        request, [this](std::unique_ptr<Connection> c) { accepted_.push_back(std::move(c)); });
    EXPECT_TRUE(listener.ok()) << listener.error().describe();
    return listener.ok() ? std::move(*listener) : nullptr;
  }

  // Connects and waits for the result; nullptr with the error text in `error` on failure.
  std::unique_ptr<Connection> connect(const ConnectRequest& request, std::string* error = nullptr) {
    std::optional<Result<std::unique_ptr<Connection>>> result;
    auto pending = transport_->connect(request, [&](auto r) { result.emplace(std::move(r)); });
    EXPECT_TRUE(runUntil([&] { return result.has_value(); })) << "connect never finished";
    if (!result) return nullptr;
    if (!result->ok()) {
      if (error != nullptr) *error = result->error().describe();
      return nullptr;
    }
    return std::move(result->value());
  }

  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<Transport> transport_;
  std::vector<std::unique_ptr<Connection>> accepted_;
};

TEST_F(TcpTransportTest, SendsAndReceivesBothWaysAndReportsThePeerClosing) {
  for (const char* address : {"127.0.0.1", "::1"}) {
    SCOPED_TRACE(address);
    accepted_.clear();
    const uint16_t port = freePort();
    auto listener = listen(listenRequest(port, ip(address), {listed(address)}));
    auto client = connect(toPeer(address, port));
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(runUntil([&] { return accepted_.size() == 1; }));
    auto& server = *accepted_[0];
    EXPECT_EQ(client->remoteAddress(), ip(address));
    EXPECT_EQ(client->remotePort(), port);
    EXPECT_EQ(server.localPort(), port);
    EXPECT_EQ(server.remoteAddress(), client->localAddress());
    EXPECT_EQ(server.remotePort(), client->localPort());

    Received at_client, at_server;
    client->setHandlers(at_client.handlers());
    server.setHandlers(at_server.handlers());
    ASSERT_TRUE(client->send(bytesOf("OPEN from the client")).ok());
    ASSERT_TRUE(server.send(bytesOf("OPEN from the server")).ok());
    EXPECT_TRUE(runUntil([&] {
      return at_server.bytes == "OPEN from the client" && at_client.bytes == "OPEN from the server";
    })) << at_server.bytes
        << " / " << at_client.bytes;

    accepted_.clear();  // the server end goes away
    ASSERT_TRUE(runUntil([&] { return at_client.closed.has_value(); }));
    EXPECT_EQ(*at_client.closed, "the peer closed the connection");
  }
}

TEST_F(TcpTransportTest, ARefusedConnectNamesPeerPortAndErrnoFromTheLoop) {
  const uint16_t port = freePort();
  std::optional<Result<std::unique_ptr<Connection>>> result;
  auto pending =
      transport_->connect(toPeer("127.0.0.1", port), [&](auto r) { result.emplace(std::move(r)); });
  EXPECT_FALSE(result.has_value()) << "the result must come from the loop";
  ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->error().describe(),
            "connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

TEST_F(TcpTransportTest, AnOverlongPasswordIsAnErrorNamingTheLimitFromTheLoop) {
  int calls = 0;
  std::string error;
  auto pending = transport_->connect(toPeer("127.0.0.1", freePort(), std::string(81, 'k')),
                                     [&](Result<std::unique_ptr<Connection>> r) {
                                       ++calls;
                                       if (!r.ok()) error = r.error().describe();
                                     });
  EXPECT_EQ(calls, 0) << "an immediate error must still come from the loop";
  ASSERT_TRUE(runUntil([&] { return calls > 0; }));
  runFor(milliseconds(50));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(error, "the TCP MD5 password of BGP peer 127.0.0.1 is 81 bytes long; the limit is 80");

  auto listener = transport_->listen(
      listenRequest(freePort(), ip("127.0.0.1"), {listed("127.0.0.2", std::string(81, 'k'))}),
      [](auto) {});
  ASSERT_FALSE(listener.ok());
  EXPECT_EQ(listener.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(listener.error().describe().find("the limit is 80"), std::string::npos);
}

TEST_F(TcpTransportTest, DestroyingAPendingConnectCancelsItsCallback) {
  const uint16_t refused = freePort();
  const uint16_t open = freePort();
  auto listener = listen(listenRequest(open, ip("127.0.0.1"), {listed("127.0.0.1")}));
  int calls = 0;
  for (uint16_t port : {refused, open}) {
    auto pending = transport_->connect(toPeer("127.0.0.1", port), [&](auto) { ++calls; });
    pending.reset();
  }
  // Also an attempt whose error was found before connect() and deferred.
  auto pending =
      transport_->connect(toPeer("127.0.0.1", open, std::string(81, 'k')), [&](auto) { ++calls; });
  pending.reset();
  runFor(kAbsenceBound);
  EXPECT_EQ(calls, 0);
}

TEST_F(TcpTransportTest, TheListenerAcceptsAListedPeerAndClosesAnyOther) {
  const uint16_t port = freePort();
  auto listener = listen(listenRequest(port, ip("127.0.0.1"), {listed("127.0.0.1")}));

  auto stranger = connect(fromSource(toPeer("127.0.0.1", port), "127.0.0.2"));
  ASSERT_NE(stranger, nullptr);  // the kernel completes the handshake before we see it
  Received at_stranger;
  stranger->setHandlers(at_stranger.handlers());
  ASSERT_TRUE(runUntil([&] { return at_stranger.closed.has_value(); }));
  EXPECT_TRUE(accepted_.empty());

  auto peer = connect(fromSource(toPeer("127.0.0.1", port), "127.0.0.1"));
  ASSERT_NE(peer, nullptr);
  ASSERT_TRUE(runUntil([&] { return accepted_.size() == 1; }));
  EXPECT_EQ(accepted_[0]->remoteAddress(), ip("127.0.0.1"));
}

TEST_F(TcpTransportTest, TheListenerMayBeDestroyedFromAccepted) {
  const uint16_t port = freePort();
  std::unique_ptr<Listener> listener;
  int accepted = 0;
  auto created = transport_->listen(listenRequest(port, ip("127.0.0.1"), {listed("127.0.0.1")}),
                                    [&](std::unique_ptr<Connection>) {
                                      ++accepted;
                                      listener.reset();
                                    });
  ASSERT_TRUE(created.ok());
  listener = std::move(*created);
  // Two connections wait in the queue (loopback completes both handshakes before the loop
  // runs); the second is never handed over once the listener is gone.
  int results = 0;
  auto first = transport_->connect(toPeer("127.0.0.1", port), [&](auto) { ++results; });
  auto second = transport_->connect(toPeer("127.0.0.1", port), [&](auto) { ++results; });
  ASSERT_TRUE(runUntil([&] { return listener == nullptr && results == 2; }));
  runFor(milliseconds(50));
  EXPECT_EQ(accepted, 1);
}

TEST_F(TcpTransportTest, TheDefaultListenerTakesBothFamiliesAndReportsIpv4AsIpv4) {
  const uint16_t port = freePort();
  auto listener = listen(listenRequest(port, std::nullopt, {listed("127.0.0.1"), listed("::1")}));
  auto v4 = connect(toPeer("127.0.0.1", port));
  ASSERT_NE(v4, nullptr);
  ASSERT_TRUE(runUntil([&] { return accepted_.size() == 1; }));
  EXPECT_EQ(accepted_[0]->remoteAddress(), ip("127.0.0.1"));  // not ::ffff:127.0.0.1
  EXPECT_EQ(accepted_[0]->localAddress(), ip("127.0.0.1"));
  auto v6 = connect(toPeer("::1", port));
  ASSERT_NE(v6, nullptr);
  ASSERT_TRUE(runUntil([&] { return accepted_.size() == 2; }));
  EXPECT_EQ(accepted_[1]->remoteAddress(), ip("::1"));
}

TEST_F(TcpTransportTest, BothEndsCanBeBoundToAnInterface) {
  if (!test::hostReportsSocketDevice())
    GTEST_SKIP() << "getsockopt(SO_BINDTODEVICE) unsupported here";
  const uint16_t port = freePort();
  auto request = listenRequest(port, ip("127.0.0.1"), {listed("127.0.0.1")});
  request.bind_interface = "lo";
  auto listener = listen(request);
  auto to_peer = toPeer("127.0.0.1", port);
  to_peer.bind_interface = "lo";
  auto client = connect(to_peer);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(runUntil([&] { return accepted_.size() == 1; }));
  int fd = findSocket({client->localAddress(), client->localPort()},
                      {client->remoteAddress(), client->remotePort()});
  ASSERT_GE(fd, 0);
  char device[IFNAMSIZ] = {};
  socklen_t length = sizeof(device);
  ASSERT_EQ(::getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, &length), 0);
  EXPECT_STREQ(device, "lo");
}

TEST_F(TcpTransportTest, AMissingInterfaceOrAForeignSourceIsAnErrorNamingIt) {
  const uint16_t port = freePort();
  auto to_peer = toPeer("127.0.0.1", port);
  to_peer.bind_interface = "kvnosuch0";
  std::string error;
  EXPECT_EQ(connect(to_peer, &error), nullptr);
  EXPECT_EQ(error, "bind the connection to 127.0.0.1:" + std::to_string(port) +
                       " to interface kvnosuch0: No such device");

  EXPECT_EQ(connect(fromSource(toPeer("127.0.0.1", port), "::1"), &error), nullptr);
  EXPECT_EQ(error, "connect to 127.0.0.1:" + std::to_string(port) +
                       ": the source address ::1 is not of the peer's address family");

  auto request = listenRequest(freePort(), ip("127.0.0.1"));
  request.bind_interface = "kvnosuch0";
  auto listener = transport_->listen(request, [](auto) {});
  ASSERT_FALSE(listener.ok());
  EXPECT_NE(listener.error().describe().find("interface kvnosuch0: No such device"),
            std::string::npos)
      << listener.error().describe();
}

TEST_F(TcpTransportTest, ABusyPortIsAnErrorNamingTheAddress) {
  const uint16_t port = freePort();
  auto first = listen(listenRequest(port, ip("127.0.0.1")));
  auto second = transport_->listen(listenRequest(port, ip("127.0.0.1")), [](auto) {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().describe(), "cannot bind the BGP listener to 127.0.0.1:" +
                                           std::to_string(port) + ": Address already in use");
}

// RFC 2385: with the same key on both ends the handshake completes; with another key (or none)
// the kernel drops the SYN, so no connection is made within the bound.
TEST_F(TcpTransportTest, Md5SignedConnectionsNeedTheSamePassword) {
  if (!test::hostHasTcpMd5()) GTEST_SKIP() << "no TCP MD5 signatures (TCP_MD5SIG) here";
  struct Case {
    const char* name;
    std::optional<IpAddress> listen_on;  // absent: the dual-stack listener
    const char* peer;
  };
  for (const Case& c : {Case{"IPv4 listener", ip("127.0.0.1"), "127.0.0.1"},
                        Case{"IPv6 listener", ip("::1"), "::1"},
                        Case{"dual-stack listener, IPv4 peer", std::nullopt, "127.0.0.1"},
                        Case{"dual-stack listener, IPv6 peer", std::nullopt, "::1"}}) {
    SCOPED_TRACE(c.name);
    accepted_.clear();
    const uint16_t port = freePort();
    auto listener = listen(listenRequest(port, c.listen_on, {listed(c.peer, "s3cret")}));

    for (const char* password : {"other", ""}) {
      SCOPED_TRACE(std::string("client password \"") + password + "\"");
      int calls = 0;
      auto pending = transport_->connect(toPeer(c.peer, port, password), [&](auto) { ++calls; });
      runFor(kAbsenceBound);
      pending.reset();
      EXPECT_EQ(calls, 0);
      EXPECT_TRUE(accepted_.empty());
    }

    auto client = connect(toPeer(c.peer, port, "s3cret"));
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(runUntil([&] { return accepted_.size() == 1; }));
    Received at_server;
    accepted_[0]->setHandlers(at_server.handlers());
    ASSERT_TRUE(client->send(bytesOf("signed")).ok());
    EXPECT_TRUE(runUntil([&] { return at_server.bytes == "signed"; }));
  }
}

TEST_F(TcpTransportTest, TheTtlOfEachPeerIsSetOnBothEnds) {
  for (const char* address : {"127.0.0.1", "::1"}) {
    SCOPED_TRACE(address);
    accepted_.clear();
    const int level = ip(address).isV4() ? IPPROTO_IP : IPPROTO_IPV6;
    const int option = ip(address).isV4() ? IP_TTL : IPV6_UNICAST_HOPS;
    const uint16_t port = freePort();
    // The dual-stack listener: an IPv4 peer's TTL is the IP-level option on an IPv6 socket.
    auto listener = listen(listenRequest(port, std::nullopt, {listed(address, "", 7)}));
    auto client = connect(toPeer(address, port, "", 5));
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(runUntil([&] { return accepted_.size() == 1; }));
    const Endpoint client_end{client->localAddress(), client->localPort()};
    const Endpoint server_end{accepted_[0]->localAddress(), accepted_[0]->localPort()};

    int client_fd = findSocket(client_end, server_end);
    ASSERT_GE(client_fd, 0);
    EXPECT_EQ(intOption(client_fd, level, option), 5);
    EXPECT_EQ(intOption(client_fd, IPPROTO_TCP, TCP_NODELAY), 1);
    int server_fd = findSocket(server_end, client_end);
    ASSERT_GE(server_fd, 0);
    EXPECT_EQ(intOption(server_fd, level, option), 7);
  }
}

TEST_F(TcpTransportTest, CloseAfterFlushDeliversEveryQueuedByteThenEof) {
  const uint16_t port = freePort();
  auto listener = listen(listenRequest(port, ip("127.0.0.1"), {listed("127.0.0.1")}));
  auto client = connect(toPeer("127.0.0.1", port));
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(runUntil([&] { return accepted_.size() == 1; }));
  // The server does not read until everything is queued, so most of it waits in our queue.
  std::string sent;
  for (int i = 0; sent.size() < std::size_t{4} * 1024 * 1024; ++i)
    sent += "chunk " + std::to_string(i) + ";";
  ASSERT_TRUE(client->send(bytesOf(sent)).ok());
  EXPECT_GT(client->queuedBytes(), 0u);
  bool done = false;
  client->closeAfterFlush(std::chrono::seconds(30), [&] { done = true; });
  EXPECT_FALSE(done) << "done must come from the loop";

  Received at_server;
  std::size_t bytes_when_closed = 0;
  accepted_[0]->setHandlers(
      {.received = [&](std::span<const uint8_t> b) { at_server.bytes.append(b.begin(), b.end()); },
       .closed =
           [&](const std::string& why) {
             bytes_when_closed = at_server.bytes.size();
             at_server.closed = why;
           }});
  ASSERT_TRUE(runUntil([&] { return done && at_server.closed.has_value(); }));
  EXPECT_EQ(client->queuedBytes(), 0u);
  EXPECT_EQ(*at_server.closed, "the peer closed the connection");
  EXPECT_EQ(bytes_when_closed, sent.size());
  EXPECT_TRUE(at_server.bytes == sent);
}

TEST_F(TcpTransportTest, CloseAfterFlushGivesUpAfterItsBound) {
  const uint16_t port = freePort();
  auto listener = listen(listenRequest(port, ip("127.0.0.1"), {listed("127.0.0.1")}));
  auto client = connect(toPeer("127.0.0.1", port));
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(runUntil([&] { return accepted_.size() == 1; }));
  // Nobody reads on the server side: more than both kernel buffers hold never drains.
  ASSERT_TRUE(client->send(std::vector<uint8_t>(std::size_t{64} * 1024 * 1024, 'x')).ok());
  ASSERT_GT(client->queuedBytes(), 0u);
  int done = 0;
  client->closeAfterFlush(milliseconds(100), [&] { ++done; });
  EXPECT_TRUE(runUntil([&] { return done > 0; }));
  runFor(milliseconds(50));
  EXPECT_EQ(done, 1);
}

TEST_F(TcpTransportTest, AFailedSendReportsClosedFromTheLoopNotFromInsideSend) {
  const uint16_t port = freePort();
  auto listener = listen(listenRequest(port, ip("127.0.0.1"), {listed("127.0.0.1")}));
  auto client = connect(toPeer("127.0.0.1", port));
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(runUntil([&] { return accepted_.size() == 1; }));
  bool in_send = false;
  bool closed_inside_send = false;
  int closed_calls = 0;
  client->setHandlers({.received = [](auto) {},
                       .closed =
                           [&](const std::string&) {
                             ++closed_calls;
                             closed_inside_send |= in_send;
                           }});
  // The server end closes with unread data, so the kernel answers with a reset.
  ASSERT_TRUE(client->send(bytesOf("unread")).ok());
  runFor(milliseconds(20));
  accepted_.clear();
  bool send_failed = false;
  ASSERT_TRUE(runUntil([&] {
    in_send = true;
    send_failed = send_failed || !client->send(bytesOf("more")).ok();
    in_send = false;
    return send_failed && closed_calls > 0;
  }));
  runFor(milliseconds(50));
  EXPECT_FALSE(closed_inside_send);
  EXPECT_EQ(closed_calls, 1);
}

TEST_F(TcpTransportTest, AHandlerMayDestroyItsConnection) {
  const uint16_t port = freePort();
  auto listener = listen(listenRequest(port, ip("127.0.0.1"), {listed("127.0.0.1")}));
  auto client = connect(toPeer("127.0.0.1", port));
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(runUntil([&] { return accepted_.size() == 1; }));
  std::unique_ptr<Connection> server = std::move(accepted_[0]);
  int received = 0;
  server->setHandlers({.received =
                           [&](auto) {
                             ++received;
                             server.reset();
                           },
                       .closed = [](auto) { ADD_FAILURE() << "closed after destruction"; }});
  ASSERT_TRUE(client->send(bytesOf("first")).ok());
  ASSERT_TRUE(runUntil([&] { return server == nullptr; }));
  ASSERT_TRUE(client->send(bytesOf("second")).ok());
  runFor(milliseconds(50));
  EXPECT_EQ(received, 1);
}

}  // namespace
}  // namespace kubevip::bgp

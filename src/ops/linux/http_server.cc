// The listening socket of OpsHttpServer; the serving loop is linux/one_shot_server.cc.
#include "ops/http_server.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/listen_address.h"
#include "ops/linux/one_shot_server.h"

namespace kubevip::ops {
namespace {

constexpr int kBacklog = 64;

struct BoundSocket {
  UniqueFd fd;
  uint16_t port = 0;
};

Result<BoundSocket> bindAndListen(const ListenAddress& where, const std::string& described) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  // Every address: one IPv6 socket with IPV6_V6ONLY off serves IPv4 too (as v4-mapped addresses,
  // RFC 4291 section 2.5.5.2), as Go's net.Listen does for ":port".
  bool ipv6 = !where.host || where.host->isV6();
  UniqueFd fd(::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid() && !where.host && errno == EAFNOSUPPORT) {
    ipv6 = false;  // a kernel without IPv6: IPv4 alone
    fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  }
  if (!fd.valid()) return systemError("cannot open a socket to listen on " + described, errno);
  int on = 1;
  int off = 0;
  // Restarts rebind at once despite connections of the previous run in TIME-WAIT. Without
  // SO_REUSEPORT, a second listener on the same port still fails with EADDRINUSE.
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (ipv6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(where.port);
    if (where.host) {
      std::memcpy(&a.sin6_addr, where.host->data(), 16);
    } else {
      a.sin6_addr = in6addr_any;
      ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    }
    std::memcpy(&storage, &a, sizeof a);
    length = sizeof a;
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(where.port);
    if (where.host) {
      std::memcpy(&a.sin_addr, where.host->data(), 4);
    } else {
      a.sin_addr.s_addr = htonl(INADDR_ANY);
    }
    std::memcpy(&storage, &a, sizeof a);
    length = sizeof a;
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    int err = errno;
    if (err == EADDRINUSE) {
      return Error{ErrorCode::kConflict, 0,
                   "cannot listen on " + described +
                       ": the port is in use (by another program, or by another server of this "
                       "daemon: metrics and health on one port need one server with both routes)"};
    }
    return systemError("cannot listen on " + described, err);
  }
  if (::listen(fd.get(), kBacklog) != 0) return systemError("cannot listen on " + described, errno);
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof bound;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &bound_length) != 0) {
    return systemError("cannot read the port bound for " + described, errno);
  }
  uint16_t port = bound.ss_family == AF_INET6
                      ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return BoundSocket{std::move(fd), port};
}

}  // namespace

Result<std::unique_ptr<OpsHttpServer>> OpsHttpServer::create(const std::string& listen,
                                                             Routes routes, HttpServerLimits limits,
                                                             const std::string& setting) {
  auto where = parseListenAddress(setting, listen);
  if (!where) return where.error();
  auto bound = bindAndListen(*where, setting + " \"" + listen + "\"");
  if (!bound) return bound.error();
  linux_io::OneShotProtocol protocol;
  protocol.max_request_bytes = limits.max_request_head;
  protocol.timeout = limits.timeout;
  protocol.max_connections = limits.max_connections;
  protocol.timeout_response =
      formatResponse(HttpAnswer{408, "text/plain; charset=utf-8", "no request in time\n"}, false);
  size_t max_head = limits.max_request_head;
  protocol.answer = [routes = std::move(routes),
                     max_head](std::string_view received) -> std::optional<std::string> {
    RequestHead head = parseRequestHead(received, max_head);
    if (head.state == HeadState::kIncomplete) return std::nullopt;
    return formatResponse(answerRequest(head, routes), head.method == "HEAD");
  };
  std::vector<UniqueFd> listeners;
  listeners.push_back(std::move(bound->fd));
  auto server = linux_io::OneShotServer::start(std::move(listeners), std::move(protocol));
  if (!server) return server.error();
  return std::unique_ptr<OpsHttpServer>(new OpsHttpServer(std::move(*server), bound->port));
}

OpsHttpServer::OpsHttpServer(std::unique_ptr<linux_io::OneShotServer> server, uint16_t port)
    : server_(std::move(server)), port_(port) {}

OpsHttpServer::~OpsHttpServer() = default;

OpsHttpServer::Stats OpsHttpServer::stats() const {
  linux_io::OneShotStats s = server_->stats();
  return Stats{s.accepted, s.refused_over_limit, s.timed_out, s.accept_pauses};
}

}  // namespace kubevip::ops

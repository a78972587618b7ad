#include "bgp/linux/tcp_listener.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "bgp/linux/socket_address.h"
#include "bgp/linux/socket_options.h"
#include "bgp/linux/tcp_connection.h"
#include "common/log.h"

namespace kubevip::bgp::linux_tcp {
namespace {

// A few peers connect at a time; the backlog only needs to cover a burst of reconnects.
constexpr int kBacklog = 64;
// Out of descriptors or memory: accepting again at once cannot succeed, and a level-triggered
// watch would spin the loop, so the listener rests this long.
constexpr auto kAcceptPause = std::chrono::seconds(1);
constexpr int kMaxAcceptsPerWakeup = 16;

bool isResourceExhaustion(int err) {
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

IpAddress unspecified(IpFamily family) {
  return family == IpFamily::kV4 ? IpAddress::v4({}) : IpAddress::v6({});
}

}  // namespace

Result<std::unique_ptr<TcpListener>> TcpListener::create(EventLoop& loop,
                                                         const ListenRequest& request,
                                                         Accepted accepted) {
  for (const auto& peer : request.peers) {
    if (auto st = checkMd5Password(peer.md5_password, peer.address); !st) return st.error();
    if (auto st = checkTtl(peer.ttl, peer.address); !st) return st.error();
  }
  std::unique_ptr<TcpListener> listener(new TcpListener(loop, request, std::move(accepted)));
  if (auto st = listener->open(); !st) return st.error();
  return listener;
}

TcpListener::TcpListener(EventLoop& loop, ListenRequest request, Accepted accepted)
    : loop_(loop),
      request_(std::move(request)),
      accepted_(std::move(accepted)),
      resume_timer_(loop.time().createTimer()) {}

TcpListener::~TcpListener() {
  *alive_ = false;
  watcher_.reset();
  fd_.reset();
}

Status TcpListener::open() {
  if (request_.address) return openOn(*request_.address);
  auto dual_stack = openOn(unspecified(IpFamily::kV6));
  if (dual_stack || dual_stack.error().sys_errno != EAFNOSUPPORT) return dual_stack;
  spdlog::info("IPv6 is not available; the BGP listener takes IPv4 connections only");
  return openOn(unspecified(IpFamily::kV4));
}

Status TcpListener::openOn(const IpAddress& address) {
  const Endpoint local{address, request_.port};
  const std::string what = "the BGP listener on " + local.toString();
  const int family = socketFamilyFor(address);
  fd_.reset(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd_.valid()) return systemError("cannot open " + what, errno);
  int one = 1;
  if (::setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    return systemError("SO_REUSEADDR on " + what, errno);
  }
  if (family == AF_INET6 && address.isUnspecified()) {
    int zero = 0;
    if (::setsockopt(fd_.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) != 0) {
      return systemError("cannot make " + what + " take IPv4 connections too (IPV6_V6ONLY)", errno);
    }
  }
  if (!request_.bind_interface.empty()) {
    if (auto st = bindToDevice(fd_.get(), request_.bind_interface, what); !st) return st;
  }
  for (const auto& peer : request_.peers) {
    if (peer.md5_password.empty()) continue;
    // An IPv6 peer can never reach an IPv4 socket, and the kernel has no place for its key.
    if (family == AF_INET && peer.address.isV6()) continue;
    if (auto st = setMd5Key(fd_.get(), family, peer.address, peer.md5_password); !st) {
      return makeError(st.error().code, what + ": " + st.error().describe());
    }
  }
  sockaddr_storage bound{};
  socklen_t length = toSockaddr(local, family, bound);
  if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&bound), length) != 0) {
    return systemError("cannot bind the BGP listener to " + local.toString(), errno);
  }
  if (::listen(fd_.get(), kBacklog) != 0) return systemError("cannot listen on " + what, errno);
  auto watcher =
      FdWatcher::create(loop_, fd_.get(), FdWatcher::kReadable, [this](int) { onReadable(); });
  if (!watcher) return watcher.error();
  watcher_ = std::move(*watcher);
  return {};
}

void TcpListener::onReadable() {
  for (int i = 0; i < kMaxAcceptsPerWakeup; ++i) {
    UniqueFd fd(::accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (fd.valid()) {
      if (!handleAccepted(std::move(fd))) return;
      continue;
    }
    int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK) return;
    if (err == EINTR || err == ECONNABORTED) continue;
    if (isResourceExhaustion(err)) {
      spdlog::warn("the BGP listener cannot accept a connection: {}; pausing it for {} s",
                   std::generic_category().message(err), kAcceptPause.count());
      pauseAccepting();
      return;
    }
    // A connection that failed before we took it (e.g. a reset in the queue): try the next.
    spdlog::debug("the BGP listener dropped a failed connection: {}",
                  std::generic_category().message(err));
  }
}

bool TcpListener::handleAccepted(UniqueFd fd) {
  auto remote = remoteEndpointOf(fd.get());
  if (!remote) {
    spdlog::debug("the BGP listener dropped a connection: {}", remote.error().describe());
    return true;
  }
  auto peer = std::find_if(request_.peers.begin(), request_.peers.end(),
                           [&](const ListenPeer& p) { return p.address == remote->address; });
  if (peer == request_.peers.end()) {
    spdlog::debug("the BGP listener closed a connection from {}: not a configured peer",
                  remote->toString());
    return true;
  }
  if (auto st = setTtl(fd.get(), peer->address, peer->ttl); !st) {
    spdlog::warn("the BGP listener closed a connection from {}: {}", remote->toString(),
                 st.error().describe());
    return true;
  }
  if (auto st = setNoDelay(fd.get()); !st) {
    spdlog::warn("the BGP listener closed a connection from {}: {}", remote->toString(),
                 st.error().describe());
    return true;
  }
  auto connection = TcpConnection::create(loop_, std::move(fd));
  if (!connection) {
    spdlog::warn("the BGP listener closed a connection from {}: {}", remote->toString(),
                 connection.error().describe());
    return true;
  }
  auto alive = alive_;
  auto accepted = accepted_;  // the handler may destroy this listener
  accepted(std::move(*connection));
  return *alive;
}

void TcpListener::pauseAccepting() {
  if (auto st = watcher_->setEvents(0); !st) {
    spdlog::error("the BGP listener cannot pause accepting: {}", st.error().describe());
    return;
  }
  resume_timer_->start(kAcceptPause, [this] {
    if (auto st = watcher_->setEvents(FdWatcher::kReadable); !st) {
      spdlog::error("the BGP listener cannot resume accepting: {}", st.error().describe());
    }
  });
}

}  // namespace kubevip::bgp::linux_tcp

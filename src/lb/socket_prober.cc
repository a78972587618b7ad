#include "lb/socket_prober.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <string_view>

#include "common/unique_fd.h"
#include "lb/socket_util.h"

namespace kubevip::lb {
namespace {

constexpr std::size_t kMaxStatusLine = 1024;

class SocketProbe final : public ProbeHandle {
 public:
  SocketProbe(std::string request, std::function<void(bool)> done)
      : request_(std::move(request)), done_(std::move(done)) {}

  Status begin(EventLoop& loop, const Endpoint& backend) {
    auto fd = connectNonblocking(backend);
    if (!fd) return fd.error();
    fd_ = std::move(*fd);
    auto w = FdWatcher::create(loop, fd_.get(), FdWatcher::kWritable,
                               [this](int events) { onEvent(events); });
    if (!w) return w.error();
    watcher_ = std::move(*w);
    return {};
  }

 private:
  void onEvent(int events) {
    if (!connected_) {
      int err = 0;
      socklen_t len = sizeof(err);
      ::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) return complete(false);
      connected_ = true;
      if (request_.empty()) return complete(true);
      // The request is tiny: one send fits in any socket buffer.
      if (::send(fd_.get(), request_.data(), request_.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(request_.size())) {
        return complete(false);
      }
      (void)watcher_->setEvents(FdWatcher::kReadable);
      return;
    }
    if ((events & FdWatcher::kReadable) == 0) return;
    char buf[512];
    ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) return complete(httpStatusHealthy(response_));
    response_.append(buf, static_cast<std::size_t>(n));
    if (response_.find("\r\n") != std::string::npos || response_.size() > kMaxStatusLine) {
      complete(httpStatusHealthy(response_));
    }
  }

  void complete(bool ok) {
    if (!done_) return;
    // Stop watching at once: a level-triggered writable socket would otherwise spin the loop
    // until the checker frees this probe. The socket stays open until the watcher is gone: libuv
    // unregisters the descriptor by number when the handle closes, and a number reused by a newer
    // probe must not lose its registration.
    (void)watcher_->setEvents(0);
    auto done = std::move(done_);
    done_ = nullptr;
    done(ok);  // may free this probe later, never now (see HealthChecker)
  }

  std::string request_;
  std::function<void(bool)> done_;
  UniqueFd fd_;
  std::unique_ptr<FdWatcher> watcher_;
  bool connected_ = false;
  std::string response_;
};

// A datagram on a connected UDP socket. Connecting makes the kernel report ICMP errors about the
// backend to this socket (udp(7): the error is returned by the next recv) and drop datagrams from
// anyone else, so any datagram received is the backend's reply. A host that is gone (no ARP or
// neighbour answer) is reported only when the kernel gives its resolution up, about 3 s after the
// send: with a shorter timeout such a backend counts as up, as with keepalived's UDP_CHECK.
class UdpProbe final : public ProbeHandle {
 public:
  explicit UdpProbe(std::function<void(bool)> done) : done_(std::move(done)) {}

  Status begin(EventLoop& loop, const Endpoint& backend, std::string_view payload) {
    sockaddr_storage ss;
    socklen_t len = toSockaddr(backend, ss);
    fd_ = UniqueFd(::socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd_.valid()) return systemError("socket", errno);
    // Without IP_RECVERR a UDP socket hears only the "hard" ICMP errors (port unreachable); host
    // and network unreachable, and the local neighbour resolution failing, need it (ip(7)).
    int one = 1;
    if (backend.address.isV6()) {
      ::setsockopt(fd_.get(), IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
    } else {
      ::setsockopt(fd_.get(), IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
    }
    if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      return systemError("connect to " + backend.toString(), errno);  // no route
    }
    // An empty datagram by default: valid UDP (RFC 768), and what most services ignore unharmed.
    if (::send(fd_.get(), payload.data(), payload.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(payload.size())) {
      return systemError("send to " + backend.toString(), errno);  // e.g. a cached unreachable
    }
    auto w = FdWatcher::create(loop, fd_.get(), FdWatcher::kReadable,
                               [this](int /*events*/) { onReadable(); });
    if (!w) return w.error();
    watcher_ = std::move(*w);
    return {};
  }

 private:
  void onReadable() {
    char buf[512];
    ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    // n >= 0: a reply (an empty one too). n < 0: the pending ICMP error (ECONNREFUSED for port
    // unreachable, EHOSTUNREACH/ENETUNREACH for host or network unreachable): the backend is not
    // serving.
    complete(n >= 0);
  }

  void complete(bool ok) {
    if (!done_) return;
    (void)watcher_->setEvents(0);  // as SocketProbe::complete: the socket outlives the watcher
    auto done = std::move(done_);
    done_ = nullptr;
    done(ok);
  }

  std::function<void(bool)> done_;
  UniqueFd fd_;
  std::unique_ptr<FdWatcher> watcher_;
};

// A probe that failed before anything was sent (no route, refused on the spot, no socket). It
// reports the failure from the loop, right away but never from inside start(): the checker's
// deadline cannot stand for it, since for a UDP check an unanswered probe counts as up.
class FailedProbe final : public ProbeHandle {
 public:
  FailedProbe(TimeSource& time, std::function<void(bool)> done) : timer_(time.createTimer()) {
    timer_->start(Duration::zero(), [done = std::move(done)] { done(false); });
  }

 private:
  std::unique_ptr<Timer> timer_;
};

}  // namespace

bool httpStatusHealthy(std::string_view response) {
  // "HTTP/1.1 200 OK": the code is the three digits after the first space.
  if (response.substr(0, 5) != "HTTP/") return false;
  auto sp = response.find(' ');
  if (sp == std::string_view::npos || response.size() < sp + 4) return false;
  char c = response[sp + 1];
  for (int k = 1; k <= 3; ++k) {
    if (response[sp + k] < '0' || response[sp + k] > '9') return false;
  }
  return c == '2' || c == '3';
}

SocketProber::SocketProber(EventLoop& loop, ProbeMethod method, std::string data)
    : loop_(loop), method_(method), data_(std::move(data)) {}

std::unique_ptr<ProbeHandle> SocketProber::start(const Endpoint& backend,
                                                 std::function<void(bool ok)> done) {
  if (method_ == ProbeMethod::kUdpDatagram) {
    auto probe = std::make_unique<UdpProbe>(done);
    if (!probe->begin(loop_, backend, data_)) {
      return std::make_unique<FailedProbe>(loop_.time(), done);
    }
    return probe;
  }
  std::string request;
  if (method_ == ProbeMethod::kHttpGet) {
    request = "GET " + data_ + " HTTP/1.0\r\nHost: " + backend.toString() +
              "\r\nUser-Agent: kube-vip-health\r\nConnection: close\r\n\r\n";
  }
  auto probe = std::make_unique<SocketProbe>(std::move(request), done);
  if (!probe->begin(loop_, backend)) return std::make_unique<FailedProbe>(loop_.time(), done);
  return probe;
}

}  // namespace kubevip::lb

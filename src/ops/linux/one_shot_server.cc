#include "ops/linux/one_shot_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace kubevip::ops::linux_io {
namespace {

using Clock = std::chrono::steady_clock;

// After the response, what the peer still sends is read and dropped up to this much.
constexpr size_t kMaxDrainBytes = size_t{64} * 1024;

// When accept() fails for lack of descriptors or memory, the pending connection stays queued and
// poll() reports the listener again at once: without a pause the thread would spin on a core the
// control loop needs, exactly while the process is short of resources. Listeners are left out of
// poll() for this long instead (the load balancer's workers do the same, lb/accept_backoff.h).
constexpr auto kAcceptPause = std::chrono::milliseconds(100);
// Accepts per wake-up, so that a flood of connections cannot keep the thread from serving (and
// timing out) the connections it holds.
constexpr int kMaxAcceptsPerWake = 64;
// poll() itself failing (ENOMEM) is retried after this long.
constexpr int kPollRetryMs = 100;

bool isResourceShortage(int err) {
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

}  // namespace

struct OneShotServer::Connection {
  enum class Phase { kReading, kWriting, kDraining };
  UniqueFd fd;
  Phase phase = Phase::kReading;
  std::string received;
  std::string response;
  size_t sent = 0;
  size_t drained = 0;
  Clock::time_point deadline;
};

Result<std::unique_ptr<OneShotServer>> OneShotServer::start(std::vector<UniqueFd> listeners,
                                                            OneShotProtocol protocol) {
  UniqueFd wakeup(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wakeup.valid()) return systemError("cannot create an eventfd for a server thread", errno);
  std::unique_ptr<OneShotServer> server(
      new OneShotServer(std::move(listeners), std::move(protocol), std::move(wakeup)));
  server->thread_ = std::thread([s = server.get()] { s->run(); });
  return server;
}

OneShotServer::OneShotServer(std::vector<UniqueFd> listeners, OneShotProtocol protocol,
                             UniqueFd wakeup)
    : listeners_(std::move(listeners)),
      protocol_(std::move(protocol)),
      wakeup_(std::move(wakeup)) {}

OneShotServer::~OneShotServer() {
  uint64_t one = 1;
  // An eventfd write of 1 cannot fail short of an overflow after 2^64 - 1 writes.
  [[maybe_unused]] ssize_t n = ::write(wakeup_.get(), &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

OneShotStats OneShotServer::stats() const {
  return OneShotStats{accepted_.load(), refused_over_limit_.load(), timed_out_.load(),
                      answered_.load(), accept_pauses_.load(),      poll_failures_.load()};
}

void OneShotServer::run() {
  std::vector<pollfd> fds;
  while (true) {
    fds.clear();
    fds.push_back({wakeup_.get(), POLLIN, 0});
    Clock::time_point now = Clock::now();
    Clock::time_point earliest = Clock::time_point::max();
    // A negative descriptor is skipped by poll(): listeners sit out an accept pause.
    bool accepting = now >= accept_paused_until_;
    if (!accepting) earliest = accept_paused_until_;
    for (const UniqueFd& listener : listeners_) {
      fds.push_back({accepting ? listener.get() : -1, POLLIN, 0});
    }
    for (const auto& c : connections_) {
      short events = c->phase == Connection::Phase::kWriting ? POLLOUT : POLLIN;
      fds.push_back({c->fd.get(), events, 0});
      earliest = std::min(earliest, c->deadline);
    }
    int timeout_ms = -1;
    if (earliest != Clock::time_point::max()) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(earliest - now).count();
      timeout_ms = static_cast<int>(std::clamp<int64_t>(left, 0, 60'000));
    }
    int ready = ::poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0 && errno != EINTR) {
      // ENOMEM (EFAULT and EINVAL cannot happen with these arguments): wait, then try again.
      poll_failures_.fetch_add(1);
      ::poll(nullptr, 0, kPollRetryMs);
      continue;
    }
    if (fds[0].revents != 0) return;  // stop
    size_t first_connection = 1 + listeners_.size();
    // Connections first, by index into the snapshot: accepting appends to connections_.
    std::vector<bool> finished(connections_.size(), false);
    now = Clock::now();
    for (size_t i = 0; i < connections_.size(); ++i) {
      Connection& c = *connections_[i];
      short revents = fds[first_connection + i].revents;
      if (revents != 0) {
        finished[i] = c.phase == Connection::Phase::kWriting ? !onWritable(c) : !onReadable(c);
      }
      if (!finished[i] && Clock::now() >= c.deadline) {
        if (c.phase == Connection::Phase::kReading) {
          timed_out_.fetch_add(1);
          if (!protocol_.timeout_response.empty()) {
            [[maybe_unused]] ssize_t n =
                ::send(c.fd.get(), protocol_.timeout_response.data(),
                       protocol_.timeout_response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
          }
        }
        finished[i] = true;
      }
    }
    size_t kept = 0;
    for (size_t i = 0; i < finished.size(); ++i) {
      if (!finished[i]) connections_[kept++] = std::move(connections_[i]);
    }
    connections_.resize(kept);
    for (size_t i = 0; i < listeners_.size(); ++i) {
      if (fds[1 + i].revents != 0) acceptAll(listeners_[i].get());
    }
  }
}

void OneShotServer::acceptAll(int listener) {
  for (int i = 0; i < kMaxAcceptsPerWake; ++i) {
    UniqueFd fd(::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) {
      if (isResourceShortage(errno)) {
        accept_pauses_.fetch_add(1);
        accept_paused_until_ = Clock::now() + kAcceptPause;
      }
      return;  // EAGAIN, or an error of one pending connection (it is dropped)
    }
    accepted_.fetch_add(1);
    if (connections_.size() >= protocol_.max_connections) {
      refused_over_limit_.fetch_add(1);
      continue;  // closed by fd's destructor
    }
    auto connection = std::make_unique<Connection>();
    connection->fd = std::move(fd);
    connection->deadline = Clock::now() + protocol_.timeout;
    if (protocol_.admit) {
      if (auto refusal = protocol_.admit(connection->fd.get())) {
        respond(*connection, std::move(*refusal));
        if (!onWritable(*connection)) continue;
      }
    }
    connections_.push_back(std::move(connection));
  }
}

bool OneShotServer::onReadable(Connection& c) {
  char buffer[4096];
  while (true) {
    size_t room =
        c.phase == Connection::Phase::kDraining
            ? sizeof buffer
            : std::min(sizeof buffer, protocol_.max_request_bytes + 1 - c.received.size());
    ssize_t n = ::recv(c.fd.get(), buffer, room, MSG_DONTWAIT);
    if (n == 0) return false;  // the peer closed
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    if (c.phase == Connection::Phase::kDraining) {
      c.drained += static_cast<size_t>(n);
      if (c.drained > kMaxDrainBytes) return false;
      continue;
    }
    c.received.append(buffer, static_cast<size_t>(n));
    if (auto response = protocol_.answer(c.received)) {
      respond(c, std::move(*response));
      return onWritable(c);
    }
    if (c.received.size() > protocol_.max_request_bytes) return false;  // the protocol's bound
  }
}

void OneShotServer::respond(Connection& c, std::string response) {
  c.phase = Connection::Phase::kWriting;
  c.response = std::move(response);
  c.sent = 0;
  c.deadline = Clock::now() + protocol_.timeout;
  answered_.fetch_add(1);
}

bool OneShotServer::onWritable(Connection& c) {
  while (c.sent < c.response.size()) {
    ssize_t n = ::send(c.fd.get(), c.response.data() + c.sent, c.response.size() - c.sent,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    c.sent += static_cast<size_t>(n);
  }
  // All sent: tell the peer, and read what it still sends until it closes or the deadline.
  ::shutdown(c.fd.get(), SHUT_WR);
  c.phase = Connection::Phase::kDraining;
  c.response.clear();
  return true;
}

}  // namespace kubevip::ops::linux_io

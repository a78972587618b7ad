#include "lb/tcp_session.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <system_error>

#include "lb/worker.h"

namespace kubevip::lb {
namespace {

constexpr int kClient = 0;
constexpr int kBackend = 1;

class TcpSession final : public Session {
 public:
  TcpSession(Worker& w, std::shared_ptr<Balancer> b, int group, UniqueFd client)
      : Session(w, std::move(b), group), client_(std::move(client)) {
    last_activity_ = w.now();
  }
  ~TcpSession() override {
    if (backend_index_) balancer().pool.release(*backend_index_);
  }

  void begin() {
    if (!worker_.watch(client_.get(), &refs_[kClient])) return close();
    connectNext();
  }

  void onEvent(int side, uint32_t events) override {
    last_activity_ = worker_.now();
    Socket& s = sockets_[side];
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) s.readable = true;
    if (events & EPOLLRDHUP) s.rdhup = s.readable = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) s.writable = true;
    if (connecting_) {
      if (side != kBackend || !(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      if (!checkConnected(events)) return;
    }
    if (!pump(kClient) || !pump(kBackend)) return;
    if (flows_[kClient].done && flows_[kBackend].done) close();
  }

  void closeSockets() override {
    client_.reset();
    backend_.reset();
  }

  void onTick(SteadyTime now) override {
    if (connecting_) {
      if (now < connect_deadline_) return;
      backendConnectFailed(balancer(), *std::exchange(backend_index_, std::nullopt), now,
                           "timed out");
      connectNext();
      return;
    }
    if (now - last_activity_ >= balancer().config.idle_timeout) close();
  }

 private:
  struct Socket {
    bool readable = false;
    bool writable = false;
    bool rdhup = false;  // the peer's FIN is known: read until 0 even after a short read
  };
  // Flow kClient carries client -> backend, flow kBackend backend -> client.
  struct Flow {
    bool eof = false;   // the source sent FIN
    bool done = false;  // FIN passed on to the destination
    std::unique_ptr<char[]> pending;
    std::size_t offset = 0;
    std::size_t length = 0;
    UniqueFd pipe_read;  // splice mode: bytes in flight sit in this pipe
    UniqueFd pipe_write;
  };

  int fdOf(int side) const { return side == kClient ? client_.get() : backend_.get(); }

  void connectNext() {
    auto attempt = connectNextBackend(balancer(), worker_.now(), tried_);
    if (!attempt) {
      // Every backend is down or was tried: tell the client now rather than leave it waiting.
      balancer().counters->no_backend.fetch_add(1, std::memory_order_relaxed);
      return close();
    }
    backend_ = std::move(attempt->fd);
    backend_index_ = attempt->backend;
    sockets_[kBackend] = Socket{};
    connecting_ = true;
    connect_deadline_ = worker_.now() + balancer().config.connect_timeout;
    if (!worker_.watch(backend_.get(), &refs_[kBackend])) return close();
  }

  // True once connected; on failure moves to the next backend.
  bool checkConnected(uint32_t events) {
    int err = 0;
    const bool trouble = (events & (EPOLLERR | EPOLLHUP)) != 0;
    // A failed connect always raises EPOLLERR; without it the socket error need not be read.
    if (trouble) {
      socklen_t len = sizeof(err);
      ::getsockopt(backend_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    }
    if (err == 0) {
      // After a retry, an event queued for the earlier backend socket may reach the fresh one
      // while its connect is still in progress: make sure it is connected.
      sockaddr_storage peer;
      socklen_t plen = sizeof(peer);
      if ((trouble || tried_.size() > 1) &&
          ::getpeername(backend_.get(), reinterpret_cast<sockaddr*>(&peer), &plen) != 0) {
        return false;
      }
      connecting_ = false;
      backendConnected(balancer(), *backend_index_);
      return true;
    }
    backendConnectFailed(balancer(), *std::exchange(backend_index_, std::nullopt), worker_.now(),
                         std::generic_category().message(err).c_str());
    backend_.reset();
    connectNext();
    return false;
  }

  // Moves what can be moved in one direction. False when the session was closed.
  bool pump(int from) {
    if (balancer().forwarding == Forwarding::kSplice) return splicePump(from);
    const int to = 1 - from;
    Flow& f = flows_[from];
    Socket& in = sockets_[from];
    Socket& out = sockets_[to];
    char* scratch = worker_.scratch();
    for (;;) {
      if (f.length > 0) {
        if (!out.writable) return true;
        ssize_t w = ::send(fdOf(to), f.pending.get() + f.offset, f.length, MSG_NOSIGNAL);
        if (w < 0) {
          if (errno == EAGAIN || errno == EINTR) return out.writable = false, true;
          return fail();
        }
        countForwarded(from, w);
        f.offset += static_cast<std::size_t>(w);
        f.length -= static_cast<std::size_t>(w);
        if (f.length > 0) return out.writable = false, true;
        f.pending.reset();
        f.offset = 0;
      }
      if (f.eof) break;
      if (!in.readable) return true;
      ssize_t n = ::recv(fdOf(from), scratch, Worker::kScratchSize, 0);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return in.readable = false, true;
        return fail();
      }
      if (n == 0) {
        f.eof = true;
        break;
      }
      // A short read drained the socket; a later arrival raises a new edge.
      if (static_cast<std::size_t>(n) < Worker::kScratchSize && !in.rdhup) in.readable = false;
      ssize_t w = 0;
      if (out.writable) {
        w = ::send(fdOf(to), scratch, static_cast<std::size_t>(n), MSG_NOSIGNAL);
        if (w < 0) {
          if (errno != EAGAIN && errno != EINTR) return fail();
          w = 0;
        }
        countForwarded(from, w);
      }
      if (w < n) {
        f.pending = std::make_unique<char[]>(Worker::kScratchSize);
        f.length = static_cast<std::size_t>(n - w);
        std::memcpy(f.pending.get(), scratch + w, f.length);
        out.writable = false;
        return true;
      }
    }
    passOnEnd(f, to);
    return true;
  }

  // pump() with splice(): source -> pipe -> destination, the bytes never copied to user space.
  bool splicePump(int from) {
    constexpr std::size_t kChunk = 65536;
    const int to = 1 - from;
    Flow& f = flows_[from];
    Socket& in = sockets_[from];
    Socket& out = sockets_[to];
    if (!f.pipe_read.valid()) {
      int p[2];
      if (::pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) return fail();
      f.pipe_read.reset(p[0]);
      f.pipe_write.reset(p[1]);
    }
    for (;;) {
      if (f.length > 0) {
        if (!out.writable) return true;
        ssize_t w = ::splice(f.pipe_read.get(), nullptr, fdOf(to), nullptr, f.length,
                             SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (w < 0) {
          if (errno == EAGAIN || errno == EINTR) return out.writable = false, true;
          return fail();
        }
        countForwarded(from, w);
        f.length -= static_cast<std::size_t>(w);
        if (f.length > 0) return out.writable = false, true;
      }
      if (f.eof) break;
      if (!in.readable) return true;
      ssize_t n = ::splice(fdOf(from), nullptr, f.pipe_write.get(), nullptr, kChunk,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return in.readable = false, true;
        return fail();
      }
      if (n == 0) {
        f.eof = true;
        break;
      }
      if (static_cast<std::size_t>(n) < kChunk && !in.rdhup) in.readable = false;
      f.length = static_cast<std::size_t>(n);
    }
    passOnEnd(f, to);
    return true;
  }

  // Bytes delivered to the destination of flow `from`, counted per write so that a long-lived
  // connection shows progress; one relaxed add per chunk keeps it off the data path's costs.
  void countForwarded(int from, ssize_t bytes) {
    if (bytes <= 0 || !backend_index_) return;
    BackendState& b = balancer().pool.state(*backend_index_);
    (from == kClient ? b.bytes_in : b.bytes_out)
        .fetch_add(static_cast<uint64_t>(bytes), std::memory_order_relaxed);
  }

  // The source ended and all it sent was delivered: tell the destination with a FIN, unless the
  // other direction has ended too, in which case the session closes both sockets now anyway.
  void passOnEnd(Flow& f, int to) {
    if (f.done) return;
    f.done = true;
    if (!flows_[to].done) ::shutdown(fdOf(to), SHUT_WR);
  }

  bool fail() {
    close();
    return false;
  }

  UniqueFd client_;
  UniqueFd backend_;
  EpollRef refs_[2] = {{this, kClient}, {this, kBackend}};
  Socket sockets_[2];
  Flow flows_[2];
  bool connecting_ = false;
  std::optional<std::size_t> backend_index_;
  std::vector<std::size_t> tried_;
  SteadyTime connect_deadline_{};
  SteadyTime last_activity_{};
};

}  // namespace

void startTcpSession(Worker& worker, std::shared_ptr<Balancer> balancer, int group,
                     UniqueFd client) {
  auto* s =
      new TcpSession(worker, std::move(balancer), group, std::move(client));  // owned by the worker
  s->begin();
}

}  // namespace kubevip::lb

#include "lb/http_session.h"

#include <sys/socket.h>

#include <cerrno>
#include <optional>
#include <system_error>

#include "lb/http_message.h"
#include "lb/worker.h"

namespace kubevip::lb {
namespace {

constexpr int kClient = 0;
constexpr int kBackend = 1;
// Reading a side pauses while this much is waiting to be written to the other.
constexpr std::size_t kHighWater = 65536;

class HttpSession final : public Session {
 public:
  HttpSession(Worker& w, std::shared_ptr<Balancer> b, int group, UniqueFd client,
              const Endpoint& peer)
      : Session(w, std::move(b), group), client_(std::move(client)), client_ip_(peer.address) {
    last_activity_ = w.now();
  }
  ~HttpSession() override { releaseBackend(); }

  void begin() {
    if (!worker_.watch(client_.get(), &refs_[kClient])) return close();
  }

  void onEvent(int side, uint32_t events) override {
    last_activity_ = worker_.now();
    Socket& s = sockets_[side];
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) s.readable = true;
    if (events & EPOLLRDHUP) s.rdhup = s.readable = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) s.writable = true;
    if (side == kBackend && response_ == Resp::kConnecting &&
        (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
      checkConnected();
      if (dead) return;
    }
    advance();
  }

  void closeSockets() override {
    client_.reset();
    backend_.reset();
  }

  void onTick(SteadyTime now) override {
    switch (response_) {
      case Resp::kConnecting:
        if (now >= backend_deadline_) {
          backendConnectFailed(balancer(), *std::exchange(backend_index_, std::nullopt), now,
                               "timed out");
          timed_out_ = true;
          connectBackend();
          advance();
        }
        return;
      case Resp::kHead:
      case Resp::kBody:
        if (now - last_activity_ >= balancer().config.idle_timeout) {
          if (response_ == Resp::kHead) return fail(504);
          return close();
        }
        return;
      case Resp::kNone:
        break;
    }
    if (request_ == Req::kHead && !client_in_.empty() && now >= head_deadline_) return close();
    if (now - last_activity_ >= balancer().config.idle_timeout) close();
  }

 private:
  enum class Req { kHead, kBody, kDone };
  enum class Resp { kNone, kConnecting, kHead, kBody };
  struct Socket {
    bool readable = false;
    bool writable = false;
    bool rdhup = false;
    bool eof = false;
  };

  int fdOf(int side) const { return side == kClient ? client_.get() : backend_.get(); }

  void releaseBackend() {
    if (backend_index_) balancer().pool.release(*std::exchange(backend_index_, std::nullopt));
    backend_.reset();
  }

  // Answers the client from the proxy and ends the connection once that is written.
  void fail(int status) {
    releaseBackend();
    response_ = Resp::kNone;
    request_ = Req::kDone;
    to_client_ += errorResponse(status);
    closing_ = true;
    advance();
  }

  void connectBackend() {
    auto attempt = connectNextBackend(balancer(), worker_.now(), tried_);
    if (!attempt) {
      releaseBackend();
      response_ = Resp::kNone;
      if (tried_.empty()) {
        balancer().counters->no_backend.fetch_add(1, std::memory_order_relaxed);
        return fail(503);
      }
      return fail(timed_out_ ? 504 : 502);
    }
    backend_ = std::move(attempt->fd);
    backend_index_ = attempt->backend;
    sockets_[kBackend] = Socket{};
    backend_in_.clear();
    response_ = Resp::kConnecting;
    backend_deadline_ = worker_.now() + balancer().config.connect_timeout;
    if (!worker_.watch(backend_.get(), &refs_[kBackend])) return close();
  }

  void checkConnected() {
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(backend_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err == 0) {
      sockaddr_storage peer;
      socklen_t plen = sizeof(peer);
      if (tried_.size() > 1 &&
          ::getpeername(backend_.get(), reinterpret_cast<sockaddr*>(&peer), &plen) != 0) {
        return;  // a stale event from the previous attempt's socket
      }
      backendConnected(balancer(), *backend_index_);
      response_ = Resp::kHead;
      return;
    }
    backendConnectFailed(balancer(), *std::exchange(backend_index_, std::nullopt), worker_.now(),
                         std::generic_category().message(err).c_str());
    backend_.reset();
    connectBackend();
  }

  void advance() {
    for (int round = 0; round < 64 && !dead; ++round) {
      bool progress = false;
      if (!flush(kClient, to_client_, progress)) return;
      if (closing_) {
        if (to_client_.empty()) close();
        if (!progress) return;
        continue;
      }
      if (response_ == Resp::kHead || response_ == Resp::kBody) {
        if (!flush(kBackend, to_backend_, progress)) return;
      }
      if (request_ != Req::kDone && client_in_.size() < kHighWater &&
          !read(kClient, client_in_, progress)) {
        return;
      }
      processRequest(progress);
      if (dead || closing_) continue;
      if ((response_ == Resp::kHead || response_ == Resp::kBody) &&
          to_client_.size() < kHighWater && !read(kBackend, backend_in_, progress)) {
        return;
      }
      processResponse(progress);
      if (!progress) return;
    }
  }

  // Bytes in (written to the backend, the rewritten request head included) and out (read from it,
  // before the response head is rewritten), one relaxed add per chunk.
  void countBackendBytes(std::atomic<uint64_t> BackendState::*counter, ssize_t bytes) {
    if (bytes <= 0 || !backend_index_) return;
    (balancer().pool.state(*backend_index_).*counter)
        .fetch_add(static_cast<uint64_t>(bytes), std::memory_order_relaxed);
  }

  // Writes what it can of `out`. False when the session was closed.
  bool flush(int side, std::string& out, bool& progress) {
    Socket& s = sockets_[side];
    while (!out.empty() && s.writable) {
      ssize_t w = ::send(fdOf(side), out.data(), out.size(), MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN || errno == EINTR) {
          s.writable = false;
          break;
        }
        close();
        return false;
      }
      if (side == kBackend) countBackendBytes(&BackendState::bytes_in, w);
      out.erase(0, static_cast<std::size_t>(w));
      progress = true;
      if (!out.empty()) s.writable = false;
    }
    return true;
  }

  bool read(int side, std::string& in, bool& progress) {
    Socket& s = sockets_[side];
    if (!s.readable || s.eof) return true;
    char* scratch = worker_.scratch();
    ssize_t n = ::recv(fdOf(side), scratch, Worker::kScratchSize, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        s.readable = false;
        return true;
      }
      if (side == kBackend && response_ == Resp::kHead) {
        fail(502);
        return false;
      }
      close();
      return false;
    }
    progress = true;
    if (n == 0) {
      s.eof = true;
      return true;
    }
    if (static_cast<std::size_t>(n) < Worker::kScratchSize && !s.rdhup) s.readable = false;
    if (side == kBackend) countBackendBytes(&BackendState::bytes_out, n);
    if (side == kClient && in.empty() && request_ == Req::kHead) {
      head_deadline_ = worker_.now() + kRequestHeadTimeout;
    }
    in.append(scratch, static_cast<std::size_t>(n));
    return true;
  }

  void processRequest(bool& progress) {
    if (request_ == Req::kHead) {
      std::size_t end = findHeadEnd(client_in_);
      if (end == std::string::npos) {
        if (client_in_.size() > kMaxHeadBytes) return fail(431);
        if (sockets_[kClient].eof && response_ == Resp::kNone) close();
        return;
      }
      if (end > kMaxHeadBytes) return fail(431);
      auto head = request_parser_.parseHead(std::string_view(client_in_).substr(0, end));
      if (!head) return fail(400);
      head_ = std::move(*head);
      client_in_.erase(0, end);
      to_backend_ = backendRequestHead(head_, client_ip_);
      request_ = head_.has_body ? Req::kBody : Req::kDone;
      // Each request is balanced on its own, so it follows a reload: a keep-alive connection
      // must not keep sending requests to a backend the reload removed, nor miss one it added.
      if (!backend_index_) adoptNewestGeneration();
      tried_.clear();
      timed_out_ = false;
      progress = true;
      connectBackend();
      if (dead || closing_) return;
    }
    if (request_ == Req::kBody) {
      if (!client_in_.empty() && to_backend_.size() < kHighWater) {
        auto n = request_parser_.parseBody(client_in_);
        if (!n) return close();
        to_backend_.append(client_in_, 0, *n);
        client_in_.erase(0, *n);
        progress = true;
        if (request_parser_.complete()) request_ = Req::kDone;
      }
      if (request_ == Req::kBody && sockets_[kClient].eof && client_in_.empty()) close();
    }
  }

  void processResponse(bool& progress) {
    if (response_ == Resp::kHead) {
      std::size_t end = findHeadEnd(backend_in_);
      if (end == std::string::npos) {
        if (backend_in_.size() > kMaxHeadBytes || sockets_[kBackend].eof) return fail(502);
        return;
      }
      auto head = response_parser_.parseHead(std::string_view(backend_in_).substr(0, end),
                                             head_.method == "HEAD");
      if (!head || head->status == 101) return fail(502);
      backend_in_.erase(0, end);
      progress = true;
      if (head->status >= 100 && head->status < 200) {
        // An interim response (100 Continue): pass it on and wait for the final one.
        to_client_ += clientResponseHead(*head, head_.minor, false);
        return;
      }
      close_after_ = !head_.keep_alive || head->ends_at_close || sockets_[kClient].eof;
      to_client_ += clientResponseHead(*head, head_.minor, close_after_);
      if (!head->has_body) return responseDone();
      response_ = Resp::kBody;
    }
    if (response_ == Resp::kBody) {
      if (!backend_in_.empty()) {
        auto n = response_parser_.parseBody(backend_in_);
        if (!n) return close();
        to_client_.append(backend_in_, 0, *n);
        backend_in_.erase(0, *n);
        progress = true;
      }
      if (!response_parser_.complete() && sockets_[kBackend].eof && backend_in_.empty()) {
        // A body that lasts until close ends here; any other is cut short.
        if (!response_parser_.finishAtEof()) return close();
      }
      if (response_parser_.complete()) responseDone();
    }
  }

  void responseDone() {
    releaseBackend();
    response_ = Resp::kNone;
    to_backend_.clear();
    if (close_after_ || request_ != Req::kDone) {
      closing_ = true;
      return;
    }
    request_ = Req::kHead;
  }

  UniqueFd client_;
  UniqueFd backend_;
  IpAddress client_ip_;
  EpollRef refs_[2] = {{this, kClient}, {this, kBackend}};
  Socket sockets_[2];
  std::string client_in_;
  std::string backend_in_;
  std::string to_client_;
  std::string to_backend_;
  HttpMessageParser request_parser_{HttpMessageParser::Kind::kRequest};
  HttpMessageParser response_parser_{HttpMessageParser::Kind::kResponse};
  HttpHead head_;  // the current request
  Req request_ = Req::kHead;
  Resp response_ = Resp::kNone;
  std::optional<std::size_t> backend_index_;
  std::vector<std::size_t> tried_;
  bool timed_out_ = false;
  bool close_after_ = false;
  bool closing_ = false;
  SteadyTime head_deadline_{};
  SteadyTime backend_deadline_{};
  SteadyTime last_activity_{};
};

}  // namespace

void startHttpSession(Worker& worker, std::shared_ptr<Balancer> balancer, int group,
                      UniqueFd client, const Endpoint& peer) {
  auto* s = new HttpSession(worker, std::move(balancer), group, std::move(client),
                            peer);  // worker owns it
  s->begin();
}

}  // namespace kubevip::lb

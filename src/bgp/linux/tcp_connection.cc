#include "bgp/linux/tcp_connection.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "bgp/linux/socket_address.h"

namespace kubevip::bgp::linux_tcp {
namespace {

// A BGP message is at most 4096 bytes (RFC 4271 §4.1; 65535 with RFC 8654); 64 KiB per read
// takes a full UPDATE burst in a few calls.
constexpr std::size_t kReadBufferBytes = std::size_t{64} * 1024;
// Reads per wake-up before yielding to the rest of the loop, so one busy peer cannot starve
// the others (or the election) on the same thread.
constexpr int kMaxReadsPerWakeup = 16;
// The sent prefix of the queue is erased once it is this large and more than half the queue.
constexpr std::size_t kCompactAfterBytes = std::size_t{64} * 1024;

std::string errnoText(int err) { return std::generic_category().message(err); }

}  // namespace

Result<std::unique_ptr<TcpConnection>> TcpConnection::create(EventLoop& loop, UniqueFd fd) {
  auto local = localEndpointOf(fd.get());
  if (!local) return local.error();
  auto remote = remoteEndpointOf(fd.get());
  if (!remote) return remote.error();
  std::unique_ptr<TcpConnection> connection(
      new TcpConnection(loop, std::move(fd), *local, *remote));
  auto watcher =
      FdWatcher::create(loop, connection->fd_.get(), 0, [raw = connection.get()](int events) {
        // The watcher reports a poll error as "readable".
        if ((events & FdWatcher::kReadable) != 0 &&
            (raw->watched_events_ & FdWatcher::kReadable) == 0) {
          raw->watched_events_ = -1;  // libuv stopped the watch
        }
        raw->onEvents();
      });
  if (!watcher) return watcher.error();
  connection->watcher_ = std::move(*watcher);
  return connection;
}

TcpConnection::TcpConnection(EventLoop& loop, UniqueFd fd, Endpoint local, Endpoint remote)
    : fd_(std::move(fd)),
      local_(local),
      remote_(remote),
      notify_timer_(loop.time().createTimer()),
      flush_bound_timer_(loop.time().createTimer()) {}

TcpConnection::~TcpConnection() {
  *alive_ = false;
  // Stop watching before the descriptor is closed (libuv must not poll a closed number).
  watcher_.reset();
  fd_.reset();
}

void TcpConnection::setHandlers(Handlers handlers) {
  handlers_ = std::move(handlers);
  updateWatch();
  // A failure noticed before anyone listened is still reported, from the loop.
  if (failed_ && !closed_notified_) scheduleNotify();
}

Status TcpConnection::send(std::span<const uint8_t> bytes) {
  if (failed_) {
    return makeError(ErrorCode::kUnavailable,
                     "the connection to " + remote_.toString() + " has failed: " + failure_);
  }
  if (flushing_) {
    return makeError(ErrorCode::kInternal,
                     "the connection to " + remote_.toString() + " is being closed");
  }
  bool was_empty = queuedBytes() == 0;
  queue_.insert(queue_.end(), bytes.begin(), bytes.end());
  // With bytes already queued the socket is full: they go first, from the writability watch.
  if (was_empty) writeQueued();
  if (failed_) {
    return makeError(ErrorCode::kUnavailable,
                     "the connection to " + remote_.toString() + " has failed: " + failure_);
  }
  updateWatch();
  return {};
}

void TcpConnection::closeAfterFlush(std::chrono::milliseconds bound, std::function<void()> done) {
  flush_done_ = std::move(done);
  if (flushing_) return;  // the first bound stands
  flushing_ = true;
  updateWatch();
  flush_bound_timer_->start(bound, [this] { finishFlush(/*drained=*/false); });
  // Already drained (or failed): done() still comes from the loop, not from inside this call.
  scheduleNotify();
}

void TcpConnection::onEvents() {
  auto alive = alive_;
  if (queuedBytes() > 0) writeQueued();
  if (flushing_) {
    if (!failed_ && queuedBytes() == 0) {
      finishFlush(/*drained=*/true);
      return;
    }
  } else if (!failed_ && handlers_.received) {
    if (!readAvailable()) return;  // destroyed by received()
  }
  if (!*alive) return;
  updateWatch();
}

bool TcpConnection::readAvailable() {
  if (read_buffer_.empty()) read_buffer_.resize(kReadBufferBytes);
  for (int i = 0; i < kMaxReadsPerWakeup; ++i) {
    ssize_t n = ::recv(fd_.get(), read_buffer_.data(), read_buffer_.size(), 0);
    if (n > 0) {
      auto alive = alive_;
      auto received = handlers_.received;  // the handler may replace or destroy ours
      received(std::span<const uint8_t>(read_buffer_.data(), static_cast<std::size_t>(n)));
      if (!*alive) return false;
      if (failed_ || flushing_ || !handlers_.received) return true;
      if (static_cast<std::size_t>(n) < read_buffer_.size()) return true;  // drained
      continue;
    }
    if (n == 0) {
      fail("the peer closed the connection");
      return true;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    fail("read from " + remote_.toString() + ": " + errnoText(errno));
    return true;
  }
  return true;
}

void TcpConnection::writeQueued() {
  while (queuedBytes() > 0) {
    ssize_t n = ::send(fd_.get(), queue_.data() + queue_head_, queuedBytes(), MSG_NOSIGNAL);
    if (n > 0) {
      queue_head_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    fail("write to " + remote_.toString() + ": " + errnoText(n < 0 ? errno : EPIPE));
    return;
  }
  if (queuedBytes() == 0) {
    queue_.clear();
    queue_head_ = 0;
  } else if (queue_head_ >= kCompactAfterBytes && queue_head_ * 2 > queue_.size()) {
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(queue_head_));
    queue_head_ = 0;
  }
}

void TcpConnection::fail(std::string why) {
  if (failed_) return;
  failed_ = true;
  failure_ = std::move(why);
  queue_.clear();
  queue_head_ = 0;
  updateWatch();
  scheduleNotify();
}

void TcpConnection::updateWatch() {
  int events = 0;
  if (!failed_ && !flushing_ && handlers_.received) events |= FdWatcher::kReadable;
  if (!failed_ && queuedBytes() > 0) events |= FdWatcher::kWritable;
  if (events == watched_events_ || watcher_ == nullptr) return;
  watched_events_ = events;
  if (auto st = watcher_->setEvents(events); !st) {
    fail("watch the connection to " + remote_.toString() + ": " + st.error().describe());
  }
}

void TcpConnection::scheduleNotify() {
  notify_timer_->start(Duration::zero(), [this] { notify(); });
}

void TcpConnection::notify() {
  if (flushing_) {
    if (failed_ || queuedBytes() == 0) finishFlush(/*drained=*/!failed_);
    return;
  }
  if (!failed_ || closed_notified_ || !handlers_.closed) return;
  closed_notified_ = true;
  auto closed = handlers_.closed;  // the handler may destroy this connection
  std::string why = failure_;
  closed(why);
}

void TcpConnection::finishFlush(bool drained) {
  if (flush_finished_) return;
  flush_finished_ = true;
  flush_bound_timer_->stop();
  // The FIN goes out only after every queued byte: a NOTIFICATION must reach the peer whole
  // (RFC 4271 §6: the connection is closed right after it is sent).
  if (drained) ::shutdown(fd_.get(), SHUT_WR);
  queue_.clear();
  queue_head_ = 0;
  updateWatch();
  auto done = std::move(flush_done_);
  flush_done_ = nullptr;
  if (done) done();  // may destroy this connection
}

}  // namespace kubevip::bgp::linux_tcp

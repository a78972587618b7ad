#include "net/linux/reopening_packet_socket.h"

#include <algorithm>
#include <string>
#include <utility>

#include "common/log.h"

namespace kubevip::net {
namespace {

constexpr Duration kFirstBackoff = milliseconds(50);
constexpr Duration kMaxBackoff = seconds(2);
// ARP and NDP frames are small; a longer frame is truncated, which its decoder rejects.
constexpr size_t kBufferSize = 2048;
constexpr Duration kQuietPeriod = seconds(10);

}  // namespace

Result<std::unique_ptr<ReopeningPacketSocket>> ReopeningPacketSocket::open(
    EventLoop& loop, const InterfaceInfo& iface, std::string purpose,
    std::optional<Receiving> receiving) {
  std::unique_ptr<ReopeningPacketSocket> socket(
      new ReopeningPacketSocket(loop, iface, std::move(purpose), std::move(receiving)));
  if (auto st = socket->openNow(); !st) return st.error();
  return socket;
}

ReopeningPacketSocket::ReopeningPacketSocket(EventLoop& loop, InterfaceInfo iface,
                                             std::string purpose,
                                             std::optional<Receiving> receiving)
    : loop_(loop),
      iface_(std::move(iface)),
      purpose_(std::move(purpose)),
      receiving_(std::move(receiving)),
      reopen_timer_(loop.time().createTimer()),
      backoff_(kFirstBackoff) {
  if (receiving_) buffer_.resize(kBufferSize);
}

ReopeningPacketSocket::~ReopeningPacketSocket() {
  *alive_ = false;
  watcher_.reset();  // stop watching before the descriptors close
  retired_watcher_.reset();
}

Status ReopeningPacketSocket::openNow() {
  auto socket = receiving_ ? PacketSocket::openForReceiving(iface_.index, receiving_->filter,
                                                            receiving_->receive_buffer_bytes)
                           : PacketSocket::openForSending(iface_.index);
  if (!socket) return socket.error();
  socket_ = std::move(*socket);
  if (receiving_) {
    auto watcher = FdWatcher::create(loop_, socket_->fd(), FdWatcher::kReadable,
                                     [this](int) { readQueued(kFramesPerTurn); });
    if (!watcher) {
      socket_.reset();
      return watcher.error();
    }
    watcher_ = std::move(*watcher);
  }
  return {};
}

Status ReopeningPacketSocket::send(std::span<const uint8_t> frame) {
  if (!socket_) {
    return makeError(ErrorCode::kUnavailable, purpose_ + " socket on " + iface_.name +
                                                  " is being reopened (" + broken_because_ + ")");
  }
  auto st = socket_->send(frame);
  if (!st && st.error().code != ErrorCode::kUnavailable) markBroken(st.error().describe());
  return st;
}

bool ReopeningPacketSocket::reportDrops() {
  if (!socket_ || !receiving_) return true;
  auto drops = socket_->takeDrops();
  if (drops && *drops == 0) return true;
  std::shared_ptr<bool> alive = alive_;
  const std::string why =
      drops ? std::to_string(*drops) + " frames dropped by the kernel (receive buffer full)"
            : drops.error().describe();
  spdlog::debug("{} socket on {}: {}", purpose_, iface_.name, why);
  if (receiving_->on_broken) receiving_->on_broken(why);
  return *alive;
}

bool ReopeningPacketSocket::readQueued(size_t max_frames) {
  std::shared_ptr<bool> alive = alive_;
  // Before and after the frames: a frame the kernel dropped for want of buffer space may have
  // been the answer the owner waits for, so it must hear of it before judging silence.
  if (!reportDrops()) return true;
  for (size_t i = 0; i < max_frames; ++i) {
    if (!socket_) return true;
    auto received = socket_->receive(buffer_);
    if (!received) {
      markBroken(received.error().describe());
      return true;
    }
    if (!*received) {
      reportDrops();
      return true;
    }
    receiving_->on_frame(std::span<const uint8_t>(buffer_.data(), (*received)->size),
                         (*received)->outgoing);
    if (!*alive) return true;
  }
  return false;
}

void ReopeningPacketSocket::markBroken(const std::string& why) {
  if (!socket_) return;
  const SteadyTime now = loop_.time().now();
  break_logged_ = !last_logged_break_ || now - *last_logged_break_ >= kQuietPeriod;
  if (break_logged_) {
    last_logged_break_ = now;
    spdlog::warn("{} socket on {} (ifindex {}): {}; reopening it until it works{}", purpose_,
                 iface_.name, iface_.index, why,
                 unlogged_breaks_ > 0 ? " (" + std::to_string(unlogged_breaks_) +
                                            " more breaks since the last report)"
                                      : std::string());
    unlogged_breaks_ = 0;
  } else {
    ++unlogged_breaks_;
    spdlog::debug("{} socket on {}: {}; reopening it", purpose_, iface_.name, why);
  }
  broken_because_ = why;
  if (watcher_) (void)watcher_->setEvents(0);  // stops polling; destroyed by reopen()
  retired_watcher_ = std::move(watcher_);
  retired_socket_ = std::move(socket_);
  socket_.reset();
  backoff_ = kFirstBackoff;
  scheduleReopen();
  if (receiving_ && receiving_->on_broken) receiving_->on_broken(why);
}

void ReopeningPacketSocket::scheduleReopen() {
  reopen_timer_->start(backoff_, [this] { reopen(); });
  backoff_ = std::min<Duration>(backoff_ * 2, kMaxBackoff);
}

void ReopeningPacketSocket::reopen() {
  retired_watcher_.reset();
  retired_socket_.reset();
  auto fresh = lookupInterface(iface_.name);
  if (!fresh) {
    spdlog::debug("{} socket on {}: {}", purpose_, iface_.name, fresh.error().describe());
    scheduleReopen();
    return;
  }
  if (!fresh->running) {
    // Bound to a link without carrier, the new socket would get ENETDOWN again at once.
    spdlog::debug("{} socket on {}: link is not up yet", purpose_, iface_.name);
    scheduleReopen();
    return;
  }
  const int old_index = iface_.index;
  iface_ = *fresh;
  if (auto st = openNow(); !st) {
    spdlog::debug("{} socket on {}: reopening failed: {}", purpose_, iface_.name,
                  st.error().describe());
    scheduleReopen();
    return;
  }
  const auto level =
      break_logged_ || old_index != iface_.index ? spdlog::level::info : spdlog::level::debug;
  if (old_index != iface_.index) {
    spdlog::log(level, "{} socket on {} works again (ifindex {} -> {})", purpose_, iface_.name,
                old_index, iface_.index);
  } else {
    spdlog::log(level, "{} socket on {} works again", purpose_, iface_.name);
  }
  broken_because_.clear();
  backoff_ = kFirstBackoff;
}

}  // namespace kubevip::net

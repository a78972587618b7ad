// A packet socket on a named interface that reopens itself when it breaks.
//
// An AF_PACKET socket is bound to an interface index. When the link goes down the kernel leaves
// ENETDOWN on it and fails every send; libuv stops polling a descriptor that reported an error
// (POLLERR), so a receive socket that is merely re-armed stays deaf; and an interface that is
// deleted and created again gets a new index, which the old socket never reaches. So on any
// error that is not "try again" the socket is closed, the owner is told (frames may have been
// lost), and a timer looks the interface up by name again and reopens it once it is up and has
// carrier, backing off from 50 ms to 2 s. The break and the recovery are logged once each.
//
// Receiving is bounded: one readable event reads at most kFramesPerTurn frames into one reused
// buffer, so a flood that passes the filter still leaves the loop free for the election between
// batches (the descriptor stays readable, so libuv comes back for the rest).
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/event_loop.h"
#include "common/result.h"
#include "net/interfaces.h"
#include "net/linux/packet_socket.h"

namespace kubevip::net {

class ReopeningPacketSocket {
 public:
  static constexpr size_t kFramesPerTurn = 64;

  struct Receiving {
    std::vector<sock_filter> filter;
    // Every frame that passed the filter; may destroy the socket's owner.
    std::function<void(std::span<const uint8_t> frame, bool outgoing)> on_frame;
    // Frames may have been lost: the receive socket failed (it is reopened), or the kernel dropped
    // frames for want of buffer space (the socket stays).
    std::function<void(const std::string& why)> on_broken;
    int receive_buffer_bytes = 0;  // 0: the system default
  };

  // `purpose` names the socket in logs ("probe", "announcement"). Without `receiving` the socket
  // only sends. Fails if the first open fails (e.g. no such interface, no CAP_NET_RAW).
  static Result<std::unique_ptr<ReopeningPacketSocket>> open(EventLoop& loop,
                                                             const InterfaceInfo& iface,
                                                             std::string purpose,
                                                             std::optional<Receiving> receiving);
  ~ReopeningPacketSocket();
  ReopeningPacketSocket(const ReopeningPacketSocket&) = delete;
  ReopeningPacketSocket& operator=(const ReopeningPacketSocket&) = delete;

  // kUnavailable while the socket is being reopened or its send queue is full.
  Status send(std::span<const uint8_t> frame);
  // Reads up to `max_frames` queued frames (each goes to on_frame); false if frames remain
  // queued. Stops early if on_frame destroyed this object (then it returns true and must not be
  // used again).
  bool readQueued(size_t max_frames);
  // The owner found the socket not working (e.g. its own frames do not come back): close and
  // reopen it as after an error.
  void markBroken(const std::string& why);

  bool working() const { return socket_.has_value(); }
  // The interface as of the last (re)open: its index and MAC may have changed.
  const InterfaceInfo& interface() const { return iface_; }

 private:
  ReopeningPacketSocket(EventLoop& loop, InterfaceInfo iface, std::string purpose,
                        std::optional<Receiving> receiving);
  Status openNow();
  // Tells on_broken of frames the kernel dropped; false if that destroyed this object.
  bool reportDrops();
  void scheduleReopen();
  void reopen();

  EventLoop& loop_;
  InterfaceInfo iface_;
  std::string purpose_;
  std::optional<Receiving> receiving_;
  std::optional<PacketSocket> socket_;
  std::unique_ptr<FdWatcher> watcher_;
  // A broken socket and its (stopped) watcher, kept until the reopen timer fires: markBroken()
  // may run inside that watcher's own callback, which must not destroy it.
  std::optional<PacketSocket> retired_socket_;
  std::unique_ptr<FdWatcher> retired_watcher_;
  std::unique_ptr<Timer> reopen_timer_;
  Duration backoff_;
  std::string broken_because_;
  // A socket that keeps breaking (e.g. probes not seen while a link settles) logs at most one
  // break and one recovery per kQuietPeriod; the rest go to debug.
  std::optional<SteadyTime> last_logged_break_;
  bool break_logged_ = false;
  int unlogged_breaks_ = 0;
  std::vector<uint8_t> buffer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kubevip::net

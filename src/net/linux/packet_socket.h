// An AF_PACKET SOCK_RAW socket on one interface: whole Ethernet frames in and out. Both kinds are
// non-blocking, so that neither a full send queue nor an empty receive queue can stall the loop.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace kubevip::net {

class PacketSocket {
 public:
  // Send-only: protocol 0, so the kernel delivers nothing to it.
  static Result<PacketSocket> openForSending(int ifindex);
  // Receives every frame on `ifindex` that passes `filter` (attached before binding, so nothing
  // unfiltered is ever queued), including copies of frames this host sends (PACKET_OUTGOING)
  // from other sockets.
  // `receive_buffer_bytes` > 0 sets the receive buffer (SO_RCVBUFFORCE, beyond rmem_max; as root).
  static Result<PacketSocket> openForReceiving(int ifindex, const std::vector<sock_filter>& filter,
                                               int receive_buffer_bytes = 0);

  // kUnavailable (with the errno) when the send queue is full: nothing is wrong with the socket.
  Status send(std::span<const uint8_t> frame);

  struct Received {
    size_t size = 0;        // bytes written to the buffer (a longer frame is truncated)
    bool outgoing = false;  // PACKET_OUTGOING: a copy of a frame this host sent
  };
  // One pending frame into `buffer`, or std::nullopt when none is queued. An error (e.g. the
  // ENETDOWN the kernel leaves on the socket when the link goes down) is returned once.
  Result<std::optional<Received>> receive(std::span<uint8_t> buffer);
  // Frames the kernel dropped for this socket (its receive buffer was full) since the last call
  // (PACKET_STATISTICS resets the counters when read).
  Result<uint32_t> takeDrops();
  int fd() const { return fd_.get(); }
  int ifindex() const { return ifindex_; }

 private:
  PacketSocket(UniqueFd fd, int ifindex) : fd_(std::move(fd)), ifindex_(ifindex) {}
  UniqueFd fd_;
  int ifindex_ = 0;
};

}  // namespace kubevip::net

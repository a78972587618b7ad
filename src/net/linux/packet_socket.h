// An AF_PACKET SOCK_RAW socket on one interface: whole Ethernet frames in and out.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace kubevip::net {

// Classic BPF: accept ARP frames and IPv6 frames carrying ICMPv6 type 136 (Neighbor
// Advertisement) directly after the IPv6 header; drop everything else in the kernel.
std::vector<sock_filter> arpAndNeighborAdvertisementFilter();

class PacketSocket {
 public:
  // Send-only: protocol 0, so the kernel delivers nothing to it.
  static Result<PacketSocket> openForSending(int ifindex);
  // Receives every frame on `ifindex` that passes `filter` (attached before binding, so nothing
  // unfiltered is ever queued). Non-blocking.
  static Result<PacketSocket> openForReceiving(int ifindex, const std::vector<sock_filter>& filter);

  Status send(std::span<const uint8_t> frame);

  struct Frame {
    std::vector<uint8_t> bytes;
    bool outgoing = false;  // PACKET_OUTGOING: a copy of a frame this host sent
  };
  // One pending frame, or std::nullopt when none is queued.
  Result<std::optional<Frame>> receive();
  int fd() const { return fd_.get(); }

 private:
  PacketSocket(UniqueFd fd, int ifindex) : fd_(std::move(fd)), ifindex_(ifindex) {}
  UniqueFd fd_;
  int ifindex_ = 0;
};

}  // namespace kubevip::net

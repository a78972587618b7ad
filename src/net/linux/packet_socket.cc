#include "net/linux/packet_socket.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace kubevip::net {

Result<PacketSocket> PacketSocket::openForSending(int ifindex) {
  UniqueFd fd(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return systemError("socket(AF_PACKET)", errno);
  return PacketSocket(std::move(fd), ifindex);
}

Result<PacketSocket> PacketSocket::openForReceiving(int ifindex,
                                                    const std::vector<sock_filter>& filter,
                                                    int receive_buffer_bytes) {
  UniqueFd fd(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return systemError("socket(AF_PACKET)", errno);
  if (receive_buffer_bytes > 0 &&
      setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer_bytes,
                 sizeof(receive_buffer_bytes)) != 0 &&
      setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes,
                 sizeof(receive_buffer_bytes)) != 0) {
    return systemError("setsockopt(SO_RCVBUF)", errno);
  }
  sock_fprog prog{static_cast<unsigned short>(filter.size()),
                  const_cast<sock_filter*>(filter.data())};
  if (setsockopt(fd.get(), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) != 0) {
    return systemError("setsockopt(SO_ATTACH_FILTER)", errno);
  }
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) != 0) {
    return systemError("bind(AF_PACKET, ifindex " + std::to_string(ifindex) + ")", errno);
  }
  return PacketSocket(std::move(fd), ifindex);
}

Status PacketSocket::send(std::span<const uint8_t> frame) {
  if (frame.size() < 14) {
    return makeError(ErrorCode::kInternal, "refusing to send a frame shorter than its header");
  }
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = ifindex_;
  sll.sll_protocol = htons(static_cast<uint16_t>(frame[12] << 8 | frame[13]));
  sll.sll_halen = 6;
  std::memcpy(sll.sll_addr, frame.data(), 6);
  ssize_t n;
  do {
    n = sendto(fd_.get(), frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&sll),
               sizeof(sll));
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    const int err = errno;
    Error error = systemError("sending on ifindex " + std::to_string(ifindex_), err);
    if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) error.code = ErrorCode::kUnavailable;
    return error;
  }
  return {};
}

Result<uint32_t> PacketSocket::takeDrops() {
  tpacket_stats stats{};
  socklen_t len = sizeof(stats);
  if (getsockopt(fd_.get(), SOL_PACKET, PACKET_STATISTICS, &stats, &len) != 0) {
    return systemError("getsockopt(PACKET_STATISTICS)", errno);
  }
  return stats.tp_drops;
}

Result<std::optional<PacketSocket::Received>> PacketSocket::receive(std::span<uint8_t> buffer) {
  sockaddr_ll from{};
  socklen_t from_len = sizeof(from);
  ssize_t n;
  do {
    n = recvfrom(fd_.get(), buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from),
                 &from_len);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<Received>{};
    return systemError("receiving on ifindex " + std::to_string(ifindex_), errno);
  }
  return std::optional<Received>(
      Received{static_cast<size_t>(n), from.sll_pkttype == PACKET_OUTGOING});
}

}  // namespace kubevip::net

#include "net/linux/packet_socket.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace kubevip::net {
namespace {

constexpr size_t kMaxFrame = 65536;

// Offsets into an untagged Ethernet II frame.
constexpr uint32_t kOffEtherType = 12;
constexpr uint32_t kOffIpv6NextHeader = 14 + 6;
constexpr uint32_t kOffIcmpv6Type = 14 + 40;

}  // namespace

std::vector<sock_filter> arpAndNeighborAdvertisementFilter() {
  // Jump offsets count instructions after the current one.
  return {
      /* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, kOffEtherType),
      /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, 5, 0),   // ARP -> 7 accept
      /* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 5),  // not IPv6 -> 8 drop
      /* 3 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, kOffIpv6NextHeader),
      /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 3),  // not ICMPv6 -> 8 drop
      /* 5 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, kOffIcmpv6Type),
      /* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 136, 0, 1),  // not an NA -> 8 drop
      /* 7 */ BPF_STMT(BPF_RET | BPF_K, 0xffff),               // accept (up to 65535 bytes)
      /* 8 */ BPF_STMT(BPF_RET | BPF_K, 0),                    // drop
  };
}

Result<PacketSocket> PacketSocket::openForSending(int ifindex) {
  UniqueFd fd(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return systemError("socket(AF_PACKET)", errno);
  return PacketSocket(std::move(fd), ifindex);
}

Result<PacketSocket> PacketSocket::openForReceiving(int ifindex,
                                                    const std::vector<sock_filter>& filter) {
  UniqueFd fd(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return systemError("socket(AF_PACKET)", errno);
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
  if (n < 0) return systemError("sending on ifindex " + std::to_string(ifindex_), errno);
  return {};
}

Result<std::optional<PacketSocket::Frame>> PacketSocket::receive() {
  Frame frame;
  frame.bytes.resize(kMaxFrame);
  sockaddr_ll from{};
  socklen_t from_len = sizeof(from);
  ssize_t n;
  do {
    n = recvfrom(fd_.get(), frame.bytes.data(), frame.bytes.size(), 0,
                 reinterpret_cast<sockaddr*>(&from), &from_len);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<Frame>{};
    return systemError("receiving on ifindex " + std::to_string(ifindex_), errno);
  }
  frame.bytes.resize(static_cast<size_t>(n));
  frame.outgoing = from.sll_pkttype == PACKET_OUTGOING;
  return std::optional<Frame>(std::move(frame));
}

}  // namespace kubevip::net

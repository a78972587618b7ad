// Announcer over a send-only packet socket (reopening_packet_socket.h) and the pure ARP/NDP
// codecs.
#include <memory>
#include <utility>

#include "net/announcer.h"
#include "net/arp.h"
#include "net/linux/reopening_packet_socket.h"
#include "net/ndp.h"

namespace kubevip::net {
namespace {

class PacketAnnouncer final : public Announcer {
 public:
  explicit PacketAnnouncer(std::unique_ptr<ReopeningPacketSocket> socket)
      : socket_(std::move(socket)) {}

  Status announce(const IpAddress& vip) override {
    // The MAC as of the socket's last (re)open: an interface created again may have a new one.
    const MacAddress& own = socket_->interface().mac;
    if (vip.isV4()) {
      // Both forms: some neighbours update their cache only from one of them (RFC 5227 §3).
      if (auto st = socket_->send(encodeGratuitousArpRequest(own, vip)); !st) return st;
      return socket_->send(encodeGratuitousArpReply(own, vip));
    }
    return socket_->send(encodeUnsolicitedNeighborAdvertisement(own, sourceFor(vip), vip));
  }

 private:
  // The link-local address (RFC 4861 §7.2.6 lets any of the interface's addresses be the source;
  // the link-local one is what hosts expect). It may have appeared since the socket was opened.
  IpAddress sourceFor(const IpAddress& vip) {
    const InterfaceInfo& iface = socket_->interface();
    if (iface.link_local_v6) return *iface.link_local_v6;
    if (auto fresh = lookupInterface(iface.name); fresh && fresh->index == iface.index) {
      return fresh->link_local_v6.value_or(vip);
    }
    return vip;
  }

  std::unique_ptr<ReopeningPacketSocket> socket_;
};

}  // namespace

Result<std::unique_ptr<Announcer>> createPacketAnnouncer(EventLoop& loop,
                                                         const InterfaceInfo& iface) {
  auto socket = ReopeningPacketSocket::open(loop, iface, "announcement", std::nullopt);
  if (!socket) return socket.error();
  return std::unique_ptr<Announcer>(new PacketAnnouncer(std::move(*socket)));
}

}  // namespace kubevip::net

// Announcer over a send-only packet socket (reopening_packet_socket.h) and the pure ARP/NDP
// codecs.
#include <memory>
#include <utility>

#include "net/announcer.h"
#include "net/arp.h"
#include "net/link_local_source.h"
#include "net/linux/ipv6_address_watch.h"
#include "net/linux/reopening_packet_socket.h"
#include "net/ndp.h"

namespace kubevip::net {
namespace {

class PacketAnnouncer final : public Announcer {
 public:
  PacketAnnouncer(const InterfaceInfo& iface, std::unique_ptr<ReopeningPacketSocket> socket)
      : socket_(std::move(socket)), link_local_(linkLocalFor(iface)) {}

  // The link-local source is looked up again only when an IPv6 address event says it may have
  // changed (link_local_source.h).
  Status watchAddresses(EventLoop& loop) {
    auto watch = Ipv6AddressWatch::create(
        loop, [this](const AddressEvent& e) { link_local_.onAddressEvent(e); },
        [this] { link_local_.markStale(); });
    if (!watch) return watch.error();
    watch_ = std::move(*watch);
    return {};
  }

  Status announce(const IpAddress& vip) override {
    // The MAC as of the socket's last (re)open: an interface created again may have a new one.
    const MacAddress& own = socket_->interface().mac;
    if (vip.isV4()) {
      // Both forms: some neighbours update their cache only from one of them (RFC 5227 §3).
      if (auto st = socket_->send(encodeGratuitousArpRequest(own, vip)); !st) return st;
      return socket_->send(encodeGratuitousArpReply(own, vip));
    }
    // An interface created again (the socket reopened on a new index) has its own link-local
    // address: start over from what the reopen found.
    if (socket_->interface().index != link_local_index_) {
      link_local_ = linkLocalFor(socket_->interface());
    }
    auto st =
        socket_->send(encodeUnsolicitedNeighborAdvertisement(own, link_local_.sourceOr(vip), vip));
    if (!st) link_local_.markStale();
    return st;
  }

 private:
  LinkLocalSource linkLocalFor(const InterfaceInfo& iface) {
    link_local_index_ = iface.index;
    return LinkLocalSource(iface.index, iface.link_local_v6,
                           [name = iface.name] { return lookupInterface(name); });
  }

  std::unique_ptr<ReopeningPacketSocket> socket_;
  int link_local_index_ = 0;
  LinkLocalSource link_local_;
  std::unique_ptr<Ipv6AddressWatch> watch_;  // declared last: its callbacks use link_local_
};

}  // namespace

Result<std::unique_ptr<Announcer>> createPacketAnnouncer(EventLoop& loop,
                                                         const InterfaceInfo& iface) {
  auto socket = ReopeningPacketSocket::open(loop, iface, "announcement", std::nullopt);
  if (!socket) return socket.error();
  auto announcer = std::make_unique<PacketAnnouncer>(iface, std::move(*socket));
  if (auto st = announcer->watchAddresses(loop); !st) return st.error();
  return std::unique_ptr<Announcer>(std::move(announcer));
}

}  // namespace kubevip::net

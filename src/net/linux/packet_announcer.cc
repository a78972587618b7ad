// Announcer and ConflictProber over AF_PACKET sockets (packet_socket.h) and the pure ARP/NDP
// codecs.
#include <memory>
#include <utility>

#include "common/log.h"
#include "net/address_claim.h"
#include "net/announcer.h"
#include "net/arp.h"
#include "net/link_local_source.h"
#include "net/linux/ipv6_address_watch.h"
#include "net/linux/packet_socket.h"
#include "net/ndp.h"

namespace kubevip::net {
namespace {

class PacketAnnouncer final : public Announcer {
 public:
  PacketAnnouncer(InterfaceInfo iface, PacketSocket socket)
      : iface_(std::move(iface)),
        socket_(std::move(socket)),
        link_local_(iface_.index, iface_.link_local_v6,
                    [name = iface_.name] { return lookupInterface(name); }) {}

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
    if (vip.isV4()) {
      // Both forms: some neighbours update their cache only from one of them (RFC 5227 §3).
      if (auto st = socket_.send(encodeGratuitousArpRequest(iface_.mac, vip)); !st) return st;
      return socket_.send(encodeGratuitousArpReply(iface_.mac, vip));
    }
    auto st = socket_.send(
        encodeUnsolicitedNeighborAdvertisement(iface_.mac, link_local_.sourceOr(vip), vip));
    if (!st) link_local_.markStale();
    return st;
  }

 private:
  InterfaceInfo iface_;
  PacketSocket socket_;
  LinkLocalSource link_local_;
  std::unique_ptr<Ipv6AddressWatch> watch_;  // declared last: its callbacks use link_local_
};

class PacketProber final : public ConflictProber {
 public:
  PacketProber(InterfaceInfo iface, PacketSocket socket)
      : iface_(std::move(iface)), socket_(std::move(socket)) {}
  ~PacketProber() override { *alive_ = false; }

  Status start(EventLoop& loop) {
    auto watcher =
        FdWatcher::create(loop, socket_.fd(), FdWatcher::kReadable, [this](int) { readFrames(); });
    if (!watcher) return watcher.error();
    watcher_ = std::move(*watcher);
    return {};
  }

  Status sendProbe(const IpAddress& address) override {
    if (address.isV4()) return socket_.send(encodeArpProbe(iface_.mac, address));
    return socket_.send(encodeDadNeighborSolicitation(iface_.mac, address));
  }

  void setDefenderHandler(
      std::function<void(const IpAddress&, const MacAddress&)> handler) override {
    handler_ = std::move(handler);
  }

 private:
  void readFrames() {
    // The handler may destroy us (e.g. the caller gives up on the address); stop reading then.
    std::shared_ptr<bool> alive = alive_;
    for (;;) {
      auto frame = socket_.receive();
      if (!frame) {
        spdlog::warn("probe socket on {}: {}", iface_.name, frame.error().describe());
        return;
      }
      if (!*frame) return;
      if ((*frame)->outgoing) continue;
      handleFrame((*frame)->bytes);
      if (!*alive) return;
    }
  }

  void handleFrame(std::span<const uint8_t> bytes) {
    auto claim = claimInFrame(bytes, iface_.mac);
    if (!claim) {
      spdlog::debug("{}: ignoring {}", iface_.name, claim.error().describe());
      return;
    }
    if (*claim) report((*claim)->address, (*claim)->mac);
  }

  void report(const IpAddress& address, const MacAddress& mac) {
    if (handler_) handler_(address, mac);
  }

  InterfaceInfo iface_;
  PacketSocket socket_;
  std::function<void(const IpAddress&, const MacAddress&)> handler_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::unique_ptr<FdWatcher> watcher_;  // declared last: stops watching before the socket closes
};

}  // namespace

Result<std::unique_ptr<Announcer>> createPacketAnnouncer(EventLoop& loop,
                                                         const InterfaceInfo& iface) {
  auto socket = PacketSocket::openForSending(iface.index);
  if (!socket) return socket.error();
  auto announcer = std::make_unique<PacketAnnouncer>(iface, std::move(*socket));
  if (auto st = announcer->watchAddresses(loop); !st) return st.error();
  return std::unique_ptr<Announcer>(std::move(announcer));
}

Result<std::unique_ptr<ConflictProber>> createPacketProber(EventLoop& loop,
                                                           const InterfaceInfo& iface) {
  auto socket = PacketSocket::openForReceiving(iface.index, arpAndNeighborAdvertisementFilter());
  if (!socket) return socket.error();
  auto prober = std::make_unique<PacketProber>(iface, std::move(*socket));
  if (auto st = prober->start(loop); !st) return st.error();
  return std::unique_ptr<ConflictProber>(std::move(prober));
}

}  // namespace kubevip::net

// Telling the segment about an address, and asking it whether someone else has one.
//
// Announcer sends unsolicited announcements for an address this node holds, so that neighbours
// and switches move traffic to us: gratuitous ARP for IPv4 (arp.h), unsolicited Neighbor
// Advertisements for IPv6 (ndp.h). Repetition and timing belong to the caller.
// ConflictProber sends ARP probes / DAD solicitations and reports every received packet in which
// a host other than us claims an address; the caller decides which addresses it cares about.
// Both are implemented over AF_PACKET sockets bound to one interface (linux/packet_*.cc) and run
// on the loop thread.
#pragma once

#include <functional>
#include <memory>

#include "common/event_loop.h"
#include "common/ip_address.h"
#include "common/result.h"
#include "net/interfaces.h"
#include "net/mac_address.h"

namespace kubevip::net {

class Announcer {
 public:
  virtual ~Announcer() = default;
  // One round: IPv4 -> one gratuitous ARP request + one gratuitous ARP reply; IPv6 -> one
  // unsolicited NA (source = the interface's link-local address if it has one, else the VIP).
  virtual Status announce(const IpAddress& vip) = 0;
};

class ConflictProber {
 public:
  virtual ~ConflictProber() = default;
  // An ARP probe (RFC 5227 §2.1.1), or a DAD Neighbor Solicitation for IPv6 (RFC 4862 §5.4.2).
  virtual Status sendProbe(const IpAddress& address) = 0;
  // Called on the loop for every received packet showing that another host (a MAC other than
  // ours) claims `address`: any ARP packet with sender IP == address (not 0.0.0.0), or an NA with
  // target == address. The MAC is the ARP sender MAC, or the NA's target link-layer address
  // (its Ethernet source when the option is absent). Not limited to probed addresses.
  virtual void setDefenderHandler(
      std::function<void(const IpAddress&, const MacAddress&)> handler) = 0;
};

Result<std::unique_ptr<Announcer>> createPacketAnnouncer(EventLoop& loop,
                                                         const InterfaceInfo& iface);
Result<std::unique_ptr<ConflictProber>> createPacketProber(EventLoop& loop,
                                                           const InterfaceInfo& iface);

}  // namespace kubevip::net

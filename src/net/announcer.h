// Telling the segment about an address, and asking it whether someone else has one.
//
// Announcer sends unsolicited announcements for an address this node holds, so that neighbours
// and switches move traffic to us: gratuitous ARP for IPv4 (arp.h), unsolicited Neighbor
// Advertisements for IPv6 (ndp.h). Repetition and timing belong to the caller.
// ConflictProber watches one address: it sends ARP probes / DAD solicitations for it and reports
// every received packet in which a host other than us claims it. Because a probe that never left,
// or whose answer could not have been read, is not silence, it also reports when its own probe
// was seen leaving the interface by the receive path, and when frames may have been lost.
// Both are implemented over AF_PACKET sockets bound to one interface (linux/packet_*.cc) and run
// on the loop thread; they reopen their sockets by themselves after the link or the interface
// comes back.
#pragma once

#include <functional>
#include <memory>
#include <string>

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
  struct Handlers {
    // Another host (a MAC other than ours) claims the watched address: an ARP packet with it as
    // sender IP, or an NA with it as target. The MAC is the ARP sender MAC, or the NA's target
    // link-layer address (its Ethernet source when the option is absent).
    std::function<void(const MacAddress&)> claimed;
    // Our last probe was seen leaving the interface by the receive path: it was transmitted, and
    // frames that arrive after it are read. Only such a probe can go unanswered. Always the probe
    // of the latest sendProbe(): a late copy of an earlier one is not reported (its period has
    // been judged, and the report would vouch for a probe that may never leave).
    std::function<void()> probe_seen;
    // The receive path failed or was reopened, or more frames were queued than one read takes:
    // an answer to any probe sent so far may have been missed.
    std::function<void(const std::string& why)> frames_lost;
  };

  virtual ~ConflictProber() = default;
  // An ARP probe (RFC 5227 §2.1.1), or a DAD Neighbor Solicitation for IPv6 (RFC 4862 §5.4.2),
  // for the watched address. An error means it was not sent.
  virtual Status sendProbe() = 0;
  // Handles the frames already queued on the receive socket, so that a timer that fires before
  // the loop polled the socket does not judge a probe whose answer is waiting to be read.
  virtual void readQueued() = 0;
  // A handler may destroy its prober (then sendProbe() returns an error without sending) and, once
  // every prober of a ConflictProberSet is gone, the set.
  virtual void setHandlers(Handlers handlers) = 0;
};

// Probers for many addresses of one interface over shared sockets (one receive socket per address
// family instead of one per address): opening and closing an AF_PACKET receive socket waits for
// an RCU grace period (~10 ms here), so a thousand addresses with a socket each would take
// seconds to start and to release. Each prober behaves as one from createPacketProber.
class ConflictProberSet {
 public:
  virtual ~ConflictProberSet() = default;
  // One prober per address at a time; the set must outlive its probers.
  virtual Result<std::unique_ptr<ConflictProber>> watch(const IpAddress& address) = 0;
};

Result<std::unique_ptr<Announcer>> createPacketAnnouncer(EventLoop& loop,
                                                         const InterfaceInfo& iface);
// The receive socket's kernel filter passes only frames about `address` (packet_filter.h).
Result<std::unique_ptr<ConflictProber>> createPacketProber(EventLoop& loop,
                                                           const InterfaceInfo& iface,
                                                           const IpAddress& address);

Result<std::unique_ptr<ConflictProberSet>> createSharedPacketProbers(EventLoop& loop,
                                                                     const InterfaceInfo& iface);

}  // namespace kubevip::net

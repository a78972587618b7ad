// The kernel data plane of the load balancers configured with `forwarding: kernel`.
//
// On the VIP holder the kernel forwards these balancers' connections itself: nftables DNATs
// VIP:port to one of the backends the health checks see up (src/nft says how the table is built).
// kube-vip takes no part in a connection, so nothing is copied through user space; conntrack keeps
// each connection on the backend chosen for its first packet.
//
// Who has the table, and why (the rules below are applied here and nowhere else):
//   - Only the VIP holder. LoadBalancerSet asks for the table when the VIP is acquired, before the
//     VIP is announced (the acquisition hooks run before the first gratuitous ARP / NA), so the
//     first client to reach the new holder is forwarded, not reset; and for no table when it is
//     released. A node that is not the holder never receives the VIP's packets, but a table left
//     on it would take them the moment the VIP came back by another path (a proxy balancer on
//     the same port, say), so it goes.
//   - A table left over by a run that ended without its stop (SIGKILL, a crash, a power cut) is
//     deleted when the daemon starts: at that point this node holds nothing.
//   - The daemon's stop deletes the table.
// Established connections through a holder break when the VIP moves: the new holder has no
// conntrack entries for them (as with IPVS without connection synchronisation).
//
// Health: the table is compared with what the pools say every kPollInterval and replaced when they
// differ, so a backend marked down by its health checks leaves the kernel's map within that time
// of the check that marked it (well within one check interval); with none up, new connections are
// rejected. A replace that fails (no CAP_NET_ADMIN, nf_tables missing) is logged once per episode
// and tried again at every poll.
//
// UDP flows of a destination that left: conntrack keeps a flow on its first packet's backend, and
// a UDP client that keeps its source port (a DNS forwarder, NTP, syslog) would go on sending to a
// backend that is down for as long as it sends. So after each successful update, for every UDP
// service, the conntrack entries of the destinations that left the map (marked down, removed by a
// reload, or their service gone) are deleted, and the next datagram is balanced afresh
// (nft/conntrack.h). After the update, not before: a datagram arriving between a deletion and the
// update would otherwise make a new entry to the same backend. A deletion that fails is logged as a
// warning and not retried (the flows then last until idle for the conntrack timeout, as before);
// it never affects the table. TCP flows are left alone: a dead backend's connections fail by
// themselves. The deletion dumps the family's whole conntrack table, on the calling thread.
//
// Threading: the control-plane thread only (the pools' atomics are read from there).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/time_source.h"
#include "lb/balancer.h"
#include "nft/conntrack.h"
#include "nft/nftables.h"

namespace kubevip::lb {

using NftablesOpener = std::function<Result<std::unique_ptr<nft::Nftables>>()>;
// Whether the table exists, without opening libnftables (nft::tablePresentWithoutLibrary).
using NftablesProbe = std::function<Result<bool>()>;
// Deletes the conntrack entries of these destinations' flows; how many for each (nft::deleteFlows).
using FlowDeleter = std::function<Result<std::vector<int>>(const std::vector<nft::FlowMatch>&)>;

// How often the table is compared with the backends' health.
inline constexpr Duration kKernelPollInterval = milliseconds(100);

// Pure: the nftables service of a kernel balancer forwarding `vip`, with the backends up now.
nft::Service kernelService(const Balancer& b, const IpAddress& vip);

// A UDP destination that left its service's map: its flows are to be deleted.
struct LeftDestination {
  std::string service;  // the balancer's name, for the log
  nft::FlowMatch flows;
  friend bool operator==(const LeftDestination&, const LeftDestination&) = default;
};

// Pure: the UDP destinations of `before` that are not in `after` any more. A destination stays
// while a UDP service of the same name, VIP and port still has its address and port (its weight
// may change); a service that is gone, or now has another VIP, port or protocol, left with all its
// destinations.
std::vector<LeftDestination> udpDestinationsThatLeft(const std::vector<nft::Service>& before,
                                                     const std::vector<nft::Service>& after);

// Deletes a table left over from an earlier run, if there is one, and says so. Whether or not this
// run forwards anything in the kernel: a leftover would take the VIP's packets from a proxy
// balancer on the same port, the next time this node holds the VIP.
Status removeLeftoverTable(nft::Nftables& nft);

class KernelForwarding {
 public:
  // `open` is called once, when the kernel first needs a change (tests pass fakes): a node that
  // never holds the VIP never loads libnftables. The poll calls `desired` every
  // kKernelPollInterval from start() to stop() and makes the kernel match it. `delete_flows`
  // deletes the conntrack entries of UDP destinations that left (tests pass a fake).
  KernelForwarding(NftablesOpener open, NftablesProbe probe, TimeSource& time,
                   std::function<std::vector<nft::Service>()> desired,
                   FlowDeleter delete_flows = nft::deleteFlows);
  ~KernelForwarding();
  KernelForwarding(const KernelForwarding&) = delete;
  KernelForwarding& operator=(const KernelForwarding&) = delete;

  // Deletes a table left over from an earlier run (logged), then starts the polling.
  Status start();
  // Makes the kernel match desired() now (the VIP acquired or released, a reload).
  void sync();
  // Stops the polling and deletes the table.
  void stop();

  // What the kernel has (nullopt: unknown, after a failure or before the first sync).
  const std::optional<std::vector<nft::Service>>& applied() const { return applied_; }

 private:
  Status open();
  void arm();
  void enableForwarding(const std::vector<nft::Service>& services);
  void deleteFlowsThatLeft(const std::vector<nft::Service>& now);

  NftablesOpener open_;
  NftablesProbe probe_;
  std::function<std::vector<nft::Service>()> desired_;
  FlowDeleter delete_flows_;
  std::unique_ptr<nft::Nftables> nft_;
  std::unique_ptr<Timer> poll_;
  std::optional<std::vector<nft::Service>> applied_;
  // What the last successful update gave the kernel; a failed one leaves the kernel as it was, so
  // this stays what it has (applied_ is cleared on failure to force the retry).
  std::vector<nft::Service> last_applied_;
  bool failing_ = false;  // in an episode of failed updates (logged at its start and end)
  bool forwarding_v4_ = false;
  bool forwarding_v6_ = false;
  bool running_ = false;
};

}  // namespace kubevip::lb

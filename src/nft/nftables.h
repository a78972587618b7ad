// The kernel side of the nftables data plane: installs, replaces and removes the `inet kube_vip`
// table (ruleset.h says what is in it).
//
// Nftables is an interface so that its callers can be tested with a fake; openNftables() gives the
// one that talks to the kernel through libnftables (its JSON API, loaded with dlopen() on first
// use: libnftables_library.h), in the network namespace of the calling thread. No `nft` process is
// ever started. Errors carry libnftables' own error text and name the table.
//
// An Nftables holds one libnftables context, whose netlink socket is opened by openNftables():
// it programs the network namespace of the thread that opened it, whichever thread uses it later.
// Calls into libnftables are serialised process-wide (it keeps global state), so they may come
// from any thread. They block that thread: replace() takes about 0.4 ms per service with three
// destinations (4 ms for 10, 30-40 ms for 100, 0.5-0.8 s for 1000; `nft_apply time-replace` in
// tests/nft measures it), mostly libnftables' own evaluation. On a loop that also carries Raft
// heartbeats, a few hundred services would delay them past an election timeout.
#pragma once

#include <memory>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "nft/ruleset.h"

namespace kubevip::nft {

class Nftables {
 public:
  virtual ~Nftables() = default;
  // Replaces the whole table with these services in one transaction: afterwards the kernel has
  // exactly them, or, on an error, still exactly what it had before. kInvalidArgument (nothing
  // sent) when the services fail validateServices().
  virtual Status replace(const std::vector<Service>& services) = 0;
  // Deletes the table; no error when it is absent.
  virtual Status remove() = 0;
  // Whether the table exists, e.g. a leftover from a daemon that crashed while holding the VIP.
  virtual Result<bool> tablePresent() = 0;
};

// Whether the table exists, asked of nf_tables directly over netlink without loading libnftables
// (which costs about 1.5 MB resident for as long as the process runs): the daemon asks at every
// start, and most nodes never forward in the kernel. Same namespace rule as openNftables().
Result<bool> tablePresentWithoutLibrary();

// Loads libnftables (once per process) and makes a context. kUnavailable when the library cannot
// be loaded; kSystem when no netfilter netlink socket can be opened (no nf_tables in the kernel,
// or no descriptor left), which libnftables itself would answer with exit().
Result<std::unique_ptr<Nftables>> openNftables();

// Turns on forwarding for a family in the calling thread's network namespace (net.ipv4.ip_forward
// or net.ipv6.conf.all.forwarding = 1), which DNAT to other hosts needs. Returns whether it changed
// anything (the caller logs it). It is never turned off again: other software on the host may rely
// on it from then on. Caution for IPv6: with forwarding on, the kernel ignores router
// advertisements on interfaces with accept_ra=1 (only accept_ra=2 still takes them), so a host
// that learns its IPv6 default route from RAs loses it when the route expires.
Result<bool> enableForwarding(IpFamily family);

}  // namespace kubevip::nft

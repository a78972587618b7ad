// Holding an address on an interface: add it with a lifetime, renew that lifetime, remove it, and
// hear about every address change the kernel makes.
//
// The VIP controller adds the VIP with a short valid lifetime and renews it while it may hold the
// VIP, so that a holder that stops renewing (frozen, partitioned, killed) loses the address by
// itself; the preferred lifetime stays 0 so the kernel never picks the VIP as a source address.
// The implementation (linux/netlink_address_manager.cc) talks rtnetlink: requests go to the kernel
// from a worker thread and the caller waits for the kernel's answer for a bounded time (50 ms by
// default; linux/netlink_requester.h says why a thread); events come on a socket subscribed to the
// IPv4/IPv6 address groups, watched on the event loop. The interface is used on the loop thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "common/event_loop.h"
#include "common/ip_address.h"
#include "common/result.h"

namespace kubevip::net {

struct AddressLifetime {
  std::chrono::seconds valid{0};
  std::chrono::seconds preferred{0};
  // Never expires (valid and preferred infinite, like `ip addr add` without lifetimes); `valid`
  // and `preferred` are then ignored.
  bool permanent = false;
};

struct AddressEvent {
  enum class Kind { kAdded, kRemoved } kind = Kind::kAdded;
  int ifindex = 0;
  IpAddress address;
  int prefix_length = 0;
  friend bool operator==(const AddressEvent&, const AddressEvent&) = default;
};

class AddressManager {
 public:
  virtual ~AddressManager() = default;
  // Adds, or replaces (this is how the owner renews the lifetime), address/prefix on ifindex.
  // IPv6 gets IFA_F_NODAD. Synchronous: returns after the kernel's ack, with the kernel's error,
  // or kTimeout after a bounded wait (the request may then still take effect, late). The kernel
  // refuses valid == 0 and preferred > valid (kInvalidArgument before asking it).
  virtual Status addOrRenew(int ifindex, const IpAddress& address, int prefix_length,
                            AddressLifetime lifetime) = 0;
  // Removes it; an address that is already absent is not an error. Bounded like addOrRenew; a
  // removal that timed out is still carried out, after any request made before it.
  virtual Status remove(int ifindex, const IpAddress& address, int prefix_length) = 0;
  virtual Result<bool> has(int ifindex, const IpAddress& address) = 0;
  // Kernel address events (RTM_NEWADDR/RTM_DELADDR, from anyone, ours included), on the loop
  // thread. Every RTM_NEWADDR is reported, so a renewal shows up as another kAdded. If the kernel
  // drops events (the socket overflowed), the manager re-reads all addresses and reports the
  // difference to what it had seen as kAdded/kRemoved events.
  virtual void setEventHandler(std::function<void(const AddressEvent&)> handler) = 0;
};

Result<std::unique_ptr<AddressManager>> createNetlinkAddressManager(EventLoop& loop);

}  // namespace kubevip::net

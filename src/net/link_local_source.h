// The source address of our unsolicited Neighbor Advertisements: the interface's link-local
// address (RFC 4861 §7.2.6 lets any address of the interface be the source; the link-local one is
// what hosts expect), or the VIP itself when the interface has none.
//
// Looking it up reads every link and address of the namespace (getifaddrs: rtnetlink dumps, which
// wait for the RTNL lock like any request), so it does not run per announcement: once when first
// needed, then again only after something says the answer may have changed: an IPv6 address event
// for a link-local address on the interface, lost events, or a failed send. The caller feeds those
// in (linux/ipv6_address_watch.h delivers the events). Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "common/ip_address.h"
#include "common/result.h"
#include "net/address_manager.h"
#include "net/interfaces.h"

namespace kubevip::net {

class LinkLocalSource {
 public:
  using Lookup = std::function<Result<InterfaceInfo>()>;
  // `known`: the link-local address found when the interface was looked up at start, if any.
  LinkLocalSource(int ifindex, std::optional<IpAddress> known, Lookup lookup);

  // The cached link-local address, looked up first if the cache is stale; `fallback` when the
  // interface has none (or the lookup failed: it is tried again at the next call).
  IpAddress sourceOr(const IpAddress& fallback);
  // A link-local address came or went on our interface: look it up again when next needed.
  void onAddressEvent(const AddressEvent& event);
  // Events were lost, or sending from the cached address failed.
  void markStale() { stale_ = true; }

  uint64_t lookups() const { return lookups_; }

 private:
  int ifindex_;
  std::optional<IpAddress> address_;
  Lookup lookup_;
  bool stale_;
  uint64_t lookups_ = 0;
};

}  // namespace kubevip::net

// IPv6 address events from the kernel (RTM_NEWADDR / RTM_DELADDR of the RTNLGRP_IPV6_IFADDR group)
// on the event loop, for those who only need to hear that addresses changed (the announcer's
// link-local source). Reading the events never waits for the RTNL lock. A socket that overflowed
// (ENOBUFS: events were dropped) is reported as `lost`.
#pragma once

#include <functional>
#include <memory>

#include "common/event_loop.h"
#include "common/result.h"
#include "net/address_manager.h"

namespace kubevip::net {

class Ipv6AddressWatch {
 public:
  virtual ~Ipv6AddressWatch() = default;
  // The callbacks run on the loop and must not destroy the watch.
  static Result<std::unique_ptr<Ipv6AddressWatch>> create(
      EventLoop& loop, std::function<void(const AddressEvent&)> changed,
      std::function<void()> lost);
};

}  // namespace kubevip::net

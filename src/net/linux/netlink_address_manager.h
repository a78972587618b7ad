// The rtnetlink AddressManager, with what only its own tests and diagnostics need: the bounds on
// waiting for the kernel, a receive buffer size for the event socket (small ones provoke ENOBUFS)
// and a count of overflows.
#pragma once

#include <cstdint>
#include <memory>

#include "common/event_loop.h"
#include "common/result.h"
#include "common/time_source.h"
#include "net/address_manager.h"

namespace kubevip::net {

// How long the event loop waits for the kernel to answer an add, renew or remove (and the
// re-read after an event overflow) before it gets kTimeout: a fifth of the default 250 ms leader
// lease, so that a stalled request costs the loop a small part of the lease; the controller
// checks the lease again after every call (vip_controller.h, step 1b).
inline constexpr Duration kDefaultNetlinkRequestBound = milliseconds(50);

struct NetlinkAddressManagerOptions {
  Duration request_bound = kDefaultNetlinkRequestBound;
  // Listing all addresses at creation and in has(), which the daemon calls once before it may
  // lead: a host with many addresses needs longer than request_bound, and nothing is held yet.
  Duration start_up_dump_bound = seconds(2);
  // SO_RCVBUF of the event socket in bytes; 0 keeps the kernel's default.
  int event_receive_buffer = 0;
};

class NetlinkAddressManager : public AddressManager {
 public:
  // Times the kernel dropped address events (ENOBUFS) and we re-read all addresses.
  virtual uint64_t overflowCount() const = 0;
};

Result<std::unique_ptr<NetlinkAddressManager>> createNetlinkAddressManager(
    EventLoop& loop, const NetlinkAddressManagerOptions& options);

}  // namespace kubevip::net

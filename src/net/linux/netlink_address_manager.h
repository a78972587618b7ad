// The rtnetlink AddressManager, with what only its own tests and diagnostics need: a receive
// buffer size for the event socket (small ones provoke ENOBUFS) and a count of overflows.
#pragma once

#include <cstdint>
#include <memory>

#include "common/event_loop.h"
#include "common/result.h"
#include "net/address_manager.h"

namespace kubevip::net {

struct NetlinkAddressManagerOptions {
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

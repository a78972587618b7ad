// AddressHolders made of VipControllers: each Service address is held exactly as the control-plane
// VIP is (probe, lifetime-bound add, renewals, announcements; vip/vip_controller.h).
//
// Shared per process: one netlink address manager (one socket, one worker thread) fanned out to
// every controller; per interface, one Announcer and one set of shared probe sockets
// (net/announcer.h: a socket per address would cost ~10 ms of the loop's time to open and again
// to close, each). Per address: a ConflictProber of that set and the VipController. An address left
// on the interface by an earlier run is removed when its holder is created, before it probes:
// the holder is created only when its unit leads, and this process has no other owner of it.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "common/event_loop.h"
#include "config/config.h"
#include "net/address_manager_fanout.h"
#include "net/announcer.h"
#include "services_mode/services_controller.h"

namespace kubevip::services_mode {

class VipHolders {
 public:
  static Result<std::unique_ptr<VipHolders>> create(EventLoop& loop, const config::Config& config);
  ~VipHolders();

  Result<std::unique_ptr<AddressHolder>> make(HolderRequest request);

 private:
  VipHolders(EventLoop& loop, const config::Config& config);

  struct Interface;
  Result<Interface*> interface(const std::string& name);

  EventLoop& loop_;
  const config::Config& config_;
  std::unique_ptr<net::AddressManagerFanout> addresses_;
  std::map<std::string, std::unique_ptr<Interface>> interfaces_;
};

}  // namespace kubevip::services_mode

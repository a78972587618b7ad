// AddressHolders made of VipControllers: each Service address is held exactly as the control-plane
// VIP is (probe, lifetime-bound add, renewals, announcements; vip/vip_controller.h). With BGP
// they are RoutedVips instead (vip/routed_vip.h): the address on bgp.vipInterface, announced by
// the process's one speaker with the configured attributes and the Service's own
// (bgp_annotations.h); the Service's interface annotation does not apply then.
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

#include "bgp/speaker.h"
#include "common/event_loop.h"
#include "config/config.h"
#include "net/address_manager_fanout.h"
#include "net/announcer.h"
#include "services_mode/services_controller.h"

namespace kubevip::services_mode {

class VipHolders {
 public:
  // `routes`: the BGP speaker when config.bgp is set (it must outlive the holders), else null.
  static Result<std::unique_ptr<VipHolders>> create(EventLoop& loop, const config::Config& config,
                                                    bgp::RouteOriginator* routes = nullptr);
  ~VipHolders();

  Result<std::unique_ptr<AddressHolder>> make(HolderRequest request);

 private:
  VipHolders(EventLoop& loop, const config::Config& config, bgp::RouteOriginator* routes);
  Result<std::unique_ptr<AddressHolder>> makeRouted(HolderRequest request);

  struct Interface;
  Result<Interface*> interface(const std::string& name);

  EventLoop& loop_;
  const config::Config& config_;
  bgp::RouteOriginator* routes_;
  std::unique_ptr<net::AddressManagerFanout> addresses_;
  std::map<std::string, std::unique_ptr<Interface>> interfaces_;
};

}  // namespace kubevip::services_mode

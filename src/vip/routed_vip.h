// The VIP announced by BGP: the address goes on a local interface (`lo` by default) so that this
// node answers for it, and a host route to it is originated to the BGP peers
// (bgp::RouteOriginator), so that the routers send its traffic here.
//
//   acquire()  --leadership fresh-->  add the address (finite lifetime)  -->  announce  -->
//   kHolding kHolding: renew the lifetime every renewInterval while leadership is fresh release() /
//   leadership no longer fresh / stop  -->  withdraw  -->  remove the address  --> kIdle
//
// Why this is safe, with the VipController's argument (vip_controller.h) as its base:
//  - Leadership is used only while fresh: the address is added, renewed and put back only when
//    the clock is before Elector::leadershipValidUntil(), compared again when the kernel call
//    returns (steps 1 and 1b there), and a timer at that deadline withdraws and removes it.
//  - The address carries the same finite valid lifetime (vipTiming.lifetime, preferred 0) that
//    only a fresh leader renews (step 2 there): a frozen or killed holder loses it by itself.
//  - No probing (steps 3-5 there): on `lo` there is no segment on which another holder could
//    answer, and where traffic goes is the routers' choice among the announced routes, not ARP's.
//  - Order: the route is announced only after the address is on the interface (a router must not
//    send traffic here before the node answers for it) and withdrawn before the address is
//    removed (routers stop sending before the node stops answering).
// What this does not cover: a killed or frozen process withdraws nothing; its route stays at
// the routers until their hold timer ends the session (or, with Graceful Restart, until the
// restart time ends), so the routers may keep sending traffic to a node whose address expired.
// Threading: the control-plane loop thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "bgp/speaker.h"
#include "common/ip_address.h"
#include "common/time_source.h"
#include "config/config.h"
#include "net/address_manager.h"
#include "vip/held_vip.h"

namespace kubevip::vip {

// The policy of every announcement from the configuration: communities (RFC 1997), large
// communities (RFC 8092), LOCAL_PREF and MED.
bgp::RoutePolicy routePolicyFrom(const config::BgpConfig& bgp);

struct RoutedVipOptions {
  IpAddress vip;
  int ifindex = 0;
  std::string interface_name = "lo";
  config::VipTiming timing;  // valid_lifetime and renew_interval; the announcement ones unused
  bgp::RoutePolicy policy;
};

struct RoutedVipHooks {
  // The address is on the interface (listeners may bind to it now) and about to be announced:
  // the hook runs before the route is handed to the speaker.
  std::function<void()> acquired;
  // The route was withdrawn and the address removed (listeners on it must close).
  std::function<void()> released;
};

class RoutedVip final : public HeldVip {
 public:
  // `leadership_valid_until` is asked before every add or renewal (see the overview).
  RoutedVip(TimeSource& time, net::AddressManager& addresses, bgp::RouteOriginator& routes,
            RoutedVipOptions options, std::function<SteadyTime()> leadership_valid_until,
            RoutedVipHooks hooks);
  ~RoutedVip() override;
  RoutedVip(const RoutedVip&) = delete;
  RoutedVip& operator=(const RoutedVip&) = delete;

  Status removeLeftover() override;
  // Leadership gained: add and announce once leadership is fresh (retried every
  // renewInterval until then). Idempotent.
  void acquire() override;
  // Leadership lost or stopping: withdraw and remove now. Idempotent.
  void release() override;

  VipState state() const override { return state_; }
  const IpAddress& vip() const override { return options_.vip; }
  const std::string& interfaceName() const override { return options_.interface_name; }
  const VipCounters& counters() const override { return counters_; }
  SteadyTime stateSince() const override { return state_since_; }
  const bgp::RoutePolicy& policy() const { return options_.policy; }
  // A new policy (a Service's annotations changed): announced again at once while held, which
  // replaces the route's attributes; kept for the next announcement otherwise.
  void setPolicy(const bgp::RoutePolicy& policy);
  // The renewal period applies from its next timer; the lifetime never changes live; there is
  // no probing to configure.
  void updateTimings(const config::VipTiming& timing, milliseconds probe_interval,
                     int probes_unanswered) override;

 private:
  bool leadershipFresh() const;
  void take();
  void retryLater();
  void renew();
  void watchLease();
  void onAddressEvent(const net::AddressEvent& event);
  net::AddressLifetime lifetime() const;
  int prefixLength() const { return options_.vip.hostPrefixLength(); }
  bool leaseRanOutDuring(const char* call);
  void dropForStaleLease(const char* why);
  void drop(const char* why);
  void enterState(VipState next, const char* why);

  TimeSource& time_;
  net::AddressManager& addresses_;
  bgp::RouteOriginator& routes_;
  RoutedVipOptions options_;
  std::function<SteadyTime()> leadership_valid_until_;
  RoutedVipHooks hooks_;

  bool wanted_ = false;  // between acquire() and release()
  VipState state_ = VipState::kIdle;
  SteadyTime state_since_{};
  VipCounters counters_;
  std::unique_ptr<Timer> retry_timer_;
  std::unique_ptr<Timer> renew_timer_;
  std::unique_ptr<Timer> lease_timer_;
};

}  // namespace kubevip::vip

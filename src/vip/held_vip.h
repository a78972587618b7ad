// The control-plane VIP as the daemon sees it, whichever way it is announced: the VipController
// (ARP / NDP on the VIP's interface, vip_controller.h) or the RoutedVip (an address on `lo`
// announced by BGP, routed_vip.h). Both follow the same leadership gate; the daemon only starts,
// stops and reports them.
// Threading: the control-plane loop thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/ip_address.h"
#include "common/result.h"
#include "common/time_source.h"
#include "config/config.h"

namespace kubevip::vip {

// kProbing: leading but not holding yet (the VipController probes; the RoutedVip never reports
// it, it waits in kIdle until leadership is fresh).
enum class VipState { kIdle, kProbing, kHolding };
const char* vipStateName(VipState state);

// Counters for logs and metrics; only ever increase. The probe and announcement counters stay 0
// for a routed VIP.
struct VipCounters {
  uint64_t acquisitions = 0;
  uint64_t releases = 0;
  uint64_t renewals = 0;
  uint64_t renew_failures = 0;
  uint64_t announcements = 0;
  uint64_t announce_failures = 0;
  uint64_t probes_sent = 0;
  uint64_t probes_answered = 0;
  uint64_t restored_after_removal = 0;
  uint64_t lease_expired_releases = 0;
  uint64_t probes_unconfirmed = 0;  // not sent, or not seen leaving: never counted as silence
  uint64_t probe_frames_lost = 0;   // the prober may have missed an answer
  // Added at the lifetime bound (vip_controller.h, overview 5.).
  uint64_t acquisitions_without_probing = 0;
  // The lease ran out while a kernel call adding or renewing the VIP was running
  // (vip_controller.h, step 1b).
  uint64_t lease_expired_during_kernel_call = 0;
};

class HeldVip {
 public:
  virtual ~HeldVip() = default;
  // Called once before any acquire(): removes a VIP left on the interface by an earlier run
  // (this node does not lead yet, so the address cannot be ours to keep).
  virtual Status removeLeftover() = 0;
  // Leadership gained: take the VIP once that is safe. Idempotent.
  virtual void acquire() = 0;
  // Leadership lost or stopping: give the VIP up now. Idempotent.
  virtual void release() = 0;

  virtual VipState state() const = 0;
  virtual const IpAddress& vip() const = 0;
  virtual const std::string& interfaceName() const = 0;
  virtual const VipCounters& counters() const = 0;
  // When the current state was entered (the VIP held since, for status output).
  virtual SteadyTime stateSince() const = 0;
  // A reload's new timings (config/reload_plan.h); the lifetime never changes live.
  virtual void updateTimings(const config::VipTiming& timing, milliseconds probe_interval,
                             int probes_unanswered) = 0;
};

}  // namespace kubevip::vip

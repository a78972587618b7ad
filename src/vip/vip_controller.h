// What holding the VIP means, and the safety rules around it.
//
// The elector decides *who* leads; the VipController decides what leading does to the network:
//
//   acquire()  --probe-->  kProbing  --segment silent for N probes and leadership fresh--> kHolding
//   kHolding: add VIP (finite valid lifetime, preferred lifetime 0), announce a burst, then renew
//             the lifetime every renewInterval and re-announce every announceInterval
//   release() / leadership no longer fresh / stop  -->  remove VIP  -->  kIdle
//
// Why no two live hosts hold the VIP (the argument, with the timers that bound each step):
//  1. Leadership is usable only while it is fresh (Elector::leadershipValidUntil()). For Raft this
//  is
//     a leader lease: acks from a majority within leaderLease, measured from the send time of the
//     request they answer. leaderLease < the minimum election timeout, and a follower that heard
//     from the leader refuses (pre-)votes until its own election timeout has passed, so no other
//     node can be elected before the lease runs out. Every step here that adds or renews the VIP
//     first compares the monotonic clock with that deadline: a process resumed after a freeze sees
//     its lease expired before any renewal runs, and removes the VIP instead.
//  1b. A check before a kernel call says nothing about when the call returns. The kernel handles
//     an address request while holding the RTNL lock, which any other process may hold for long;
//     the loop waits for the answer at most the address manager's bound (50 ms,
//     net/linux/netlink_address_manager.h), and a process frozen inside the call waits longer.
//     So every add, renewal or put-back compares the clock with the deadline again when the call
//     returns, whatever it answered (a timed-out addition may still land): if the lease ran out
//     meanwhile, the VIP is removed at once. What remains is the time from the moment such a call
//     takes effect until the removal does. Both go through one ordered queue: the removal is sent
//     when the call returns (at most the bound after the deadline) or, if the wait timed out, right
//     after the late addition is answered; an addition whose wait timed out before it was sent is
//     never sent. A new leader is elected no earlier than the election timeout (leaderLease + 50
//     ms) and then probes for probesUnanswered x probeInterval (60 ms), and while the VIP is on
//     the old holder's interface its kernel answers those probes (step 3).
//  2. A leader that died or froze cannot remove its VIP, so the VIP carries a valid lifetime
//     (vipTiming.lifetime, 1 s by default) that only the owner renews: the kernel drops it 1.0-1.25
//     s after the last renewal (whole seconds, timer rounded up).
//  3. Until then the old host still answers for the VIP. A new leader therefore probes first
//     (RFC 5227 §2.1.1 ARP probes; for IPv6 a DAD neighbour solicitation, RFC 4862 §5.4.2) every
//     probeInterval and adds the VIP only after probesUnanswered consecutive probes went
//     unanswered. Linux answers both kinds of probe for any address it holds, so a live old holder
//     keeps the new one waiting; a host that is really gone costs probesUnanswered x probeInterval
//     (60 ms).
//  4. Silence counts only where an answer could have been heard. A probe counts as unanswered
//     only if the prober saw it leave the interface (the kernel's copy of the transmitted frame
//     came back on the receive socket, so it was sent and the receive path was reading after it),
//     no claim arrived before the next probe period, and no frames were lost meanwhile (receive
//     error, socket reopened, backlog too long); anything else restarts the count. Frames already
//     queued are read before a period is judged, so a late timer cannot outrun an answer.
//  5. While probing does not work (the last probe was not sent or not seen), the VIP is added
//     without a probe answer only once the old holder's address has certainly expired, at
//     acquire time + vipTiming.lifetime + kKernelExpirySlack (2 s by default), and only if no
//     claim was heard in the last period. Why acquire time bounds the old holder's last renewal:
//     the old holder renews only while its leadership is fresh (1.), and the elector tells this
//     node that it leads only after the previous leader's leadership stopped being fresh (for
//     Raft: a majority voted for us, each voter after its election timeout passed without the
//     old leader, which is longer than the old leader's lease; for a Kubernetes Lease: we took
//     the Lease after it went unrenewed for leaseDuration > renewDeadline; for etcd: we created
//     the key only after etcd deleted it, no earlier than TTL after the old holder's last
//     keep-alive was sent, while that holder's leadership ended TTL/4 sooner). So every renewal the
//     old holder made reached its kernel before this node's acquire(), and its address is gone
//     lifetime + the kernel's rounding (2.) after that, measured on any monotonic clock.
//     The residual assumption is that a renewal reaches the kernel while the lease that allowed
//     it is still fresh (the add path re-checks leadership after the kernel call).
// Threading: everything runs on the control-plane loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/ip_address.h"
#include "common/time_source.h"
#include "config/config.h"
#include "net/address_manager.h"
#include "net/announcer.h"
#include "vip/held_vip.h"

namespace kubevip::vip {

struct VipControllerOptions {
  IpAddress vip;
  int ifindex = 0;
  std::string interface_name;
  config::VipTiming timing;
  milliseconds probe_interval{20};
  int probes_unanswered = 3;  // 0: add without probing
  bool announce = true;       // gratuitousARP
};

struct VipControllerHooks {
  // The VIP is on the interface (listeners may bind to it now) and about to be announced: the
  // hook runs before the first announcement, so the data plane is ready for the first client.
  std::function<void()> acquired;
  // The VIP was removed from the interface (listeners on it must close).
  std::function<void()> released;
};

using config::kKernelExpirySlack;

class VipController final : public HeldVip {
 public:
  // `leadership_valid_until` is asked before every add or renewal (see the overview).
  VipController(TimeSource& time, net::AddressManager& addresses, net::Announcer& announcer,
                net::ConflictProber& prober, VipControllerOptions options,
                std::function<SteadyTime()> leadership_valid_until, VipControllerHooks hooks);
  ~VipController() override;
  VipController(const VipController&) = delete;
  VipController& operator=(const VipController&) = delete;

  Status removeLeftover() override;
  // Leadership gained: probe, then hold. Idempotent.
  void acquire() override;
  // Leadership lost or stopping: remove the VIP now. Idempotent.
  void release() override;

  VipState state() const override { return state_; }
  const IpAddress& vip() const override { return options_.vip; }
  const std::string& interfaceName() const override { return options_.interface_name; }
  const VipCounters& counters() const override { return counters_; }
  SteadyTime stateSince() const override { return state_since_; }

  // A reload's new timings (config/reload_plan.h says which may change live; the lifetime may
  // not, and a different one is ignored here). Renewal and announcement periods apply from their
  // next timer; the probe settings from the next acquire(), never to a probe count already
  // running, so that one count never mixes two periods.
  void updateTimings(const config::VipTiming& timing, milliseconds probe_interval,
                     int probes_unanswered) override;

 private:
  bool leadershipFresh() const;
  void enterState(VipState next, const char* why);
  void sendProbe();
  void judgeLastProbe();
  bool mayTakeWithoutProbing() const;
  void sendOneProbe();
  void onClaim(const net::MacAddress& mac);
  void onProbeSeen();
  void onFramesLost(const std::string& why);
  // `why` ends up in the state-change log line.
  void takeAddress(const char* why);
  void renew();
  void watchLease();
  void announceRound();
  void scheduleBurst(int remaining);
  void onAddressEvent(const net::AddressEvent& event);
  net::AddressLifetime lifetime() const;
  bool leaseRanOutDuring(const char* call);
  void dropForStaleLease(const char* why);
  void dropAddress(const char* why);

  TimeSource& time_;
  net::AddressManager& addresses_;
  net::Announcer& announcer_;
  net::ConflictProber& prober_;
  VipControllerOptions options_;
  std::function<SteadyTime()> leadership_valid_until_;
  VipControllerHooks hooks_;

  VipState state_ = VipState::kIdle;
  SteadyTime state_since_{};
  // Probe settings of a reload, taken up by the next acquire().
  std::optional<std::pair<milliseconds, int>> pending_probe_settings_;
  // The probe of the current period and what was heard about it (overview, 4.).
  struct ProbeRound {
    bool attempted = false;
    bool sent = false;
    bool seen = false;      // left the interface, and the receive path read after it
    bool answered = false;  // a claim arrived during the period
    bool lost = false;      // frames may have been lost during the period
  };
  ProbeRound round_;
  bool last_probe_unconfirmed_ = false;  // the last judged probe was not sent or not seen
  bool last_period_claimed_ = false;
  int silent_probes_ = 0;
  SteadyTime lifetime_bound_{};  // overview, 5.
  bool defender_logged_ = false;
  bool unconfirmed_logged_ = false;
  VipCounters counters_;
  std::unique_ptr<Timer> probe_timer_;
  std::unique_ptr<Timer> renew_timer_;
  std::unique_ptr<Timer> announce_timer_;
  std::unique_ptr<Timer> burst_timer_;
  std::unique_ptr<Timer> lease_timer_;
};

}  // namespace kubevip::vip

#include "vip/vip_controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/log.h"

namespace kubevip::vip {
namespace {

// Gap between the packets of the burst sent on acquisition: the first goes at once (failover
// speed), the rest cover a lost first packet without waiting for the periodic refresh.
constexpr Duration kBurstSpacing = milliseconds(100);

}  // namespace

const char* vipStateName(VipState state) {
  switch (state) {
    case VipState::kIdle:
      return "idle";
    case VipState::kProbing:
      return "probing";
    case VipState::kHolding:
      return "holding";
  }
  return "?";
}

VipController::VipController(TimeSource& time, net::AddressManager& addresses,
                             net::Announcer& announcer, net::ConflictProber& prober,
                             VipControllerOptions options,
                             std::function<SteadyTime()> leadership_valid_until,
                             VipControllerHooks hooks)
    : time_(time),
      addresses_(addresses),
      announcer_(announcer),
      prober_(prober),
      options_(std::move(options)),
      leadership_valid_until_(std::move(leadership_valid_until)),
      hooks_(std::move(hooks)),
      probe_timer_(time.createTimer()),
      renew_timer_(time.createTimer()),
      announce_timer_(time.createTimer()),
      burst_timer_(time.createTimer()),
      lease_timer_(time.createTimer()) {
  addresses_.setEventHandler([this](const net::AddressEvent& e) { onAddressEvent(e); });
  prober_.setHandlers(net::ConflictProber::Handlers{
      [this](const net::MacAddress& mac) { onClaim(mac); }, [this] { onProbeSeen(); },
      [this](const std::string& why) { onFramesLost(why); }});
}

VipController::~VipController() {
  release();
  addresses_.setEventHandler(nullptr);
  prober_.setHandlers({});
}

Status VipController::removeLeftover() {
  auto present = addresses_.has(options_.ifindex, options_.vip);
  if (!present.ok()) return present.error();
  if (!*present) return {};
  spdlog::warn(
      "VIP {} is on {} but this node does not lead: removing the leftover of an earlier run",
      options_.vip.toString(), options_.interface_name);
  return addresses_.remove(options_.ifindex, options_.vip, options_.vip.hostPrefixLength());
}

bool VipController::leadershipFresh() const { return time_.now() < leadership_valid_until_(); }

void VipController::enterState(VipState next, const char* why) {
  if (next == state_) return;
  // One line per move of the VIP, with its cause, as a structured event (common/log.h).
  const char* event = next == VipState::kHolding     ? "vip_acquired"
                      : state_ == VipState::kHolding ? "vip_released"
                      : next == VipState::kProbing   ? "vip_probing"
                                                     : "vip_idle";
  const std::string vip = options_.vip.toString();
  logEvent(
      spdlog::level::info, {.component = "vip", .event = event, .vip = vip, .reason = why},
      fmt::format("VIP {}: {} -> {} ({})", vip, vipStateName(state_), vipStateName(next), why));
  state_ = next;
  state_since_ = time_.now();
}

void VipController::updateTimings(const config::VipTiming& timing, milliseconds probe_interval,
                                  int probes_unanswered) {
  const auto lifetime = options_.timing.valid_lifetime;
  options_.timing = timing;
  options_.timing.valid_lifetime = lifetime;
  pending_probe_settings_ = std::make_pair(probe_interval, probes_unanswered);
}

void VipController::acquire() {
  if (state_ != VipState::kIdle) return;
  if (pending_probe_settings_) {
    options_.probe_interval = pending_probe_settings_->first;
    options_.probes_unanswered = pending_probe_settings_->second;
    pending_probe_settings_.reset();
  }
  silent_probes_ = 0;
  round_ = {};
  last_probe_unconfirmed_ = false;
  last_period_claimed_ = false;
  defender_logged_ = false;
  unconfirmed_logged_ = false;
  lifetime_bound_ = time_.now() + options_.timing.valid_lifetime + kKernelExpirySlack;
  enterState(VipState::kProbing, "leading; checking that no other host holds the VIP");
  sendProbe();
}

void VipController::release() {
  probe_timer_->stop();
  if (state_ == VipState::kHolding) dropAddress("leadership released");
  enterState(VipState::kIdle, "not leading");
}

// One probe period: judge the previous period's probe (overview, 4.), decide, then probe again.
void VipController::sendProbe() {
  if (options_.probes_unanswered > 0) {
    prober_.readQueued();  // answers already waiting count before the judgement
    judgeLastProbe();
  }
  if (leadershipFresh() &&
      (silent_probes_ >= options_.probes_unanswered || mayTakeWithoutProbing())) {
    const bool without_probing = silent_probes_ < options_.probes_unanswered;
    takeAddress(without_probing ? "probing does not work, and the previous holder's lifetime "
                                  "bound has passed"
                : options_.probes_unanswered == 0 ? "probing is off"
                                                  : "no other host answered for it");
    if (state_ == VipState::kHolding) {
      if (without_probing) {
        ++counters_.acquisitions_without_probing;
        spdlog::warn(
            "VIP {}: added without a working probe, {} ms after this node began to lead: the "
            "previous holder's address has expired by now",
            options_.vip.toString(),
            std::chrono::duration_cast<milliseconds>(options_.timing.valid_lifetime +
                                                     kKernelExpirySlack)
                .count());
      }
      return;
    }
  }
  if (options_.probes_unanswered > 0) sendOneProbe();
  probe_timer_->start(options_.probe_interval, [this] { sendProbe(); });
}

void VipController::judgeLastProbe() {
  const ProbeRound last = round_;
  round_ = {};
  last_period_claimed_ = last.answered;
  if (!last.attempted) {  // nothing probed yet: this period starts the count
    silent_probes_ = 0;
    last_probe_unconfirmed_ = false;
    return;
  }
  last_probe_unconfirmed_ = !last.sent || !last.seen;
  if (last_probe_unconfirmed_) {
    ++counters_.probes_unconfirmed;
    if (!unconfirmed_logged_) {
      unconfirmed_logged_ = true;
      spdlog::warn(
          "VIP {}: probing does not work ({}); a probe that cannot be heard is not silence, so "
          "the VIP is added only once probes work again, or without them {} ms after this node "
          "began to lead, when the previous holder's address has certainly expired",
          options_.vip.toString(),
          last.sent ? "the probe was not seen leaving the interface" : "the probe was not sent",
          std::chrono::duration_cast<milliseconds>(options_.timing.valid_lifetime +
                                                   kKernelExpirySlack)
              .count());
    }
  }
  if (last_probe_unconfirmed_ || last.answered || last.lost) {
    silent_probes_ = 0;
  } else {
    ++silent_probes_;
  }
}

// Overview, 5.: only while probing does not work, past the old holder's lifetime bound, and
// with no claim heard in the last period.
bool VipController::mayTakeWithoutProbing() const {
  return last_probe_unconfirmed_ && !last_period_claimed_ && time_.now() >= lifetime_bound_;
}

void VipController::sendOneProbe() {
  round_.attempted = true;
  round_.sent = true;  // before the call: the prober may report it seen before returning
  if (auto st = prober_.sendProbe(); !st) {
    round_.sent = false;
    round_.seen = false;
    spdlog::debug("VIP {}: probe not sent: {}", options_.vip.toString(), st.error().describe());
    return;
  }
  ++counters_.probes_sent;
}

void VipController::onProbeSeen() {
  if (round_.sent) round_.seen = true;
}

void VipController::onFramesLost(const std::string& why) {
  ++counters_.probe_frames_lost;
  round_.lost = true;
  if (state_ == VipState::kProbing) {
    spdlog::info("VIP {}: probe answers may have been missed ({}); counting again",
                 options_.vip.toString(), why);
  }
}

void VipController::onClaim(const net::MacAddress& mac) {
  ++counters_.probes_answered;
  if (state_ == VipState::kProbing) {
    round_.answered = true;
    silent_probes_ = 0;
    if (!defender_logged_) {
      spdlog::warn("VIP {}: host {} still holds it; waiting until it lets go",
                   options_.vip.toString(), mac.toString());
      defender_logged_ = true;
    }
  } else if (state_ == VipState::kHolding && !defender_logged_) {
    // RFC 5227 §2.4: a conflict while we hold the address. Our fencing means the other host is
    // stale; it will lose the address when its lifetime runs out. Say so once.
    spdlog::warn("VIP {}: host {} also claims it while this node holds it", options_.vip.toString(),
                 mac.toString());
    defender_logged_ = true;
  }
}

net::AddressLifetime VipController::lifetime() const {
  return net::AddressLifetime{options_.timing.valid_lifetime, std::chrono::seconds(0), false};
}

void VipController::takeAddress(const char* why) {
  auto st = addresses_.addOrRenew(options_.ifindex, options_.vip, options_.vip.hostPrefixLength(),
                                  lifetime());
  if (leaseRanOutDuring("adding it")) {
    // Whatever the call answered: an addition that timed out may still have taken effect.
    if (auto removed =
            addresses_.remove(options_.ifindex, options_.vip, options_.vip.hostPrefixLength());
        !removed) {
      spdlog::error("VIP {}: removing it failed ({}); the kernel drops it within {} s",
                    options_.vip.toString(), removed.error().describe(),
                    options_.timing.valid_lifetime.count());
    }
    return;  // stay probing; the VIP is taken only with fresh leadership
  }
  if (!st) {
    spdlog::error("VIP {}: cannot add to {}: {}", options_.vip.toString(), options_.interface_name,
                  st.error().describe());
    return;  // stay probing; the next period tries again
  }
  probe_timer_->stop();
  ++counters_.acquisitions;
  defender_logged_ = false;
  enterState(VipState::kHolding, why);
  renew_timer_->start(options_.timing.renew_interval, [this] { renew(); });
  watchLease();
  // The data plane first (kernel forwarding rules, listeners), then the announcement that sends
  // clients here: the first of them is served, not reset.
  if (hooks_.acquired) hooks_.acquired();
  scheduleBurst(options_.timing.announce_burst);
}

// Fires at the leadership deadline, so that the VIP goes the moment leadership stops being fresh,
// not at the next renewal.
void VipController::watchLease() {
  if (!leadershipFresh()) {
    renew();  // takes the expired-lease path
    return;
  }
  // Capped so that an unbounded leadership (single node) does not arm a timer at the end of time.
  const Duration left =
      std::min<Duration>(leadership_valid_until_() - time_.now(), std::chrono::hours(1));
  lease_timer_->start(left, [this] { watchLease(); });
}

void VipController::renew() {
  if (!leadershipFresh()) {
    dropForStaleLease("leadership is no longer fresh (lease expired)");
    return;
  }
  auto st = addresses_.addOrRenew(options_.ifindex, options_.vip, options_.vip.hostPrefixLength(),
                                  lifetime());
  if (leaseRanOutDuring("renewing it")) {
    dropForStaleLease("the lease expired while the renewal ran");
    return;
  }
  if (st) {
    ++counters_.renewals;
  } else {
    ++counters_.renew_failures;
    spdlog::error("VIP {}: renewing its lifetime failed: {}", options_.vip.toString(),
                  st.error().describe());
  }
  renew_timer_->start(options_.timing.renew_interval, [this] { renew(); });
}

void VipController::scheduleBurst(int remaining) {
  announceRound();
  if (remaining > 1) {
    burst_timer_->start(kBurstSpacing, [this, remaining] { scheduleBurst(remaining - 1); });
  } else {
    announce_timer_->start(options_.timing.announce_interval, [this] { scheduleBurst(1); });
  }
}

void VipController::announceRound() {
  if (!options_.announce || state_ != VipState::kHolding) return;
  if (auto st = announcer_.announce(options_.vip); st) {
    ++counters_.announcements;
  } else {
    ++counters_.announce_failures;
    spdlog::warn("VIP {}: announcement failed: {}", options_.vip.toString(), st.error().describe());
  }
}

void VipController::onAddressEvent(const net::AddressEvent& event) {
  if (event.kind != net::AddressEvent::Kind::kRemoved || event.ifindex != options_.ifindex ||
      !(event.address == options_.vip) || state_ != VipState::kHolding) {
    return;
  }
  if (!leadershipFresh()) return;  // the renewal timer releases it
  spdlog::warn("VIP {} was removed from {} while this node holds it: putting it back",
               options_.vip.toString(), options_.interface_name);
  auto st = addresses_.addOrRenew(options_.ifindex, options_.vip, options_.vip.hostPrefixLength(),
                                  lifetime());
  if (leaseRanOutDuring("putting it back")) {
    dropForStaleLease("the lease expired while the VIP was put back");
    return;
  }
  if (!st) {
    spdlog::error("VIP {}: cannot put it back: {}", options_.vip.toString(), st.error().describe());
    return;
  }
  ++counters_.restored_after_removal;
  scheduleBurst(options_.timing.announce_burst);
}

// Step 1b of the argument in the header: the check before a kernel call that adds or renews the VIP
// says nothing about the moment the call returns.
bool VipController::leaseRanOutDuring(const char* call) {
  if (leadershipFresh()) return false;
  ++counters_.lease_expired_during_kernel_call;
  spdlog::warn(
      "VIP {}: leadership stopped being fresh while {} (the kernel call took until after the "
      "lease deadline); removing it at once",
      options_.vip.toString(), call);
  return true;
}

void VipController::dropForStaleLease(const char* why) {
  ++counters_.lease_expired_releases;
  dropAddress(why);
  // Still asked to lead: go back to probing, which takes the VIP again only once fresh.
  state_ = VipState::kProbing;
  spdlog::info("VIP {}: holding -> probing (waiting for fresh leadership)",
               options_.vip.toString());
  silent_probes_ = 0;
  probe_timer_->start(options_.probe_interval, [this] { sendProbe(); });
}

void VipController::dropAddress(const char* why) {
  renew_timer_->stop();
  lease_timer_->stop();
  announce_timer_->stop();
  burst_timer_->stop();
  auto st = addresses_.remove(options_.ifindex, options_.vip, options_.vip.hostPrefixLength());
  if (!st) {
    // The kernel still drops it when its lifetime runs out; say so rather than pretend.
    spdlog::error("VIP {}: removing it failed ({}); the kernel drops it within {} s",
                  options_.vip.toString(), st.error().describe(),
                  options_.timing.valid_lifetime.count());
  }
  ++counters_.releases;
  const std::string vip = options_.vip.toString();
  logEvent(spdlog::level::info,
           {.component = "vip", .event = "vip_released", .vip = vip, .reason = why},
           fmt::format("VIP {} removed from {} ({})", vip, options_.interface_name, why));
  state_ = VipState::kIdle;
  if (hooks_.released) hooks_.released();
}

}  // namespace kubevip::vip

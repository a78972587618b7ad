#include "vip/routed_vip.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/log.h"

namespace kubevip::vip {

bgp::RoutePolicy routePolicyFrom(const config::BgpConfig& bgp) {
  bgp::RoutePolicy policy;
  for (const config::BgpCommunity& c : bgp.communities) {
    policy.communities.push_back(uint32_t{c.as} << 16 | c.value);  // RFC 1997 §3
  }
  for (const config::BgpLargeCommunity& c : bgp.large_communities) {
    policy.large_communities.push_back({c.global, c.local1, c.local2});  // RFC 8092 §3
  }
  policy.local_pref = bgp.local_pref;
  policy.med = bgp.med;
  return policy;
}

RoutedVip::RoutedVip(TimeSource& time, net::AddressManager& addresses, bgp::RouteOriginator& routes,
                     RoutedVipOptions options, std::function<SteadyTime()> leadership_valid_until,
                     RoutedVipHooks hooks)
    : time_(time),
      addresses_(addresses),
      routes_(routes),
      options_(std::move(options)),
      leadership_valid_until_(std::move(leadership_valid_until)),
      hooks_(std::move(hooks)),
      retry_timer_(time.createTimer()),
      renew_timer_(time.createTimer()),
      lease_timer_(time.createTimer()) {
  addresses_.setEventHandler([this](const net::AddressEvent& e) { onAddressEvent(e); });
}

RoutedVip::~RoutedVip() {
  release();
  addresses_.setEventHandler(nullptr);
}

Status RoutedVip::removeLeftover() {
  auto present = addresses_.has(options_.ifindex, options_.vip);
  if (!present.ok()) return present.error();
  if (!*present) return {};
  spdlog::warn(
      "VIP {} is on {} but this node does not lead: removing the leftover of an earlier run",
      options_.vip.toString(), options_.interface_name);
  return addresses_.remove(options_.ifindex, options_.vip, prefixLength());
}

bool RoutedVip::leadershipFresh() const { return time_.now() < leadership_valid_until_(); }

void RoutedVip::enterState(VipState next, const char* why) {
  if (next == state_) return;
  const std::string vip = options_.vip.toString();
  logEvent(spdlog::level::info,
           {.component = "vip",
            .event = next == VipState::kHolding ? "vip_acquired" : "vip_released",
            .vip = vip,
            .reason = why},
           fmt::format("VIP {} (BGP): {} -> {} ({})", vip, vipStateName(state_), vipStateName(next),
                       why));
  state_ = next;
  state_since_ = time_.now();
}

void RoutedVip::updateTimings(const config::VipTiming& timing, milliseconds, int) {
  const auto lifetime = options_.timing.valid_lifetime;
  options_.timing = timing;
  options_.timing.valid_lifetime = lifetime;
}

void RoutedVip::setPolicy(const bgp::RoutePolicy& policy) {
  if (policy == options_.policy) return;
  options_.policy = policy;
  if (state_ == VipState::kHolding) routes_.announce(options_.vip, options_.policy);
}

void RoutedVip::acquire() {
  if (wanted_) return;
  wanted_ = true;
  take();
}

void RoutedVip::release() {
  wanted_ = false;
  retry_timer_->stop();
  if (state_ == VipState::kHolding) drop("leadership released");
}

void RoutedVip::retryLater() {
  retry_timer_->start(options_.timing.renew_interval, [this] { take(); });
}

net::AddressLifetime RoutedVip::lifetime() const {
  return net::AddressLifetime{options_.timing.valid_lifetime, std::chrono::seconds(0), false};
}

// Adds the address, then announces it (the order: see the header).
void RoutedVip::take() {
  if (!wanted_ || state_ == VipState::kHolding) return;
  if (!leadershipFresh()) {
    retryLater();
    return;
  }
  auto st = addresses_.addOrRenew(options_.ifindex, options_.vip, prefixLength(), lifetime());
  if (leaseRanOutDuring("adding it")) {
    // Whatever the call answered: an addition that timed out may still have taken effect.
    if (auto removed = addresses_.remove(options_.ifindex, options_.vip, prefixLength());
        !removed) {
      spdlog::error("VIP {}: removing it failed ({}); the kernel drops it within {} s",
                    options_.vip.toString(), removed.error().describe(),
                    options_.timing.valid_lifetime.count());
    }
    retryLater();
    return;
  }
  if (!st) {
    spdlog::error("VIP {}: cannot add to {}: {}", options_.vip.toString(), options_.interface_name,
                  st.error().describe());
    retryLater();
    return;
  }
  ++counters_.acquisitions;
  enterState(
      VipState::kHolding,
      "leading; its route handed to the BGP speaker, which sends it to every peer that takes it");
  renew_timer_->start(options_.timing.renew_interval, [this] { renew(); });
  // The data plane first (kernel forwarding rules, listeners), then the route that sends clients
  // here: the first of them is served, not reset.
  if (hooks_.acquired) hooks_.acquired();
  routes_.announce(options_.vip, options_.policy);
  watchLease();
}

// Fires at the leadership deadline, so that the route and the address go the moment leadership
// stops being fresh, not at the next renewal.
void RoutedVip::watchLease() {
  if (!leadershipFresh()) {
    dropForStaleLease("leadership is no longer fresh (lease expired)");
    return;
  }
  // Capped so that an unbounded leadership (single node) does not arm a timer at the end of time.
  const Duration left =
      std::min<Duration>(leadership_valid_until_() - time_.now(), std::chrono::hours(1));
  lease_timer_->start(left, [this] { watchLease(); });
}

void RoutedVip::renew() {
  if (!leadershipFresh()) {
    dropForStaleLease("leadership is no longer fresh (lease expired)");
    return;
  }
  auto st = addresses_.addOrRenew(options_.ifindex, options_.vip, prefixLength(), lifetime());
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

void RoutedVip::onAddressEvent(const net::AddressEvent& event) {
  if (event.kind != net::AddressEvent::Kind::kRemoved || event.ifindex != options_.ifindex ||
      !(event.address == options_.vip) || state_ != VipState::kHolding) {
    return;
  }
  if (!leadershipFresh()) return;  // the lease timer withdraws and releases it
  spdlog::warn("VIP {} was removed from {} while this node holds it: putting it back",
               options_.vip.toString(), options_.interface_name);
  auto st = addresses_.addOrRenew(options_.ifindex, options_.vip, prefixLength(), lifetime());
  if (leaseRanOutDuring("putting it back")) {
    dropForStaleLease("the lease expired while the VIP was put back");
    return;
  }
  if (!st) {
    spdlog::error("VIP {}: cannot put it back: {}", options_.vip.toString(), st.error().describe());
    return;
  }
  ++counters_.restored_after_removal;
}

// Step 1b of the VipController's argument: the check before a kernel call that adds or renews
// the address says nothing about the moment the call returns.
bool RoutedVip::leaseRanOutDuring(const char* call) {
  if (leadershipFresh()) return false;
  ++counters_.lease_expired_during_kernel_call;
  spdlog::warn(
      "VIP {}: leadership stopped being fresh while {} (the kernel call took until after the "
      "lease deadline); withdrawing and removing it at once",
      options_.vip.toString(), call);
  return true;
}

void RoutedVip::dropForStaleLease(const char* why) {
  ++counters_.lease_expired_releases;
  drop(why);
  // Still asked to lead: take it again once leadership is fresh.
  if (wanted_) retryLater();
}

// Withdraws, then removes (the order: see the header).
void RoutedVip::drop(const char* why) {
  renew_timer_->stop();
  lease_timer_->stop();
  routes_.withdraw(options_.vip);
  if (auto st = addresses_.remove(options_.ifindex, options_.vip, prefixLength()); !st) {
    // The kernel still drops it when its lifetime runs out; say so rather than pretend.
    spdlog::error("VIP {}: removing it failed ({}); the kernel drops it within {} s",
                  options_.vip.toString(), st.error().describe(),
                  options_.timing.valid_lifetime.count());
  }
  ++counters_.releases;
  enterState(VipState::kIdle, why);
  if (hooks_.released) hooks_.released();
}

}  // namespace kubevip::vip

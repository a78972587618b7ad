#include "services_mode/services_controller.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "services/addresses_in_use.h"
#include "services/ipam.h"

namespace kubevip::services_mode {
namespace {

std::string refName(const ServiceRef& ref) {
  return fmt::format("{}/{}", ref.service_namespace, ref.name);
}

std::string addressList(const std::vector<IpAddress>& addresses) {
  std::string text;
  for (const auto& a : addresses) text += (text.empty() ? "" : ",") + a.toString();
  return text;
}

std::vector<services::ServicePort> portsOf(const k8s::Service& service) {
  std::vector<services::ServicePort> ports;
  for (const auto& p : service.ports) ports.push_back({p.port, p.protocol});
  return ports;
}

services::IpFamilyPolicy policyOf(const k8s::Service& service) {
  switch (service.ip_family_policy.value_or(k8s::IpFamilyPolicy::kSingleStack)) {
    case k8s::IpFamilyPolicy::kPreferDualStack:
      return services::IpFamilyPolicy::kPreferDualStack;
    case k8s::IpFamilyPolicy::kRequireDualStack:
      return services::IpFamilyPolicy::kRequireDualStack;
    case k8s::IpFamilyPolicy::kSingleStack:
      break;
  }
  return services::IpFamilyPolicy::kSingleStack;
}

}  // namespace

struct ServicesController::Unit {
  std::string key;  // "namespace/name" of its Lease
  // Null for the one unit without svc_election, which follows services_elector_.
  std::unique_ptr<election::Elector> elector;
  bool leading = false;
  bool stopped = false;  // its elector called stop's done
  struct Held {
    std::string interface;
    std::unique_ptr<AddressHolder> holder;
  };
  std::map<IpAddress, Held, AddressOrder> held;
};

ServicesController::ServicesController(TimeSource& time, ServicesControllerOptions options,
                                       ElectorFactory electors, HolderFactory holders,
                                       ServiceWriter* writer)
    : time_(time),
      options_(std::move(options)),
      electors_(std::move(electors)),
      holders_(std::move(holders)),
      writer_(writer),
      reconcile_timer_(time.createTimer()),
      retry_timer_(time.createTimer()) {}

ServicesController::~ServicesController() {
  *alive_ = false;
  for (auto& [key, unit] : units_) releaseAll(*unit);
  for (auto& unit : retiring_) releaseAll(*unit);
}

Status ServicesController::start() {
  auto elector = electors_(options_.services_lease_namespace, options_.services_lease_name);
  if (!elector) return elector.error();
  services_elector_ = std::move(*elector);
  election::ElectorCallbacks callbacks;
  callbacks.started_leading = [this] {
    spdlog::info("services: this node leads the services Lease {}/{}",
                 options_.services_lease_namespace, options_.services_lease_name);
    services_leading_ = true;
    if (auto it = units_.find(""); it != units_.end()) it->second->leading = true;
    changed();
  };
  callbacks.stopped_leading = [this] {
    spdlog::info("services: this node no longer leads the services Lease");
    services_leading_ = false;
    if (auto it = units_.find(""); it != units_.end()) {
      it->second->leading = false;
      releaseAll(*it->second);
    }
    changed();
  };
  callbacks.new_leader = [](const std::string&) {};
  if (!options_.per_service_election) addUnit("", "", "");
  return services_elector_->start(std::move(callbacks));
}

void ServicesController::changed() {
  if (stopping_ || reconcile_scheduled_) return;
  reconcile_scheduled_ = true;
  // Zero delay: everything already queued on the loop (a batch of watch events) lands first.
  reconcile_timer_->start(Duration::zero(), [this] {
    reconcile_scheduled_ = false;
    reconcile();
  });
}

void ServicesController::setViewComplete() {
  if (view_complete_) return;
  view_complete_ = true;
  spdlog::info("services: every watch has listed its objects; planning");
  changed();
}

void ServicesController::retryLater() {
  failed_this_round_ = true;
  if (!retry_timer_->active()) {
    retry_timer_->start(options_.retry_after_failure, [this] { changed(); });
  }
}

void ServicesController::note(const ServiceRef& ref, const std::string& message) {
  auto& last = noted_[ref];
  if (last == message) return;
  last = message;
  spdlog::warn("services: {}", message);
}

void ServicesController::reconcile() {
  if (stopping_ || !view_complete_) return;
  const SteadyTime started = time_.now();
  std::erase_if(retiring_, [](const std::unique_ptr<Unit>& u) { return u->stopped; });
  ServicesPlan plan = planServices(view_, options_.plan);
  for (const auto& [ref, message] : plan.problems) note(ref, message);
  reconcileUnits(plan);
  if (writer_ && options_.write_updates) writeStatuses(plan);
  if (writer_ && options_.address_management && services_leading_) allocate(plan);
  // Forget notes of Services that are gone, so that a new one with the same name is logged.
  std::erase_if(noted_, [&](const auto& entry) { return view_.service(entry.first) == nullptr; });
  active_by_namespace_.clear();
  for (const auto& group : plan.groups) {
    if (!group.eligible) continue;
    auto unit = units_.find(options_.per_service_election ? group.leaseKey() : "");
    if (unit == units_.end() || !unit->second->leading) continue;
    for (const auto& ref : group.group.services) ++active_by_namespace_[ref.service_namespace];
  }
  // A failure in this round or in a write it started (answered since) counts once.
  if (failed_this_round_) ++reconcile_errors_;
  failed_this_round_ = false;
  if (options_.reconciled) options_.reconciled(time_.now() - started);
}

ServicesReport ServicesController::report() const {
  ServicesReport report;
  report.active_by_namespace = active_by_namespace_;
  report.reconcile_errors = reconcile_errors_;
  for (const auto& [key, unit] : units_) {
    report.elections[key.empty()
                         ? options_.services_lease_namespace + "/" + options_.services_lease_name
                         : key] = unit->leading;
  }
  return report;
}

void ServicesController::reconcileUnits(const ServicesPlan& plan) {
  std::map<std::string, std::vector<const GroupPlan*>> wanted;  // unit key -> its groups
  for (const auto& group : plan.groups) {
    if (!group.eligible) {
      for (const auto& ref : group.group.services) note(ref, group.ineligible_reason);
      continue;
    }
    for (const auto& ref : group.group.services) {
      if (auto it = noted_.find(ref); it != noted_.end() && it->second == group.ineligible_reason) {
        noted_.erase(it);
      }
    }
    wanted[options_.per_service_election ? group.leaseKey() : ""].push_back(&group);
  }
  // Removed units first: their addresses are released before any new unit may take them.
  for (auto it = units_.begin(); it != units_.end();) {
    if (it->first.empty() || wanted.count(it->first) != 0) {
      ++it;
      continue;
    }
    auto unit = std::move(it->second);
    it = units_.erase(it);
    retireUnit(std::move(unit));
  }
  // Units that lost groups release those addresses before any unit adds one.
  for (auto& [key, unit] : units_) {
    AddressSet keep;
    if (auto w = wanted.find(key); w != wanted.end() && unit->leading) {
      for (const GroupPlan* g : w->second) {
        for (const auto& a : g->group.addresses) keep.insert(a);
      }
    }
    for (auto it = unit->held.begin(); it != unit->held.end();) {
      if (keep.count(it->first) != 0) {
        ++it;
        continue;
      }
      spdlog::info("services: {} is no longer announced by this node", it->first.toString());
      it->second.holder->release();
      it = unit->held.erase(it);
    }
  }
  for (const auto& [key, groups] : wanted) {
    auto it = units_.find(key);
    Unit* unit = nullptr;
    if (it != units_.end()) {
      unit = it->second.get();
    } else {
      const auto& g = groups.front()->group;
      unit = addUnit(key, g.lease_namespace, g.lease_name);
    }
    if (unit && unit->leading) reconcileAddresses(*unit, groups);
  }
}

ServicesController::Unit* ServicesController::addUnit(const std::string& key,
                                                      const std::string& lease_namespace,
                                                      const std::string& lease_name) {
  auto unit = std::make_unique<Unit>();
  unit->key = key;
  Unit& ref = *unit;
  units_[key] = std::move(unit);
  if (key.empty()) {
    ref.leading = services_leading_;
    return &ref;
  }
  auto elector = electors_(lease_namespace, lease_name);
  if (!elector) {
    spdlog::error("services: cannot start the election for Lease {}: {}", key,
                  elector.error().describe());
    units_.erase(key);
    retryLater();
    return nullptr;
  }
  ref.elector = std::move(*elector);
  election::ElectorCallbacks callbacks;
  Unit* raw = &ref;
  callbacks.started_leading = [this, raw] {
    spdlog::info("services: this node leads Lease {}", raw->key);
    raw->leading = true;
    changed();
  };
  callbacks.stopped_leading = [this, raw] {
    spdlog::info("services: this node no longer leads Lease {}", raw->key);
    raw->leading = false;
    releaseAll(*raw);
    changed();
  };
  callbacks.new_leader = [](const std::string&) {};
  if (auto st = ref.elector->start(std::move(callbacks)); !st) {
    spdlog::error("services: cannot start the election for Lease {}: {}", key,
                  st.error().describe());
    units_.erase(key);
    retryLater();
    return nullptr;
  }
  return &ref;
}

void ServicesController::retireUnit(std::unique_ptr<Unit> unit) {
  releaseAll(*unit);
  unit->leading = false;
  if (!unit->elector) return;
  Unit* raw = unit.get();
  retiring_.push_back(std::move(unit));
  ++stops_pending_;
  std::weak_ptr<bool> alive = alive_;
  raw->elector->stop([this, raw, alive] {
    if (alive.expired()) return;
    raw->stopped = true;
    --stops_pending_;
    maybeFinishStop();
  });
}

void ServicesController::releaseAll(Unit& unit) {
  for (auto& [address, held] : unit.held) {
    spdlog::info("services: {} is no longer announced by this node", address.toString());
    held.holder->release();
  }
  unit.held.clear();
}

void ServicesController::reconcileAddresses(Unit& unit,
                                            const std::vector<const GroupPlan*>& groups) {
  election::Elector* elector = unit.elector ? unit.elector.get() : services_elector_.get();
  for (const GroupPlan* group : groups) {
    for (const auto& address : group->group.addresses) {
      const k8s::Service* first = view_.service(group->group.services.front());
      auto it = unit.held.find(address);
      if (it != unit.held.end() && it->second.interface == group->interface) {
        if (first != nullptr) it->second.holder->updateAnnotations(first->meta.annotations);
        continue;
      }
      if (it != unit.held.end()) {  // moved to another interface
        it->second.holder->release();
        unit.held.erase(it);
      }
      HolderRequest request;
      request.interface = group->interface;
      request.address = address;
      request.service = refName(group->group.services.front());
      if (first != nullptr) request.annotations = first->meta.annotations;
      request.leadership_valid_until = [elector] { return elector->leadershipValidUntil(); };
      request.acquired = [this, address, services = group->group.services] {
        spdlog::info("services: {} is announced by this node (Service {})", address.toString(),
                     refName(services.front()));
        changed();  // write the status now
      };
      auto holder = holders_(std::move(request));
      if (!holder) {
        for (const auto& ref : group->group.services) {
          note(ref, fmt::format("Service {}: cannot hold {} on {}: {}", refName(ref),
                                address.toString(), group->interface, holder.error().message));
        }
        retryLater();
        continue;
      }
      (*holder)->acquire();
      unit.held[address] = Unit::Held{group->interface, std::move(*holder)};
    }
  }
}

std::map<IpAddress, std::string, AddressOrder> ServicesController::heldAddresses() const {
  std::map<IpAddress, std::string, AddressOrder> held;
  for (const auto& [key, unit] : units_) {
    for (const auto& [address, h] : unit->held) {
      if (h.holder->holding()) held.emplace(address, h.interface);
    }
  }
  return held;
}

void ServicesController::writeStatuses(const ServicesPlan& plan) {
  for (const auto& group : plan.groups) {
    auto unit = units_.find(options_.per_service_election ? group.leaseKey() : "");
    if (unit == units_.end() || !unit->second->leading) continue;
    bool all_held = true;
    for (const auto& a : group.group.addresses) {
      auto h = unit->second->held.find(a);
      all_held = all_held && h != unit->second->held.end() && h->second.holder->holding();
    }
    if (!all_held) continue;
    for (const auto& ref : group.group.services) {
      const k8s::Service* service = view_.service(ref);
      if (!service) continue;
      auto desired = services::desiredIngress(*service, plan.addresses.at(ref), true);
      if (!services::ingressDiffers(service->ingress, desired)) {
        status_written_.erase(ref);
      } else if (status_in_flight_.count(ref) == 0 &&
                 !(status_written_.count(ref) != 0 && status_written_[ref] == desired)) {
        status_in_flight_.insert(ref);
        std::weak_ptr<bool> alive = alive_;
        writer_->writeStatus(*service, desired, [this, alive, ref, desired](const Status& st) {
          if (alive.expired()) return;
          status_in_flight_.erase(ref);
          if (!st) {
            note(ref, fmt::format("Service {}: writing status.loadBalancer failed: {}",
                                  refName(ref), st.error().describe()));
            retryLater();
            return;
          }
          status_written_[ref] = desired;
        });
      }
      if (!options_.write_vip_host) continue;
      auto host = services::vipHostAnnotationUpdate(*service, options_.plan.node_name);
      if (!host) {
        vip_host_written_.erase(ref);
      } else if (vip_host_in_flight_.count(ref) == 0 &&
                 !(vip_host_written_.count(ref) != 0 && vip_host_written_[ref] == *host)) {
        vip_host_in_flight_.insert(ref);
        std::weak_ptr<bool> alive = alive_;
        writer_->writeVipHost(*service, *host, [this, alive, ref, value = *host](const Status& st) {
          if (alive.expired()) return;
          vip_host_in_flight_.erase(ref);
          if (!st) {
            note(ref, fmt::format("Service {}: writing the {} annotation failed: {}", refName(ref),
                                  services::kVipHostAnnotation, st.error().describe()));
            retryLater();
            return;
          }
          vip_host_written_[ref] = value;
        });
      }
    }
  }
  auto gone = [&](const auto& entry) { return view_.service(entry.first) == nullptr; };
  std::erase_if(status_written_, gone);
  std::erase_if(vip_host_written_, gone);
}

void ServicesController::allocate(const ServicesPlan& plan) {
  // Allocations the view now shows (or whose Service is gone) are done.
  std::erase_if(allocations_, [&](const auto& entry) {
    const k8s::Service* service = view_.service(entry.first);
    if (!service) return true;
    auto wanted = services::wantedAddresses(*service);
    return !wanted || !wanted->empty();
  });
  if (plan.without_address.empty()) return;
  const auto& pools = view_.addressPools();
  if (!pools || !*pools) {
    const std::string why = !pools
                                ? fmt::format("there is no ConfigMap {} with address pools",
                                              options_.address_pools_configmap)
                                : fmt::format("ConfigMap {}: {}", options_.address_pools_configmap,
                                              pools->error().message);
    for (const auto& ref : plan.without_address) {
      note(ref, fmt::format("Service {} has no address and none can be given: {} (or set the "
                            "kube-vip.io/loadbalancerIPs annotation)",
                            refName(ref), why));
    }
    return;
  }
  services::AddressesInUse in_use;
  for (const auto& [ref, service] : view_.services()) {
    if (service.type != k8s::ServiceType::kLoadBalancer) continue;
    auto wanted = services::wantedAddresses(service);
    if (!wanted) continue;
    for (const auto& a : wanted->all()) in_use.add(a, {ref.service_namespace, portsOf(service)});
  }
  for (const auto& [ref, addresses] : allocations_) {
    const k8s::Service* service = view_.service(ref);
    for (const auto& a : addresses) in_use.add(a, {ref.service_namespace, portsOf(*service)});
  }
  for (const auto& ref : plan.without_address) {
    if (allocations_.count(ref) != 0) continue;
    const k8s::Service& service = *view_.service(ref);
    services::AllocationRequest request;
    request.namespace_name = ref.service_namespace;
    request.policy = policyOf(service);
    request.families = service.ip_families;
    request.ports = portsOf(service);
    auto granted = services::allocateAddresses(**pools, request, in_use);
    if (!granted) {
      note(ref, fmt::format("Service {}: no address: {}", refName(ref), granted.error().message));
      continue;
    }
    for (const auto& a : *granted) in_use.add(a, {ref.service_namespace, request.ports});
    allocations_[ref] = *granted;
    spdlog::info("services: giving Service {} the address {}", refName(ref), addressList(*granted));
    std::weak_ptr<bool> alive = alive_;
    writer_->writeAddresses(service, *granted, [this, alive, ref](const Status& st) {
      if (alive.expired()) return;
      if (st) return;  // the view shows it soon; then the allocation is done
      allocations_.erase(ref);
      if (st.error().code == ErrorCode::kConflict) {
        // The Service changed since it was read: its new version is planned when it arrives.
        spdlog::info("services: Service {} changed while its address was written; trying again",
                     refName(ref));
        changed();
        return;
      }
      note(ref, fmt::format("Service {}: writing its address failed: {}", refName(ref),
                            st.error().describe()));
      retryLater();
    });
  }
}

void ServicesController::stop(std::function<void()> done) {
  stopping_ = true;
  stop_done_ = std::move(done);
  reconcile_timer_->stop();
  retry_timer_->stop();
  std::vector<std::unique_ptr<Unit>> units;
  for (auto& [key, unit] : units_) units.push_back(std::move(unit));
  units_.clear();
  for (auto& unit : units) retireUnit(std::move(unit));
  if (services_elector_) {
    ++stops_pending_;
    std::weak_ptr<bool> alive = alive_;
    services_elector_->stop([this, alive] {
      if (alive.expired()) return;
      --stops_pending_;
      maybeFinishStop();
    });
  }
  maybeFinishStop();
}

void ServicesController::maybeFinishStop() {
  if (!stopping_ || stops_pending_ > 0 || !stop_done_) return;
  auto done = std::move(stop_done_);
  stop_done_ = nullptr;
  done();
}

}  // namespace kubevip::services_mode

#include "services_mode/vip_holders.h"

#include <spdlog/spdlog.h>

#include "net/interfaces.h"
#include "services_mode/bgp_annotations.h"
#include "vip/routed_vip.h"
#include "vip/vip_controller.h"

namespace kubevip::services_mode {

struct VipHolders::Interface {
  net::InterfaceInfo info;
  std::unique_ptr<net::Announcer> announcer;
  std::unique_ptr<net::ConflictProberSet> probers;
};

namespace {

class VipHolder final : public AddressHolder {
 public:
  VipHolder(std::unique_ptr<net::AddressManager> addresses,
            std::unique_ptr<net::ConflictProber> prober)
      : addresses_(std::move(addresses)), prober_(std::move(prober)) {}
  ~VipHolder() override {
    if (controller_) controller_->release();
  }

  void acquire() override { controller_->acquire(); }
  void release() override { controller_->release(); }
  bool holding() const override { return controller_->state() == vip::VipState::kHolding; }

  // Members the controller refers to must exist before it and outlive it.
  std::unique_ptr<net::AddressManager> addresses_;
  std::unique_ptr<net::ConflictProber> prober_;
  std::unique_ptr<vip::VipController> controller_;
};

class RoutedHolder final : public AddressHolder {
 public:
  RoutedHolder(std::unique_ptr<net::AddressManager> addresses, bgp::RoutePolicy configured,
               std::string service)
      : addresses_(std::move(addresses)),
        configured_(std::move(configured)),
        service_(std::move(service)) {}
  ~RoutedHolder() override {
    if (routed_) routed_->release();
  }

  void acquire() override { routed_->acquire(); }
  void release() override { routed_->release(); }
  bool holding() const override { return routed_->state() == vip::VipState::kHolding; }
  void updateAnnotations(const std::map<std::string, std::string>& annotations) override {
    routed_->setPolicy(policyFrom(annotations));
  }

  // The Service's policy; its warnings are logged when they change, not at every reconcile.
  bgp::RoutePolicy policyFrom(const std::map<std::string, std::string>& annotations) {
    auto policy = serviceRoutePolicy(configured_, annotations, service_);
    if (policy.warnings != warnings_) {
      for (const std::string& warning : policy.warnings) spdlog::warn("services: {}", warning);
      warnings_ = std::move(policy.warnings);
    }
    return policy.policy;
  }

  // The address manager must exist before the holder and outlive it.
  std::unique_ptr<net::AddressManager> addresses_;
  std::unique_ptr<vip::RoutedVip> routed_;

 private:
  bgp::RoutePolicy configured_;
  std::string service_;
  std::vector<std::string> warnings_;
};

}  // namespace

Result<std::unique_ptr<VipHolders>> VipHolders::create(EventLoop& loop,
                                                       const config::Config& config,
                                                       bgp::RouteOriginator* routes) {
  auto addresses = net::createNetlinkAddressManager(loop);
  if (!addresses) return addresses.error();
  std::unique_ptr<VipHolders> holders(new VipHolders(loop, config, routes));
  holders->addresses_ = std::make_unique<net::AddressManagerFanout>(std::move(*addresses));
  return holders;
}

VipHolders::VipHolders(EventLoop& loop, const config::Config& config, bgp::RouteOriginator* routes)
    : loop_(loop), config_(config), routes_(routes) {}

VipHolders::~VipHolders() = default;

Result<VipHolders::Interface*> VipHolders::interface(const std::string& name) {
  if (auto it = interfaces_.find(name); it != interfaces_.end()) return it->second.get();
  auto info = net::lookupInterface(name);
  if (!info) return info.error();
  auto announcer = net::createPacketAnnouncer(loop_, *info);
  if (!announcer) return announcer.error();
  auto probers = net::createSharedPacketProbers(loop_, *info);
  if (!probers) return probers.error();
  auto entry =
      std::make_unique<Interface>(Interface{*info, std::move(*announcer), std::move(*probers)});
  Interface* raw = entry.get();
  interfaces_[name] = std::move(entry);
  return raw;
}

Result<std::unique_ptr<AddressHolder>> VipHolders::makeRouted(HolderRequest request) {
  const config::BgpConfig& bgp = *config_.bgp;
  auto iface = net::lookupInterface(bgp.vip_interface);
  if (!iface) return iface.error();
  auto holder = std::make_unique<RoutedHolder>(addresses_->subscriber(), vip::routePolicyFrom(bgp),
                                               request.service);
  vip::RoutedVipOptions options;
  options.vip = request.address;
  options.ifindex = iface->index;
  options.interface_name = iface->name;
  options.timing = config_.vip_timing;
  options.policy = holder->policyFrom(request.annotations);
  holder->routed_ =
      std::make_unique<vip::RoutedVip>(loop_.time(), *holder->addresses_, *routes_, options,
                                       std::move(request.leadership_valid_until),
                                       vip::RoutedVipHooks{std::move(request.acquired), nullptr});
  if (auto st = holder->routed_->removeLeftover(); !st) return st.error();
  return std::unique_ptr<AddressHolder>(std::move(holder));
}

Result<std::unique_ptr<AddressHolder>> VipHolders::make(HolderRequest request) {
  if (routes_ != nullptr) return makeRouted(std::move(request));
  auto iface = interface(request.interface);
  if (!iface) return iface.error();
  auto prober = (*iface)->probers->watch(request.address);
  if (!prober) return prober.error();
  auto holder = std::make_unique<VipHolder>(addresses_->subscriber(), std::move(*prober));
  vip::VipControllerOptions options;
  options.vip = request.address;
  options.ifindex = (*iface)->info.index;
  options.interface_name = (*iface)->info.name;
  options.timing = config_.vip_timing;
  options.probe_interval = config_.election.probe_interval;
  options.probes_unanswered = config_.election.probes_unanswered;
  options.announce = config_.gratuitous_arp;
  holder->controller_ = std::make_unique<vip::VipController>(
      loop_.time(), *holder->addresses_, *(*iface)->announcer, *holder->prober_, options,
      std::move(request.leadership_valid_until),
      vip::VipControllerHooks{std::move(request.acquired), nullptr});
  if (auto st = holder->controller_->removeLeftover(); !st) return st.error();
  return std::unique_ptr<AddressHolder>(std::move(holder));
}

}  // namespace kubevip::services_mode

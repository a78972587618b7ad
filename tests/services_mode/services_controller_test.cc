#include "services_mode/services_controller.h"

#include <gtest/gtest.h>

#include "fakes.h"

namespace kubevip::services_mode::testing {
namespace {

k8s::Service lbService(const std::string& ns, const std::string& name,
                       const std::string& addresses = "", uint16_t port = 80) {
  k8s::Service s;
  s.meta.object_namespace = ns;
  s.meta.name = name;
  s.meta.resource_version = "1";
  s.type = k8s::ServiceType::kLoadBalancer;
  s.ports.push_back({"http", "TCP", port});
  if (!addresses.empty()) s.meta.annotations["kube-vip.io/loadbalancerIPs"] = addresses;
  return s;
}

k8s::EndpointSlice sliceOn(const std::string& ns, const std::string& service,
                           const std::string& node) {
  k8s::EndpointSlice slice;
  slice.meta.object_namespace = ns;
  slice.meta.name = service + "-abcde";
  slice.meta.labels["kubernetes.io/service-name"] = service;
  k8s::SliceEndpoint endpoint;
  endpoint.addresses.push_back(*IpAddress::parse("10.244.1.5"));
  endpoint.node_name = node;
  slice.endpoints.push_back(endpoint);
  return slice;
}

class ServicesControllerTest : public ::testing::Test {
 protected:
  void make(bool per_service_election, bool write_vip_host = true) {
    ServicesControllerOptions options;
    options.write_vip_host = write_vip_host;
    options.plan.node_name = "node-a";
    options.plan.default_interface = "eth0";
    options.plan.grouping.shared_lease_namespace = "kube-system";
    options.per_service_election = per_service_election;
    options.services_lease_namespace = "kube-system";
    controller_ = std::make_unique<ServicesController>(
        time_, options,
        [this](const std::string& ns,
               const std::string& name) -> Result<std::unique_ptr<election::Elector>> {
          auto e = std::make_unique<FakeElector>(ns + "/" + name);
          electors_[ns + "/" + name] = e.get();
          destroyed_[ns + "/" + name] = e->destroyed;
          return std::unique_ptr<election::Elector>(std::move(e));
        },
        [this](HolderRequest request) -> Result<std::unique_ptr<AddressHolder>> {
          log_.interfaces.push_back(request.interface);
          requests_[request.address.toString()] = {request.service, request.annotations};
          return std::unique_ptr<AddressHolder>(std::make_unique<FakeHolder>(log_, request));
        },
        &writer_);
    ASSERT_TRUE(controller_->start().ok());
    controller_->setViewComplete();
  }
  FakeElector& services() { return *electors_.at("kube-system/plndr-svcs-lock"); }
  void settle() { time_.runDue(); }
  void set(k8s::Service s) {
    controller_->view().setService(std::move(s));
    controller_->changed();
    settle();
  }
  bool alive(const std::string& key) { return !*destroyed_.at(key); }

  ManualTimeSource time_;
  HolderLog log_;
  FakeWriter writer_;
  std::map<std::string, FakeElector*> electors_;
  std::map<std::string, std::shared_ptr<bool>> destroyed_;
  // Per address: the Service and the annotations its holder was asked with.
  std::map<std::string, std::pair<std::string, std::map<std::string, std::string>>> requests_;
  std::unique_ptr<ServicesController> controller_;
};

TEST_F(ServicesControllerTest, AHolderIsAskedWithTheFirstServiceAndItsAnnotations) {
  make(false);
  services().lead();
  auto web = lbService("default", "web", "192.0.2.10");
  web.meta.annotations["kube-vip.io/bgp-local-pref"] = "300";
  set(web);
  ASSERT_EQ(requests_.count("192.0.2.10"), 1u);
  EXPECT_EQ(requests_["192.0.2.10"].first, "default/web");
  EXPECT_EQ(requests_["192.0.2.10"].second.at("kube-vip.io/bgp-local-pref"), "300");
  // Changed while held: the holder hears of it, and is not made again.
  web.meta.annotations["kube-vip.io/bgp-local-pref"] = "400";
  set(web);
  EXPECT_EQ(log_.annotations["192.0.2.10"].at("kube-vip.io/bgp-local-pref"), "400");
  EXPECT_EQ(log_.acquired["192.0.2.10"], 1);
}

TEST_F(ServicesControllerTest, OnlyTheServicesLeaseHolderHoldsAndReleasesWhenDeposed) {
  make(false);
  set(lbService("default", "web", "192.0.2.10"));
  set(lbService("default", "api", "192.0.2.11,fd00::11"));
  EXPECT_TRUE(log_.live.empty()) << "a follower holds nothing";
  services().lead();
  settle();
  EXPECT_EQ(log_.live, (std::set<std::string>{"192.0.2.10", "192.0.2.11", "fd00::11"}));
  services().depose();
  EXPECT_TRUE(log_.live.empty()) << "released at once, not at the next reconcile";
  settle();
  EXPECT_TRUE(log_.live.empty());
}

TEST_F(ServicesControllerTest, DeletedIgnoredOrRetypedServicesAreReleased) {
  make(false);
  services().lead();
  set(lbService("default", "a", "192.0.2.1"));
  set(lbService("default", "b", "192.0.2.2"));
  set(lbService("default", "c", "192.0.2.3"));
  ASSERT_EQ(log_.live.size(), 3u);
  controller_->view().removeService({"default", "a"});
  auto b = lbService("default", "b", "192.0.2.2");
  b.meta.annotations["kube-vip.io/ignore"] = "true";
  controller_->view().setService(b);
  auto c = lbService("default", "c", "192.0.2.3");
  c.type = k8s::ServiceType::kClusterIP;
  controller_->view().setService(c);
  controller_->changed();
  settle();
  EXPECT_TRUE(log_.live.empty());
  EXPECT_EQ(log_.released["192.0.2.1"], 1);
  EXPECT_EQ(log_.released["192.0.2.2"], 1);
  EXPECT_EQ(log_.released["192.0.2.3"], 1);
}

TEST_F(ServicesControllerTest, ARelistReplacesTheViewAndReleasesWhatItNoLongerLists) {
  make(false);
  services().lead();
  set(lbService("default", "kept", "192.0.2.1"));
  set(lbService("default", "deleted-while-not-watching", "192.0.2.2"));
  ASSERT_EQ(log_.live.size(), 2u);
  // After 410 Gone the informer lists again: the list is the whole truth.
  std::vector<k8s::Service> listed{lbService("default", "kept", "192.0.2.1"),
                                   lbService("default", "created-meanwhile", "192.0.2.3")};
  controller_->view().replaceServices(std::move(listed));
  controller_->changed();
  settle();
  EXPECT_EQ(log_.live, (std::set<std::string>{"192.0.2.1", "192.0.2.3"}));
  EXPECT_EQ(log_.acquired["192.0.2.1"], 1) << "an address listed again is not re-acquired";
}

TEST_F(ServicesControllerTest, ExternalTrafficPolicyLocalNeedsAnEndpointOnThisNode) {
  make(false);
  services().lead();
  auto s = lbService("default", "local", "192.0.2.20");
  s.external_traffic_policy = k8s::ExternalTrafficPolicy::kLocal;
  controller_->view().setEndpointSlice(sliceOn("default", "local", "node-b"));
  set(s);
  EXPECT_TRUE(log_.live.empty()) << "the only endpoint is on node-b";
  controller_->view().setEndpointSlice(sliceOn("default", "local", "node-a"));
  controller_->changed();
  settle();
  EXPECT_EQ(log_.live, std::set<std::string>{"192.0.2.20"});
  controller_->view().removeEndpointSlice("default", "local-abcde");
  controller_->changed();
  settle();
  EXPECT_TRUE(log_.live.empty()) << "the last local endpoint went away";
}

TEST_F(ServicesControllerTest, AnExcludedNodeNeverAnnounces) {
  make(false);
  k8s::Node node;
  node.meta.name = "node-a";
  node.meta.labels["node.kubernetes.io/exclude-from-external-load-balancers"] = "";
  controller_->view().setNode(node);
  services().lead();
  set(lbService("default", "web", "192.0.2.10"));
  EXPECT_TRUE(log_.live.empty());
}

TEST_F(ServicesControllerTest, WithEveryNodeAnnouncingNoVipHostIsWritten) {
  make(false, /*write_vip_host=*/false);
  services().lead();
  set(lbService("default", "web", "192.0.2.10"));
  EXPECT_EQ(writer_.count("status"), 1u) << "the same on every node";
  EXPECT_EQ(writer_.count("vipHost"), 0u) << "one value per node: they would overwrite each other";
}

TEST_F(ServicesControllerTest, StatusAndVipHostAreWrittenOnceHeldAndOnlyWhenTheyDiffer) {
  make(false);
  services().lead();
  set(lbService("default", "web", "192.0.2.10"));
  ASSERT_EQ(writer_.count("status"), 1u);
  ASSERT_EQ(writer_.count("vipHost"), 1u);
  EXPECT_EQ(writer_.writes[0].value + writer_.writes[1].value, "192.0.2.10node-a");
  controller_->changed();
  settle();
  EXPECT_EQ(writer_.count("status"), 1u) << "not again while the first write is in flight";
  for (auto& w : writer_.writes) w.done(okStatus());
  controller_->changed();
  settle();
  EXPECT_EQ(writer_.count("status"), 1u) << "not again before the view shows the write";
  // The view catches up: nothing differs any more.
  auto web = lbService("default", "web", "192.0.2.10");
  web.meta.annotations["kube-vip.io/vipHost"] = "node-a";
  k8s::LoadBalancerIngress entry;
  entry.ip = *IpAddress::parse("192.0.2.10");
  entry.ip_mode = "VIP";
  entry.ports.push_back({80, "TCP", std::nullopt});
  web.ingress.push_back(entry);
  set(web);
  EXPECT_EQ(writer_.writes.size(), 2u)
      << writer_.writes.back().kind << " " << writer_.writes.back().value;
  // Someone rewrites the status: it is put back.
  web.ingress[0].ip = *IpAddress::parse("192.0.2.99");
  set(web);
  EXPECT_EQ(writer_.count("status"), 2u);
}

TEST_F(ServicesControllerTest, AFailedStatusWriteIsRetried) {
  make(false);
  services().lead();
  set(lbService("default", "web", "192.0.2.10"));
  ASSERT_EQ(writer_.count("status"), 1u);
  writer_.writes[0].done(makeError(ErrorCode::kUnavailable, "API server unreachable"));
  settle();
  EXPECT_EQ(writer_.count("status"), 1u);
  time_.advance(seconds(2));
  EXPECT_EQ(writer_.count("status"), 2u);
}

// The report behind the Services' metrics: what this node announces, by namespace; its elections;
// reconciles that had to retry, including a write that failed after its reconcile ended.
TEST_F(ServicesControllerTest, TheReportCountsAnnouncedServicesElectionsAndErrors) {
  make(false);
  set(lbService("default", "web", "192.0.2.10"));
  set(lbService("team", "api", "192.0.2.11"));
  settle();
  ServicesReport report = controller_->report();
  EXPECT_TRUE(report.active_by_namespace.empty()) << "nothing is announced before leading";
  ASSERT_EQ(report.elections.size(), 1u);
  EXPECT_FALSE(report.elections.begin()->second);
  services().lead();
  settle();
  report = controller_->report();
  EXPECT_EQ(report.active_by_namespace, (std::map<std::string, int>{{"default", 1}, {"team", 1}}));
  EXPECT_TRUE(report.elections.begin()->second);
  EXPECT_EQ(report.reconcile_errors, 0u);
  ASSERT_GE(writer_.count("status"), 1u);
  writer_.writes[0].done(makeError(ErrorCode::kUnavailable, "API server unreachable"));
  settle();
  time_.advance(seconds(2));
  EXPECT_EQ(controller_->report().reconcile_errors, 1u);
}

TEST_F(ServicesControllerTest, PerServiceElectionRunsOneElectionPerAddressGroup) {
  make(true);
  set(lbService("default", "web", "192.0.2.10"));
  set(lbService("team", "api", "192.0.2.11"));
  // Two Services on one address (different ports): one group, one election.
  set(lbService("team", "dns-tcp", "192.0.2.12", 53));
  set(lbService("team", "dns-alt", "192.0.2.12", 5353));
  EXPECT_EQ(controller_->unitCount(), 3u);
  ASSERT_TRUE(electors_.count("default/kubevip-web"));
  ASSERT_TRUE(electors_.count("team/kubevip-api"));
  ASSERT_TRUE(electors_.count("kube-system/kubevip-shared-192-0-2-12"));
  EXPECT_TRUE(log_.live.empty());
  electors_.at("kube-system/kubevip-shared-192-0-2-12")->lead();
  settle();
  EXPECT_EQ(log_.live, std::set<std::string>{"192.0.2.12"});
  EXPECT_EQ(log_.acquired["192.0.2.12"], 1) << "one holder for the shared address";
  electors_.at("default/kubevip-web")->lead();
  settle();
  EXPECT_EQ(log_.live.size(), 2u);
  EXPECT_FALSE(services().leading) << "the services Lease only hands out addresses here";
}

TEST_F(ServicesControllerTest, AGroupThatStopsBeingEligibleStepsDownAndFreesItsLease) {
  make(true);
  auto s = lbService("default", "local", "192.0.2.20");
  s.external_traffic_policy = k8s::ExternalTrafficPolicy::kLocal;
  controller_->view().setEndpointSlice(sliceOn("default", "local", "node-a"));
  set(s);
  FakeElector& election = *electors_.at("default/kubevip-local");
  election.lead();
  settle();
  ASSERT_EQ(log_.live, std::set<std::string>{"192.0.2.20"});
  controller_->view().setEndpointSlice(sliceOn("default", "local", "node-b"));
  controller_->changed();
  settle();
  EXPECT_TRUE(log_.live.empty());
  EXPECT_EQ(controller_->unitCount(), 0u);
  settle();
  EXPECT_FALSE(alive("default/kubevip-local")) << "its election was stopped (Lease released)";
}

TEST_F(ServicesControllerTest, RegroupingReleasesUnderTheOldLeaseBeforeTheNewOneCampaigns) {
  make(true);
  set(lbService("team", "dns-tcp", "192.0.2.12", 53));
  electors_.at("team/kubevip-dns-tcp")->lead();
  settle();
  ASSERT_EQ(log_.live, std::set<std::string>{"192.0.2.12"});
  // A second Service joins the address: the group's Lease becomes the shared one.
  set(lbService("team", "dns-alt", "192.0.2.12", 5353));
  EXPECT_TRUE(log_.live.empty());
  EXPECT_FALSE(alive("team/kubevip-dns-tcp")) << "the old Lease's election was stopped";
  EXPECT_TRUE(electors_.at("kube-system/kubevip-shared-192-0-2-12")->started);
}

TEST_F(ServicesControllerTest, AddressesAreHandedOutByTheServicesLeaseHolderOnly) {
  make(true);
  k8s::ConfigMap pools;
  pools.meta.name = "kubevip";
  pools.data["range-global"] = "192.0.2.100-192.0.2.101";
  controller_->view().setAddressPools(pools);
  set(lbService("default", "a"));
  set(lbService("default", "b"));
  set(lbService("default", "c"));
  EXPECT_EQ(writer_.count("addresses"), 0u) << "a follower hands out nothing";
  services().lead();
  settle();
  ASSERT_EQ(writer_.count("addresses"), 2u);
  EXPECT_EQ(writer_.writes[0].value, "192.0.2.100");
  EXPECT_EQ(writer_.writes[1].value, "192.0.2.101")
      << "the second Service does not get the first one's address before the view shows it";
  // The first write lost a race (409): nothing more until its Service changes.
  writer_.writes[0].done(makeError(ErrorCode::kConflict, "the object has been modified"));
  writer_.writes[1].done(okStatus());
  settle();
  EXPECT_EQ(writer_.count("addresses"), 3u);
  EXPECT_EQ(writer_.writes.back().value, "192.0.2.100")
      << "re-planned: the pool still has 192.0.2.100 for Service a";
}

TEST_F(ServicesControllerTest, NothingIsPlannedBeforeEveryWatchHasListed) {
  ServicesControllerOptions options;
  options.plan.node_name = "node-a";
  options.services_lease_namespace = "kube-system";
  FakeElector* services = nullptr;
  ServicesController controller(
      time_, options,
      [&](const std::string& ns,
          const std::string& name) -> Result<std::unique_ptr<election::Elector>> {
        auto e = std::make_unique<FakeElector>(ns + "/" + name);
        services = e.get();
        return std::unique_ptr<election::Elector>(std::move(e));
      },
      [this](HolderRequest request) -> Result<std::unique_ptr<AddressHolder>> {
        return std::unique_ptr<AddressHolder>(std::make_unique<FakeHolder>(log_, request));
      },
      &writer_);
  ASSERT_TRUE(controller.start().ok());
  k8s::ConfigMap pools;
  pools.data["range-global"] = "192.0.2.100-192.0.2.101";
  controller.view().setAddressPools(pools);
  controller.view().setService(lbService("default", "new"));
  services->lead();
  settle();
  EXPECT_EQ(writer_.count("addresses"), 0u);
  controller.setViewComplete();
  settle();
  EXPECT_EQ(writer_.count("addresses"), 1u);
}

TEST_F(ServicesControllerTest, StopReleasesEverythingAndEveryLease) {
  make(true);
  set(lbService("default", "web", "192.0.2.10"));
  electors_.at("default/kubevip-web")->lead();
  services().lead();
  settle();
  ASSERT_EQ(log_.live.size(), 1u);
  bool done = false;
  controller_->stop([&] { done = true; });
  EXPECT_TRUE(done);
  EXPECT_TRUE(log_.live.empty());
  EXPECT_TRUE(services().stopped);
}

}  // namespace
}  // namespace kubevip::services_mode::testing

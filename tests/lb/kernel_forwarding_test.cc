// Kernel forwarding: which services the kernel is given, when, and what happens on failures, with
// a fake nftables (the rules themselves are tested in tests/nft against the real kernel).
#include "lb/kernel_forwarding.h"

#include <gtest/gtest.h>

#include "config/reload_plan.h"
#include "lb/load_balancer_set.h"

namespace kubevip::lb {
namespace {

// What the fake kernel holds and was asked, shared with the test after the fake is handed over.
struct KernelRecord {
  bool table_present = false;
  std::vector<nft::Service> services;
  int replaces = 0;
  int removes = 0;
  bool fail = false;
  int opens = 0;  // libnftables contexts made
};

class FakeNftables final : public nft::Nftables {
 public:
  explicit FakeNftables(KernelRecord& record) : record_(record) {}
  Status replace(const std::vector<nft::Service>& services) override {
    if (record_.fail) return makeError(ErrorCode::kUnavailable, "Operation not permitted");
    ++record_.replaces;
    record_.table_present = true;
    record_.services = services;
    return {};
  }
  Status remove() override {
    if (record_.fail) return makeError(ErrorCode::kUnavailable, "Operation not permitted");
    ++record_.removes;
    record_.table_present = false;
    record_.services.clear();
    return {};
  }
  Result<bool> tablePresent() override { return record_.table_present; }

 private:
  KernelRecord& record_;
};

NftablesOpener fakeOpener(KernelRecord& record) {
  return [&record]() -> Result<std::unique_ptr<nft::Nftables>> {
    ++record.opens;
    return std::unique_ptr<nft::Nftables>(std::make_unique<FakeNftables>(record));
  };
}

NftablesProbe fakeProbe(KernelRecord& record) {
  return [&record]() -> Result<bool> { return record.table_present; };
}

config::LoadBalancer kernelBalancer() {
  config::LoadBalancer c;
  c.name = "web";
  c.port = 80;
  c.forwarding = config::ForwardingMode::kKernel;
  c.health_check.enabled = false;  // the test marks backends itself
  for (const char* address : {"10.0.0.11", "10.0.0.12", "10.0.0.13"}) {
    c.backends.push_back(config::Backend{*IpAddress::parse(address), 8080, 1});
  }
  c.backends[1].weight = 3;
  return c;
}

const IpAddress kVip = *IpAddress::parse("10.0.0.100");

TEST(KernelServiceTest, CarriesTheBackendsUpWithTheirWeightsAndTheBalancersChoices) {
  config::LoadBalancer c = kernelBalancer();
  c.type = config::LoadBalancerType::kUdp;
  c.algorithm = config::BalanceAlgorithm::kSourceHash;
  c.source_nat = false;
  Balancer b(c, Forwarding::kCopy);
  b.pool.markDown(0, SteadyTime{});
  const nft::Service s = kernelService(b, kVip);
  EXPECT_EQ(s.name, "web");
  EXPECT_EQ(s.protocol, nft::Protocol::kUdp);
  EXPECT_EQ(s.vip, kVip);
  EXPECT_EQ(s.port, 80);
  EXPECT_EQ(s.spread, nft::Spread::kSourceHash);
  EXPECT_FALSE(s.source_nat);
  ASSERT_EQ(s.destinations.size(), 2u);
  EXPECT_EQ(s.destinations[0], (nft::Destination{*IpAddress::parse("10.0.0.12"), 8080, 3}));
  EXPECT_EQ(s.destinations[1].address, *IpAddress::parse("10.0.0.13"));
}

class KernelForwardingTest : public ::testing::Test {
 protected:
  KernelForwardingTest() : balancer_(kernelBalancer(), Forwarding::kCopy) {}
  std::unique_ptr<KernelForwarding> make() {
    return std::make_unique<KernelForwarding>(fakeOpener(kernel_), fakeProbe(kernel_), time_,
                                              [this] {
                                                std::vector<nft::Service> out;
                                                if (held_)
                                                  out.push_back(kernelService(balancer_, kVip));
                                                return out;
                                              });
  }

  ManualTimeSource time_;
  KernelRecord kernel_;
  Balancer balancer_;
  bool held_ = false;
};

TEST_F(KernelForwardingTest, ALeftoverTableIsDeletedAtStart) {
  kernel_.table_present = true;  // a run killed while it held the VIP
  auto forwarding = make();
  ASSERT_TRUE(forwarding->start());
  EXPECT_FALSE(kernel_.table_present);
  EXPECT_EQ(kernel_.removes, 1);
}

TEST_F(KernelForwardingTest, OnlyTheHolderHasTheTableAndStopDeletesIt) {
  auto forwarding = make();
  ASSERT_TRUE(forwarding->start());
  forwarding->sync();
  time_.advance(kKernelPollInterval * 3);
  EXPECT_EQ(kernel_.replaces, 0) << "no VIP, no table";
  EXPECT_EQ(kernel_.opens, 0) << "a follower never loads libnftables";
  held_ = true;
  forwarding->sync();
  ASSERT_EQ(kernel_.services.size(), 1u);
  EXPECT_EQ(kernel_.services[0].destinations.size(), 3u);
  held_ = false;
  forwarding->sync();
  EXPECT_FALSE(kernel_.table_present);
  held_ = true;
  forwarding->sync();
  forwarding->stop();
  EXPECT_FALSE(kernel_.table_present);
}

TEST_F(KernelForwardingTest, ABackendMarkedDownLeavesTheMapAtTheNextPoll) {
  auto forwarding = make();
  ASSERT_TRUE(forwarding->start());
  held_ = true;
  forwarding->sync();
  const int replaces = kernel_.replaces;
  time_.advance(kKernelPollInterval * 3);
  EXPECT_EQ(kernel_.replaces, replaces) << "nothing changed, nothing sent";
  balancer_.pool.markDown(2, time_.now());
  time_.advance(kKernelPollInterval);
  ASSERT_EQ(kernel_.services[0].destinations.size(), 2u);
  EXPECT_EQ(kernel_.services[0].destinations[1].address, *IpAddress::parse("10.0.0.12"));
  balancer_.pool.markDown(0, time_.now());
  balancer_.pool.markDown(1, time_.now());
  time_.advance(kKernelPollInterval);
  ASSERT_EQ(kernel_.services.size(), 1u) << "the service stays, to reject its connections";
  EXPECT_TRUE(kernel_.services[0].destinations.empty());
  balancer_.pool.markUp(1);
  time_.advance(kKernelPollInterval);
  EXPECT_EQ(kernel_.services[0].destinations.size(), 1u);
}

TEST_F(KernelForwardingTest, AFailedUpdateIsRetriedAtEveryPoll) {
  auto forwarding = make();
  ASSERT_TRUE(forwarding->start());
  held_ = true;
  kernel_.fail = true;
  forwarding->sync();
  EXPECT_FALSE(forwarding->applied());
  time_.advance(kKernelPollInterval * 2);
  EXPECT_FALSE(kernel_.table_present);
  kernel_.fail = false;
  time_.advance(kKernelPollInterval);
  EXPECT_TRUE(kernel_.table_present);
  ASSERT_TRUE(forwarding->applied());
  EXPECT_EQ(forwarding->applied()->size(), 1u);
}

// The UDP flows of a destination that left the map are deleted once the table no longer has it.
class UdpFlowsTest : public ::testing::Test {
 protected:
  UdpFlowsTest()
      : dns_(dnsBalancer(), Forwarding::kCopy), web_(kernelBalancer(), Forwarding::kCopy) {}
  static config::LoadBalancer dnsBalancer() {
    config::LoadBalancer c = kernelBalancer();
    c.name = "dns";
    c.port = 53;
    c.type = config::LoadBalancerType::kUdp;
    return c;
  }
  std::unique_ptr<KernelForwarding> make() {
    return std::make_unique<KernelForwarding>(
        fakeOpener(kernel_), fakeProbe(kernel_), time_,
        [this] {
          std::vector<nft::Service> out;
          if (!held_) return out;
          out.push_back(kernelService(dns_, kVip));
          out.push_back(kernelService(web_, kVip));
          return out;
        },
        [this](const std::vector<nft::FlowMatch>& all) -> Result<std::vector<int>> {
          ++deleter_calls_;
          for (const auto& flows : all) {
            // The table already lacks the destination when its flows are deleted.
            for (const auto& s : kernel_.services) {
              if (s.name != "dns") continue;
              for (const auto& d : s.destinations) {
                EXPECT_FALSE(d.address == flows.backend && d.port == flows.backend_port)
                    << "flows deleted while the table still sends new ones to "
                    << d.address.toString();
              }
            }
            deleted_.push_back(flows);
          }
          if (fail_deletes_) return makeError(ErrorCode::kSystem, "netlink send");
          return std::vector<int>(all.size(), 3);
        });
  }
  static nft::FlowMatch dnsFlowsTo(const char* backend) {
    return nft::FlowMatch{nft::Protocol::kUdp, kVip, 53, *IpAddress::parse(backend), 8080};
  }

  ManualTimeSource time_;
  KernelRecord kernel_;
  Balancer dns_;
  Balancer web_;
  bool held_ = true;
  bool fail_deletes_ = false;
  int deleter_calls_ = 0;
  std::vector<nft::FlowMatch> deleted_;
};

TEST_F(UdpFlowsTest, ABackendMarkedDownHasItsUdpFlowsDeletedAfterTheTableDropsIt) {
  auto forwarding = make();
  ASSERT_TRUE(forwarding->start());
  forwarding->sync();
  EXPECT_TRUE(deleted_.empty()) << "nothing left yet";
  dns_.pool.markDown(1, time_.now());
  web_.pool.markDown(1, time_.now());  // TCP: its connections fail by themselves
  time_.advance(kKernelPollInterval);
  ASSERT_EQ(kernel_.services[0].destinations.size(), 2u);
  ASSERT_EQ(deleted_.size(), 1u);
  EXPECT_EQ(deleted_[0], dnsFlowsTo("10.0.0.12"));
  time_.advance(kKernelPollInterval * 3);
  EXPECT_EQ(deleted_.size(), 1u) << "once per departure";
  dns_.pool.markUp(1);
  time_.advance(kKernelPollInterval);
  EXPECT_EQ(deleted_.size(), 1u) << "a return deletes nothing";
}

TEST_F(UdpFlowsTest, BackendsLeavingTogetherAreDeletedWithOneCall) {
  auto forwarding = make();
  ASSERT_TRUE(forwarding->start());
  forwarding->sync();
  dns_.pool.markDown(0, time_.now());
  dns_.pool.markDown(2, time_.now());
  time_.advance(kKernelPollInterval);
  EXPECT_EQ(deleter_calls_, 1) << "one dump of the conntrack table, not one per backend";
  EXPECT_EQ(deleted_,
            (std::vector<nft::FlowMatch>{dnsFlowsTo("10.0.0.11"), dnsFlowsTo("10.0.0.13")}));
}

TEST_F(UdpFlowsTest, AFailedDeletionIsNotRetriedAndLeavesTheTableAlone) {
  auto forwarding = make();
  ASSERT_TRUE(forwarding->start());
  forwarding->sync();
  fail_deletes_ = true;
  dns_.pool.markDown(0, time_.now());
  time_.advance(kKernelPollInterval);
  ASSERT_EQ(deleted_.size(), 1u);
  ASSERT_TRUE(forwarding->applied());
  EXPECT_EQ((*forwarding->applied())[0].destinations.size(), 2u);
  EXPECT_EQ(kernel_.services[0].destinations.size(), 2u);
  const int replaces = kernel_.replaces;
  time_.advance(kKernelPollInterval * 5);
  EXPECT_EQ(deleted_.size(), 1u);
  EXPECT_EQ(kernel_.replaces, replaces);
}

TEST_F(UdpFlowsTest, AfterAFailedUpdateTheDepartureIsSeenByTheUpdateThatSucceeds) {
  auto forwarding = make();
  ASSERT_TRUE(forwarding->start());
  forwarding->sync();
  kernel_.fail = true;
  dns_.pool.markDown(2, time_.now());
  time_.advance(kKernelPollInterval * 2);
  EXPECT_TRUE(deleted_.empty()) << "the kernel still sends new flows there";
  kernel_.fail = false;
  time_.advance(kKernelPollInterval);
  ASSERT_EQ(deleted_.size(), 1u);
  EXPECT_EQ(deleted_[0], dnsFlowsTo("10.0.0.13"));
}

TEST(UdpDestinationsThatLeftTest, AServiceGoneOrMovedLeftWithAllItsDestinations) {
  nft::Service dns;
  dns.name = "dns";
  dns.protocol = nft::Protocol::kUdp;
  dns.vip = kVip;
  dns.port = 53;
  const IpAddress a = *IpAddress::parse("10.0.0.11");
  const IpAddress b = *IpAddress::parse("10.0.0.12");
  dns.destinations = {{a, 53, 1}, {b, 53, 1}};
  const auto flows = [&](const IpAddress& backend) {
    return LeftDestination{"dns", nft::FlowMatch{nft::Protocol::kUdp, kVip, 53, backend, 53}};
  };
  nft::Service reweighted = dns;
  reweighted.destinations[1].weight = 5;
  EXPECT_TRUE(udpDestinationsThatLeft({dns}, {reweighted}).empty()) << "a weight is no departure";
  nft::Service moved = dns;
  moved.port = 5353;
  EXPECT_EQ(udpDestinationsThatLeft({dns}, {moved}),
            (std::vector<LeftDestination>{flows(a), flows(b)}));
  EXPECT_EQ(udpDestinationsThatLeft({dns}, {}), (std::vector<LeftDestination>{flows(a), flows(b)}));
  nft::Service other_port = dns;
  other_port.destinations[0].port = 54;
  EXPECT_EQ(udpDestinationsThatLeft({dns}, {other_port}), (std::vector<LeftDestination>{flows(a)}));
  nft::Service tcp = dns;
  tcp.protocol = nft::Protocol::kTcp;
  EXPECT_TRUE(udpDestinationsThatLeft({tcp}, {}).empty()) << "TCP flows are left alone";
}

TEST(KernelForwardingSetTest, TheSetForwardsTheVipsPortWhileItHoldsTheVip) {
  KernelRecord kernel;
  kernel.table_present = true;
  std::vector<nft::FlowMatch> deleted;
  ManualTimeSource time;
  DataPlaneOptions options;
  options.open_nftables = fakeOpener(kernel);
  options.nftables_table_present = fakeProbe(kernel);
  options.delete_udp_flows =
      [&deleted](const std::vector<nft::FlowMatch>& flows) -> Result<std::vector<int>> {
    deleted.insert(deleted.end(), flows.begin(), flows.end());
    return std::vector<int>(flows.size(), 0);
  };
  auto set = LoadBalancerSet::create({kernelBalancer()}, kVip, 1, time, std::move(options));
  ASSERT_TRUE(set);
  ASSERT_TRUE((*set)->start());
  EXPECT_FALSE(kernel.table_present) << "the leftover goes at start";
  EXPECT_FALSE((*set)->listeningEndpoint("web"));
  (*set)->onVipAcquired();
  ASSERT_EQ(kernel.services.size(), 1u) << "installed by the acquisition itself, not a poll";
  EXPECT_EQ(kernel.services[0].destinations.size(), 3u);
  EXPECT_EQ((*set)->listeningEndpoint("web"), (Endpoint{kVip, 80}));
  const auto status = (*set)->status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].forwarding, "kernel");
  (*set)->onVipReleased();
  EXPECT_FALSE(kernel.table_present);
  EXPECT_FALSE((*set)->listeningEndpoint("web"));
  (*set)->onVipAcquired();
  EXPECT_TRUE(kernel.table_present);
  (*set)->stop();
  EXPECT_FALSE(kernel.table_present);
}

// A reload reaches the kernel at once: a changed backend list, a new kernel balancer, and one
// that moves to the proxy leaves the table.
TEST(KernelForwardingSetTest, AReloadIsForwardedAtOnce) {
  KernelRecord kernel;
  std::vector<nft::FlowMatch> deleted;
  ManualTimeSource time;
  DataPlaneOptions options;
  options.open_nftables = fakeOpener(kernel);
  options.nftables_table_present = fakeProbe(kernel);
  options.delete_udp_flows =
      [&deleted](const std::vector<nft::FlowMatch>& flows) -> Result<std::vector<int>> {
    deleted.insert(deleted.end(), flows.begin(), flows.end());
    return std::vector<int>(flows.size(), 0);
  };
  auto set = LoadBalancerSet::create({kernelBalancer()}, kVip, 1, time, std::move(options));
  ASSERT_TRUE(set);
  ASSERT_TRUE((*set)->start());
  (*set)->onVipAcquired();
  ASSERT_EQ(kernel.services.size(), 1u);

  config::LoadBalancer web = kernelBalancer();
  web.backends.pop_back();
  config::LoadBalancer dns = kernelBalancer();
  dns.name = "dns";
  dns.port = 53;
  dns.type = config::LoadBalancerType::kUdp;
  config::ReloadPlan plan;
  config::LoadBalancerChange change;
  change.name = "web";
  change.backends_removed = {kernelBalancer().backends.back()};
  plan.load_balancers_changed.push_back(change);
  plan.load_balancers_added.push_back("dns");
  ASSERT_TRUE((*set)->reconfigure(plan, {web, dns}));
  ASSERT_EQ(kernel.services.size(), 2u);
  EXPECT_EQ(kernel.services[0].destinations.size(), 2u);
  EXPECT_EQ(kernel.services[1].name, "dns");
  EXPECT_EQ(kernel.services[1].protocol, nft::Protocol::kUdp);

  config::ReloadPlan removal;
  removal.load_balancers_removed.push_back("dns");
  ASSERT_TRUE((*set)->reconfigure(removal, {web}));
  ASSERT_EQ(kernel.services.size(), 1u);
  EXPECT_EQ(kernel.services[0].name, "web");
  EXPECT_EQ(deleted.size(), 3u) << "the removed UDP balancer's flows, through the set's deleter";
}

}  // namespace
}  // namespace kubevip::lb

#include "election/make_elector.h"

#include <gtest/gtest.h>

namespace kubevip::election {
namespace {

TEST(MakeElectorTest, SingleNodeIsAlwaysTheLeader) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  config::Config config;
  config.single_node = true;
  config.local_peer = config::Peer{"solo", *IpAddress::parse("127.0.0.1"), 10000};
  auto elector = makeElector(**loop, config);
  ASSERT_TRUE(elector) << elector.error().describe();
  bool started = false;
  ASSERT_TRUE((*elector)->start({[&] { started = true; }, nullptr, nullptr, nullptr}));
  (*loop)->runOnce();
  EXPECT_TRUE(started);
  EXPECT_TRUE((*elector)->isLeader());
  (*elector)->stop(nullptr);
}

TEST(MakeElectorTest, KubernetesSettingsSelectLeaseElectionNotRaft) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  config::Config config;
  config.kubernetes = config::KubernetesLease{};
  config.kubernetes->kubeconfig_path = "/nonexistent/kubeconfig";
  // No localPeer: the Raft branch would refuse for that reason; the Lease branch never asks.
  auto elector = makeElector(**loop, config);
  if (!elector) {
    EXPECT_EQ(elector.error().message.find("localPeer"), std::string::npos)
        << elector.error().describe();
  }
}

// In `manager` both are set: the control-plane VIP is elected through etcd. The real client sends
// nothing before the elector's first request, so nothing leaves the process here.
TEST(MakeElectorTest, EtcdSettingsWinOverTheLeaseAndRaft) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  config::Config config;
  config.kubernetes = config::KubernetesLease{};
  config.kubernetes->kubeconfig_path = "/nonexistent/kubeconfig";
  config.etcd = config::EtcdElection{};
  config.etcd->endpoints = {"http://127.0.0.1:2379"};
  config.etcd->identity = "node1";
  config.etcd->ttl = std::chrono::seconds(2);
  auto elector = makeElector(**loop, config);
  ASSERT_TRUE(elector) << elector.error().describe();
  const ElectorStatus status = (*elector)->status();
  EXPECT_EQ(status.backend, "etcd");
  EXPECT_EQ(status.election_name, "/kube-vip/kube-system/plndr-cp-lock");
  EXPECT_FALSE((*elector)->isLeader());
  bool done = false;
  (*elector)->stop([&] { done = true; });  // never started: nothing to hand back
  EXPECT_TRUE(done);
}

TEST(MakeElectorTest, EtcdSettingsAreCheckedBeforeAnyFileIsRead) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  config::Config config;
  config.etcd = config::EtcdElection{};
  config.etcd->endpoints = {"https://127.0.0.1:2379"};
  config.etcd->ca_file = "/nonexistent/ca.pem";
  config.etcd->identity = "node1";
  config.etcd->ttl = std::chrono::seconds(1);
  auto elector = makeElector(**loop, config);
  ASSERT_FALSE(elector);
  EXPECT_EQ(elector.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(elector.error().message.find("election.ttl"), std::string::npos)
      << elector.error().describe();
}

TEST(MakeElectorTest, RaftNeedsALocalPeerAndSaneTiming) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  config::Config config;
  auto no_peer = makeElector(**loop, config);
  ASSERT_FALSE(no_peer);
  EXPECT_EQ(no_peer.error().code, ErrorCode::kInvalidArgument);

  config.local_peer = config::Peer{"a", *IpAddress::parse("127.0.0.1"), 10000};
  config.data_dir = "/nonexistent-never-created";
  config.election.leader_lease = config.election.election_timeout;  // lease must be shorter
  auto bad_timing = makeElector(**loop, config);
  ASSERT_FALSE(bad_timing);
  EXPECT_EQ(bad_timing.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace kubevip::election

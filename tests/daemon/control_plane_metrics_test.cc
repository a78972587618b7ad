// The control plane's metrics: events counted when they happen, loop-owned counters mirrored by
// refresh(), and the scrape they make.
#include "daemon/control_plane_metrics.h"

#include <gtest/gtest.h>

#include "metrics/text_encoder.h"
#include "vip/fakes.h"
#include "vip/vip_controller.h"

namespace kubevip::daemon {
namespace {

class ControlPlaneMetricsTest : public ::testing::Test {
 protected:
  ControlPlaneMetricsTest() {
    auto created = ControlPlaneMetrics::create(registry_, "node1", "1.2.3");
    EXPECT_TRUE(created.ok()) << created.error().describe();
    metrics_ = std::move(*created);
    vip::VipControllerOptions options;
    options.vip = *IpAddress::parse("10.0.0.100");
    options.ifindex = 7;
    options.interface_name = "eth0";
    controller_ = std::make_unique<vip::VipController>(
        time_, addresses_, announcer_, prober_, options, [this] { return valid_until_; },
        vip::VipControllerHooks{});
  }

  std::string scrape() {
    auto text = metrics::encodeText(registry_.collect());
    EXPECT_TRUE(text.ok()) << text.error().message;
    return text.ok() ? *text : "";
  }
  static bool has(const std::string& text, const std::string& line) {
    return text.find(line + "\n") != std::string::npos;
  }

  metrics::Registry registry_;
  std::unique_ptr<ControlPlaneMetrics> metrics_;
  ManualTimeSource time_;
  vip::testing::FakeAddressManager addresses_;
  vip::testing::FakeAnnouncer announcer_;
  vip::testing::FakeProber prober_;
  SteadyTime valid_until_{};
  std::unique_ptr<vip::VipController> controller_;
};

TEST_F(ControlPlaneMetricsTest, TheGoKubeVipNamesAndTheVipsState) {
  election::ElectorStatus status;
  status.backend = "raft";
  status.election_name = "raft";
  status.role = "follower";
  status.term = 3;
  metrics_->leaderSeen("raft", "node2");
  metrics_->leaderSeen("raft", "node2");  // the same leader again is no transition
  metrics_->refresh(status, false, Duration::zero(), controller_.get());
  std::string text = scrape();
  EXPECT_TRUE(has(text, "kube_vip_build_info{version=\"1.2.3\"} 1")) << text;
  EXPECT_TRUE(has(text, "kube_vip_is_leader{node=\"node1\",lease_name=\"raft\"} 0")) << text;
  EXPECT_TRUE(has(text, "kube_vip_leader_election_transitions_total{lease_name=\"raft\"} 1"));
  EXPECT_TRUE(has(text, "kube_vip_raft_term 3"));
  EXPECT_TRUE(has(text, "kube_vip_raft_role{role=\"follower\"} 1"));
  EXPECT_TRUE(has(text, "kube_vip_vip_held{vip=\"10.0.0.100\",interface=\"eth0\"} 0"));
  EXPECT_TRUE(has(text, "kube_vip_vip_state{vip=\"10.0.0.100\",state=\"idle\"} 1"));

  // This node takes over: a transition, the VIP probed for and held, its counters mirrored.
  metrics_->leaderSeen("raft", "node1");
  valid_until_ = time_.now() + std::chrono::hours(1);
  controller_->acquire();
  time_.advance(milliseconds(60));
  ASSERT_EQ(controller_->state(), vip::VipState::kHolding);
  metrics_->vipTaken(controller_->vip(), milliseconds(60));
  status.role = "leader";
  status.term = 4;
  metrics_->refresh(status, true, milliseconds(250), controller_.get());
  text = scrape();
  EXPECT_TRUE(has(text, "kube_vip_is_leader{node=\"node1\",lease_name=\"raft\"} 1")) << text;
  EXPECT_TRUE(has(text, "kube_vip_leader_election_transitions_total{lease_name=\"raft\"} 2"));
  EXPECT_TRUE(has(text, "kube_vip_leadership_time_left_seconds{lease_name=\"raft\"} 0.25"));
  EXPECT_TRUE(has(text, "kube_vip_raft_role{role=\"follower\"} 0"));
  EXPECT_TRUE(has(text, "kube_vip_raft_role{role=\"leader\"} 1"));
  EXPECT_TRUE(has(text, "kube_vip_vip_held{vip=\"10.0.0.100\",interface=\"eth0\"} 1"));
  EXPECT_TRUE(has(text, "kube_vip_vip_state{vip=\"10.0.0.100\",state=\"holding\"} 1"));
  EXPECT_TRUE(has(text, "kube_vip_vip_acquisitions_total{vip=\"10.0.0.100\"} 1"));
  EXPECT_TRUE(has(text, "kube_vip_vip_probes_sent_total{vip=\"10.0.0.100\"} 3"));
  EXPECT_TRUE(has(text, "kube_vip_vip_acquire_seconds_count{vip=\"10.0.0.100\"} 1"));
  EXPECT_TRUE(has(text, "kube_vip_vip_acquire_seconds_bucket{vip=\"10.0.0.100\",le=\"0.1\"} 1"));

  // A refresh with nothing new adds nothing; a release is counted once with its reason.
  metrics_->refresh(status, true, milliseconds(250), controller_.get());
  controller_->release();
  metrics_->refresh(status, false, Duration::zero(), controller_.get());
  text = scrape();
  EXPECT_TRUE(has(text, "kube_vip_vip_acquisitions_total{vip=\"10.0.0.100\"} 1")) << text;
  EXPECT_TRUE(has(text, "kube_vip_vip_releases_total{vip=\"10.0.0.100\",reason=\"released\"} 1"));
  EXPECT_TRUE(
      has(text, "kube_vip_vip_releases_total{vip=\"10.0.0.100\",reason=\"lease_expired\"} 0"));
}

TEST_F(ControlPlaneMetricsTest, EtcdFencingTokenIsNotARaftTerm) {
  election::ElectorStatus status;
  status.backend = "etcd";
  status.election_name = "/kube-vip/kube-system/plndr-cp-lock";
  status.role = "leader";
  status.term = 42;
  metrics_->refresh(status, true, milliseconds(3000), controller_.get());
  const std::string text = scrape();
  EXPECT_TRUE(has(
      text, "kube_vip_etcd_fencing_token{lease_name=\"/kube-vip/kube-system/plndr-cp-lock\"} 42"))
      << text;
  EXPECT_EQ(text.find("kube_vip_raft_term "), std::string::npos) << text;
  EXPECT_EQ(text.find("kube_vip_raft_role{"), std::string::npos) << text;
}

TEST_F(ControlPlaneMetricsTest, LeaseRequestsAndApiErrors) {
  metrics_->backendRequest("plndr-cp-lock", milliseconds(8), okStatus());
  metrics_->backendRequest("plndr-cp-lock", milliseconds(30),
                           makeError(ErrorCode::kConflict, "409"));
  metrics_->backendRequest("plndr-cp-lock", seconds(3), makeError(ErrorCode::kUnavailable, "x"));
  const std::string text = scrape();
  EXPECT_TRUE(has(text,
                  "kube_vip_lease_request_duration_seconds_count{lease_name=\"plndr-cp-"
                  "lock\"} 3"))
      << text;
  EXPECT_TRUE(has(text,
                  "kube_vip_lease_request_duration_seconds_bucket{lease_name=\"plndr-cp-"
                  "lock\",le=\"0.01\"} 1"));
  EXPECT_TRUE(has(text, "kube_vip_api_errors_total{code=\"conflict\"} 1"));
  EXPECT_TRUE(has(text, "kube_vip_api_errors_total{code=\"unavailable\"} 1"));
}

TEST_F(ControlPlaneMetricsTest, TheServicesModesNames) {
  services_mode::ServicesReport report;
  report.active_by_namespace = {{"default", 2}, {"team", 1}};
  report.elections = {{"kube-system/plndr-svcs-lock", true}};
  report.reconcile_errors = 3;
  metrics_->refreshServices(report);
  metrics_->serviceReconciled(milliseconds(2));
  std::string text = scrape();
  EXPECT_TRUE(has(text, "kube_vip_active_services{namespace=\"default\"} 2")) << text;
  EXPECT_TRUE(has(text, "kube_vip_active_services{namespace=\"team\"} 1"));
  EXPECT_TRUE(
      has(text, "kube_vip_service_election_leading{lease=\"kube-system/plndr-svcs-lock\"} 1"));
  EXPECT_TRUE(has(text, "kube_vip_service_reconcile_errors_total 3"));
  EXPECT_TRUE(has(text, "kube_vip_service_reconcile_duration_seconds_count 1"));
  // A namespace with nothing left reads 0; errors never go back.
  report.active_by_namespace = {{"default", 2}};
  report.elections = {};
  metrics_->refreshServices(report);
  text = scrape();
  EXPECT_TRUE(has(text, "kube_vip_active_services{namespace=\"team\"} 0")) << text;
  EXPECT_TRUE(
      has(text, "kube_vip_service_election_leading{lease=\"kube-system/plndr-svcs-lock\"} 0"));
  EXPECT_TRUE(has(text, "kube_vip_service_reconcile_errors_total 3"));
}

TEST_F(ControlPlaneMetricsTest, BgpSessionsOneForTheCurrentStateAndCountersPerPeer) {
  bgp::PeerStatus up;
  up.address = *IpAddress::parse("192.0.2.1");
  up.port = 179;
  up.state = bgp::FsmState::kEstablished;
  up.updates_sent = 3;
  up.routes_announced = 1;
  bgp::PeerStatus down;
  down.address = *IpAddress::parse("fd00::1");
  down.port = 1179;
  down.state = bgp::FsmState::kActive;
  metrics_->refreshBgp({up, down});
  std::string text = scrape();
  EXPECT_TRUE(has(text,
                  "kube_vip_manager_bgp_session_info{peer=\"192.0.2.1:179\",state="
                  "\"established\"} 1"))
      << text;
  EXPECT_TRUE(
      has(text, "kube_vip_manager_bgp_session_info{peer=\"192.0.2.1:179\",state=\"idle\"} 0"));
  EXPECT_TRUE(has(text,
                  "kube_vip_manager_bgp_session_info{peer=\"[fd00::1]:1179\",state="
                  "\"established\"} 0"));
  EXPECT_TRUE(has(text,
                  "kube_vip_manager_bgp_session_info{peer=\"[fd00::1]:1179\",state="
                  "\"active\"} 1"));
  EXPECT_TRUE(has(text, "kube_vip_bgp_updates_sent_total{peer=\"192.0.2.1:179\"} 3"));
  EXPECT_TRUE(has(text, "kube_vip_bgp_routes_announced{peer=\"192.0.2.1:179\"} 1"));
  // The session went down: the state moves, the counter keeps its total.
  up.state = bgp::FsmState::kIdle;
  up.routes_announced = 0;
  up.updates_sent = 5;
  metrics_->refreshBgp({up, down});
  text = scrape();
  EXPECT_TRUE(has(text,
                  "kube_vip_manager_bgp_session_info{peer=\"192.0.2.1:179\",state="
                  "\"established\"} 0"));
  EXPECT_TRUE(
      has(text, "kube_vip_manager_bgp_session_info{peer=\"192.0.2.1:179\",state=\"idle\"} 1"));
  EXPECT_TRUE(has(text, "kube_vip_bgp_updates_sent_total{peer=\"192.0.2.1:179\"} 5"));
  EXPECT_TRUE(has(text, "kube_vip_bgp_routes_announced{peer=\"192.0.2.1:179\"} 0"));
}

}  // namespace
}  // namespace kubevip::daemon

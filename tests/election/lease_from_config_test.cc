#include "election/lease_from_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "common/event_loop.h"

namespace kubevip::election {
namespace {

class LeaseFromConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop.ok());
    loop_ = std::move(*loop);
    settings_.identity = "node-1";
  }
  std::unique_ptr<EventLoop> loop_;
  config::KubernetesLease settings_;
};

TEST_F(LeaseFromConfigTest, MissingKubeconfigIsNamed) {
  settings_.kubeconfig_path = "/nonexistent/admin.conf";
  auto e = makeLeaseElector(*loop_, settings_);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("kubeconfig: cannot read /nonexistent/admin.conf"),
            std::string::npos)
      << e.error().message;
}

TEST_F(LeaseFromConfigTest, OutsideAClusterWithoutKubeconfigIsNamed) {
  unsetenv("KUBERNETES_SERVICE_HOST");
  auto e = makeLeaseElector(*loop_, settings_);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("not running in a cluster"), std::string::npos);
}

TEST_F(LeaseFromConfigTest, BuildsAnIdleElectorFromAKubeconfig) {
  const std::string path = "/tmp/kv-lease-from-config-" + std::to_string(getpid()) + ".conf";
  std::ofstream(path) << R"(current-context: c
clusters: [{name: k, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {token: t}}]
)";
  settings_.kubeconfig_path = path;
  auto e = makeLeaseElector(*loop_, settings_);
  std::remove(path.c_str());
  ASSERT_TRUE(e.ok()) << e.error().describe();
  EXPECT_FALSE((*e)->isLeader());
  EXPECT_EQ((*e)->leadershipValidUntil(), SteadyTime{});
  settings_.kubeconfig_path = path;
  settings_.renew_deadline = std::chrono::seconds(5);  // == lease duration
  std::ofstream(path)
      << "current-context: c\nclusters: [{name: k, cluster: {server: "
         "\"https://127.0.0.1:1\"}}]\ncontexts: [{name: c, context: {cluster: k}}]\n";
  auto bad = makeLeaseElector(*loop_, settings_);
  std::remove(path.c_str());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("must be greater than the renew deadline"), std::string::npos);
}

}  // namespace
}  // namespace kubevip::election

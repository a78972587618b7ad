#include "k8s/cluster_access.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace kubevip::k8s {
namespace {

const char* kKubeconfig = R"(apiVersion: v1
kind: Config
current-context: admin@cluster
clusters:
- name: other
  cluster:
    server: https://10.9.9.9:6443
- name: cluster
  cluster:
    server: https://192.0.2.10:6443/
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
contexts:
- name: admin@cluster
  context:
    cluster: cluster
    user: admin
    namespace: kube-system
users:
- name: admin
  user:
    client-certificate-data: Y2VydA==
    client-key-data: a2V5
)";

TEST(KubeconfigTest, FollowsTheCurrentContext) {
  auto access = parseKubeconfig(kKubeconfig, "/nonexistent");
  ASSERT_TRUE(access.ok()) << access.error().describe();
  EXPECT_EQ(access->server, "https://192.0.2.10:6443");
  EXPECT_EQ(access->ca_pem, "-----BEGIN CERTIFICATE-----\n");
  EXPECT_EQ(access->client_cert_pem, "cert");
  EXPECT_EQ(access->client_key_pem, "key");
  EXPECT_EQ(access->default_namespace, "kube-system");
  EXPECT_FALSE(access->insecure_skip_tls_verify);
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kv-k8s-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

using KubeconfigFileTest = TempDir;

TEST_F(KubeconfigFileTest, ResolvesRelativeFilesAndToken) {
  write("ca.pem", "CA");
  write("config", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://127.0.0.1:1", certificate-authority: ca.pem}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {token: abc}}]
)");
  auto access = loadKubeconfig((dir_ / "config").string());
  ASSERT_TRUE(access.ok()) << access.error().describe();
  EXPECT_EQ(access->ca_pem, "CA");
  EXPECT_EQ(access->token, "abc");
}

TEST_F(KubeconfigFileTest, ErrorsNameTheProblem) {
  auto missing = loadKubeconfig((dir_ / "absent").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("absent"), std::string::npos);
  auto no_ctx = parseKubeconfig("clusters: []\n", "");
  ASSERT_FALSE(no_ctx.ok());
  EXPECT_NE(no_ctx.error().message.find("current-context"), std::string::npos);
  auto bad_cluster = parseKubeconfig(
      "current-context: c\ncontexts: [{name: c, context: {cluster: nope, user: u}}]\n", "");
  ASSERT_FALSE(bad_cluster.ok());
  EXPECT_NE(bad_cluster.error().message.find("\"nope\""), std::string::npos);
  auto exec = parseKubeconfig(R"(current-context: c
clusters: [{name: k, cluster: {server: "https://h:1", insecure-skip-tls-verify: true}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {exec: {command: x}}}]
)",
                              "");
  ASSERT_FALSE(exec.ok());
  EXPECT_NE(exec.error().message.find("exec"), std::string::npos);
  EXPECT_FALSE(parseKubeconfig("current-context: [", "").ok());
}

using InClusterTest = TempDir;

TEST_F(InClusterTest, ReadsTheServiceAccountDirectory) {
  write("token", "tok\n");
  write("ca.crt", "CA");
  write("namespace", "kube-system\n");
  std::map<std::string, std::string> env{{"KUBERNETES_SERVICE_HOST", "fd00::1"},
                                         {"KUBERNETES_SERVICE_PORT", "443"}};
  auto lookup = [&](const std::string& n) -> std::optional<std::string> {
    auto it = env.find(n);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  auto access = loadInCluster(lookup, dir_.string());
  ASSERT_TRUE(access.ok()) << access.error().describe();
  EXPECT_EQ(access->server, "https://[fd00::1]:443");
  EXPECT_EQ(access->token_file, (dir_ / "token").string());
  EXPECT_EQ(access->ca_pem, "CA");
  EXPECT_EQ(access->default_namespace, "kube-system");
  env.clear();
  auto outside = loadInCluster(lookup, dir_.string());
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.error().message.find("KUBERNETES_SERVICE_HOST"), std::string::npos);
}

TEST(Base64Test, Decodes) {
  EXPECT_EQ(*decodeBase64("aGVsbG8="), "hello");
  EXPECT_EQ(*decodeBase64("aGVs\nbG8h"), "hello!");
  EXPECT_FALSE(decodeBase64("a$==").ok());
}

}  // namespace
}  // namespace kubevip::k8s

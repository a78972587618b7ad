#include "k8s/apiserver_route.h"

#include <gtest/gtest.h>

namespace kubevip::k8s {
namespace {

ClusterAccess fromKubeconfig(const std::string& server) {
  ClusterAccess access;
  access.server = server;
  access.ca_pem = "CA";
  access.token = "secret";
  return access;
}

TEST(ApiServerRouteTest, AKubeconfigGoesToTheLocalApiServerAndKeepsItsHostForTls) {
  const ApiServerChoice choice{true, false, 6443};
  auto chosen = chooseApiServer(fromKubeconfig("https://10.0.0.100:6443"), choice);
  ASSERT_TRUE(chosen.ok()) << chosen.error().describe();
  EXPECT_EQ(chosen->connect_to, "127.0.0.1:6443");
  EXPECT_EQ(chosen->server, "https://10.0.0.100:6443");  // the name TLS verifies
  EXPECT_EQ(chosen->ca_pem, "CA");
  EXPECT_EQ(chosen->token, "secret");
  EXPECT_EQ(describeApiServer(*chosen, choice),
            "API server: connecting to this node's own API server at 127.0.0.1:6443, verifying "
            "TLS as 10.0.0.100 (kubeconfig server https://10.0.0.100:6443); set "
            "k8s_use_kubeconfig_server=true (--k8sUseKubeconfigServer) to use the kubeconfig "
            "server directly");
}

TEST(ApiServerRouteTest, TheLocalPortIsKubeVipsPortNotTheKubeconfigs) {
  auto chosen =
      chooseApiServer(fromKubeconfig("https://cp.example.com:8443/"), {true, false, 16443});
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->connect_to, "127.0.0.1:16443");
  EXPECT_EQ(chosen->server, "https://cp.example.com:8443/");
}

TEST(ApiServerRouteTest, TheKubeconfigServerIsUsedAsWrittenWhenAskedFor) {
  const ApiServerChoice choice{true, true, 6443};
  auto chosen = chooseApiServer(fromKubeconfig("https://10.0.0.100:6443"), choice);
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->connect_to, "");
  EXPECT_EQ(chosen->server, "https://10.0.0.100:6443");
  EXPECT_EQ(describeApiServer(*chosen, choice),
            "API server: connecting to the kubeconfig server https://10.0.0.100:6443, verifying "
            "TLS as 10.0.0.100 (k8s_use_kubeconfig_server=true)");
}

TEST(ApiServerRouteTest, InClusterAccessIsUnchanged) {
  const ApiServerChoice choice{false, false, 6443};
  auto chosen = chooseApiServer(fromKubeconfig("https://10.96.0.1:443"), choice);
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->connect_to, "");
  EXPECT_EQ(describeApiServer(*chosen, choice),
            "API server: connecting to https://10.96.0.1:443 (in-cluster service account, "
            "KUBERNETES_SERVICE_HOST/PORT)");
}

TEST(ApiServerRouteTest, InsecureKubeconfigsSaySoInTheLog) {
  ClusterAccess access = fromKubeconfig("https://10.0.0.100:6443");
  access.insecure_skip_tls_verify = true;
  const ApiServerChoice choice{true, false, 6443};
  auto chosen = chooseApiServer(access, choice);
  ASSERT_TRUE(chosen.ok());
  EXPECT_NE(describeApiServer(*chosen, choice).find("not verifying TLS"), std::string::npos);
}

TEST(ApiServerRouteTest, ServerHosts) {
  EXPECT_EQ(*serverHost("https://10.0.0.100:6443"), "10.0.0.100");
  EXPECT_EQ(*serverHost("https://[fd00::100]:6443"), "fd00::100");
  EXPECT_EQ(*serverHost("https://[fd00::100]"), "fd00::100");
  EXPECT_EQ(*serverHost("https://kubernetes"), "kubernetes");
  EXPECT_EQ(*serverHost("https://cp.example.com:6443/prefix/x"), "cp.example.com");
  auto bad = chooseApiServer(fromKubeconfig("https://:6443"), {true, false, 6443});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "API server address \"https://:6443\" has no host");
}

}  // namespace
}  // namespace kubevip::k8s

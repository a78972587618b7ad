// `kube-vip manifest` and `kube-vip manager` through the real command line (cli/app.h), with the
// daemon replaced by a function that records the Config it would run.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "cli/app.h"

namespace kubevip::cli {
namespace {

struct CliRun {
  int status = 0;
  std::string out;
  std::string err;
  std::optional<config::Config> daemon_config;
};

CliRun run(const std::vector<std::string>& args, std::map<std::string, std::string> env = {}) {
  std::ostringstream out, err;
  CliRun r;
  CliEnvironment e;
  e.out = &out;
  e.err = &err;
  e.getenv = [env](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  e.interface_exists = [](const std::string& name) { return name == "eth0"; };
  e.run_daemon = [&r](const config::Config& c, const config::ConfigSource&) {
    r.daemon_config = c;
    return 0;
  };
  r.status = runCli(args, e);
  r.out = out.str();
  r.err = err.str();
  return r;
}

std::map<std::string, YAML::Node> envOf(const YAML::Node& container) {
  std::map<std::string, YAML::Node> env;
  for (const auto& e : container["env"]) env[e["name"].as<std::string>()] = YAML::Node(e);
  return env;
}

const std::vector<std::string> kCommon = {"--interface",     "eth0",           "--address",
                                          "192.0.2.10",      "--controlplane", "--arp",
                                          "--leaderElection"};

std::vector<std::string> args(std::vector<std::string> head,
                              const std::vector<std::string>& tail = kCommon) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

TEST(ManifestTest, StaticPodMountsAdminConfAndCarriesTheEnvironment) {
  CliRun r = run(args({"manifest", "pod"}));
  ASSERT_EQ(r.status, 0) << r.err;
  YAML::Node pod = YAML::Load(r.out);
  EXPECT_EQ(pod["apiVersion"].as<std::string>(), "v1");
  EXPECT_EQ(pod["kind"].as<std::string>(), "Pod");
  EXPECT_EQ(pod["metadata"]["namespace"].as<std::string>(), "kube-system");
  EXPECT_TRUE(pod["spec"]["hostNetwork"].as<bool>());
  ASSERT_EQ(pod["spec"]["containers"].size(), 1u);
  YAML::Node c = pod["spec"]["containers"][0];
  EXPECT_EQ(c["args"][0].as<std::string>(), "manager");
  // This project's image at this version, not the Go project's.
  EXPECT_EQ(c["image"].as<std::string>(), std::string("localhost/kube-vip:v") + KUBEVIP_VERSION);
  auto dropped = c["securityContext"]["capabilities"]["drop"];
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].as<std::string>(), "ALL");
  auto caps = c["securityContext"]["capabilities"]["add"];
  ASSERT_EQ(caps.size(), 2u);
  EXPECT_EQ(caps[0].as<std::string>(), "NET_ADMIN");
  EXPECT_EQ(caps[1].as<std::string>(), "NET_RAW");
  EXPECT_FALSE(c["securityContext"]["privileged"]);
  auto env = envOf(c);
  EXPECT_EQ(env["vip_interface"]["value"].as<std::string>(), "eth0");
  EXPECT_EQ(env["address"]["value"].as<std::string>(), "192.0.2.10");
  EXPECT_EQ(env["port"]["value"].as<std::string>(), "6443");
  EXPECT_EQ(env["vip_arp"]["value"].as<std::string>(), "true");
  EXPECT_EQ(env["cp_enable"]["value"].as<std::string>(), "true");
  EXPECT_EQ(env["vip_leaderelection"]["value"].as<std::string>(), "true");
  EXPECT_EQ(env["vip_leasename"]["value"].as<std::string>(), "plndr-cp-lock");
  EXPECT_EQ(env["vip_leaseduration"]["value"].as<std::string>(), "5");
  EXPECT_EQ(env["vip_renewdeadline"]["value"].as<std::string>(), "3");
  EXPECT_EQ(env["vip_retryperiod"]["value"].as<std::string>(), "1");
  EXPECT_EQ(env["vip_nodename"]["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>(),
            "spec.nodeName");
  EXPECT_EQ(env["k8s_config_file"]["value"].as<std::string>(), "/etc/kubernetes/admin.conf");
  EXPECT_EQ(env.count("svc_enable"), 0u);
  EXPECT_EQ(c["volumeMounts"][0]["mountPath"].as<std::string>(), "/etc/kubernetes/admin.conf");
  EXPECT_EQ(pod["spec"]["volumes"][0]["hostPath"]["path"].as<std::string>(),
            "/etc/kubernetes/admin.conf");
  EXPECT_FALSE(pod["spec"]["serviceAccountName"]);
}

TEST(ManifestTest, PodEnvironmentIsAcceptedByManager) {
  // What `manifest pod` writes, `manager` reads back to the same settings.
  CliRun m = run(
      args({"manifest", "pod"}, {"--interface", "eth0", "--address", "fd00::10", "--controlplane",
                                 "--arp", "--leaderElection", "--leaseDuration", "10",
                                 "--leaseRenewDuration", "6", "--leaseRetry", "2"}));
  ASSERT_EQ(m.status, 0) << m.err;
  std::map<std::string, std::string> env;
  for (const auto& e : YAML::Load(m.out)["spec"]["containers"][0]["env"]) {
    env[e["name"].as<std::string>()] = e["value"] ? e["value"].as<std::string>() : "node-x";
  }
  CliRun r = run({"manager"}, env);
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(r.daemon_config);
  const auto& k = *r.daemon_config->kubernetes;
  EXPECT_EQ(r.daemon_config->vip->toString(), "fd00::10");
  EXPECT_EQ(k.identity, "node-x");
  EXPECT_EQ(k.lease_duration, std::chrono::seconds(10));
  EXPECT_EQ(k.renew_deadline, std::chrono::seconds(6));
  EXPECT_EQ(k.retry_period, std::chrono::seconds(2));
  EXPECT_EQ(k.kubeconfig_path, "/etc/kubernetes/admin.conf");
}

TEST(ManifestTest, ManagerTalksToTheLocalApiServerUnlessTold) {
  const std::map<std::string, std::string> env = {
      {"vip_interface", "eth0"}, {"address", "192.0.2.10"},
      {"cp_enable", "true"},     {"vip_leaderelection", "true"},
      {"vip_nodename", "n1"},    {"k8s_config_file", "/etc/kubernetes/admin.conf"}};
  CliRun r = run({"manager", "--port", "16443"}, env);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.daemon_config->kubernetes->apiserver_port, 16443);
  EXPECT_FALSE(r.daemon_config->kubernetes->use_kubeconfig_server);
  r = run({"manager", "--k8sUseKubeconfigServer"}, env);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.daemon_config->kubernetes->use_kubeconfig_server);
  EXPECT_EQ(r.daemon_config->kubernetes->apiserver_port, 6443);
}

TEST(ManifestTest, DaemonSetInClusterWithTaint) {
  CliRun r =
      run(args({"manifest", "daemonset", "--inCluster", "--taint", "--image", "example/kv:1"}));
  ASSERT_EQ(r.status, 0) << r.err;
  YAML::Node ds = YAML::Load(r.out);
  EXPECT_EQ(ds["apiVersion"].as<std::string>(), "apps/v1");
  EXPECT_EQ(ds["kind"].as<std::string>(), "DaemonSet");
  EXPECT_EQ(ds["metadata"]["name"].as<std::string>(), "kube-vip-ds");
  auto selector = ds["spec"]["selector"]["matchLabels"];
  auto labels = ds["spec"]["template"]["metadata"]["labels"];
  for (const auto& kv : selector) {
    EXPECT_EQ(labels[kv.first.as<std::string>()].as<std::string>(), kv.second.as<std::string>());
  }
  YAML::Node spec = ds["spec"]["template"]["spec"];
  EXPECT_TRUE(spec["hostNetwork"].as<bool>());
  EXPECT_EQ(spec["serviceAccountName"].as<std::string>(), "kube-vip");
  EXPECT_FALSE(spec["volumes"]);
  YAML::Node c = spec["containers"][0];
  EXPECT_EQ(c["image"].as<std::string>(), "example/kv:1");
  EXPECT_EQ(envOf(c).count("k8s_config_file"), 0u);  // in cluster: the service account
  EXPECT_EQ(spec["tolerations"].size(), 2u);
  auto terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
                   ["nodeSelectorTerms"];
  ASSERT_EQ(terms.size(), 2u);
  EXPECT_EQ(terms[1]["matchExpressions"][0]["key"].as<std::string>(),
            "node-role.kubernetes.io/control-plane");
}

TEST(ManifestTest, RbacGrantsLeasesToTheServiceAccount) {
  CliRun r = run({"manifest", "rbac"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto docs = YAML::LoadAll(r.out);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0]["kind"].as<std::string>(), "ServiceAccount");
  EXPECT_EQ(docs[0]["metadata"]["name"].as<std::string>(), "kube-vip");
  EXPECT_EQ(docs[1]["kind"].as<std::string>(), "ClusterRole");
  EXPECT_EQ(docs[1]["metadata"]["name"].as<std::string>(), "system:kube-vip-role");
  bool leases = false, services = false;
  for (const auto& rule : docs[1]["rules"]) {
    const auto group = rule["apiGroups"][0].as<std::string>();
    for (const auto& res : rule["resources"]) {
      std::set<std::string> verbs;
      for (const auto& v : rule["verbs"]) verbs.insert(v.as<std::string>());
      if (group == "coordination.k8s.io" && res.as<std::string>() == "leases") {
        leases = true;
        EXPECT_EQ(verbs, (std::set<std::string>{"get", "create", "update", "list", "watch"}));
      }
      if (group.empty() && res.as<std::string>() == "services") services = verbs.count("watch");
    }
  }
  EXPECT_TRUE(leases);
  EXPECT_TRUE(services);
  EXPECT_EQ(docs[2]["kind"].as<std::string>(), "ClusterRoleBinding");
  EXPECT_EQ(docs[2]["roleRef"]["name"].as<std::string>(), "system:kube-vip-role");
  EXPECT_EQ(docs[2]["subjects"][0]["name"].as<std::string>(), "kube-vip");
  EXPECT_EQ(docs[2]["subjects"][0]["namespace"].as<std::string>(), "kube-system");
}

TEST(ManifestTest, BadOptionsFailWithOneLine) {
  CliRun r = run({"manifest", "pod", "--interface", "eth0", "--controlplane"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--address is required"), std::string::npos);
  r = run({"manifest", "pod", "--interface", "eth0", "--address", "x", "--controlplane"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("not an IP address"), std::string::npos);
}

TEST(ManagerCommandTest, FlagsOverrideTheEnvironment) {
  std::map<std::string, std::string> env{{"vip_interface", "eth0"}, {"address", "192.0.2.5"},
                                         {"cp_enable", "true"},     {"vip_leaderelection", "true"},
                                         {"vip_arp", "true"},       {"vip_nodename", "env-node"}};
  CliRun r =
      run({"manager", "--nodeName", "flag-node", "--arp=false", "--leaseName", "x-lock"}, env);
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(r.daemon_config);
  EXPECT_EQ(r.daemon_config->kubernetes->identity, "flag-node");
  EXPECT_EQ(r.daemon_config->kubernetes->lease_name, "x-lock");
  EXPECT_FALSE(r.daemon_config->gratuitous_arp);
  EXPECT_FALSE(r.daemon_config->single_node);
}

TEST(ManagerCommandTest, ErrorsExitTwoWithOneLine) {
  std::map<std::string, std::string> env{{"vip_interface", "eth9"},
                                         {"address", "192.0.2.5"},
                                         {"cp_enable", "true"},
                                         {"vip_leaderelection", "true"}};
  CliRun r = run({"manager"}, env);
  EXPECT_EQ(r.status, 2);
  EXPECT_FALSE(r.daemon_config);
  EXPECT_NE(r.err.find("eth9"), std::string::npos) << r.err;
  env["vip_interface"] = "eth0";
  r = run({"manager", "--services", "--serviceAddressConfigMap", "kubevip"}, env);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("flag --serviceAddressConfigMap: 'kubevip' is not namespace/name"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  r = run({"manager", "--leaseDuration", "2"}, env);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("vip_leaseduration (2 s) must be greater"), std::string::npos) << r.err;
  r = run({"manager", "--leaseDuration", "5s"}, env);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("flag --leaseDuration: '5s' is not a whole number"), std::string::npos)
      << r.err;
}

TEST(ManagerCommandTest, LogFormatComesFromTheFlagElseTheEnvironment) {
  std::map<std::string, std::string> env{{"vip_interface", "eth0"},
                                         {"address", "192.0.2.5"},
                                         {"cp_enable", "true"},
                                         {"vip_leaderelection", "true"},
                                         {"vip_logformat", "json"}};
  CliRun r = run({"manager"}, env);
  EXPECT_EQ(r.status, 0) << r.err;
  r = run({"manager", "--log-format", "text"}, env);
  EXPECT_EQ(r.status, 0) << r.err;
  env["vip_logformat"] = "";  // set but empty: not given
  r = run({"manager"}, env);
  EXPECT_EQ(r.status, 0) << r.err;
  env["vip_logformat"] = "xml";
  r = run({"manager", "--log-format", "json"}, env);  // the flag wins over a bad variable
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST(ManagerCommandTest, BadLogFormatExitsTwoWithOneLineNamingItsSource) {
  std::map<std::string, std::string> env{{"vip_interface", "eth0"},
                                         {"address", "192.0.2.5"},
                                         {"cp_enable", "true"},
                                         {"vip_leaderelection", "true"},
                                         {"vip_logformat", "xml"}};
  CliRun r = run({"manager"}, env);
  EXPECT_EQ(r.status, 2);
  EXPECT_FALSE(r.daemon_config);
  EXPECT_EQ(r.err,
            "kube-vip: environment vip_logformat: log format 'xml' is not one of text, json\n");
  env.erase("vip_logformat");
  r = run({"manager", "--log-format", "JSON"}, env);
  EXPECT_EQ(r.status, 2);
  EXPECT_FALSE(r.daemon_config);
  EXPECT_EQ(r.err, "kube-vip: flag --log-format: log format 'JSON' is not one of text, json\n");
}

}  // namespace
}  // namespace kubevip::cli

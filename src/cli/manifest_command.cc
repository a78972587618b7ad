// `manifest pod|daemonset|rbac`: prints Kubernetes manifests that deploy kube-vip, with the meaning
// of the Go tool's output, so that its documentation applies:
//   pod        a static pod for /etc/kubernetes/manifests on each control-plane node: hostNetwork,
//              the kubeconfig /etc/kubernetes/admin.conf mounted from the host (the API server is
//              not up yet when the pod starts, so no service account can be used);
//   daemonset  kube-vip-ds on the control-plane nodes (--taint) using the ServiceAccount kube-vip
//              (--inCluster) or the host's admin.conf; the usual form for --services, which
//              announces the addresses of Services of type LoadBalancer;
//   rbac       ServiceAccount kube-vip, ClusterRole system:kube-vip-role, ClusterRoleBinding.
// --controlplane writes the control-plane VIP's variables (address, port, cp_enable, the Lease);
// --services writes svc_enable=true and the Services variables whose flags were given (names of
// the Go tool's flags); without --controlplane the manifest carries no address and no cp_ variable
// (cp_namespace only when --namespace moves the Services Lease out of kube-system).
// --bgp writes bgp_enable=true, vip_arp=false and the BGP variables whose flags were given (the
// flag names of config/incluster_env.cc's table, the Go tool's); the generated environment is
// checked as `manager` would check it, so a manifest that is printed starts. A password given
// with --peerPass or --bgppeers is plain text in the manifest, as with the Go tool; the DaemonSet
// can read bgp_peerpass from a Secret instead (--bgpPasswordSecret NAME/KEY, secretKeyRef).
// --leaderElectionType etcd writes leader_election_type=etcd and the etcd variables whose flags
// were given (--etcdEndpoints, --etcdCACert, --etcdCert, --etcdKey, `manager`'s and the Go tool's
// names); the directories of the certificate files (kubeadm keeps them under
// /etc/kubernetes/pki) are mounted read-only from the node at the same paths.
// The container drops every capability and adds back only NET_ADMIN (addresses, netlink) and
// NET_RAW (ARP/NDP packet sockets), and with --bgp NET_BIND_SERVICE (see emitContainer). The image
// is this project's own (KUBEVIP_IMAGE, set by CMake next to the version; the packaging builds it),
// never the Go project's. The container's environment carries the settings
// (config/incluster_env.h). YAML is produced by yaml-cpp's emitter.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "common/ip_address.h"
#include "config/incluster_env.h"
#include "config/loader.h"

namespace kubevip::cli {
namespace {

constexpr const char* kAdminConf = "/etc/kubernetes/admin.conf";
constexpr const char* kDefaultNamespace = "kube-system";

// The port of /livez in generated manifests: next to the metrics' default :2112.
constexpr int kDefaultManifestHealthPort = 2113;

struct ManifestOptions {
  std::string interface;
  std::string address;
  std::string vip_subnet;
  int port = 6443;
  bool control_plane = false;
  bool services = false;
  bool arp = false;
  bool leader_election = false;
  bool in_cluster = false;
  bool taint = false;
  std::string image = KUBEVIP_IMAGE;
  std::string namespace_ = kDefaultNamespace;
  std::string lease_name = "plndr-cp-lock";
  int lease_duration = 5;
  int renew_deadline = 3;
  int retry_period = 1;
  std::string log_level;
  // /livez and /readyz for the kubelet's livenessProbe; 0: neither the variable nor the probe.
  int health_check_port = kDefaultManifestHealthPort;
  // Services mode (--services); empty / false: the variable is left out and its default applies.
  bool services_election = false;
  std::string services_interface;
  std::string services_namespace;
  std::string services_lease_name;
  bool lb_class_only = false;
  std::string lb_class_name;
  std::string lb_class_legacy_handling;  // "true" / "false" as given
  bool enable_endpoints = false;
  bool disable_service_updates = false;
  // BGP (--bgp): the BGP variables whose flags were given, by variable name, in the table's order.
  bool bgp = false;
  std::vector<std::pair<std::string, std::string>> bgp_variables;
  std::map<std::string, std::string> bgp_raw;  // variable name -> flag value, filled by CLI11
  std::string bgp_password_secret;             // NAME/KEY of a Secret in kube-system, or empty
  // The etcd election (--leaderElectionType etcd): the etcd variables whose flags were given, by
  // variable name, in the table's order.
  bool etcd = false;
  std::vector<std::pair<std::string, std::string>> etcd_variables;
  std::map<std::string, std::string> etcd_raw;  // variable name -> flag value, filled by CLI11
};

struct SecretKey {
  std::string name;
  std::string key;
};

// NAME/KEY as --bgpPasswordSecret takes it: a Secret's name (a DNS subdomain: lower-case letters,
// digits, '-' and '.') and a key of its data (letters, digits, '-', '_' and '.').
Result<SecretKey> parseSecretKey(const std::string& text) {
  auto invalid = [&text](const std::string& why) {
    return makeError(ErrorCode::kInvalidArgument,
                     "--bgpPasswordSecret '" + text + "' is not NAME/KEY: " + why);
  };
  const auto slash = text.find('/');
  if (slash == std::string::npos) return invalid("the '/' is missing");
  SecretKey secret{text.substr(0, slash), text.substr(slash + 1)};
  if (secret.name.empty() || secret.name.size() > 253 ||
      secret.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-.") !=
          std::string::npos) {
    return invalid("the Secret's name must be 1-253 lower-case letters, digits, '-' or '.'");
  }
  if (secret.key.empty() || secret.key.size() > 253 ||
      secret.key.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
          std::string::npos) {
    return invalid("the key must be 1-253 letters, digits, '-', '_' or '.'");
  }
  return secret;
}

// The variables of the BGP speaker: the Go tool's bgp_* and mpbgp_* (config/incluster_env.cc).
bool isBgpVariable(std::string_view name) {
  return name.starts_with("bgp_") || name.starts_with("mpbgp_");
}

// The variables of the etcd election (config/incluster_env.cc).
bool isEtcdVariable(std::string_view name) {
  return name == "leader_election_type" || name.starts_with("etcd_");
}

// The certificate files of the etcd election: their variables hold paths on the node.
bool isEtcdFileVariable(std::string_view name) {
  return name == "etcd_ca_cert" || name == "etcd_cert" || name == "etcd_key";
}

// The directories holding the etcd certificate files, each once, in the order given: mounted from
// the node, read-only, where the container looks for the files.
std::vector<std::string> etcdCertificateDirectories(const ManifestOptions& o) {
  std::vector<std::string> directories;
  for (const auto& [name, path] : o.etcd_variables) {
    if (!isEtcdFileVariable(name)) continue;
    const auto slash = path.rfind('/');
    std::string directory = slash == 0 ? "/" : path.substr(0, slash);
    if (std::find(directories.begin(), directories.end(), directory) == directories.end()) {
      directories.push_back(std::move(directory));
    }
  }
  return directories;
}

// The port passive peers connect to: bgp_listen_port if given, else the daemon's default 179.
int bgpListenPort(const ManifestOptions& o) {
  for (const auto& [name, value] : o.bgp_variables) {
    if (name == "bgp_listen_port") return std::atoi(value.c_str());
  }
  return 179;
}

using Env = std::vector<std::pair<std::string, std::string>>;

void addServicesEnvironment(const ManifestOptions& o, Env& env) {
  env.emplace_back("svc_enable", "true");
  // The Services Lease lives in cp_namespace; say so only when it is not the default.
  if (!o.control_plane && o.namespace_ != kDefaultNamespace) {
    env.emplace_back("cp_namespace", o.namespace_);
  }
  if (o.services_election) env.emplace_back("svc_election", "true");
  if (!o.services_lease_name.empty()) env.emplace_back("svc_leasename", o.services_lease_name);
  if (!o.services_namespace.empty()) env.emplace_back("svc_namespace", o.services_namespace);
  if (!o.services_interface.empty()) {
    env.emplace_back("vip_servicesinterface", o.services_interface);
  }
  if (o.lb_class_only) env.emplace_back("lb_class_only", "true");
  if (!o.lb_class_name.empty()) env.emplace_back("lb_class_name", o.lb_class_name);
  if (!o.lb_class_legacy_handling.empty()) {
    env.emplace_back("lb_class_legacy_handling", o.lb_class_legacy_handling);
  }
  if (o.enable_endpoints) env.emplace_back("enable_endpoints", "true");
  if (o.disable_service_updates) env.emplace_back("disable_service_updates", "true");
}

Env environment(const ManifestOptions& o) {
  Env env;
  env.emplace_back("vip_arp", o.arp ? "true" : "false");
  if (o.control_plane) env.emplace_back("port", std::to_string(o.port));
  env.emplace_back("vip_nodename", "");  // from the downward API, see emitEnv
  if (!o.interface.empty()) env.emplace_back("vip_interface", o.interface);
  if (o.control_plane) {
    env.emplace_back("vip_subnet", o.vip_subnet);
    env.emplace_back("cp_enable", "true");
    env.emplace_back("cp_namespace", o.namespace_);
  }
  if (o.services) addServicesEnvironment(o, env);
  if (o.bgp) {
    env.emplace_back("bgp_enable", "true");
    for (const auto& variable : o.bgp_variables) env.push_back(variable);
    // From the Secret, see emitContainer; never given together with --peerPass.
    if (!o.bgp_password_secret.empty()) env.emplace_back("bgp_peerpass", "");
  }
  if (o.leader_election) {
    env.emplace_back("vip_leaderelection", "true");
    if (o.control_plane) env.emplace_back("vip_leasename", o.lease_name);
  }
  if (o.etcd) {
    env.emplace_back("leader_election_type", "etcd");
    for (const auto& variable : o.etcd_variables) env.push_back(variable);
  }
  // The Services Leases use the same timings as the control plane's.
  if (o.leader_election || o.services) {
    env.emplace_back("vip_leaseduration", std::to_string(o.lease_duration));
    env.emplace_back("vip_renewdeadline", std::to_string(o.renew_deadline));
    env.emplace_back("vip_retryperiod", std::to_string(o.retry_period));
  }
  if (!o.in_cluster) env.emplace_back("k8s_config_file", kAdminConf);
  if (!o.log_level.empty()) env.emplace_back("vip_loglevel", o.log_level);
  if (o.health_check_port > 0) {
    env.emplace_back("health_check_port", std::to_string(o.health_check_port));
  }
  if (o.control_plane) env.emplace_back("address", o.address);
  return env;
}

void emitContainer(YAML::Emitter& out, const ManifestOptions& o) {
  out << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "args" << YAML::Value << YAML::BeginSeq << "manager" << YAML::EndSeq;
  out << YAML::Key << "env" << YAML::Value << YAML::BeginSeq;
  for (const auto& [name, value] : environment(o)) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name;
    if (name == "bgp_peerpass" && !o.bgp_password_secret.empty()) {
      // The kubelet reads the Secret (in the pod's namespace) when it starts the container: the
      // password never appears in the manifest. checkOptions parsed NAME/KEY already.
      const SecretKey secret = *parseSecretKey(o.bgp_password_secret);
      out << YAML::Key << "valueFrom" << YAML::Value << YAML::BeginMap << YAML::Key
          << "secretKeyRef" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value
          << secret.name << YAML::Key << "key" << YAML::Value << secret.key << YAML::EndMap
          << YAML::EndMap;
    } else if (name == "vip_nodename") {
      out << YAML::Key << "valueFrom" << YAML::Value << YAML::BeginMap << YAML::Key << "fieldRef"
          << YAML::Value << YAML::BeginMap << YAML::Key << "fieldPath" << YAML::Value
          << "spec.nodeName" << YAML::EndMap << YAML::EndMap;
    } else {
      // Environment values are strings: quote them so "true" and "6443" stay strings.
      out << YAML::Key << "value" << YAML::Value << YAML::DoubleQuoted << value;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "image" << YAML::Value << o.image;
  out << YAML::Key << "imagePullPolicy" << YAML::Value << "IfNotPresent";
  if (o.health_check_port > 0) {
    // /livez fails once the control loop has not turned for 5 s: three failures 10 s apart
    // restart a process that is stuck, never one that is only slow for a moment. (The pod is on
    // the host network, so the kubelet reaches the port on the node's address.)
    out << YAML::Key << "livenessProbe" << YAML::Value << YAML::BeginMap << YAML::Key << "httpGet"
        << YAML::Value << YAML::BeginMap << YAML::Key << "path" << YAML::Value << "/livez"
        << YAML::Key << "port" << YAML::Value << o.health_check_port << YAML::EndMap << YAML::Key
        << "initialDelaySeconds" << YAML::Value << 10 << YAML::Key << "periodSeconds" << YAML::Value
        << 10 << YAML::Key << "timeoutSeconds" << YAML::Value << 3 << YAML::Key
        << "failureThreshold" << YAML::Value << 3 << YAML::EndMap;
  }
  out << YAML::Key << "name" << YAML::Value << "kube-vip";
  out << YAML::Key << "resources" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::EndMap;
  out << YAML::Key << "securityContext" << YAML::Value << YAML::BeginMap << YAML::Key
      << "capabilities" << YAML::Value << YAML::BeginMap << YAML::Key << "drop" << YAML::Value
      << YAML::Flow << YAML::BeginSeq << "ALL" << YAML::EndSeq << YAML::Key << "add" << YAML::Value
      << YAML::Flow << YAML::BeginSeq << "NET_ADMIN"
      << "NET_RAW";
  // The BGP speaker listens on bgp_listen_port for passive peers (declared in a configuration
  // file given to `manager --config`), and binding a port below 1024 needs NET_BIND_SERVICE even
  // as root once the capabilities are dropped. Granted with --bgp unless the port is >= 1024.
  if (o.bgp && bgpListenPort(o) < 1024) out << "NET_BIND_SERVICE";
  out << YAML::EndSeq << YAML::EndMap << YAML::EndMap;
  const std::vector<std::string> etcd_directories = etcdCertificateDirectories(o);
  if (!o.in_cluster || !etcd_directories.empty()) {
    out << YAML::Key << "volumeMounts" << YAML::Value << YAML::BeginSeq;
    if (!o.in_cluster) {
      out << YAML::BeginMap << YAML::Key << "mountPath" << YAML::Value << kAdminConf << YAML::Key
          << "name" << YAML::Value << "kubeconfig" << YAML::EndMap;
    }
    for (size_t i = 0; i < etcd_directories.size(); ++i) {
      out << YAML::BeginMap << YAML::Key << "mountPath" << YAML::Value << etcd_directories[i]
          << YAML::Key << "name" << YAML::Value << "etcd-certs-" + std::to_string(i) << YAML::Key
          << "readOnly" << YAML::Value << true << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::EndMap << YAML::EndSeq;
}

void emitPodSpecTail(YAML::Emitter& out, const ManifestOptions& o) {
  out << YAML::Key << "hostNetwork" << YAML::Value << true;
  if (o.in_cluster) out << YAML::Key << "serviceAccountName" << YAML::Value << "kube-vip";
  const std::vector<std::string> etcd_directories = etcdCertificateDirectories(o);
  if (o.in_cluster && etcd_directories.empty()) return;
  out << YAML::Key << "volumes" << YAML::Value << YAML::BeginSeq;
  if (!o.in_cluster) {
    out << YAML::BeginMap << YAML::Key << "hostPath" << YAML::Value << YAML::BeginMap << YAML::Key
        << "path" << YAML::Value << kAdminConf << YAML::EndMap << YAML::Key << "name" << YAML::Value
        << "kubeconfig" << YAML::EndMap;
  }
  for (size_t i = 0; i < etcd_directories.size(); ++i) {
    // type Directory: the kubelet refuses to start the pod if the node lacks it, rather than
    // creating an empty directory in which the files would never appear.
    out << YAML::BeginMap << YAML::Key << "hostPath" << YAML::Value << YAML::BeginMap << YAML::Key
        << "path" << YAML::Value << etcd_directories[i] << YAML::Key << "type" << YAML::Value
        << "Directory" << YAML::EndMap << YAML::Key << "name" << YAML::Value
        << "etcd-certs-" + std::to_string(i) << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

std::string podManifest(const ManifestOptions& o) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "v1";
  out << YAML::Key << "kind" << YAML::Value << "Pod";
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "name"
      << YAML::Value << "kube-vip" << YAML::Key << "namespace" << YAML::Value << "kube-system"
      << YAML::EndMap;
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "containers" << YAML::Value;
  emitContainer(out, o);
  // admin.conf names the API server "kubernetes" on some installers; resolve it locally.
  out << YAML::Key << "hostAliases" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key
      << "hostnames" << YAML::Value << YAML::BeginSeq << "kubernetes" << YAML::EndSeq << YAML::Key
      << "ip" << YAML::Value << "127.0.0.1" << YAML::EndMap << YAML::EndSeq;
  emitPodSpecTail(out, o);
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string daemonSetManifest(const ManifestOptions& o) {
  YAML::Emitter out;
  auto labels = [&out] {
    out << YAML::BeginMap << YAML::Key << "app.kubernetes.io/name" << YAML::Value << "kube-vip-ds"
        << YAML::Key << "app.kubernetes.io/version" << YAML::Value
        << std::string("v") + KUBEVIP_VERSION << YAML::EndMap;
  };
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "apps/v1";
  out << YAML::Key << "kind" << YAML::Value << "DaemonSet";
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "labels"
      << YAML::Value;
  labels();
  out << YAML::Key << "name" << YAML::Value << "kube-vip-ds" << YAML::Key << "namespace"
      << YAML::Value << "kube-system" << YAML::EndMap;
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "selector" << YAML::Value << YAML::BeginMap << YAML::Key << "matchLabels"
      << YAML::Value << YAML::BeginMap << YAML::Key << "app.kubernetes.io/name" << YAML::Value
      << "kube-vip-ds" << YAML::EndMap << YAML::EndMap;
  out << YAML::Key << "template" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "labels"
      << YAML::Value;
  labels();
  out << YAML::EndMap;
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  if (o.taint) {
    // Control-plane nodes only, under either of the two role labels kubeadm has used.
    out << YAML::Key << "affinity" << YAML::Value << YAML::BeginMap << YAML::Key << "nodeAffinity"
        << YAML::Value << YAML::BeginMap << YAML::Key
        << "requiredDuringSchedulingIgnoredDuringExecution" << YAML::Value << YAML::BeginMap
        << YAML::Key << "nodeSelectorTerms" << YAML::Value << YAML::BeginSeq;
    for (const char* role :
         {"node-role.kubernetes.io/master", "node-role.kubernetes.io/control-plane"}) {
      out << YAML::BeginMap << YAML::Key << "matchExpressions" << YAML::Value << YAML::BeginSeq
          << YAML::BeginMap << YAML::Key << "key" << YAML::Value << role << YAML::Key << "operator"
          << YAML::Value << "Exists" << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  }
  out << YAML::Key << "containers" << YAML::Value;
  emitContainer(out, o);
  emitPodSpecTail(out, o);
  if (o.taint) {
    out << YAML::Key << "tolerations" << YAML::Value << YAML::BeginSeq;
    for (const char* effect : {"NoSchedule", "NoExecute"}) {
      out << YAML::BeginMap << YAML::Key << "effect" << YAML::Value << effect << YAML::Key
          << "operator" << YAML::Value << "Exists" << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::EndMap << YAML::EndMap;  // template.spec, template
  out << YAML::Key << "updateStrategy" << YAML::Value << YAML::BeginMap << YAML::Key << "type"
      << YAML::Value << "RollingUpdate" << YAML::EndMap;
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string rbacManifest() {
  struct Rule {
    const char* group;
    std::vector<const char*> resources;
    std::vector<const char*> verbs;
  };
  // Exactly what the daemon uses: Leases for every election (the control plane's, the Services
  // Lease, one per Service with svc_election); Services are read and their status, address and
  // vipHost annotations written (patch; update for tools that replace the object); EndpointSlices
  // or Endpoints and Nodes decide which node may announce; the address pools are a ConfigMap.
  const std::vector<Rule> rules = {
      {"coordination.k8s.io", {"leases"}, {"get", "list", "watch", "create", "update"}},
      {"", {"services"}, {"get", "list", "watch", "patch", "update"}},
      {"", {"services/status"}, {"patch", "update"}},
      {"discovery.k8s.io", {"endpointslices"}, {"get", "list", "watch"}},
      {"", {"endpoints", "nodes", "configmaps"}, {"get", "list", "watch"}},
  };
  YAML::Emitter sa;
  sa << YAML::BeginMap << YAML::Key << "apiVersion" << YAML::Value << "v1" << YAML::Key << "kind"
     << YAML::Value << "ServiceAccount" << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap
     << YAML::Key << "name" << YAML::Value << "kube-vip" << YAML::Key << "namespace" << YAML::Value
     << "kube-system" << YAML::EndMap << YAML::EndMap;
  YAML::Emitter role;
  role << YAML::BeginMap << YAML::Key << "apiVersion" << YAML::Value
       << "rbac.authorization.k8s.io/v1" << YAML::Key << "kind" << YAML::Value << "ClusterRole"
       << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "annotations"
       << YAML::Value << YAML::BeginMap << YAML::Key
       << "rbac.authorization.kubernetes.io/autoupdate" << YAML::Value << YAML::DoubleQuoted
       << "true" << YAML::EndMap << YAML::Key << "name" << YAML::Value << "system:kube-vip-role"
       << YAML::EndMap << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
  for (const auto& rule : rules) {
    role << YAML::BeginMap << YAML::Key << "apiGroups" << YAML::Value << YAML::Flow
         << YAML::BeginSeq << YAML::DoubleQuoted << rule.group << YAML::EndSeq << YAML::Key
         << "resources" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const char* r : rule.resources) role << r;
    role << YAML::EndSeq << YAML::Key << "verbs" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const char* v : rule.verbs) role << v;
    role << YAML::EndSeq << YAML::EndMap;
  }
  role << YAML::EndSeq << YAML::EndMap;
  YAML::Emitter binding;
  binding << YAML::BeginMap << YAML::Key << "apiVersion" << YAML::Value
          << "rbac.authorization.k8s.io/v1" << YAML::Key << "kind" << YAML::Value
          << "ClusterRoleBinding" << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap
          << YAML::Key << "name" << YAML::Value << "system:kube-vip-binding" << YAML::EndMap
          << YAML::Key << "roleRef" << YAML::Value << YAML::BeginMap << YAML::Key << "apiGroup"
          << YAML::Value << "rbac.authorization.k8s.io" << YAML::Key << "kind" << YAML::Value
          << "ClusterRole" << YAML::Key << "name" << YAML::Value << "system:kube-vip-role"
          << YAML::EndMap << YAML::Key << "subjects" << YAML::Value << YAML::BeginSeq
          << YAML::BeginMap << YAML::Key << "kind" << YAML::Value << "ServiceAccount" << YAML::Key
          << "name" << YAML::Value << "kube-vip" << YAML::Key << "namespace" << YAML::Value
          << "kube-system" << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
  return std::string(sa.c_str()) + "\n---\n" + role.c_str() + "\n---\n" + binding.c_str() + "\n";
}

// A Services flag without --services would be dropped silently: name it instead.
Status checkServicesFlagsNeedServices(const ManifestOptions& o) {
  const std::pair<bool, const char*> given[] = {
      {o.services_election, "--servicesElection"},
      {!o.services_interface.empty(), "--serviceInterface"},
      {!o.services_namespace.empty(), "--serviceNamespace"},
      {!o.services_lease_name.empty(), "--servicesLeaseName"},
      {o.lb_class_only, "--lbClassOnly"},
      {!o.lb_class_name.empty(), "--lbClassName"},
      {!o.lb_class_legacy_handling.empty(), "--lbClassNameLegacyHandling"},
      {o.enable_endpoints, "--enableEndpoints"},
      {o.disable_service_updates, "--disableServiceUpdates"},
  };
  for (const auto& [set, flag] : given) {
    if (set && !o.services) {
      return makeError(ErrorCode::kInvalidArgument,
                       std::string(flag) + " configures the Services mode: give --services too");
    }
  }
  return okStatus();
}

// The BGP flags given, by variable name; --bgp (a Go-style boolean) sets o.bgp. A BGP flag without
// --bgp would be dropped silently: name it instead.
Status collectBgpFlags(const CLI::App& sub, ManifestOptions& o) {
  o.bgp = false;
  o.bgp_variables.clear();
  for (const auto& variable : config::inClusterVariables()) {
    const std::string name(variable.name);
    if (!isBgpVariable(name) || sub.count("--" + std::string(variable.flag)) == 0) continue;
    const std::string& value = o.bgp_raw[name];
    if (name == "bgp_enable") {
      if (value != "true" && value != "false") {
        return makeError(ErrorCode::kInvalidArgument,
                         "--bgp: '" + value + "' is not a boolean (use true or false)");
      }
      o.bgp = value == "true";
      continue;
    }
    o.bgp_variables.emplace_back(name, value);
  }
  if (!o.bgp && !o.bgp_password_secret.empty()) {
    return makeError(ErrorCode::kInvalidArgument,
                     "--bgpPasswordSecret configures BGP: give --bgp too");
  }
  if (!o.bgp && !o.bgp_variables.empty()) {
    for (const auto& variable : config::inClusterVariables()) {
      if (variable.name == o.bgp_variables.front().first) {
        return makeError(ErrorCode::kInvalidArgument,
                         "--" + std::string(variable.flag) + " configures BGP: give --bgp too");
      }
    }
  }
  return okStatus();
}

// The etcd flags given, by variable name; --leaderElectionType sets o.etcd. An etcd flag without
// --leaderElectionType etcd would be dropped silently: name it instead. The certificate files are
// paths on the node, mounted into the container at the same place: they must be absolute.
Status collectEtcdFlags(const CLI::App& sub, ManifestOptions& o) {
  o.etcd = false;
  o.etcd_variables.clear();
  std::string first_flag;
  for (const auto& variable : config::inClusterVariables()) {
    const std::string name(variable.name);
    const std::string flag = "--" + std::string(variable.flag);
    if (!isEtcdVariable(name) || sub.count(flag) == 0) continue;
    const std::string& value = o.etcd_raw[name];
    // "--flag: 'value' <why>"
    auto bad = [&flag, &value](std::string_view why) {
      std::string message = flag;
      message.append(": '").append(value).append("' ").append(why);
      return makeError(ErrorCode::kInvalidArgument, std::move(message));
    };
    if (name == "leader_election_type") {
      if (value != "kubernetes" && value != "etcd") {
        return bad("is not an election type (use kubernetes or etcd)");
      }
      o.etcd = value == "etcd";
      continue;
    }
    if (isEtcdFileVariable(name) && !value.starts_with("/")) {
      return bad("is not an absolute path (the file is mounted from the node at the same path)");
    }
    if (first_flag.empty()) first_flag = flag;
    o.etcd_variables.emplace_back(name, value);
  }
  if (!o.etcd && !first_flag.empty()) {
    return makeError(
        ErrorCode::kInvalidArgument,
        first_flag + " configures the etcd election: give --leaderElectionType etcd too");
  }
  return okStatus();
}

// The generated environment as `manager` reads it, with the BGP and etcd values as the flags they
// came from (so that an error names the flag), checked as `manager` checks it. The interfaces and
// files are those of the node the manifest is for, not of this host: they are taken to exist.
Status checkAsManagerWould(const ManifestOptions& o) {
  config::InClusterFlags flags;
  std::map<std::string, std::string> env;
  for (const auto& [name, value] : environment(o)) {
    if (isBgpVariable(name) || isEtcdVariable(name)) {
      flags[name] = value;
    } else {
      env[name] = name == "vip_nodename" ? "node" : value;
    }
  }
  const config::Getenv getenv = [&env](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  auto built = config::inClusterConfig(config::Config{}, getenv, flags, "node");
  if (!built) return built.error();
  return config::validateConfig(
      *built, [](const std::string&) { return true; },
      [](const std::string&) { return okStatus(); });
}

Status checkOptions(ManifestOptions& o) {
  auto invalid = [](std::string m) { return makeError(ErrorCode::kInvalidArgument, std::move(m)); };
  if (!o.control_plane && !o.services) {
    return invalid("nothing to deploy: give --controlplane and/or --services");
  }
  if (auto s = checkServicesFlagsNeedServices(o); !s) return s;
  if (o.control_plane) {
    if (o.address.empty()) return invalid("--address is required with --controlplane: the VIP");
    auto vip = IpAddress::parse(o.address);
    if (!vip) return invalid("--address '" + o.address + "' is not an IP address");
    if (o.vip_subnet.empty()) o.vip_subnet = vip->isV4() ? "32" : "128";
  } else if (!o.address.empty()) {
    return invalid(
        "--address is the control-plane VIP: give --controlplane too (Services get their "
        "addresses from the Service or the address pool)");
  }
  // `manager` needs vip_interface in every mode: Service addresses default to it.
  if (o.interface.empty()) return invalid("--interface is required: where addresses are added");
  if (o.bgp && o.arp) {
    return invalid(
        "--arp and --bgp exclude each other: announce the addresses with ARP/NDP or with BGP");
  }
  // As `manager` checks: without an election every node would announce every address (which
  // only BGP makes work, for Services: the routers spread the traffic).
  if (o.services && !o.services_election && !o.leader_election && !o.bgp) {
    return invalid(
        "--services needs --leaderElection (one Lease elects the node that announces every "
        "Service) or --servicesElection (one Lease per Service)");
  }
  if (!o.lb_class_legacy_handling.empty() && o.lb_class_legacy_handling != "true" &&
      o.lb_class_legacy_handling != "false") {
    return invalid("--lbClassNameLegacyHandling must be true or false, not '" +
                   o.lb_class_legacy_handling + "'");
  }
  if (o.port < 1 || o.port > 65535) return invalid("--port must be 1-65535");
  if (o.lease_duration <= o.renew_deadline || o.renew_deadline * 10 <= o.retry_period * 12 ||
      o.retry_period < 1) {
    return invalid(
        "lease timings must satisfy leaseDuration > leaseRenewDuration > 1.2 x leaseRetry > 0");
  }
  if (!o.bgp_password_secret.empty()) {
    if (auto secret = parseSecretKey(o.bgp_password_secret); !secret) return secret.error();
    // bgp_peerpass is the password of bgp_peeraddress only (bgp_peers entries carry their own).
    bool peer_address = false;
    for (const auto& [name, value] : o.bgp_variables) {
      if (name == "bgp_peerpass") {
        return invalid("--peerPass and --bgpPasswordSecret both set bgp_peerpass: give one");
      }
      if (name == "bgp_peeraddress") peer_address = true;
    }
    if (!peer_address) {
      return invalid(
          "--bgpPasswordSecret is the password of --peerAddress, which is not given (--bgppeers "
          "entries carry their own)");
    }
  }
  if (o.bgp || o.etcd) return checkAsManagerWould(o);
  return okStatus();
}

}  // namespace

void addManifestCommand(CLI::App& app, CommandContext& context) {
  auto o = std::make_shared<ManifestOptions>();
  CLI::App* cmd = app.add_subcommand("manifest", "Print Kubernetes manifests that deploy kube-vip");
  cmd->require_subcommand(1);
  auto add_common = [o](CLI::App* sub) {
    sub->add_option("--interface", o->interface, "interface for the VIP");
    sub->add_option("--address,--vip", o->address, "the VIP");
    sub->add_option("--vipSubnet", o->vip_subnet, "prefix length of the VIP (32 / 128)");
    sub->add_option("--port", o->port, "API server port behind the VIP")->capture_default_str();
    sub->add_flag("--controlplane", o->control_plane, "control-plane VIP");
    sub->add_flag("--services", o->services, "addresses of Services of type LoadBalancer");
    sub->add_flag("--arp", o->arp, "announce with ARP / NDP");
    sub->add_flag("--leaderElection", o->leader_election, "elect the holder with a Lease");
    sub->add_flag("--inCluster", o->in_cluster, "use the kube-vip ServiceAccount (DaemonSet)");
    sub->add_flag("--taint", o->taint, "run on control-plane nodes only (DaemonSet)");
    sub->add_option("--image", o->image, "container image")->capture_default_str();
    sub->add_option("--healthCheckPort", o->health_check_port,
                    "health_check_port and the livenessProbe on /livez (0: neither)")
        ->capture_default_str()
        ->check(CLI::Range(0, 65535));
    sub->add_option("--namespace", o->namespace_, "namespace of the Lease")->capture_default_str();
    sub->add_option("--leaseName", o->lease_name, "name of the Lease")->capture_default_str();
    sub->add_option("--leaseDuration", o->lease_duration, "seconds")->capture_default_str();
    sub->add_option("--leaseRenewDuration", o->renew_deadline, "seconds")->capture_default_str();
    sub->add_option("--leaseRetry", o->retry_period, "seconds")->capture_default_str();
    sub->add_option("--log", o->log_level, "vip_loglevel of the container");
    // Services mode: the Go tool's flag names, and `manager`'s names as aliases (the Go tool
    // has no flag for svc_namespace).
    sub->add_flag("--servicesElection,--serviceElection", o->services_election,
                  "svc_election: one Lease per Service instead of one for all");
    sub->add_option("--serviceInterface", o->services_interface,
                    "vip_servicesinterface: interface for Service addresses");
    sub->add_option("--serviceNamespace,--servicesNamespace", o->services_namespace,
                    "svc_namespace: watch Services in this namespace only");
    sub->add_option("--servicesLeaseName", o->services_lease_name,
                    "svc_leasename: the Lease whose holder announces every Service");
    sub->add_flag("--lbClassOnly", o->lb_class_only,
                  "lb_class_only: only Services with our loadBalancerClass");
    sub->add_option("--lbClassName", o->lb_class_name, "lb_class_name: our loadBalancerClass");
    sub->add_option("--lbClassNameLegacyHandling,--lbClassLegacyHandling",
                    o->lb_class_legacy_handling, "lb_class_legacy_handling: true or false");
    sub->add_flag("--enableEndpoints", o->enable_endpoints,
                  "enable_endpoints: read Endpoints instead of EndpointSlices");
    sub->add_flag("--disableServiceUpdates", o->disable_service_updates,
                  "disable_service_updates: never write Service status or annotations");
    // BGP: `manager`'s flags (the Go tool's names), each writing its variable when given.
    for (const auto& variable : config::inClusterVariables()) {
      const std::string name(variable.name);
      if (!isBgpVariable(name)) continue;
      std::string help = name + ": " + std::string(variable.meaning);
      if (name == "bgp_peerpass" || name == "bgp_peers") {
        help += " (a password is written into the manifest as plain text)";
      }
      const std::string flag = "--" + std::string(variable.flag);
      if (name == "bgp_enable" || name == "bgp_multihop") {
        // Go-style boolean flags: "--bgp" alone is true, "--bgp=false" is false.
        sub->add_flag(flag + "{true}", o->bgp_raw[name], help)->expected(0, 1);
      } else {
        sub->add_option(flag, o->bgp_raw[name], help);
      }
    }
    // The etcd election: `manager`'s flags (the Go tool's names), each writing its variable.
    for (const auto& variable : config::inClusterVariables()) {
      const std::string name(variable.name);
      if (!isEtcdVariable(name)) continue;
      sub->add_option("--" + std::string(variable.flag), o->etcd_raw[name],
                      name + ": " + std::string(variable.meaning));
    }
    sub->add_option("--bgpPasswordSecret", o->bgp_password_secret,
                    "bgp_peerpass from the Secret NAME in kube-system, its key KEY (NAME/KEY): the "
                    "password stays out of the manifest (DaemonSet only)");
  };
  CLI::App* pod = cmd->add_subcommand("pod", "A static pod for /etc/kubernetes/manifests");
  add_common(pod);
  pod->callback([&context, o, pod] {
    if (auto s = collectBgpFlags(*pod, *o); !s) return context.fail(s.error());
    if (auto s = collectEtcdFlags(*pod, *o); !s) return context.fail(s.error());
    // Kubernetes lets no static pod refer to another API object, a Secret among them.
    if (!o->bgp_password_secret.empty()) {
      return context.fail(
          makeError(ErrorCode::kInvalidArgument,
                    "--bgpPasswordSecret: a static pod cannot read a Secret; use "
                    "`manifest daemonset`, or --peerPass (plain text in the manifest)"));
    }
    if (auto s = checkOptions(*o); !s) return context.fail(s.error());
    *context.env.out << podManifest(*o);
  });
  CLI::App* ds =
      cmd->add_subcommand("daemonset", "A DaemonSet (with --inCluster: service account)");
  add_common(ds);
  ds->callback([&context, o, ds] {
    if (auto s = collectBgpFlags(*ds, *o); !s) return context.fail(s.error());
    if (auto s = collectEtcdFlags(*ds, *o); !s) return context.fail(s.error());
    if (auto s = checkOptions(*o); !s) return context.fail(s.error());
    *context.env.out << daemonSetManifest(*o);
  });
  CLI::App* rbac = cmd->add_subcommand(
      "rbac", "ServiceAccount kube-vip, ClusterRole system:kube-vip-role and its binding");
  rbac->callback([&context] { *context.env.out << rbacManifest(); });
}

}  // namespace kubevip::cli

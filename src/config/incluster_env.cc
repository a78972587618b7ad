#include "config/incluster_env.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <string_view>
#include <tuple>
#include <vector>

#include "config/bgp_values.h"
#include "config/values.h"

namespace kubevip::config {
namespace {

const std::vector<InClusterVariable> kVariables = {
    {"vip_interface", "interface", "", "interface the VIP is added to and announced on (required)"},
    {"address", "address", "", "the VIP (IPv4 or IPv6; vip_address is accepted too) (required)"},
    {"port", "port", "6443",
     "the API server port behind the VIP; with a kubeconfig, kube-vip talks to this node's own API "
     "server at 127.0.0.1 on this port (1-65535)"},
    {"vip_subnet", "vipSubnet", "",
     "prefix length of the VIP: 32 (IPv4) or 128 (IPv6) only; "
     "vip_cidr is accepted too"},
    {"vip_arp", "arp", "false", "announce the VIP with gratuitous ARP / unsolicited NA"},
    {"cp_enable", "controlplane", "false", "control-plane VIP"},
    {"cp_namespace", "namespace", "kube-system", "namespace of the Lease"},
    {"svc_enable", "services", "false", "serve Services of type LoadBalancer"},
    {"svc_election", "serviceElection", "false",
     "one Lease per Service (address group) instead of one for all Services"},
    {"svc_leasename", "servicesLeaseName", "plndr-svcs-lock",
     "the Lease of the Services mode (in cp_namespace): its holder announces every Service "
     "without svc_election, and manages addresses"},
    {"svc_namespace", "serviceNamespace", "", "only Services of this namespace; empty: all"},
    {"vip_servicesinterface", "serviceInterface", "",
     "interface for Service addresses; empty: vip_interface"},
    {"lb_class_only", "lbClassOnly", "false",
     "only Services whose spec.loadBalancerClass is lb_class_name"},
    {"lb_class_name", "lbClassName", "kube-vip.io/kube-vip-class", "the load balancer class"},
    {"lb_class_legacy_handling", "lbClassLegacyHandling", "true",
     "legacy class rule: Services without a class are served unless lb_class_only"},
    {"enable_endpoints", "enableEndpoints", "false",
     "read Endpoints instead of EndpointSlices (externalTrafficPolicy Local)"},
    {"vip_arpRate", "arpRate", "3000", "milliseconds between re-announcements of an address"},
    {"disable_service_updates", "disableServiceUpdates", "false",
     "do not write Service status or annotations"},
    {"svc_ipam", "serviceAddressManagement", "true",
     "give Services without an address one from the ConfigMap's pools"},
    {"svc_ipam_configmap", "serviceAddressConfigMap", "kube-system/kubevip",
     "the ConfigMap with the address pools (namespace/name)"},
    {"vip_leaderelection", "leaderElection", "false",
     "elect the VIP holder with a Lease (must be true)"},
    {"vip_leasename", "leaseName", "plndr-cp-lock", "name of the Lease"},
    {"vip_leaseduration", "leaseDuration", "5", "seconds a Lease is valid without renewal"},
    {"vip_renewdeadline", "leaseRenewDuration", "3", "seconds the leader tries to renew"},
    {"vip_retryperiod", "leaseRetry", "1", "seconds between attempts"},
    {"vip_nodename", "nodeName", "(hostname)",
     "holderIdentity written into the Lease (with etcd: the value written to the key)"},
    {"leader_election_type", "leaderElectionType", "kubernetes",
     "what elects the control-plane VIP: kubernetes (a Lease) or etcd (a key under a lease, "
     "/kube-vip/<cp_namespace>/<vip_leasename>, TTL vip_leaseduration); Services keep Leases"},
    {"etcd_endpoints", "etcdEndpoints", "",
     "etcd members for leader_election_type=etcd, comma separated https://host:port"},
    {"etcd_ca_cert", "etcdCACert", "",
     "CA certificates (PEM) the etcd members' certificates are checked against"},
    {"etcd_cert", "etcdCert", "", "client certificate (PEM) presented to etcd"},
    {"etcd_key", "etcdKey", "", "the client certificate's private key (PEM)"},
    {"k8s_config_file", "k8sConfigPath", "",
     "kubeconfig file (static pod: /etc/kubernetes/admin.conf); empty: in-cluster service account"},
    {"k8s_use_kubeconfig_server", "k8sUseKubeconfigServer", "false",
     "talk to the kubeconfig's server as written instead of this node's own API server at "
     "127.0.0.1:port (for API servers that do not run on the control-plane nodes)"},
    {"vip_loglevel", "log", "4",
     "log level: 0-6 (logrus: 4 info, 5 debug) or a name (info, debug)"},
    {"prometheus_server", "prometheusHTTPServer", ":2112",
     "where /metrics is served ([host]:port); empty disables"},
    {"health_check_port", "healthCheckPort", "0",
     "port of /livez and /readyz (every address); 0 disables"},
    {"vip_statussocket", "statusSocket", "/run/kube-vip/kube-vip.sock",
     "Unix socket of `kube-vip status` and `kube-vip reload`; empty disables"},
    {"bgp_enable", "bgp", "false",
     "announce addresses by BGP instead of ARP (not together with vip_arp=true)"},
    {"bgp_routerid", "bgpRouterID", "", "BGP Identifier, an IPv4 address"},
    {"bgp_routerinterface", "bgpRouterInterface", "",
     "take the BGP Identifier from this interface's IPv4 address"},
    {"bgp_as", "localAS", "65000", "our AS number (1-4294967295)"},
    {"bgp_peeraddress", "peerAddress", "", "address of one BGP peer (with bgp_peeras, ...)"},
    {"bgp_peeras", "peerAS", "65000", "AS of bgp_peeraddress"},
    {"bgp_peerpass", "peerPass", "", "TCP MD5 password of bgp_peeraddress"},
    {"bgp_multihop", "multihop", "false", "bgp_peeraddress is more than one hop away"},
    {"bgp_peers", "bgppeers", "",
     "BGP peers, comma separated: address:AS[:password[:multihop[:port]]], IPv6 bracketed, port "
     "179 by default"},
    {"bgp_sourceif", "sourceIF", "", "interface the BGP sessions are bound to"},
    {"bgp_sourceip", "sourceIP", "", "source address of the BGP sessions"},
    {"bgp_hold_time", "bgpHoldTime", "30", "BGP hold time in seconds: 0 or 3-65535"},
    {"bgp_keepalive_interval", "bgpKeepaliveInterval", "10",
     "seconds between BGP keepalives, at most a third of the hold time"},
    {"mpbgp_nexthop", "mpbgpNexthop", "",
     "next hop of routes of the other address family: auto_sourceif, auto_sourceip or fixed"},
    {"mpbgp_ipv4", "mpbgpIPv4", "", "IPv4 next hop for mpbgp_nexthop=fixed"},
    {"mpbgp_ipv6", "mpbgpIPv6", "", "IPv6 next hop for mpbgp_nexthop=fixed"},
    {"bgp_vip_interface", "bgpVipInterface", "lo",
     "interface the addresses announced by BGP are added to"},
    {"bgp_listen_port", "bgpListenPort", "179", "port passive BGP peers connect to"},
    {"bgp_graceful_restart_time", "bgpGracefulRestartTime", "0",
     "BGP Graceful Restart time in seconds (RFC 4724): 0 (off) to 4095"},
    {"bgp_communities", "bgpCommunities", "",
     "communities (RFC 1997) on every announced route, comma separated AS:value"},
    {"bgp_large_communities", "bgpLargeCommunities", "",
     "large communities (RFC 8092) on every announced route, comma separated a:b:c"},
    {"bgp_local_pref", "bgpLocalPref", "", "LOCAL_PREF of announced routes (internal peers only)"},
    {"bgp_med", "bgpMED", "", "MULTI_EXIT_DISC of announced routes"},
};

Error invalid(std::string message) {
  return makeError(ErrorCode::kInvalidArgument, std::move(message));
}

// Looks a variable up: the flag if given, else the environment (set and non-empty).
class Source {
 public:
  Source(const Getenv& getenv, const InClusterFlags& flags) : getenv_(getenv), flags_(flags) {}

  std::optional<std::string> get(std::string_view name, std::string_view alias = {}) {
    for (auto n : {name, alias}) {
      if (n.empty()) continue;
      if (auto it = flags_.find(n); it != flags_.end()) {
        where_ = fmt::format("flag --{}", flagOf(n));
        return it->second;
      }
    }
    for (auto n : {name, alias}) {
      if (n.empty()) continue;
      auto v = getenv_(std::string(n).c_str());
      if (v && !v->empty()) {
        where_ = fmt::format("environment variable {}", n);
        return v;
      }
    }
    return std::nullopt;
  }
  // As get(), but a variable set to "" counts as given (for values whose empty form means off).
  std::optional<std::string> getKeepingEmpty(std::string_view name) {
    if (auto it = flags_.find(name); it != flags_.end()) {
      where_ = fmt::format("flag --{}", flagOf(name));
      return it->second;
    }
    auto v = getenv_(std::string(name).c_str());
    if (v) where_ = fmt::format("environment variable {}", name);
    return v;
  }
  // Where the last value came from, for error messages.
  const std::string& where() const { return where_; }

 private:
  static std::string_view flagOf(std::string_view name) {
    for (const auto& v : kVariables) {
      if (v.name == name) return v.flag;
    }
    return name;
  }
  const Getenv& getenv_;
  const InClusterFlags& flags_;
  std::string where_;
};

Result<bool> boolOf(Source& src, std::string_view name, bool fallback) {
  auto text = src.get(name);
  if (!text) return fallback;
  // strconv.ParseBool's spellings, as the Go kube-vip reads them.
  for (auto t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (*text == t) return true;
  }
  for (auto f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (*text == f) return false;
  }
  return invalid(fmt::format("{}: '{}' is not a boolean (use true or false)", src.where(), *text));
}

Result<int> secondsOf(Source& src, std::string_view name, int fallback) {
  auto text = src.get(name);
  if (!text) return fallback;
  int value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value <= 0 || value > 3600) {
    return invalid(
        fmt::format("{}: '{}' is not a whole number of seconds (1-3600)", src.where(), *text));
  }
  return value;
}

Result<std::string> logLevelOf(std::string_view text, const std::string& where) {
  static const char* kByNumber[] = {"critical", "critical", "error", "warn",
                                    "info",     "debug",    "trace"};
  if (text.size() == 1 && text[0] >= '0' && text[0] <= '6')
    return std::string(kByNumber[text[0] - '0']);
  for (auto name : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    if (text == name) return std::string(text);
  }
  return invalid(
      fmt::format("{}: '{}' is not a log level (0-6, or trace, debug, info, warn, "
                  "error, critical)",
                  where, text));
}

Result<ServicesMode> servicesMode(Source& src) {
  ServicesMode mode;
  struct Flag {
    std::string_view name;
    bool* value;
  };
  bool disable_updates = false;
  for (Flag flag : {Flag{"svc_election", &mode.per_service_election},
                    Flag{"lb_class_only", &mode.lb_class_only},
                    Flag{"lb_class_legacy_handling", &mode.lb_class_legacy_handling},
                    Flag{"enable_endpoints", &mode.use_endpoints},
                    Flag{"disable_service_updates", &disable_updates},
                    Flag{"svc_ipam", &mode.address_management}}) {
    auto value = boolOf(src, flag.name, *flag.value);
    if (!value) return value.error();
    *flag.value = *value;
  }
  mode.write_updates = !disable_updates;
  if (auto name = src.get("svc_leasename")) mode.lease_name = *name;
  if (auto ns = src.get("svc_namespace")) mode.namespace_filter = *ns;
  if (auto iface = src.get("vip_servicesinterface")) mode.interface = *iface;
  if (auto name = src.get("lb_class_name")) mode.lb_class_name = *name;
  if (auto text = src.get("svc_ipam_configmap")) {
    auto slash = text->find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == text->size() ||
        text->find('/', slash + 1) != std::string::npos) {
      return invalid(fmt::format("{}: '{}' is not namespace/name (e.g. kube-system/kubevip)",
                                 src.where(), *text));
    }
    mode.ipam_configmap_namespace = text->substr(0, slash);
    mode.ipam_configmap_name = text->substr(slash + 1);
  }
  return mode;
}

Result<IpAddress> addressOf(Source& src, const std::string& text) {
  auto address = IpAddress::parse(text);
  if (!address.ok()) {
    return invalid(fmt::format("{}: '{}' is not an IP address", src.where(), text));
  }
  return *address;
}

// The BGP variables over `base` (the file's bgp section, if any). Each value's origin is kept
// under its file key, so that validation names the variable that set it.
Status applyBgp(Source& src, BgpConfig& bgp, ValueOrigins& origins) {
  auto note = [&](const std::string& key) { origins.set(key, src.where()); };
  if (auto text = src.get("bgp_routerid")) {
    auto id = addressOf(src, *text);
    if (!id.ok()) return id.error();
    bgp.router_id = *id;
    note("bgp.routerID");
  }
  if (auto name = src.get("bgp_routerinterface")) {
    bgp.router_interface = *name;
    note("bgp.routerInterface");
  }
  if (auto text = src.get("bgp_as")) {
    auto as = parseAsNumber(*text);
    if (!as.ok()) return invalid(fmt::format("{}: {}", src.where(), as.error().message));
    bgp.as = *as;
    note("bgp.as");
  }
  for (auto [name, key, target] :
       {std::tuple{"bgp_hold_time", "bgp.holdTime", &bgp.hold_time},
        std::tuple{"bgp_keepalive_interval", "bgp.keepaliveInterval", &bgp.keepalive_interval}}) {
    if (auto text = src.get(name)) {
      auto value = parseUint32(*text);
      if (!value.ok() || *value > 65535) {
        return invalid(
            fmt::format("{}: '{}' is not a whole number of seconds (0-65535)", src.where(), *text));
      }
      *target = std::chrono::seconds(*value);
      note(key);
    }
  }
  // The peers: bgp_peers and the single bgp_peeraddress together replace the file's list.
  std::vector<BgpPeer> peers;
  std::vector<std::string> peer_origins;
  if (auto text = src.get("bgp_peers")) {
    auto list = parseBgpPeerList(*text);
    if (!list.ok()) return invalid(fmt::format("{}: {}", src.where(), list.error().message));
    peers = std::move(*list);
    peer_origins.assign(peers.size(), src.where());
  }
  if (auto text = src.get("bgp_peeraddress")) {
    const std::string where = src.where();
    BgpPeer peer;
    auto address = addressOf(src, *text);
    if (!address.ok()) return address.error();
    if (address->isUnspecified()) {
      return invalid(fmt::format("{}: '{}' is the unspecified address, not a peer", where, *text));
    }
    peer.address = *address;
    if (auto as_text = src.get("bgp_peeras")) {
      auto as = parseAsNumber(*as_text);
      if (!as.ok()) return invalid(fmt::format("{}: {}", src.where(), as.error().message));
      peer.as = *as;
    }
    if (auto password = src.get("bgp_peerpass")) peer.password = *password;
    auto multihop = boolOf(src, "bgp_multihop", false);
    if (!multihop.ok()) return multihop.error();
    peer.multihop_ttl = *multihop ? kMultihopTtl : 0;
    peers.push_back(std::move(peer));
    peer_origins.push_back(where);
  }
  if (!peer_origins.empty()) {
    origins.eraseBelow("bgp.peers");
    bgp.peers = std::move(peers);
    origins.set("bgp.peers", peer_origins.front());
    for (size_t i = 0; i < peer_origins.size(); ++i) {
      origins.set("bgp.peers[" + std::to_string(i) + "]", peer_origins[i]);
    }
  }
  if (auto name = src.get("bgp_sourceif")) {
    bgp.source_interface = *name;
    note("bgp.sourceInterface");
  }
  if (auto text = src.get("bgp_sourceip")) {
    auto address = addressOf(src, *text);
    if (!address.ok()) return address.error();
    bgp.source_ip = *address;
    note("bgp.sourceIP");
  }
  if (auto text = src.get("mpbgp_nexthop")) {
    auto mode = parseMpBgpNextHop(*text);
    if (!mode.ok()) return invalid(fmt::format("{}: {}", src.where(), mode.error().message));
    bgp.mpbgp_nexthop = *mode;
    note("bgp.mpbgpNexthop");
  }
  if (auto name = src.get("bgp_vip_interface")) {
    bgp.vip_interface = *name;
    note("bgp.vipInterface");
  }
  if (auto text = src.get("bgp_listen_port")) {
    auto port = parseUint32(*text);
    if (!port.ok() || *port < 1 || *port > 65535) {
      return invalid(fmt::format("{}: '{}' is not a port (1-65535)", src.where(), *text));
    }
    bgp.listen_port = static_cast<uint16_t>(*port);
    note("bgp.listenPort");
  }
  if (auto text = src.get("bgp_graceful_restart_time")) {
    auto value = parseUint32(*text);
    if (!value.ok() || *value > 65535) {
      return invalid(
          fmt::format("{}: '{}' is not a whole number of seconds (0-4095)", src.where(), *text));
    }
    bgp.graceful_restart_time = std::chrono::seconds(*value);
    note("bgp.gracefulRestartTime");
  }
  // The attributes of every route (a Service's annotations replace them for its addresses).
  if (auto text = src.get("bgp_communities")) {
    auto list = parseBgpCommunityList(*text);
    if (!list.ok()) return invalid(fmt::format("{}: {}", src.where(), list.error().message));
    bgp.communities = std::move(*list);
    note("bgp.communities");
  }
  if (auto text = src.get("bgp_large_communities")) {
    auto list = parseBgpLargeCommunityList(*text);
    if (!list.ok()) return invalid(fmt::format("{}: {}", src.where(), list.error().message));
    bgp.large_communities = std::move(*list);
    note("bgp.largeCommunities");
  }
  for (auto [name, key, target] : {std::tuple{"bgp_local_pref", "bgp.localPref", &bgp.local_pref},
                                   std::tuple{"bgp_med", "bgp.med", &bgp.med}}) {
    if (auto text = src.get(name)) {
      auto value = parseUint32(*text);
      if (!value.ok()) return invalid(fmt::format("{}: {}", src.where(), value.error().message));
      *target = *value;
      note(key);
    }
  }
  for (auto [name, key, target] : {std::tuple{"mpbgp_ipv4", "bgp.mpbgpIPv4", &bgp.mpbgp_ipv4},
                                   std::tuple{"mpbgp_ipv6", "bgp.mpbgpIPv6", &bgp.mpbgp_ipv6}}) {
    if (auto text = src.get(name)) {
      auto address = addressOf(src, *text);
      if (!address.ok()) return address.error();
      *target = *address;
      note(key);
    }
  }
  return okStatus();
}

// leader_election_type and the etcd_* variables: Config::etcd from the control-plane Lease's
// settings (its namespace and name make the key, its duration the TTL, its holder identity the
// value) and the etcd members and credentials. Without a type given, a base file's
// election.type decides. The etcd variables without etcd would be ignored: they are refused.
Status applyEtcd(Source& src, bool control_plane, const KubernetesLease& lease,
                 const std::optional<std::string>& lease_duration_origin, Config& config) {
  bool etcd = config.etcd.has_value();
  std::string type_origin = config.origins.find("election");
  if (auto type = src.get("leader_election_type")) {
    if (*type != "kubernetes" && *type != "etcd") {
      return invalid(fmt::format("{}: '{}' is not an election type (use kubernetes or etcd)",
                                 src.where(), *type));
    }
    etcd = *type == "etcd";
    type_origin = src.where();
  }
  if (!etcd) {
    for (std::string_view name : {"etcd_endpoints", "etcd_ca_cert", "etcd_cert", "etcd_key"}) {
      if (src.get(name)) {
        return invalid(
            fmt::format("{} configures the etcd election: set leader_election_type=etcd "
                        "(--leaderElectionType etcd) too",
                        src.where()));
      }
    }
    config.etcd.reset();
    return okStatus();
  }
  if (!control_plane) {
    return invalid(
        fmt::format("{}: etcd elects the holder of the control-plane VIP: set cp_enable=true "
                    "(--controlplane) too (Services are elected with Leases)",
                    type_origin.empty() ? "leader_election_type" : type_origin));
  }
  // What the validator checks (the TTL's range among it) is located at the variable that set it.
  if (!type_origin.empty()) config.origins.set("election", type_origin);
  EtcdElection election = config.etcd.value_or(EtcdElection{});
  auto note = [&](const std::string& key) { config.origins.set(key, src.where()); };
  if (auto text = src.get("etcd_endpoints")) {
    auto endpoints = parseEtcdEndpointList(*text);
    if (!endpoints.ok()) {
      return invalid(fmt::format("{}: {}", src.where(), endpoints.error().message));
    }
    election.endpoints = std::move(*endpoints);
    config.origins.eraseBelow("election.endpoints");
    note("election.endpoints");
  }
  for (auto [name, key, target] :
       {std::tuple{"etcd_ca_cert", "election.tls.caFile", &election.ca_file},
        std::tuple{"etcd_cert", "election.tls.certFile", &election.cert_file},
        std::tuple{"etcd_key", "election.tls.keyFile", &election.key_file}}) {
    if (auto path = src.get(name)) {
      *target = *path;
      note(key);
    }
  }
  election.key = "/kube-vip/" + lease.lease_namespace + "/" + lease.lease_name;
  election.ttl = lease.lease_duration;
  if (lease_duration_origin) config.origins.set("election.ttl", *lease_duration_origin);
  election.identity = lease.identity;
  config.etcd = std::move(election);
  return okStatus();
}

}  // namespace

const std::vector<InClusterVariable>& inClusterVariables() { return kVariables; }

Result<Config> inClusterConfig(Config base, const Getenv& getenv, const InClusterFlags& flags,
                               const std::string& hostname) {
  for (const auto& [name, value] : flags) {
    bool known = name == "vip_address" || name == "vip_cidr";
    for (const auto& v : kVariables) known = known || v.name == name;
    if (!known) return invalid(fmt::format("unknown in-cluster setting '{}'", name));
  }
  Source src(getenv, flags);
  Config config = std::move(base);

  auto services = boolOf(src, "svc_enable", false);
  if (!services) return services.error();
  auto control_plane = boolOf(src, "cp_enable", false);
  if (!control_plane) return control_plane.error();
  if (!*control_plane && !*services) {
    return invalid(
        "nothing to do: set cp_enable=true (--controlplane) for the control-plane VIP and/or "
        "svc_enable=true (--services) for Services of type LoadBalancer");
  }
  auto election = boolOf(src, "vip_leaderelection", false);
  if (!election) return election.error();
  if (*services) {
    auto mode = servicesMode(src);
    if (!mode) return mode.error();
    config.services = std::move(*mode);
  }
  // Without any election every node announces: only BGP can make that work (the routers
  // spread the traffic, ECMP), and only for Services; the control-plane VIP keeps its election.
  auto bgp_on = boolOf(src, "bgp_enable", config.bgp.has_value());
  if (!bgp_on) return bgp_on.error();
  const bool no_election = !*election && *services && !config.services->per_service_election;
  if (!*election && (*control_plane || (no_election && !*bgp_on))) {
    return invalid(
        "vip_leaderelection must be true (--leaderElection): without an elected holder every node "
        "would add and announce the VIP (only Services announced by BGP, bgp_enable=true, may go "
        "without an election)");
  }
  if (no_election) {
    config.services->every_node_announces = true;
    config.services->address_management = false;
  }
  if (!*control_plane) {
    config.vip.reset();
    config.load_balancers.clear();
  }

  if (auto iface = src.get("vip_interface")) config.interface = *iface;
  if (config.interface.empty()) {
    return invalid("vip_interface (--interface) is required: the interface that holds the VIP");
  }
  if (!*control_plane) {
    // Services only: `address` and `port` belong to the control-plane VIP.
  } else if (auto text = src.get("address", "vip_address")) {
    auto vip = IpAddress::parse(*text);
    if (!vip) {
      return invalid(fmt::format("{}: '{}' is not an IP address (DNS names are not supported)",
                                 src.where(), *text));
    }
    config.vip = *vip;
  }
  if (*control_plane && !config.vip) return invalid("address (--address) is required: the VIP");
  std::optional<uint16_t> apiserver_port;
  if (auto text = src.get("port")) {
    auto port = parsePort(*text);
    if (!port) return invalid(fmt::format("{}: {}", src.where(), port.error().message));
    apiserver_port = *port;
  }
  if (auto text = src.get("vip_subnet", "vip_cidr"); text && config.vip) {
    const std::string full = config.vip->isV4() ? "32" : "128";
    std::string_view t = *text;
    if (!t.empty() && t[0] == '/') t.remove_prefix(1);
    if (t != full) {
      return invalid(
          fmt::format("{}: '{}' is not supported: the VIP is a single address (/{} for this VIP)",
                      src.where(), *text, full));
    }
  }
  if (auto text = src.get("vip_arpRate")) {
    int rate = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), rate);
    if (ec != std::errc() || end != text->data() + text->size() || rate < 100 || rate > 600000) {
      return invalid(
          fmt::format("{}: '{}' is not a number of milliseconds (100-600000)", src.where(), *text));
    }
    config.vip_timing.announce_interval = milliseconds(rate);
  }
  auto arp = boolOf(src, "vip_arp", false);
  if (!arp) return arp.error();
  config.gratuitous_arp = *arp;
  if (src.get("vip_arp")) config.origins.set("gratuitousARP", src.where());

  KubernetesLease lease = config.kubernetes.value_or(KubernetesLease{});
  if (auto ns = src.get("cp_namespace")) lease.lease_namespace = *ns;
  if (auto name = src.get("vip_leasename")) lease.lease_name = *name;
  auto duration =
      secondsOf(src, "vip_leaseduration", static_cast<int>(lease.lease_duration.count()));
  if (!duration) return duration.error();
  auto deadline =
      secondsOf(src, "vip_renewdeadline", static_cast<int>(lease.renew_deadline.count()));
  if (!deadline) return deadline.error();
  auto retry = secondsOf(src, "vip_retryperiod", static_cast<int>(lease.retry_period.count()));
  if (!retry) return retry.error();
  lease.lease_duration = std::chrono::seconds(*duration);
  lease.renew_deadline = std::chrono::seconds(*deadline);
  lease.retry_period = std::chrono::seconds(*retry);
  // client-go's rule: leaseDuration > renewDeadline > JitterFactor (1.2) x retryPeriod.
  if (*duration <= *deadline) {
    return invalid(
        fmt::format("vip_leaseduration ({} s) must be greater than vip_renewdeadline ({} s)",
                    *duration, *deadline));
  }
  if (*deadline * 10 <= *retry * 12) {
    return invalid(
        fmt::format("vip_renewdeadline ({} s) must be greater than 1.2 x vip_retryperiod ({} s)",
                    *deadline, *retry));
  }
  if (auto node = src.get("vip_nodename")) lease.identity = *node;
  if (lease.identity.empty()) lease.identity = hostname;
  if (lease.identity.empty()) {
    return invalid("vip_nodename (--nodeName) is empty and the hostname is unknown");
  }
  if (auto path = src.get("k8s_config_file")) lease.kubeconfig_path = *path;
  if (apiserver_port) lease.apiserver_port = *apiserver_port;
  auto use_kubeconfig_server =
      boolOf(src, "k8s_use_kubeconfig_server", lease.use_kubeconfig_server);
  if (!use_kubeconfig_server) return use_kubeconfig_server.error();
  lease.use_kubeconfig_server = *use_kubeconfig_server;
  std::optional<std::string> lease_duration_origin;
  if (src.get("vip_leaseduration")) lease_duration_origin = src.where();
  if (auto s = applyEtcd(src, *control_plane, lease, lease_duration_origin, config); !s.ok()) {
    return s.error();
  }
  // In etcd mode too: the Services mode elects with Leases.
  config.kubernetes = std::move(lease);

  if (auto level = src.get("vip_loglevel")) {
    auto name = logLevelOf(*level, src.where());
    if (!name) return name.error();
    config.log_level = *name;
  }
  // Operations: present-but-empty prometheus_server / vip_statussocket disable them, as in the Go
  // kube-vip, so these are looked up with the environment's empty values kept.
  if (auto server = src.getKeepingEmpty("prometheus_server")) {
    config.prometheus_server = *server;
    config.origins.set("prometheusServer", src.where());
  }
  if (auto path = src.getKeepingEmpty("vip_statussocket")) {
    config.status_socket = *path;
    config.origins.set("statusSocket", src.where());
  }
  if (auto text = src.get("health_check_port")) {
    auto port = parseOptionalPort(*text);
    if (!port) return invalid(fmt::format("{}: {}", src.where(), port.error().message));
    config.health_check_port = *port;
  }
  // BGP: bgp_enable switches it on (or off, over a file's bgp section); the rest applies only then.
  auto bgp_enabled = boolOf(src, "bgp_enable", config.bgp.has_value());
  if (!bgp_enabled) return bgp_enabled.error();
  if (!*bgp_enabled) {
    config.bgp.reset();
  } else {
    if (auto enable = src.get("bgp_enable")) config.origins.set("bgp", src.where());
    BgpConfig bgp = config.bgp.value_or(BgpConfig{});
    if (auto s = applyBgp(src, bgp, config.origins); !s.ok()) return s.error();
    config.bgp = std::move(bgp);
  }
  config.single_node = false;
  config.start_as_leader = false;
  return config;
}

}  // namespace kubevip::config

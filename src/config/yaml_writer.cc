// renderConfigYaml: every key, defaults included, so that the output documents itself.
#include <yaml-cpp/yaml.h>

#include "config/bgp_values.h"
#include "config/loader.h"
#include "config/values.h"

namespace kubevip::config {
namespace {

void emitPeer(YAML::Emitter& out, const Peer& peer) {
  out << YAML::BeginMap;
  out << YAML::Key << "id" << YAML::Value << peer.id;
  // Port 0: a localPeer of the etcd election, which is only an id.
  if (peer.port != 0) {
    out << YAML::Key << "address" << YAML::Value << peer.address.toString();
    out << YAML::Key << "port" << YAML::Value << peer.port;
  }
  out << YAML::EndMap;
}

void emitDuration(YAML::Emitter& out, const char* key, milliseconds d) {
  out << YAML::Key << key << YAML::Value << formatDuration(d);
}

void emitLoadBalancer(YAML::Emitter& out, const LoadBalancer& lb) {
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << lb.name;
  out << YAML::Key << "type" << YAML::Value << std::string(loadBalancerTypeName(lb.type));
  out << YAML::Key << "port" << YAML::Value << lb.port;
  out << YAML::Key << "bindToVip" << YAML::Value << lb.bind_to_vip;
  out << YAML::Key << "backends" << YAML::Value << YAML::BeginSeq;
  for (const Backend& b : lb.backends) {
    out << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "address" << YAML::Value << b.address.toString();
    out << YAML::Key << "port" << YAML::Value << b.port;
    if (b.weight != 1) out << YAML::Key << "weight" << YAML::Value << b.weight;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "algorithm" << YAML::Value << std::string(balanceAlgorithmName(lb.algorithm));
  out << YAML::Key << "forwarding" << YAML::Value << std::string(forwardingModeName(lb.forwarding));
  if (lb.forwarding == ForwardingMode::kKernel) {
    out << YAML::Key << "sourceNat" << YAML::Value << lb.source_nat;
  }
  const HealthCheck& hc = lb.health_check;
  out << YAML::Key << "healthCheck" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << hc.enabled;
  emitDuration(out, "interval", hc.interval);
  emitDuration(out, "timeout", hc.timeout);
  out << YAML::Key << "rise" << YAML::Value << hc.rise;
  out << YAML::Key << "fall" << YAML::Value << hc.fall;
  out << YAML::Key << "path" << YAML::Value << hc.http_path;
  if (lb.type == LoadBalancerType::kUdp) {
    out << YAML::Key << "payload" << YAML::Value << hc.payload;
  }
  out << YAML::EndMap;
  emitDuration(out, "connectTimeout", lb.connect_timeout);
  emitDuration(out, "idleTimeout", lb.idle_timeout);
  out << YAML::Key << "maxConnections" << YAML::Value << lb.max_connections;
  out << YAML::Key << "connectRetries" << YAML::Value << lb.connect_retries;
  out << YAML::EndMap;
}

void emitSeconds(YAML::Emitter& out, const char* key, std::chrono::seconds d) {
  emitDuration(out, key, std::chrono::duration_cast<milliseconds>(d));
}

void emitBgpPeer(YAML::Emitter& out, const BgpPeer& peer) {
  out << YAML::BeginMap;
  out << YAML::Key << "address" << YAML::Value << peer.address.toString();
  out << YAML::Key << "as" << YAML::Value << peer.as;
  if (!peer.password.empty()) out << YAML::Key << "password" << YAML::Value << peer.password;
  out << YAML::Key << "multihop" << YAML::Value;
  if (peer.multihop_ttl == 0 || peer.multihop_ttl == kMultihopTtl) {
    out << (peer.multihop_ttl != 0);
  } else {
    out << peer.multihop_ttl;
  }
  out << YAML::Key << "port" << YAML::Value << peer.port;
  if (peer.hold_time) emitSeconds(out, "holdTime", *peer.hold_time);
  if (peer.keepalive_interval) emitSeconds(out, "keepaliveInterval", *peer.keepalive_interval);
  out << YAML::Key << "passive" << YAML::Value << peer.passive;
  out << YAML::EndMap;
}

void emitBgp(YAML::Emitter& out, const BgpConfig& bgp) {
  out << YAML::Key << "bgp" << YAML::Value << YAML::BeginMap;
  if (bgp.router_id) out << YAML::Key << "routerID" << YAML::Value << bgp.router_id->toString();
  if (!bgp.router_interface.empty()) {
    out << YAML::Key << "routerInterface" << YAML::Value << bgp.router_interface;
  }
  out << YAML::Key << "as" << YAML::Value << bgp.as;
  emitSeconds(out, "holdTime", bgp.hold_time);
  emitSeconds(out, "keepaliveInterval", bgp.keepalive_interval);
  out << YAML::Key << "peers" << YAML::Value << YAML::BeginSeq;
  for (const BgpPeer& p : bgp.peers) emitBgpPeer(out, p);
  out << YAML::EndSeq;
  if (bgp.source_ip) out << YAML::Key << "sourceIP" << YAML::Value << bgp.source_ip->toString();
  if (!bgp.source_interface.empty()) {
    out << YAML::Key << "sourceInterface" << YAML::Value << bgp.source_interface;
  }
  if (bgp.mpbgp_nexthop != MpBgpNextHop::kDefault) {
    out << YAML::Key << "mpbgpNexthop" << YAML::Value << mpBgpNextHopName(bgp.mpbgp_nexthop);
  }
  if (bgp.mpbgp_ipv4) out << YAML::Key << "mpbgpIPv4" << YAML::Value << bgp.mpbgp_ipv4->toString();
  if (bgp.mpbgp_ipv6) out << YAML::Key << "mpbgpIPv6" << YAML::Value << bgp.mpbgp_ipv6->toString();
  out << YAML::Key << "communities" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const BgpCommunity& c : bgp.communities) out << formatBgpCommunity(c);
  out << YAML::EndSeq;
  out << YAML::Key << "largeCommunities" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const BgpLargeCommunity& c : bgp.large_communities) out << formatBgpLargeCommunity(c);
  out << YAML::EndSeq;
  if (bgp.local_pref) out << YAML::Key << "localPref" << YAML::Value << *bgp.local_pref;
  if (bgp.med) out << YAML::Key << "med" << YAML::Value << *bgp.med;
  out << YAML::Key << "vipInterface" << YAML::Value << bgp.vip_interface;
  out << YAML::Key << "listenPort" << YAML::Value << bgp.listen_port;
  emitSeconds(out, "gracefulRestartTime", bgp.graceful_restart_time);
  out << YAML::EndMap;
}

// The etcd election's keys, each with a comment: `sample config --election etcd` prints them as
// the example to start from.
void emitEtcd(YAML::Emitter& out, const EtcdElection& etcd) {
  out << YAML::Key << "type" << YAML::Value << "etcd"
      << YAML::Comment("elect through etcd; localPeer.id is this node's identity");
  out << YAML::Key << "endpoints" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const std::string& endpoint : etcd.endpoints) out << endpoint;
  out << YAML::EndSeq << YAML::Comment("etcd members, https://host:port; IPv6 as [address]");
  if (!etcd.ca_file.empty() || !etcd.cert_file.empty() || !etcd.key_file.empty()) {
    out << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "caFile" << YAML::Value << etcd.ca_file
        << YAML::Comment("CAs of the members' certificates; empty: the system's");
    out << YAML::Key << "certFile" << YAML::Value << etcd.cert_file
        << YAML::Comment("client certificate and key, both or neither");
    out << YAML::Key << "keyFile" << YAML::Value << etcd.key_file;
    out << YAML::EndMap;
  }
  emitSeconds(out, "ttl", etcd.ttl);
  out << YAML::Comment(
      "etcd lease TTL, whole seconds, 2s-3600s: a dead holder's key outlives it "
      "this long");
  out << YAML::Key << "key" << YAML::Value << etcd.key
      << YAML::Comment("the same on every node of one election");
}

}  // namespace

std::string renderConfigYaml(const Config& config) {
  YAML::Emitter out;
  out.SetBoolFormat(YAML::TrueFalseBool);
  out << YAML::Comment(
      "kube-vip configuration. Durations take a unit (300ms, 2s, 1m); plain numbers are ms.");
  out << YAML::BeginMap;
  if (config.local_peer) {
    out << YAML::Key << "localPeer" << YAML::Value;
    emitPeer(out, *config.local_peer);
  }
  out << YAML::Key << "remotePeers" << YAML::Value << YAML::BeginSeq;
  for (const Peer& p : config.remote_peers) emitPeer(out, p);
  out << YAML::EndSeq;
  if (config.vip) out << YAML::Key << "vip" << YAML::Value << config.vip->toString();
  out << YAML::Key << "interface" << YAML::Value << config.interface;
  out << YAML::Key << "gratuitousARP" << YAML::Value << config.gratuitous_arp;
  out << YAML::Key << "singleNode" << YAML::Value << config.single_node;
  out << YAML::Key << "startAsLeader" << YAML::Value << config.start_as_leader;
  if (!config.cluster_key_file.empty()) {
    out << YAML::Key << "clusterKeyFile" << YAML::Value << config.cluster_key_file;
  }
  out << YAML::Key << "loadBalancers" << YAML::Value << YAML::BeginSeq;
  for (const LoadBalancer& lb : config.load_balancers) emitLoadBalancer(out, lb);
  out << YAML::EndSeq;
  if (config.lb_workers != 0) {
    out << YAML::Key << "loadBalancerWorkers" << YAML::Value << config.lb_workers;
  }

  out << YAML::Key << "logLevel" << YAML::Value << config.log_level;
  out << YAML::Key << "prometheusServer" << YAML::Value << config.prometheus_server;
  out << YAML::Key << "healthCheckPort" << YAML::Value << config.health_check_port;
  out << YAML::Key << "statusSocket" << YAML::Value << config.status_socket;

  const ElectionTiming& e = config.election;
  out << YAML::Key << "election" << YAML::Value << YAML::BeginMap;
  if (config.etcd) {
    emitEtcd(out, *config.etcd);
  } else {
    emitDuration(out, "timeout", e.election_timeout);
    emitDuration(out, "heartbeat", e.heartbeat_interval);
    emitDuration(out, "leaderLease", e.leader_lease);
  }
  emitDuration(out, "probeInterval", e.probe_interval);
  out << YAML::Key << "probesUnanswered" << YAML::Value << e.probes_unanswered;
  out << YAML::EndMap;

  const VipTiming& v = config.vip_timing;
  out << YAML::Key << "vipTiming" << YAML::Value << YAML::BeginMap;
  emitDuration(out, "lifetime", v.valid_lifetime);
  emitDuration(out, "renewInterval", v.renew_interval);
  emitDuration(out, "announceInterval", v.announce_interval);
  out << YAML::Key << "announceBurst" << YAML::Value << v.announce_burst;
  out << YAML::EndMap;

  if (config.kubernetes) {
    const KubernetesLease& k = *config.kubernetes;
    out << YAML::Key << "kubernetes" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "leaseName" << YAML::Value << k.lease_name;
    out << YAML::Key << "leaseNamespace" << YAML::Value << k.lease_namespace;
    emitDuration(out, "leaseDuration", k.lease_duration);
    emitDuration(out, "renewDeadline", k.renew_deadline);
    emitDuration(out, "retryPeriod", k.retry_period);
    out << YAML::Key << "identity" << YAML::Value << k.identity;
    out << YAML::Key << "kubeconfig" << YAML::Value << k.kubeconfig_path;
    out << YAML::Key << "apiServerPort" << YAML::Value << k.apiserver_port;
    out << YAML::Key << "useKubeconfigServer" << YAML::Value << k.use_kubeconfig_server;
    out << YAML::EndMap;
  }
  if (config.bgp) emitBgp(out, *config.bgp);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace kubevip::config

// applyEnvironment: the original kube-vip variables over the file's values.
#include "config/loader.h"
#include "config/values.h"

namespace kubevip::config {
namespace {

// Returns the value of a set, non-empty variable.
std::optional<std::string> lookup(const Getenv& getenv, const char* name) {
  auto value = getenv(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

std::string originOf(const char* name) { return std::string("environment variable ") + name; }

Error envError(const char* name, const Error& e) {
  return makeError(ErrorCode::kInvalidArgument, originOf(name) + ": " + e.message);
}

Status applyBool(const Getenv& getenv, const char* name, const std::string& key, Config& config,
                 bool& out) {
  auto text = lookup(getenv, name);
  if (!text) return okStatus();
  auto value = parseBool(*text);
  if (!value.ok()) return envError(name, value.error());
  out = *value;
  config.origins.set(key, originOf(name));
  return okStatus();
}

}  // namespace

Status applyEnvironment(Config& config, const Getenv& getenv) {
  if (auto text = lookup(getenv, "vip_interface")) {
    config.interface = *text;
    config.origins.set("interface", originOf("vip_interface"));
  }
  if (auto text = lookup(getenv, "vip_address")) {
    auto address = IpAddress::parse(*text);
    if (!address.ok()) return envError("vip_address", address.error());
    config.vip = *address;
    config.origins.set("vip", originOf("vip_address"));
  }
  if (auto s = applyBool(getenv, "vip_arp", "gratuitousARP", config, config.gratuitous_arp);
      !s.ok()) {
    return s;
  }
  if (auto s = applyBool(getenv, "vip_singlenode", "singleNode", config, config.single_node);
      !s.ok()) {
    return s;
  }
  if (auto s =
          applyBool(getenv, "vip_startleader", "startAsLeader", config, config.start_as_leader);
      !s.ok()) {
    return s;
  }
  if (auto text = lookup(getenv, "vip_localpeer")) {
    auto peer = parsePeer(*text);
    if (!peer.ok()) return envError("vip_localpeer", peer.error());
    config.local_peer = *peer;
    config.origins.eraseBelow("localPeer");
    config.origins.set("localPeer", originOf("vip_localpeer"));
  }
  if (auto text = lookup(getenv, "vip_peers")) {
    auto peers = parsePeerList(*text);
    if (!peers.ok()) return envError("vip_peers", peers.error());
    config.remote_peers = *peers;
    config.origins.eraseBelow("remotePeers");
    config.origins.set("remotePeers", originOf("vip_peers"));
  }
  if (auto text = lookup(getenv, "vip_clusterkeyfile")) {
    config.cluster_key_file = *text;
    config.origins.set("clusterKeyFile", originOf("vip_clusterkeyfile"));
  }
  if (auto text = lookup(getenv, "vip_clusterkey")) {
    config.cluster_key = *text;
    config.origins.set("clusterKey", originOf("vip_clusterkey"));
  }
  if (auto text = lookup(getenv, "vip_loglevel")) {
    config.log_level = *text;
    config.origins.set("logLevel", originOf("vip_loglevel"));
  }
  // Set but empty disables these two (as prometheus_server="" does in the Go kube-vip).
  if (auto text = getenv("prometheus_server")) {
    config.prometheus_server = *text;
    config.origins.set("prometheusServer", originOf("prometheus_server"));
  }
  if (auto text = lookup(getenv, "health_check_port")) {
    auto port = parseOptionalPort(*text);
    if (!port.ok()) return envError("health_check_port", port.error());
    config.health_check_port = *port;
    config.origins.set("healthCheckPort", originOf("health_check_port"));
  }
  if (auto text = getenv("vip_statussocket")) {
    config.status_socket = *text;
    config.origins.set("statusSocket", originOf("vip_statussocket"));
  }
  deriveEtcdIdentity(config);
  return okStatus();
}

void deriveEtcdIdentity(Config& config) {
  if (config.etcd && config.local_peer) config.etcd->identity = config.local_peer->id;
}

}  // namespace kubevip::config

// planReload: the restart-or-live decision for each key; the argument per key is in reload_plan.h.
#include "config/reload_plan.h"

#include <algorithm>

#include "config/loader.h"

namespace kubevip::config {
namespace {

// Collects the keys that need a restart, each located where `next` set it.
class RestartKeys {
 public:
  explicit RestartKeys(const Config& next) : next_(next) {}

  template <typename T>
  void compare(const std::string& key, const T& running, const T& next) {
    if (!(running == next)) add(key);
  }

  void add(const std::string& key) {
    const std::string origin = next_.origins.find(key);
    keys_.push_back(origin.empty() ? key : key + " (" + origin + ")");
  }

  bool empty() const { return keys_.empty(); }

  Error refusal() const {
    std::string list;
    for (const std::string& key : keys_) list += (list.empty() ? "" : ", ") + key;
    return makeError(ErrorCode::kInvalidArgument,
                     "a reload cannot change " + list +
                         "; restart kube-vip to apply them (the running configuration is kept)");
  }

 private:
  const Config& next_;
  std::vector<std::string> keys_;
};

void compareKubernetes(const std::optional<KubernetesLease>& running,
                       const std::optional<KubernetesLease>& next, RestartKeys& keys) {
  if (running.has_value() != next.has_value()) {
    keys.add("kubernetes");
    return;
  }
  if (!running) return;
  const KubernetesLease& r = *running;
  const KubernetesLease& n = *next;
  keys.compare("kubernetes.leaseName", r.lease_name, n.lease_name);
  keys.compare("kubernetes.leaseNamespace", r.lease_namespace, n.lease_namespace);
  keys.compare("kubernetes.leaseDuration", r.lease_duration, n.lease_duration);
  keys.compare("kubernetes.renewDeadline", r.renew_deadline, n.renew_deadline);
  keys.compare("kubernetes.retryPeriod", r.retry_period, n.retry_period);
  keys.compare("kubernetes.identity", r.identity, n.identity);
  keys.compare("kubernetes.kubeconfig", r.kubeconfig_path, n.kubeconfig_path);
  keys.compare("kubernetes.apiServerPort", r.apiserver_port, n.apiserver_port);
  keys.compare("kubernetes.useKubeconfigServer", r.use_kubeconfig_server, n.use_kubeconfig_server);
}

// Which etcd key, members, credentials, TTL and identity the elector uses are fixed when it starts,
// and the TTL is a promise the other nodes rely on (reload_plan.h).
void compareEtcd(const Config& running, const Config& next, RestartKeys& keys) {
  if (running.etcd.has_value() != next.etcd.has_value()) {
    keys.add("election.type");
    return;
  }
  if (!running.etcd) return;
  const EtcdElection& r = *running.etcd;
  const EtcdElection& n = *next.etcd;
  keys.compare("election.endpoints", r.endpoints, n.endpoints);
  keys.compare("election.tls.caFile", r.ca_file, n.ca_file);
  keys.compare("election.tls.certFile", r.cert_file, n.cert_file);
  keys.compare("election.tls.keyFile", r.key_file, n.key_file);
  keys.compare("election.ttl", r.ttl, n.ttl);
  keys.compare("election.key", r.key, n.key);
  // From the file the identity is localPeer.id, whose change is reported as localPeer already.
  if (r.identity != n.identity && running.local_peer == next.local_peer) {
    keys.add("the etcd identity (vip_nodename)");
  }
}

RestartKeys findRestartKeys(const Config& running, const Config& next) {
  RestartKeys keys(next);
  keys.compare("vip", running.vip, next.vip);
  keys.compare("interface", running.interface, next.interface);
  keys.compare("localPeer", running.local_peer, next.local_peer);
  keys.compare("remotePeers", running.remote_peers, next.remote_peers);
  keys.compare("singleNode", running.single_node, next.single_node);
  keys.compare("startAsLeader", running.start_as_leader, next.start_as_leader);
  keys.compare("gratuitousARP", running.gratuitous_arp, next.gratuitous_arp);
  keys.compare("loadBalancerWorkers", running.lb_workers, next.lb_workers);
  keys.compare("clusterKeyFile", running.cluster_key_file, next.cluster_key_file);
  // The key itself comes only from the environment, and is never written into a message.
  if (running.cluster_key != next.cluster_key) keys.add("the cluster key (vip_clusterkey)");
  keys.compare("the data directory (--data-dir)", running.data_dir, next.data_dir);
  keys.compare("prometheusServer", running.prometheus_server, next.prometheus_server);
  keys.compare("healthCheckPort", running.health_check_port, next.health_check_port);
  keys.compare("statusSocket", running.status_socket, next.status_socket);
  keys.compare("election.timeout", running.election.election_timeout,
               next.election.election_timeout);
  keys.compare("election.heartbeat", running.election.heartbeat_interval,
               next.election.heartbeat_interval);
  keys.compare("election.leaderLease", running.election.leader_lease, next.election.leader_lease);
  keys.compare("vipTiming.lifetime", running.vip_timing.valid_lifetime,
               next.vip_timing.valid_lifetime);
  compareKubernetes(running.kubernetes, next.kubernetes, keys);
  compareEtcd(running, next, keys);
  keys.compare("services", running.services, next.services);
  // BGP sessions carry the router id, AS and timers in their OPEN: changing any of them means new
  // sessions, so the whole section needs a restart.
  keys.compare("bgp", running.bgp, next.bgp);
  return keys;
}

std::vector<std::string> findLiveTimings(const Config& running, const Config& next) {
  std::vector<std::string> changed;
  auto compare = [&changed](const char* key, const auto& r, const auto& n) {
    if (!(r == n)) changed.emplace_back(key);
  };
  compare("election.probeInterval", running.election.probe_interval, next.election.probe_interval);
  compare("election.probesUnanswered", running.election.probes_unanswered,
          next.election.probes_unanswered);
  compare("vipTiming.renewInterval", running.vip_timing.renew_interval,
          next.vip_timing.renew_interval);
  compare("vipTiming.announceInterval", running.vip_timing.announce_interval,
          next.vip_timing.announce_interval);
  compare("vipTiming.announceBurst", running.vip_timing.announce_burst,
          next.vip_timing.announce_burst);
  return changed;
}

bool contains(const std::vector<Backend>& backends, const Backend& backend) {
  return std::find(backends.begin(), backends.end(), backend) != backends.end();
}

LoadBalancerChange compareLoadBalancer(const LoadBalancer& running, const LoadBalancer& next) {
  LoadBalancerChange change;
  change.name = next.name;
  change.listener = running.type != next.type || running.port != next.port ||
                    running.bind_to_vip != next.bind_to_vip ||
                    running.forwarding != next.forwarding;
  change.algorithm = running.algorithm != next.algorithm;
  for (const Backend& b : next.backends) {
    if (!contains(running.backends, b)) change.backends_added.push_back(b);
  }
  for (const Backend& b : running.backends) {
    if (!contains(next.backends, b)) change.backends_removed.push_back(b);
  }
  change.health_check = running.health_check != next.health_check;
  change.limits = running.max_connections != next.max_connections ||
                  running.connect_retries != next.connect_retries;
  change.timeouts =
      running.connect_timeout != next.connect_timeout || running.idle_timeout != next.idle_timeout;
  return change;
}

const LoadBalancer* findByName(const std::vector<LoadBalancer>& balancers,
                               const std::string& name) {
  for (const LoadBalancer& lb : balancers) {
    if (lb.name == name) return &lb;
  }
  return nullptr;
}

void planLoadBalancers(const Config& running, const Config& next, ReloadPlan& plan) {
  for (const LoadBalancer& lb : next.load_balancers) {
    const LoadBalancer* old = findByName(running.load_balancers, lb.name);
    if (old == nullptr) {
      plan.load_balancers_added.push_back(lb.name);
      continue;
    }
    // A change with no part set: the same balancer (its backends maybe reordered).
    LoadBalancerChange change = compareLoadBalancer(*old, lb);
    LoadBalancerChange nothing;
    nothing.name = lb.name;
    if (change == nothing) {
      plan.load_balancers_unchanged.push_back(lb.name);
    } else {
      plan.load_balancers_changed.push_back(std::move(change));
    }
  }
  for (const LoadBalancer& lb : running.load_balancers) {
    if (findByName(next.load_balancers, lb.name) == nullptr) {
      plan.load_balancers_removed.push_back(lb.name);
    }
  }
}

// Appends `part` to `text`, separated by `separator` when text is not empty.
void append(std::string& text, const std::string& part, const char* separator) {
  if (!text.empty()) text += separator;
  text += part;
}

std::string joinNames(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) append(text, name, " ");
  return text;
}

std::string describeChange(const LoadBalancerChange& change) {
  std::string parts;
  if (change.listener) append(parts, "listener", ", ");
  if (change.algorithm) append(parts, "algorithm", ", ");
  if (!change.backends_added.empty() || !change.backends_removed.empty()) {
    std::string backends;
    for (const Backend& b : change.backends_added) {
      append(backends, "+" + Endpoint{b.address, b.port}.toString(), " ");
    }
    for (const Backend& b : change.backends_removed) {
      append(backends, "-" + Endpoint{b.address, b.port}.toString(), " ");
    }
    append(parts, "backends " + backends, ", ");
  }
  if (change.health_check) append(parts, "health check", ", ");
  if (change.limits) append(parts, "limits", ", ");
  if (change.timeouts) append(parts, "timeouts", ", ");
  return change.name + " (" + parts + ")";
}

}  // namespace

std::string describeReloadPlan(const ReloadPlan& plan) {
  if (plan.empty()) return "nothing changes";
  std::string text;
  if (plan.log_level) append(text, "log level " + *plan.log_level, "; ");
  for (const std::string& key : plan.live_timings) append(text, key, "; ");
  std::string balancers;
  if (!plan.load_balancers_added.empty()) {
    append(balancers, "added " + joinNames(plan.load_balancers_added), ", ");
  }
  if (!plan.load_balancers_removed.empty()) {
    append(balancers, "removed " + joinNames(plan.load_balancers_removed), ", ");
  }
  if (!plan.load_balancers_changed.empty()) {
    std::string changed;
    for (const LoadBalancerChange& change : plan.load_balancers_changed) {
      append(changed, describeChange(change), " ");
    }
    append(balancers, "changed " + changed, ", ");
  }
  if (!balancers.empty()) append(text, "load balancers " + balancers, "; ");
  return text;
}

bool ReloadPlan::empty() const {
  return !log_level && live_timings.empty() && load_balancers_added.empty() &&
         load_balancers_removed.empty() && load_balancers_changed.empty();
}

Result<ReloadPlan> planReload(const Config& running, const Config& next,
                              const std::function<bool(const std::string&)>& interface_exists) {
  if (Status valid = validateConfig(next, interface_exists); !valid.ok()) return valid.error();
  if (RestartKeys keys = findRestartKeys(running, next); !keys.empty()) return keys.refusal();
  ReloadPlan plan;
  if (running.log_level != next.log_level) plan.log_level = next.log_level;
  plan.live_timings = findLiveTimings(running, next);
  planLoadBalancers(running, next, plan);
  return plan;
}

}  // namespace kubevip::config

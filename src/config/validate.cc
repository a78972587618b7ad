// validateConfig: what no single value can show wrong. Each message says what to change.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <map>
#include <set>
#include <system_error>

#include "common/listen_address.h"
#include "common/unique_fd.h"
#include "config/loader.h"
#include "config/stop_timing.h"
#include "config/values.h"

namespace kubevip::config {
namespace {

using std::chrono::milliseconds;

std::string ms(milliseconds d) { return formatDuration(d); }

// A UDP health check's datagram fits in the 576-byte datagram every IPv4 host must accept
// (RFC 1122 section 3.3.3), as DNS over UDP's classic 512-byte limit does.
constexpr std::size_t kMaxHealthCheckPayload = 512;

class Validator {
 public:
  Validator(const Config& config, const FileReadable& file_readable)
      : config_(config), file_readable_(file_readable) {}

  // An error about `key`, located at the first of `located_by` and `key` whose value was written
  // in the file, the environment or a flag.
  Error fail(const std::string& key, const std::string& message,
             std::initializer_list<std::string> located_by = {}) const {
    std::vector<std::string> candidates(located_by);
    candidates.push_back(key);
    // Prefer a key that was itself written somewhere; else the nearest written parent of `key`.
    std::string origin = config_.origins.find(key);
    for (const std::string& c : candidates) {
      if (auto exact = config_.origins.findExact(c)) {
        origin = *exact;
        break;
      }
    }
    std::string text = origin.empty() ? "" : origin + ": ";
    text += key.empty() ? message : key + ": " + message;
    return makeError(ErrorCode::kInvalidArgument, text);
  }

  Status run(const std::function<bool(const std::string&)>& interface_exists) const {
    if (auto s = checkLogLevel(); !s.ok()) return s;
    if (auto s = checkOperations(); !s.ok()) return s;
    if (auto s = checkNetwork(interface_exists); !s.ok()) return s;
    if (auto s = checkEtcd(); !s.ok()) return s;
    if (auto s = checkPeers(); !s.ok()) return s;
    for (size_t i = 0; i < config_.load_balancers.size(); ++i) {
      if (auto s = checkLoadBalancer(i); !s.ok()) return s;
    }
    if (auto s = checkElection(); !s.ok()) return s;
    if (auto s = checkVipTiming(); !s.ok()) return s;
    if (auto key = readClusterKey(config_); !key.ok()) return key.error();
    if (auto s = checkKubernetes(); !s.ok()) return s;
    if (auto s = checkBgp(interface_exists); !s.ok()) return s;
    return checkStopTiming();
  }

 private:
  Status checkLogLevel() const {
    static const std::set<std::string> kLevels{"trace", "debug",    "info", "warn",
                                               "error", "critical", "off"};
    if (kLevels.count(config_.log_level) == 0) {
      return fail("logLevel", "'" + config_.log_level +
                                  "' is not one of trace, debug, info, warn, error, critical, off");
    }
    return okStatus();
  }

  Status checkOperations() const {
    if (!config_.prometheus_server.empty()) {
      auto listen = parseListenAddress("prometheusServer", config_.prometheus_server);
      if (!listen.ok()) return fail("", listen.error().message, {"prometheusServer"});
      if (listen->port == 0) {
        return fail("prometheusServer", "'" + config_.prometheus_server +
                                            "': give a port (0 would pick a different one at "
                                            "every start)");
      }
    }
    const std::string& path = config_.status_socket;
    if (!path.empty()) {
      if (path.front() != '/') {
        return fail("statusSocket", "'" + path + "' is not an absolute path");
      }
      // sockaddr_un's sun_path holds 108 bytes with the terminating NUL.
      if (path.size() > 107) {
        return fail("statusSocket", "the path is " + std::to_string(path.size()) +
                                        " bytes long; a Unix socket path holds at most 107");
      }
    }
    return okStatus();
  }

  Status checkNetwork(const std::function<bool(const std::string&)>& interface_exists) const {
    if (config_.interface.empty()) {
      return fail("interface",
                  "missing; name the interface that carries the VIP (key interface, "
                  "environment variable vip_interface or flag --interface)");
    }
    if (!interface_exists(config_.interface)) {
      return fail("interface", "there is no network interface named '" + config_.interface +
                                   "' on this host (see `ip link`)");
    }
    // Services only (in cluster, svc_enable without cp_enable): no VIP of its own.
    if (!config_.vip && config_.services && config_.kubernetes) return okStatus();
    if (!config_.vip) {
      return fail("vip",
                  "missing; give the virtual IP address (key vip, environment variable "
                  "vip_address or flag --vip)");
    }
    if (config_.vip->isUnspecified()) {
      return fail("vip",
                  config_.vip->toString() + " is the unspecified address; give a host address");
    }
    return okStatus();
  }

  Status checkPeers() const {
    const bool raft = !config_.single_node && !config_.kubernetes && !config_.etcd;
    if (raft && !config_.local_peer) {
      return fail("localPeer",
                  "missing; give this node's id:address:port (key localPeer, environment "
                  "variable vip_localpeer or flag --localPeer), or set singleNode");
    }
    // With etcd, localPeer is only the identity (checkEtcd): its address and port are not used.
    if (config_.etcd) {
      if (!config_.local_peer) return okStatus();
      if (auto s = checkPeerId(config_.local_peer->id); !s.ok()) {
        return fail("localPeer.id", s.error().message);
      }
      return okStatus();
    }
    std::vector<std::pair<std::string, const Peer*>> peers;
    if (config_.local_peer) peers.emplace_back("localPeer", &*config_.local_peer);
    for (size_t i = 0; i < config_.remote_peers.size(); ++i) {
      peers.emplace_back("remotePeers[" + std::to_string(i) + "]", &config_.remote_peers[i]);
    }
    std::map<std::string, std::string> ids;
    std::map<std::string, std::string> endpoints;
    for (const auto& [key, peer] : peers) {
      if (auto s = checkPeerId(peer->id); !s.ok()) return fail(key + ".id", s.error().message);
      if (peer->port == 0) return fail(key + ".port", "0 is out of range (1-65535)");
      if (peer->address.isUnspecified()) {
        return fail(key + ".address", peer->address.toString() + " is the unspecified address");
      }
      if (auto [it, added] = ids.emplace(peer->id, key); !added) {
        return fail(key,
                    "duplicate peer id '" + peer->id + "' (also " + it->second +
                        "); give every peer its own id",
                    {key + ".id"});
      }
      const std::string endpoint = Endpoint{peer->address, peer->port}.toString();
      if (auto [it, added] = endpoints.emplace(endpoint, key); !added) {
        return fail(key,
                    "duplicate peer address " + endpoint + " (also " + it->second +
                        "); every peer needs its own address:port",
                    {key + ".address"});
      }
    }
    return okStatus();
  }

  Status checkLoadBalancer(size_t index) const {
    const LoadBalancer& lb = config_.load_balancers[index];
    const std::string key = "loadBalancers[" + std::to_string(index) + "]";
    if (lb.name.empty()) return fail(key + ".name", "missing; give the load balancer a name");
    if (lb.port == 0) return fail(key + ".port", "0 is out of range (1-65535)");
    for (size_t j = 0; j < index; ++j) {
      const LoadBalancer& other = config_.load_balancers[j];
      const std::string other_key = "loadBalancers[" + std::to_string(j) + "]";
      if (other.name == lb.name) {
        return fail(key + ".name", "'" + lb.name + "' is also the name of " + other_key);
      }
      if (other.port == lb.port) {
        return fail(key + ".port", std::to_string(lb.port) + " is also the port of " + other_key +
                                       "; two load balancers cannot listen on one port");
      }
    }
    if (lb.backends.empty()) {
      return fail(key + ".backends", "empty; list at least one {address, port}", {key});
    }
    std::set<std::string> seen;
    for (size_t b = 0; b < lb.backends.size(); ++b) {
      const std::string bkey = key + ".backends[" + std::to_string(b) + "]";
      const Endpoint endpoint{lb.backends[b].address, lb.backends[b].port};
      if (endpoint.port == 0) return fail(bkey + ".port", "0 is out of range (1-65535)");
      if (!seen.insert(endpoint.toString()).second) {
        return fail(bkey, "backend " + endpoint.toString() + " is listed twice");
      }
    }
    const HealthCheck& hc = lb.health_check;
    const std::string hkey = key + ".healthCheck";
    if (hc.interval.count() <= 0) return fail(hkey + ".interval", "must be longer than 0");
    if (hc.timeout.count() <= 0) return fail(hkey + ".timeout", "must be longer than 0");
    if (hc.timeout >= hc.interval) {
      return fail(hkey + ".timeout",
                  ms(hc.timeout) + " must be shorter than healthCheck.interval (" +
                      ms(hc.interval) +
                      ") so that checks do not overlap; lower timeout or raise "
                      "interval",
                  {hkey + ".timeout", hkey + ".interval"});
    }
    if (hc.rise < 1) return fail(hkey + ".rise", "must be at least 1");
    if (hc.fall < 1) return fail(hkey + ".fall", "must be at least 1");
    if (lb.type == LoadBalancerType::kHttp && !hc.http_path.starts_with("/")) {
      return fail(hkey + ".path", "'" + hc.http_path + "' must start with '/'");
    }
    if (!hc.payload.empty() && lb.type != LoadBalancerType::kUdp) {
      return fail(hkey + ".payload", "is the datagram of a udp check; a " +
                                         std::string(loadBalancerTypeName(lb.type)) +
                                         " balancer's check sends none");
    }
    if (hc.payload.size() > kMaxHealthCheckPayload) {
      return fail(hkey + ".payload", std::to_string(hc.payload.size()) + " bytes; at most " +
                                         std::to_string(kMaxHealthCheckPayload) +
                                         " are always accepted in one datagram");
    }
    if (lb.connect_timeout.count() <= 0) {
      return fail(key + ".connectTimeout", "must be longer than 0");
    }
    if (lb.idle_timeout.count() <= 0) return fail(key + ".idleTimeout", "must be longer than 0");
    if (lb.max_connections < 1) return fail(key + ".maxConnections", "must be at least 1");
    if (lb.connect_retries < 0) return fail(key + ".connectRetries", "must not be negative");
    return checkForwarding(lb, key);
  }

  // Which combinations each data plane can carry out (src/nft for the kernel's).
  Status checkForwarding(const LoadBalancer& lb, const std::string& key) const {
    const std::string algorithm(balanceAlgorithmName(lb.algorithm));
    if (lb.forwarding == ForwardingMode::kProxy) {
      if (lb.type == LoadBalancerType::kUdp) {
        return fail(key + ".type", "udp is balanced by the kernel only; add 'forwarding: kernel'",
                    {key + ".type", key + ".forwarding"});
      }
      if (lb.algorithm != BalanceAlgorithm::kRoundRobin &&
          lb.algorithm != BalanceAlgorithm::kLeastConnections) {
        return fail(key + ".algorithm",
                    algorithm +
                        " needs 'forwarding: kernel'; the proxy balances by roundrobin "
                        "or leastconn");
      }
      for (size_t b = 0; b < lb.backends.size(); ++b) {
        if (lb.backends[b].weight != 1) {
          return fail(key + ".backends[" + std::to_string(b) + "].weight",
                      "weights need 'forwarding: kernel'; the proxy gives every backend an equal "
                      "share");
        }
      }
      return okStatus();
    }
    if (lb.type == LoadBalancerType::kHttp) {
      return fail(key + ".type",
                  "http needs 'forwarding: proxy': the kernel forwards connections and datagrams, "
                  "it does not read requests",
                  {key + ".type", key + ".forwarding"});
    }
    if (lb.algorithm == BalanceAlgorithm::kLeastConnections) {
      return fail(key + ".algorithm",
                  "leastconn needs 'forwarding: proxy'; the kernel balances by roundrobin, random "
                  "or sourcehash");
    }
    if (!lb.bind_to_vip) {
      return fail(key + ".bindToVip",
                  "must be true with 'forwarding: kernel': the kernel forwards the VIP's port only",
                  {key + ".bindToVip", key + ".forwarding"});
    }
    if (!config_.vip) {
      return fail(key + ".forwarding", "'kernel' forwards the VIP's port, but no vip is configured",
                  {key + ".forwarding", "vip"});
    }
    for (size_t b = 0; b < lb.backends.size(); ++b) {
      if (lb.backends[b].address.isV6() != config_.vip->isV6()) {
        return fail(key + ".backends[" + std::to_string(b) + "].address",
                    lb.backends[b].address.toString() + " is not of the VIP's family (" +
                        config_.vip->toString() +
                        "); the kernel path does not translate between IPv4 and IPv6");
      }
    }
    return okStatus();
  }

  Status checkElection() const {
    const ElectionTiming& e = config_.election;
    if (config_.etcd) return checkProbes(e, "election.ttl", config_.etcd->ttl);
    if (e.election_timeout.count() <= 0) return fail("election.timeout", "must be longer than 0");
    if (e.heartbeat_interval.count() <= 0) {
      return fail("election.heartbeat", "must be longer than 0");
    }
    if (e.probe_interval.count() <= 0) {
      return fail("election.probeInterval", "must be longer than 0");
    }
    if (e.probes_unanswered < 1) return fail("election.probesUnanswered", "must be at least 1");
    // The leader renews its lease with heartbeats: two must fit so that one lost packet does not
    // make it give up the VIP.
    if (2 * e.heartbeat_interval > e.leader_lease) {
      return fail("election.heartbeat",
                  "2 x " + ms(e.heartbeat_interval) + " exceeds election.leaderLease (" +
                      ms(e.leader_lease) +
                      "): at least two heartbeats must fit in the lease; lower heartbeat or raise "
                      "leaderLease",
                  {"election.heartbeat", "election.leaderLease"});
    }
    // Followers may elect a new leader one election timeout after the last heartbeat; the old
    // leader's lease must have run out before, or two hosts hold the VIP.
    if (e.leader_lease >= e.election_timeout) {
      return fail("election.leaderLease",
                  ms(e.leader_lease) + " must be shorter than election.timeout (" +
                      ms(e.election_timeout) +
                      ") so that an old leader lets go of the VIP before a new one is elected; "
                      "lower leaderLease or raise timeout",
                  {"election.leaderLease", "election.timeout"});
    }
    // A new leader probes for the VIP before taking it; it must be done within one timeout.
    if (e.probe_interval * e.probes_unanswered >= e.election_timeout) {
      return fail("election.probeInterval",
                  ms(e.probe_interval) + " x " + std::to_string(e.probes_unanswered) +
                      " probesUnanswered = " + ms(e.probe_interval * e.probes_unanswered) +
                      " must be shorter than election.timeout (" + ms(e.election_timeout) +
                      "); lower probeInterval or probesUnanswered, or raise timeout",
                  {"election.probeInterval", "election.probesUnanswered", "election.timeout"});
    }
    return okStatus();
  }

  // With etcd only the probe settings of `election` apply. A new holder probes before it adds the
  // VIP; the probe must end within one lease TTL, else a takeover would wait longer on the probe
  // than on the dead holder's key.
  Status checkProbes(const ElectionTiming& e, const std::string& bound_key,
                     std::chrono::seconds bound) const {
    if (e.probe_interval.count() <= 0) {
      return fail("election.probeInterval", "must be longer than 0");
    }
    if (e.probes_unanswered < 1) return fail("election.probesUnanswered", "must be at least 1");
    if (e.probe_interval * e.probes_unanswered >= bound) {
      return fail("election.probeInterval",
                  ms(e.probe_interval) + " x " + std::to_string(e.probes_unanswered) +
                      " probesUnanswered = " + ms(e.probe_interval * e.probes_unanswered) +
                      " must be shorter than " + bound_key + " (" + std::to_string(bound.count()) +
                      "s); lower probeInterval or probesUnanswered",
                  {"election.probeInterval", "election.probesUnanswered", bound_key});
    }
    return okStatus();
  }

  // The etcd election (config.h, src/election/etcd_elector.h). From the file (out of cluster) the
  // identity is localPeer.id and the Raft-only keys are refused; from `manager` the identity is
  // vip_nodename and the Services keep their Leases (Config::kubernetes), which the file cannot
  // combine with etcd (the reader refuses it: one election per VIP).
  Status checkEtcd() const {
    if (!config_.etcd) return okStatus();
    const EtcdElection& etcd = *config_.etcd;
    if (auto s = checkNoRaftKeys(); !s.ok()) return s;
    if (!config_.kubernetes && !config_.local_peer) {
      return fail("localPeer",
                  "missing; the etcd election needs localPeer.id, this node's identity (the value "
                  "it writes to election.key); address and port are not needed");
    }
    if (etcd.identity.empty()) {
      return fail("localPeer.id", "empty; the etcd election writes it to election.key");
    }
    if (etcd.endpoints.empty()) {
      return fail("election.endpoints",
                  "empty; list the etcd members as https://host:port (key election.endpoints, "
                  "variable etcd_endpoints or flag --etcdEndpoints)",
                  {"election"});
    }
    std::map<std::string, std::string> seen;
    bool any_https = false;
    for (size_t i = 0; i < etcd.endpoints.size(); ++i) {
      const std::string key = "election.endpoints[" + std::to_string(i) + "]";
      const std::string& endpoint = etcd.endpoints[i];
      if (auto s = checkEtcdEndpoint(endpoint); !s.ok()) return fail(key, s.error().message);
      if (auto [it, added] = seen.emplace(endpoint, key); !added) {
        return fail(key, "'" + endpoint + "' is listed twice (also " + it->second + ")");
      }
      any_https = any_https || endpoint.starts_with("https://");
    }
    if (etcd.cert_file.empty() != etcd.key_file.empty()) {
      const bool cert = !etcd.cert_file.empty();
      return fail(cert ? "election.tls.certFile" : "election.tls.keyFile",
                  std::string(cert ? "is set but election.tls.keyFile is not"
                                   : "is set but election.tls.certFile is not") +
                      ": a client certificate goes with its key; give both or neither");
    }
    const std::pair<const char*, const std::string*> files[] = {
        {"election.tls.caFile", &etcd.ca_file},
        {"election.tls.certFile", &etcd.cert_file},
        {"election.tls.keyFile", &etcd.key_file}};
    for (const auto& [key, path] : files) {
      if (path->empty()) continue;
      if (!any_https) {
        return fail(key,
                    "is for https endpoints, and every endpoint is http://; use https:// or "
                    "remove election.tls");
      }
      if (auto s = file_readable_(*path); !s.ok()) {
        return fail(key, "'" + *path + "' cannot be read (" + s.error().message + ")");
      }
    }
    if (etcd.ttl < kEtcdMinTtl || etcd.ttl > kEtcdMaxTtl) {
      return fail("election.ttl", std::to_string(etcd.ttl.count()) +
                                      "s is out of range (2s-3600s; etcd's minimum lease TTL is "
                                      "2s)");
    }
    if (etcd.key.empty() || etcd.key.front() != '/') {
      return fail("election.key", "'" + etcd.key +
                                      "' must start with '/' (for example "
                                      "/kube-vip/kube-system/plndr-cp-lock)");
    }
    return okStatus();
  }

  // Keys that configure Raft, which the etcd election does not run: refused rather than ignored.
  Status checkNoRaftKeys() const {
    constexpr const char* kWhy =
        " belongs to the Raft election; with election.type etcd the etcd cluster elects: remove it";
    if (!config_.remote_peers.empty())
      return fail("remotePeers", std::string("remotePeers") + kWhy);
    if (config_.single_node) return fail("singleNode", std::string("singleNode") + kWhy);
    if (config_.start_as_leader) return fail("startAsLeader", std::string("startAsLeader") + kWhy);
    if (!config_.cluster_key_file.empty()) {
      return fail("clusterKeyFile", std::string("clusterKeyFile") + kWhy);
    }
    if (!config_.cluster_key.empty()) {
      return fail("clusterKey", std::string("the cluster key (vip_clusterkey)") + kWhy);
    }
    return okStatus();
  }

  Status checkVipTiming() const {
    const VipTiming& v = config_.vip_timing;
    if (v.valid_lifetime < std::chrono::seconds(1)) {
      return fail("vipTiming.lifetime",
                  "must be at least 1s (the kernel counts address lifetimes in whole seconds)");
    }
    if (v.renew_interval.count() <= 0) {
      return fail("vipTiming.renewInterval", "must be longer than 0");
    }
    // One renewal may be lost without the kernel dropping the VIP.
    if (2 * v.renew_interval > v.valid_lifetime) {
      return fail("vipTiming.renewInterval",
                  "2 x " + ms(v.renew_interval) + " exceeds vipTiming.lifetime (" +
                      ms(v.valid_lifetime) +
                      "): a lost renewal would drop the VIP; lower renewInterval or raise lifetime",
                  {"vipTiming.renewInterval", "vipTiming.lifetime"});
    }
    if (v.announce_interval < milliseconds(100)) {
      return fail("vipTiming.announceInterval",
                  ms(v.announce_interval) +
                      " is below the minimum of 100ms (announcements would flood the network); "
                      "raise it");
    }
    if (v.announce_burst < 1 || v.announce_burst > 10) {
      return fail("vipTiming.announceBurst",
                  std::to_string(v.announce_burst) + " is out of range (1-10)");
    }
    return okStatus();
  }

  // The order of the stop timers is fixed in config/stop_timing.h; what configuration can break is
  // the last step: the whole stop must end before the kubelet kills the pod.
  Status checkStopTiming() const {
    const Duration deadline = processStopBound(config_);
    if (deadline <= kMaxStopDeadline) return okStatus();
    const std::string takes = ms(std::chrono::duration_cast<milliseconds>(deadline)) +
                              ", longer than the " +
                              ms(std::chrono::duration_cast<milliseconds>(kMaxStopDeadline)) +
                              " a pod gets to stop (terminationGracePeriodSeconds)";
    // etcd needs no case: its stop is at most 2 x 5 s (config/stop_timing.h).
    if (config_.kubernetes && !config_.etcd) {
      return fail("kubernetes.retryPeriod",
                  std::to_string(config_.kubernetes->retry_period.count()) +
                      "s bounds each Lease request, and a stop waits for one in flight and for "
                      "the release: up to " +
                      takes + "; lower retryPeriod");
    }
    return fail("election.timeout",
                ms(config_.election.election_timeout) +
                    " lets a stopping leader wait 2 x timeout for the leadership transfer: a stop "
                    "takes up to " +
                    takes + "; lower timeout");
  }

  Status checkKubernetes() const {
    if (!config_.kubernetes) return okStatus();
    const KubernetesLease& k = *config_.kubernetes;
    if (k.lease_name.empty()) return fail("kubernetes.leaseName", "must not be empty");
    if (k.lease_namespace.empty()) return fail("kubernetes.leaseNamespace", "must not be empty");
    if (k.retry_period < std::chrono::seconds(1)) {
      return fail("kubernetes.retryPeriod", "must be at least 1s");
    }
    if (k.renew_deadline >= k.lease_duration) {
      return fail("kubernetes.renewDeadline",
                  std::to_string(k.renew_deadline.count()) +
                      "s must be shorter than kubernetes.leaseDuration (" +
                      std::to_string(k.lease_duration.count()) +
                      "s) so that the holder gives up before others may take the Lease; lower "
                      "renewDeadline or raise leaseDuration",
                  {"kubernetes.renewDeadline", "kubernetes.leaseDuration"});
    }
    // The leader uses the Lease until s + leaseDuration - renewDeadline (s: when it sent its last
    // successful renewal; election/lease_elector.h); others may take the Lease from
    // s + leaseDuration. A leader that died or froze leaves its VIP to the kernel, which drops it
    // up to lifetime + kKernelExpirySlack after the last renewal (config.h). So the old VIP is
    // gone before anyone may take over only if that fits in the renewDeadline margin; the new
    // holder's probe is then a second guard, not the only one.
    if (config_.vip_timing.valid_lifetime + kKernelExpirySlack > k.renew_deadline) {
      return fail("vipTiming.lifetime",
                  std::to_string(config_.vip_timing.valid_lifetime.count()) +
                      "s + 1s of kernel expiry rounding exceeds kubernetes.renewDeadline (" +
                      std::to_string(k.renew_deadline.count()) +
                      "s), the margin between the leader's last use of the Lease and another "
                      "node's takeover: a dead leader's VIP could outlive it; lower "
                      "vipTiming.lifetime or raise renewDeadline (and leaseDuration)",
                  {"vipTiming.lifetime", "kubernetes.renewDeadline"});
    }
    // As client-go: the deadline must leave room for a jittered retry (1.2 x retryPeriod).
    if (k.renew_deadline * 10 <= k.retry_period * 12) {
      return fail("kubernetes.renewDeadline",
                  std::to_string(k.renew_deadline.count()) +
                      "s must be longer than 1.2 x kubernetes.retryPeriod (" +
                      std::to_string(k.retry_period.count()) +
                      "s); raise renewDeadline or lower retryPeriod",
                  {"kubernetes.renewDeadline", "kubernetes.retryPeriod"});
    }
    return okStatus();
  }

  // RFC 4271 §4.2: a Hold Time is 0 (no KEEPALIVEs, no hold timer) or at least three seconds.
  Status checkHoldTime(const std::string& key, std::chrono::seconds hold) const {
    if (hold.count() == 0 || (hold.count() >= 3 && hold.count() <= 65535)) return okStatus();
    return fail(key, std::to_string(hold.count()) +
                         "s is not a BGP hold time: 0 (no keepalives) or 3s-65535s (RFC 4271 "
                         "§4.2)");
  }

  // RFC 4271 §4.4 and §10: KEEPALIVEs at most a third of the hold time apart, so that two may be
  // lost before the peer's hold timer runs out.
  Status checkKeepalive(const std::string& key, std::chrono::seconds keepalive,
                        const std::string& hold_key, std::chrono::seconds hold) const {
    if (hold.count() == 0) return okStatus();
    if (keepalive.count() < 1) return fail(key, "must be at least 1s when the hold time is not 0");
    if (keepalive * 3 > hold) {
      return fail(key,
                  std::to_string(keepalive.count()) + "s is more than a third of " + hold_key +
                      " (" + std::to_string(hold.count()) +
                      "s); two lost keepalives would end the session (RFC 4271 §4.4); lower it "
                      "to at most " +
                      std::to_string(hold.count() / 3) + "s or raise the hold time",
                  {key, hold_key});
    }
    return okStatus();
  }

  Status checkBgp(const std::function<bool(const std::string&)>& interface_exists) const {
    if (!config_.bgp) return okStatus();
    const BgpConfig& bgp = *config_.bgp;
    // The address is on one node's interface and routed there; a gratuitous ARP for it on the
    // VIP's segment would draw that segment's traffic to the same node by a second way, outside
    // the routers' choice, and an ARP holder elsewhere would contradict the routes.
    if (config_.gratuitous_arp) {
      return fail("gratuitousARP",
                  "announce either by ARP or by BGP: set gratuitousARP: false (vip_arp=false) "
                  "with bgp (bgp_enable=true)",
                  {"gratuitousARP", "bgp"});
    }
    if (bgp.router_id && !bgp.router_interface.empty()) {
      return fail("bgp.routerInterface",
                  "give either bgp.routerID or bgp.routerInterface, not both");
    }
    if (bgp.router_id && !bgp.router_id->isV4()) {
      return fail("bgp.routerID", bgp.router_id->toString() +
                                      " is not an IPv4 address; the BGP Identifier is a 32-bit "
                                      "number written as one (RFC 4271 §4.2)");
    }
    // Neither: the router id is taken from `interface` (checked above), whose IPv4 address the
    // daemon reads at start (an interface without one is an error there).
    if (!bgp.router_interface.empty() && !interface_exists(bgp.router_interface)) {
      return fail("bgp.routerInterface", "there is no network interface named '" +
                                             bgp.router_interface + "' on this host");
    }
    if (bgp.as == 0) return fail("bgp.as", "0 is not an AS number (1-4294967295)");
    if (auto s = checkHoldTime("bgp.holdTime", bgp.hold_time); !s.ok()) return s;
    if (auto s = checkKeepalive("bgp.keepaliveInterval", bgp.keepalive_interval, "bgp.holdTime",
                                bgp.hold_time);
        !s.ok()) {
      return s;
    }
    if (bgp.peers.empty()) {
      return fail("bgp.peers",
                  "empty; list at least one peer (key bgp.peers, variable bgp_peers or "
                  "bgp_peeraddress)",
                  {"bgp"});
    }
    std::map<std::string, std::string> endpoints;
    for (size_t i = 0; i < bgp.peers.size(); ++i) {
      if (auto s = checkBgpPeer(i); !s.ok()) return s;
      const BgpPeer& peer = bgp.peers[i];
      const std::string key = "bgp.peers[" + std::to_string(i) + "]";
      const std::string endpoint = Endpoint{peer.address, peer.port}.toString();
      if (auto [it, added] = endpoints.emplace(endpoint, key); !added) {
        return fail(key, "peer " + endpoint + " is listed twice (also " + it->second + ")",
                    {key + ".address"});
      }
    }
    if (!bgp.source_interface.empty() && !interface_exists(bgp.source_interface)) {
      return fail("bgp.sourceInterface", "there is no network interface named '" +
                                             bgp.source_interface + "' on this host");
    }
    if (bgp.vip_interface.empty() || !interface_exists(bgp.vip_interface)) {
      return fail("bgp.vipInterface", "there is no network interface named '" + bgp.vip_interface +
                                          "' on this host (the announced addresses go there; "
                                          "lo by default)");
    }
    if (bgp.listen_port == 0) return fail("bgp.listenPort", "0 is out of range (1-65535)");
    if (bgp.graceful_restart_time.count() > 4095) {
      return fail("bgp.gracefulRestartTime",
                  std::to_string(bgp.graceful_restart_time.count()) +
                      "s is more than 4095s, the longest Restart Time the capability can carry "
                      "(12 bits, RFC 4724 §3); 0 turns Graceful Restart off");
    }
    return checkMpBgp(bgp);
  }

  Status checkBgpPeer(size_t index) const {
    const BgpConfig& bgp = *config_.bgp;
    const BgpPeer& peer = bgp.peers[index];
    const std::string key = "bgp.peers[" + std::to_string(index) + "]";
    if (peer.as == 0) return fail(key + ".as", "0 is not an AS number (1-4294967295)");
    if (peer.port == 0) return fail(key + ".port", "0 is out of range (1-65535)");
    // Linux's TCP_MD5SIG_MAXKEYLEN.
    if (peer.password.size() > 80) {
      return fail(key + ".password", "is " + std::to_string(peer.password.size()) +
                                         " bytes long; a TCP MD5 key holds at most 80");
    }
    if (peer.multihop_ttl < 0 || peer.multihop_ttl > 255) {
      return fail(key + ".multihop", std::to_string(peer.multihop_ttl) + " is not a TTL (1-255)");
    }
    const std::string hold_key = peer.hold_time ? key + ".holdTime" : "bgp.holdTime";
    const std::chrono::seconds hold = peer.hold_time.value_or(bgp.hold_time);
    if (peer.hold_time) {
      if (auto s = checkHoldTime(hold_key, hold); !s.ok()) return s;
    }
    const std::string keepalive_key =
        peer.keepalive_interval ? key + ".keepaliveInterval" : "bgp.keepaliveInterval";
    return checkKeepalive(keepalive_key, peer.keepalive_interval.value_or(bgp.keepalive_interval),
                          hold_key, hold);
  }

  Status checkMpBgp(const BgpConfig& bgp) const {
    if (bgp.mpbgp_ipv4 && !bgp.mpbgp_ipv4->isV4()) {
      return fail("bgp.mpbgpIPv4", bgp.mpbgp_ipv4->toString() + " is not an IPv4 address");
    }
    if (bgp.mpbgp_ipv6 && bgp.mpbgp_ipv6->isV4()) {
      return fail("bgp.mpbgpIPv6", bgp.mpbgp_ipv6->toString() + " is not an IPv6 address");
    }
    switch (bgp.mpbgp_nexthop) {
      case MpBgpNextHop::kDefault:
        return okStatus();
      case MpBgpNextHop::kAutoSourceInterface:
        if (bgp.source_interface.empty()) {
          return fail("bgp.mpbgpNexthop",
                      "auto_sourceif takes the next hop from bgp.sourceInterface "
                      "(bgp_sourceif), which is not set");
        }
        return okStatus();
      case MpBgpNextHop::kAutoSourceIp:
        if (!bgp.source_ip) {
          return fail("bgp.mpbgpNexthop",
                      "auto_sourceip takes the next hop from bgp.sourceIP (bgp_sourceip), which "
                      "is not set");
        }
        return okStatus();
      case MpBgpNextHop::kFixed:
        if (!bgp.mpbgp_ipv4 && !bgp.mpbgp_ipv6) {
          return fail("bgp.mpbgpNexthop",
                      "fixed needs the next hops: set bgp.mpbgpIPv4 and/or bgp.mpbgpIPv6 "
                      "(mpbgp_ipv4, mpbgp_ipv6)");
        }
        return okStatus();
    }
    return okStatus();
  }

  const Config& config_;
  const FileReadable& file_readable_;
};

}  // namespace

Status readableOnThisHost(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    return Error{ErrorCode::kSystem, err, std::generic_category().message(err)};
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return makeError(ErrorCode::kInvalidArgument, "a directory, not a file");
  }
  return okStatus();
}

Status validateConfig(const Config& config,
                      const std::function<bool(const std::string&)>& interface_exists,
                      const FileReadable& file_readable) {
  return Validator(config, file_readable).run(interface_exists);
}

}  // namespace kubevip::config

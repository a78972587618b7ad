// What a reload (SIGHUP, `kube-vip reload`) would change, decided before anything is touched.
//
// planReload compares the running configuration with the one just read and returns either a
// refusal or a ReloadPlan. Nothing here applies the plan; whoever does so applies exactly what the
// plan lists, and keeps the running configuration whenever planReload refuses.
//
// A change is refused when it needs a restart. The rule for timings: a value may change live only
// if every address this node has already added or renewed stays covered by the safety argument
// (src/vip/vip_controller.h; "step N" below) whether the old or the new value is in force, and if
// the value is a promise of this node alone, not one the other nodes rely on. Per field (defaults
// in brackets):
//
//   Need a restart (the other nodes or state built at start rely on them):
//   - vip, interface: the VIP controller is built for one address on one interface; moving
//     either means removing the VIP that clients use, which a reload promises not to do.
//   - localPeer, remotePeers, singleNode, startAsLeader, clusterKeyFile / the cluster key, the
//     data directory: who votes and how peers authenticate are fixed when libraft starts.
//   - election.timeout, election.heartbeat, election.leaderLease: "no other node is elected
//     before the old leader's lease ends" (step 1) compares this node's leaderLease with the
//     *other* nodes' election timeouts, so the relation holds across the cluster only when every
//     node runs one set; libraft also reads them only at start.
//   - vipTiming.lifetime [1s]: the kernel of this node keeps an address renewed under the old
//     lifetime for that long, and a new leader decides how long to wait before adding the VIP
//     without a probe answer from its *own* lifetime (step 5: acquire + lifetime + 1 s). A
//     longer lifetime here outlives the others' wait; a shorter one applied while probing
//     stops waiting before an address renewed under the old one is gone. With a Lease it is
//     also bound to kubernetes.renewDeadline.
//   - kubernetes (present or not, leaseName, leaseNamespace, identity, leaseDuration,
//     renewDeadline, retryPeriod, kubeconfig, apiServerPort, useKubeconfigServer): the Lease is
//     shared with the other nodes, who time a takeover from the leaseDurationSeconds the holder
//     wrote into it, while the holder uses a renewal until its send time + its own
//     leaseDuration - renewDeadline (lease_elector.cc); changing either side live mixes a renewal
//     written under one value with a use window computed from the other. Which Lease and which
//     API server are chosen when the elector starts.
//   - election.type, and with etcd election.endpoints, election.tls.*, election.ttl, election.key
//     and the identity: the elector connects to its members with its credentials and binds its
//     key to a lease of its TTL when it starts; the other nodes time a takeover from the TTL of
//     the lease the holder granted, and the holder uses each keep-alive until its send time +
//     ttl - ttl/4 of its own TTL, so a TTL changed on one side only mixes the two.
//   - gratuitousARP: whether the controller announces is fixed when it is created (daemon.cc).
//   - services (the Services mode): its watchers and elections are built at start.
//   - bgp (present or not, and every key in it): the router id, AS and hold time are sent in each
//     session's OPEN and the peers are connected at start; a change means new sessions.
//   - loadBalancerWorkers: the worker threads are started with the first balancers.
//   - prometheusServer, healthCheckPort, statusSocket: their sockets are opened at start, and
//     the status socket is the way a reload is asked for.
//
//   May change live (each only makes this node's own steps more or less frequent):
//   - logLevel: no effect on behaviour.
//   - vipTiming.renewInterval [200ms]: every renewal asks whether leadership is fresh first
//     (step 1), whatever the period; the lifetime each renewal gives the address does not
//     change, and the validator checks 2 x renewInterval <= lifetime against the lifetime that
//     stays in force. It takes effect from the next renewal.
//   - vipTiming.announceInterval, vipTiming.announceBurst: announcements tell switches and
//     neighbours where the VIP is; they never add it, so their timing plays no part in safety.
//   - election.probeInterval, election.probesUnanswered: they shape only this node's own wait
//     before it adds the VIP (step 3: any answer restarts the count; step 1b: the wait adds to
//     the margin after an old holder's late kernel call). Any pair the validator accepts at
//     start is as safe here, and it checks their product against election.timeout (with etcd:
//     election.ttl), which stays in force. The new values must reach the VIP controller for its
//     next acquisition, never a probe count already running (old and new periods would mix).
//   - load balancers: they listen on the VIP but never decide who holds it.
//
// Threading: pure apart from validateConfig's checks (interface_exists, the cluster key file).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "config/config.h"

namespace kubevip::config {

// How one load balancer that exists in both configurations (same name) changes.
// Backends are compared as a set: a balancer whose backends were only reordered is unchanged.
struct LoadBalancerChange {
  std::string name;
  // type, port, bindToVip or forwarding: the listener must be reopened, which closes its
  // connections. Close every changed listener before opening any: two balancers may swap ports.
  bool listener = false;
  bool algorithm = false;
  std::vector<Backend> backends_added;    // in the order of the new configuration
  std::vector<Backend> backends_removed;  // in the order of the running configuration
  bool health_check = false;
  bool limits = false;    // maxConnections, connectRetries
  bool timeouts = false;  // connectTimeout, idleTimeout

  friend bool operator==(const LoadBalancerChange&, const LoadBalancerChange&) = default;
};

struct ReloadPlan {
  std::optional<std::string> log_level;  // the new level, when it changes
  // Key paths of the timings that change live ("vipTiming.renewInterval"), in config.h's order.
  std::vector<std::string> live_timings;
  // Load balancers by name: added and unchanged in the new configuration's order, removed in the
  // running one's. A balancer renamed is removed and added; remove before adding, since the new
  // one may listen on the removed one's port.
  std::vector<std::string> load_balancers_added;
  std::vector<std::string> load_balancers_removed;
  std::vector<LoadBalancerChange> load_balancers_changed;
  std::vector<std::string> load_balancers_unchanged;

  // True when applying the plan would change nothing.
  bool empty() const;
};

// One line for the log: "log level debug; vipTiming.renewInterval; load balancers added db,
// removed api, changed web (backends +10.0.1.3:8080 -10.0.1.1:8080, health check)"; "nothing
// changes" for an empty plan.
std::string describeReloadPlan(const ReloadPlan& plan);

// Validates `next` first (validateConfig, with interface_exists) and refuses it with the
// validator's error if it is invalid. Then refuses it if it changes anything that needs a restart
// (see the list above), with one Error naming every such key, each with where it was set in `next`
// when known: "a reload cannot change vip (config.yaml:1:6), election.timeout (config.yaml:9:12);
// restart kube-vip to apply them (the running configuration is kept)". Otherwise returns the plan.
// A changed key file under an unchanged clusterKeyFile path is not visible here: the running
// key is not part of Config.
Result<ReloadPlan> planReload(const Config& running, const Config& next,
                              const std::function<bool(const std::string&)>& interface_exists);

}  // namespace kubevip::config

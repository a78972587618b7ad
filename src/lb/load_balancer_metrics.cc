// LoadBalancerSet's metrics and status: plain values copied out of the newest generation of each
// balancer (taken under the set's mutex) and of the atomics it shares with the data plane, so any
// thread may call them while workers forward and while a reload runs. Balancers and backends that
// a reload removed are no longer in any newest generation, so their series leave the next scrape.
#include <array>

#include "config/values.h"
#include "lb/load_balancer_set.h"

namespace kubevip::lb {
namespace {

using metrics::Family;
using metrics::Labels;
using metrics::MetricType;

uint64_t get(const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); }

std::string typeName(config::LoadBalancerType type) {
  return std::string(config::loadBalancerTypeName(type));
}

// The families in one declared list, so that each is named and explained once.
enum FamilyIndex {
  kListening,
  kBindFailures,
  kActiveConnections,
  kConnectionsTotal,
  kRejected,
  kAcceptFailures,
  kBackendUp,
  kBackendTransitions,
  kBackendActive,
  kBackendConnections,
  kBackendConnectFailures,
  kBackendBytesIn,
  kBackendBytesOut,
  kFamilyCount,
};

std::vector<Family> declareFamilies() {
  struct Declared {
    const char* name;
    const char* help;
    MetricType type;
  };
  static constexpr std::array<Declared, kFamilyCount> kDeclared{{
      {"kube_vip_lb_listening", "Whether the load balancer is listening (1) or not (0).",
       MetricType::kGauge},
      {"kube_vip_lb_listener_bind_failures_total",
       "Listening sockets of the load balancer that could not be bound or listen.",
       MetricType::kCounter},
      {"kube_vip_lb_active_connections", "Client connections the load balancer carries now.",
       MetricType::kGauge},
      {"kube_vip_lb_connections_total", "Client connections accepted and admitted.",
       MetricType::kCounter},
      {"kube_vip_lb_rejected_connections_total",
       "Client connections closed without being served, by reason: max_connections and "
       "descriptors at accept, no_backend when no backend was eligible (for tcp also when every "
       "backend tried failed).",
       MetricType::kCounter},
      {"kube_vip_lb_accept_failures_total",
       "accept() calls that failed for lack of descriptors or memory.", MetricType::kCounter},
      {"kube_vip_lb_backend_up", "Whether the backend is up (1) or down (0).", MetricType::kGauge},
      {"kube_vip_lb_backend_health_transitions_total",
       "Transitions of the backend to up or down, by active or passive health checks.",
       MetricType::kCounter},
      {"kube_vip_lb_backend_active_connections",
       "Connections to the backend open or being opened now.", MetricType::kGauge},
      {"kube_vip_lb_backend_connections_total",
       "Connections to the backend that were established (for http, one per request).",
       MetricType::kCounter},
      {"kube_vip_lb_backend_connect_failures_total",
       "Connects to the backend that were refused or timed out.", MetricType::kCounter},
      {"kube_vip_lb_backend_bytes_in_total", "Bytes forwarded from clients to the backend.",
       MetricType::kCounter},
      {"kube_vip_lb_backend_bytes_out_total", "Bytes forwarded from the backend to clients.",
       MetricType::kCounter},
  }};
  std::vector<Family> out;
  for (const auto& d : kDeclared) out.push_back(Family{d.name, d.help, d.type, {}});
  return out;
}

void add(Family& f, Labels labels, double value) {
  f.series.push_back(metrics::Series{std::move(labels), value, {}});
}

}  // namespace

std::vector<metrics::Family> LoadBalancerSet::metricFamilies() const {
  std::vector<Family> f = declareFamilies();
  for (const View& v : views()) {
    const Balancer& b = *v.balancer;
    const BalancerCounters& c = *b.counters;
    const std::string& name = b.config.name;
    const Labels lb{{"balancer", name}};
    add(f[kListening], lb, c.listening.load(std::memory_order_relaxed) ? 1 : 0);
    add(f[kBindFailures], lb, static_cast<double>(get(c.bind_failures)));
    add(f[kActiveConnections], lb, c.connections.load(std::memory_order_relaxed));
    add(f[kConnectionsTotal], lb, static_cast<double>(get(c.admitted)));
    add(f[kRejected], {{"balancer", name}, {"reason", "max_connections"}},
        static_cast<double>(get(c.rejected)));
    add(f[kRejected], {{"balancer", name}, {"reason", "descriptors"}},
        static_cast<double>(get(c.over_descriptor_budget)));
    add(f[kRejected], {{"balancer", name}, {"reason", "no_backend"}},
        static_cast<double>(get(c.no_backend)));
    add(f[kAcceptFailures], lb, static_cast<double>(get(c.accept_failures)));
    for (const auto& s : b.pool.states()) {
      const Labels be{{"balancer", name}, {"backend", s->endpoint.toString()}};
      auto with = [&be](const char* key, const char* value) {
        Labels l = be;
        l.emplace_back(key, value);
        return l;
      };
      add(f[kBackendUp], be, s->up.load(std::memory_order_relaxed) ? 1 : 0);
      add(f[kBackendTransitions], with("to", "up"), static_cast<double>(get(s->went_up)));
      add(f[kBackendTransitions], with("to", "down"), static_cast<double>(get(s->went_down)));
      add(f[kBackendActive], be, s->active.load(std::memory_order_relaxed));
      add(f[kBackendConnections], be, static_cast<double>(get(s->connections)));
      add(f[kBackendConnectFailures], be, static_cast<double>(get(s->connect_failures)));
      add(f[kBackendBytesIn], be, static_cast<double>(get(s->bytes_in)));
      add(f[kBackendBytesOut], be, static_cast<double>(get(s->bytes_out)));
    }
  }
  return f;
}

std::vector<BalancerStatus> LoadBalancerSet::status() const {
  std::vector<BalancerStatus> out;
  for (const View& v : views()) {
    const Balancer& b = *v.balancer;
    BalancerStatus st;
    st.name = b.config.name;
    st.type = typeName(b.config.type);
    st.forwarding = std::string(config::forwardingModeName(b.config.forwarding));
    st.listening = v.bound;
    st.active_connections = b.counters->connections.load(std::memory_order_relaxed);
    for (const auto& s : b.pool.states()) {
      st.backends.push_back(BackendStatus{s->endpoint, s->up.load(std::memory_order_relaxed),
                                          s->active.load(std::memory_order_relaxed),
                                          get(s->connections)});
    }
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace kubevip::lb

#include "ops/status.h"

#include <fmt/format.h>

#include <array>
#include <ctime>
#include <nlohmann/json.hpp>

namespace kubevip::ops {
namespace {

using Json = nlohmann::ordered_json;

template <typename Enum, size_t N>
struct NameTable {
  std::array<std::pair<Enum, const char*>, N> entries;
  const char* name(Enum value) const {
    for (const auto& [v, n] : entries) {
      if (v == value) return n;
    }
    return "?";
  }
  std::optional<Enum> find(std::string_view name) const {
    for (const auto& [v, n] : entries) {
      if (name == n) return v;
    }
    return std::nullopt;
  }
  std::string list() const {
    std::string out;
    for (const auto& [v, n] : entries) out += (out.empty() ? "" : ", ") + std::string(n);
    return out;
  }
};

constexpr NameTable<NodeMode, 5> kModes{{{{NodeMode::kRaft, "raft"},
                                          {NodeMode::kLease, "lease"},
                                          {NodeMode::kSingleNode, "single-node"},
                                          {NodeMode::kServices, "services"},
                                          {NodeMode::kEtcd, "etcd"}}}};
constexpr NameTable<ElectionRole, 3> kRoles{{{{ElectionRole::kLeader, "leader"},
                                              {ElectionRole::kFollower, "follower"},
                                              {ElectionRole::kCandidate, "candidate"}}}};
constexpr NameTable<VipState, 3> kVipStates{{{{VipState::kIdle, "idle"},
                                              {VipState::kProbing, "probing"},
                                              {VipState::kHolding, "holding"}}}};

// Walks the document, keeping the first error with the path of the field it is about.
class Reader {
 public:
  std::optional<Error> error;

  // The field, or nullptr when it is missing or null (an error unless optional).
  const Json* field(const Json& object, const std::string& path, const char* key, bool optional) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
      if (!optional) fail(join(path, key), "is missing");
      return nullptr;
    }
    return &*it;
  }
  std::string string(const Json& object, const std::string& path, const char* key) {
    const Json* value = field(object, path, key, false);
    if (value == nullptr) return {};
    if (!value->is_string()) return fail(join(path, key), "is not a string"), std::string();
    return value->get<std::string>();
  }
  std::optional<std::string> optionalString(const Json& object, const std::string& path,
                                            const char* key) {
    const Json* value = field(object, path, key, true);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string()) return fail(join(path, key), "is not a string"), std::nullopt;
    return value->get<std::string>();
  }
  bool boolean(const Json& object, const std::string& path, const char* key) {
    const Json* value = field(object, path, key, false);
    if (value == nullptr) return false;
    if (!value->is_boolean()) return fail(join(path, key), "is not true or false"), false;
    return value->get<bool>();
  }
  std::optional<uint64_t> count(const Json& object, const std::string& path, const char* key,
                                bool optional) {
    const Json* value = field(object, path, key, optional);
    if (value == nullptr) return std::nullopt;
    if (!value->is_number_unsigned()) {
      return fail(join(path, key), "is not a non-negative integer"), std::nullopt;
    }
    return value->get<uint64_t>();
  }
  std::optional<double> number(const Json& object, const std::string& path, const char* key) {
    const Json* value = field(object, path, key, true);
    if (value == nullptr) return std::nullopt;
    if (!value->is_number()) return fail(join(path, key), "is not a number"), std::nullopt;
    return value->get<double>();
  }
  template <typename Enum, size_t N>
  Enum oneOf(const Json& object, const std::string& path, const char* key,
             const NameTable<Enum, N>& table) {
    std::string text = string(object, path, key);
    if (error) return table.entries[0].first;
    auto value = table.find(text);
    if (!value) {
      fail(join(path, key), "is '" + text + "', expected one of " + table.list());
      return table.entries[0].first;
    }
    return *value;
  }
  // The object at key, or nullptr (an error unless optional).
  const Json* object(const Json& parent, const std::string& path, const char* key, bool optional) {
    const Json* value = field(parent, path, key, optional);
    if (value != nullptr && !value->is_object()) {
      fail(join(path, key), "is not an object");
      return nullptr;
    }
    return value;
  }
  // Each element of the list at key, as an object; a missing list is empty.
  template <typename Each>
  void list(const Json& parent, const std::string& path, const char* key, Each each) {
    const Json* value = field(parent, path, key, true);
    if (value == nullptr) return;
    if (!value->is_array()) return fail(join(path, key), "is not a list");
    for (size_t i = 0; i < value->size() && !error; ++i) {
      std::string at = join(path, key) + "[" + std::to_string(i) + "]";
      if (!(*value)[i].is_object()) return fail(at, "is not an object");
      each((*value)[i], at);
    }
  }
  void fail(const std::string& path, const std::string& why) {
    if (!error) {
      error =
          makeError(ErrorCode::kInvalidArgument, "status document: field '" + path + "' " + why);
    }
  }

 private:
  static std::string join(const std::string& path, const char* key) {
    return path.empty() ? key : path + "." + key;
  }
};

Json electionJson(const ElectionStatus& e) {
  Json j;
  j["backend"] = e.backend;
  j["leader"] = e.leader;
  j["is_leader"] = e.is_leader;
  j["role"] = electionRoleName(e.role);
  if (e.term) j["term"] = *e.term;
  j["peers"] = Json::array();
  for (const PeerStatus& p : e.peers) {
    j["peers"].push_back({{"id", p.id}, {"address", p.address}, {"voter", p.voter}});
  }
  if (e.lease) {
    j["lease"] = {{"namespace", e.lease->lease_namespace},
                  {"name", e.lease->name},
                  {"holder", e.lease->holder}};
  }
  if (e.etcd) j["etcd"] = {{"key", e.etcd->key}, {"holder", e.etcd->holder}};
  if (e.leadership_time_left_s) j["leadership_time_left_s"] = *e.leadership_time_left_s;
  return j;
}

ElectionStatus readElection(Reader& r, const Json& j, const std::string& path) {
  ElectionStatus e;
  e.backend = r.string(j, path, "backend");
  e.leader = r.string(j, path, "leader");
  e.is_leader = r.boolean(j, path, "is_leader");
  e.role = r.oneOf(j, path, "role", kRoles);
  e.term = r.count(j, path, "term", true);
  r.list(j, path, "peers", [&](const Json& p, const std::string& at) {
    e.peers.push_back(
        {r.string(p, at, "id"), r.string(p, at, "address"), r.boolean(p, at, "voter")});
  });
  if (const Json* lease = r.object(j, path, "lease", true)) {
    std::string at = path + ".lease";
    e.lease = LeaseStatus{r.string(*lease, at, "namespace"), r.string(*lease, at, "name"),
                          r.string(*lease, at, "holder")};
  }
  if (const Json* etcd = r.object(j, path, "etcd", true)) {
    std::string at = path + ".etcd";
    e.etcd = EtcdKeyStatus{r.string(*etcd, at, "key"), r.string(*etcd, at, "holder")};
  }
  e.leadership_time_left_s = r.number(j, path, "leadership_time_left_s");
  return e;
}

Json bgpJson(const BgpStatus& b) {
  Json j;
  j["local_as"] = b.local_as;
  j["router_id"] = b.router_id;
  j["peers"] = Json::array();
  for (const BgpPeerStatus& p : b.peers) {
    Json peer = {{"peer", p.peer}, {"as", p.as}, {"state", p.state}};
    if (p.established_since) peer["established_since"] = *p.established_since;
    peer["routes_announced"] = p.routes_announced;
    peer["updates_sent"] = p.updates_sent;
    peer["last_error"] = p.last_error;
    j["peers"].push_back(std::move(peer));
  }
  return j;
}

BgpStatus readBgp(Reader& r, const Json& j, const std::string& path) {
  BgpStatus b;
  b.local_as = r.count(j, path, "local_as", false).value_or(0);
  b.router_id = r.string(j, path, "router_id");
  r.list(j, path, "peers", [&](const Json& p, const std::string& at) {
    BgpPeerStatus peer;
    peer.peer = r.string(p, at, "peer");
    peer.as = r.count(p, at, "as", false).value_or(0);
    peer.state = r.string(p, at, "state");
    peer.established_since = r.optionalString(p, at, "established_since");
    peer.routes_announced = r.count(p, at, "routes_announced", false).value_or(0);
    peer.updates_sent = r.count(p, at, "updates_sent", false).value_or(0);
    peer.last_error = r.optionalString(p, at, "last_error").value_or("");
    b.peers.push_back(std::move(peer));
  });
  return b;
}

std::string seconds1(double s) { return fmt::format("{:.1f}s", s); }

}  // namespace

const char* nodeModeName(NodeMode mode) { return kModes.name(mode); }
const char* electionRoleName(ElectionRole role) { return kRoles.name(role); }
const char* vipStateName(VipState state) { return kVipStates.name(state); }

std::string isoUtc(std::chrono::system_clock::time_point time) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&t, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

std::string statusToJson(const NodeStatus& s, int indent) {
  Json j;
  j["node"] = s.node;
  j["version"] = s.version;
  j["mode"] = nodeModeName(s.mode);
  j["election"] = electionJson(s.election);
  j["ready"] = {{"ok", s.ready.ok}, {"reason", s.ready.reason}};
  j["vips"] = Json::array();
  for (const VipStatus& v : s.vips) {
    Json vip = {{"address", v.address},
                {"interface", v.interface},
                {"state", vipStateName(v.state)},
                {"holder", v.holder}};
    if (v.since) vip["since"] = *v.since;
    j["vips"].push_back(std::move(vip));
  }
  j["balancers"] = Json::array();
  for (const BalancerStatus& b : s.balancers) {
    Json backends = Json::array();
    for (const BackendStatus& be : b.backends) {
      backends.push_back(
          {{"address", be.address}, {"up", be.up}, {"active_connections", be.active_connections}});
    }
    j["balancers"].push_back({{"name", b.name},
                              {"type", b.type},
                              {"forwarding", b.forwarding},
                              {"listening", b.listening},
                              {"active_connections", b.active_connections},
                              {"backends", std::move(backends)}});
  }
  if (s.bgp) j["bgp"] = bgpJson(*s.bgp);
  // Names come from configuration and the API server; replace rather than throw on bad UTF-8.
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

Result<NodeStatus> statusFromJson(std::string_view text) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    return makeError(ErrorCode::kInvalidArgument, "status document: not valid JSON");
  }
  if (!j.is_object()) {
    return makeError(ErrorCode::kInvalidArgument, "status document: not a JSON object");
  }
  Reader r;
  NodeStatus s;
  s.node = r.string(j, "", "node");
  s.version = r.string(j, "", "version");
  s.mode = r.oneOf(j, "", "mode", kModes);
  if (const Json* election = r.object(j, "", "election", false)) {
    s.election = readElection(r, *election, "election");
  }
  if (const Json* ready = r.object(j, "", "ready", false)) {
    s.ready.ok = r.boolean(*ready, "ready", "ok");
    s.ready.reason = r.string(*ready, "ready", "reason");
  }
  r.list(j, "", "vips", [&](const Json& v, const std::string& at) {
    VipStatus vip;
    vip.address = r.string(v, at, "address");
    vip.interface = r.string(v, at, "interface");
    vip.state = r.oneOf(v, at, "state", kVipStates);
    vip.holder = r.string(v, at, "holder");
    vip.since = r.optionalString(v, at, "since");
    s.vips.push_back(std::move(vip));
  });
  r.list(j, "", "balancers", [&](const Json& b, const std::string& at) {
    BalancerStatus balancer;
    balancer.name = r.string(b, at, "name");
    balancer.type = r.string(b, at, "type");
    if (b.contains("forwarding")) balancer.forwarding = r.string(b, at, "forwarding");
    balancer.listening = r.string(b, at, "listening");
    balancer.active_connections = r.count(b, at, "active_connections", false).value_or(0);
    r.list(b, at, "backends", [&](const Json& be, const std::string& at2) {
      balancer.backends.push_back({r.string(be, at2, "address"), r.boolean(be, at2, "up"),
                                   r.count(be, at2, "active_connections", false).value_or(0)});
    });
    s.balancers.push_back(std::move(balancer));
  });
  if (const Json* bgp = r.object(j, "", "bgp", true)) s.bgp = readBgp(r, *bgp, "bgp");
  if (r.error) return *r.error;
  return s;
}

std::string renderStatusText(const NodeStatus& s) {
  const ElectionStatus& e = s.election;
  std::string out = "node " + s.node + ": kube-vip " + s.version + ", mode " +
                    nodeModeName(s.mode) + ", election by " + e.backend + "\n";
  out += "leader: " + (e.leader.empty() ? std::string("none known") : e.leader) +
         " (this node: " + s.node + ", " + electionRoleName(e.role);
  if (e.term) out += (e.etcd ? ", fencing token " : ", term ") + std::to_string(*e.term);
  out += ")\n";
  if (e.leadership_time_left_s) {
    out += "leadership time left: " + seconds1(*e.leadership_time_left_s) + "\n";
  }
  if (!e.peers.empty()) {
    out += "peers:";
    for (size_t i = 0; i < e.peers.size(); ++i) {
      const PeerStatus& p = e.peers[i];
      out += (i == 0 ? " " : ", ") + p.id + " " + p.address + (p.voter ? "" : " (not voting)");
    }
    out += "\n";
  }
  if (e.lease) {
    out += "lease: " + e.lease->lease_namespace + "/" + e.lease->name + ", held by " +
           (e.lease->holder.empty() ? std::string("nobody") : e.lease->holder) + "\n";
  }
  if (e.etcd) {
    out += "etcd key: " + e.etcd->key + ", held by " +
           (e.etcd->holder.empty() ? std::string("nobody") : e.etcd->holder) + "\n";
  }
  out += std::string("ready: ") + (s.ready.ok ? "yes" : "no") +
         (s.ready.reason.empty() ? "" : " (" + s.ready.reason + ")") + "\n";
  for (const VipStatus& v : s.vips) {
    out += "vip " + v.address + " on " + v.interface + ": " +
           (v.holder.empty() ? std::string("held by nobody known") : "held by " + v.holder);
    if (v.since) out += " since " + *v.since;
    out += std::string("; this node ") + vipStateName(v.state) + "\n";
  }
  for (const BalancerStatus& b : s.balancers) {
    if (b.forwarding == "kernel") {
      out += "balancer " + b.name + " (" + b.type + ", kernel forwarding, " +
             (b.listening.empty() ? std::string("not forwarding") : "forwarding " + b.listening) +
             "):";
    } else {
      out += "balancer " + b.name + " (" + b.type + ", " +
             (b.listening.empty() ? std::string("not listening") : b.listening) + ", " +
             std::to_string(b.active_connections) + " active):";
    }
    if (b.backends.empty()) out += " no backends";
    for (size_t i = 0; i < b.backends.size(); ++i) {
      const BackendStatus& be = b.backends[i];
      out += (i == 0 ? " " : ", ") + be.address + (be.up ? " up" : " down") + " (" +
             std::to_string(be.active_connections) + " active)";
    }
    out += "\n";
  }
  if (s.bgp) {
    out += "bgp: AS " + std::to_string(s.bgp->local_as) + ", router id " + s.bgp->router_id + "\n";
    for (const BgpPeerStatus& p : s.bgp->peers) {
      out += "bgp peer " + p.peer + " (AS " + std::to_string(p.as) + "): " + p.state;
      if (p.established_since) out += " since " + *p.established_since;
      out += ", " + std::to_string(p.routes_announced) +
             (p.routes_announced == 1 ? " route" : " routes") + " announced, " +
             std::to_string(p.updates_sent) + " updates sent";
      if (!p.last_error.empty()) out += "; last error: " + p.last_error;
      out += "\n";
    }
  }
  return out;
}

}  // namespace kubevip::ops

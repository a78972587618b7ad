// parseConfigYaml and loadConfigFile: YAML nodes to Config, with every error pointing at its node.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <initializer_list>
#include <map>
#include <sstream>
#include <vector>

#include "common/unique_fd.h"
#include "config/bgp_values.h"
#include "config/loader.h"
#include "config/values.h"

namespace kubevip::config {
namespace {

// A configuration file is a few kilobytes; refuse to read /dev/zero or a log file until memory
// ends.
constexpr size_t kMaxFileSize = size_t{4} * 1024 * 1024;

// A value in the document with its key path; null values are located at their key, since yaml-cpp
// places an empty value at the following token.
struct Field {
  YAML::Node node;
  YAML::Mark mark;
  std::string path;

  bool isNull() const { return node.IsNull(); }
};

std::string kindOf(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    default:
      return "nothing";
  }
}

std::string joinKeys(std::initializer_list<std::string_view> keys) {
  std::string out;
  for (std::string_view k : keys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

// yaml-cpp 0.7 never stops on some malformed documents (one starting with ',' emits null nodes
// until memory runs out). A first pass counts the parser's events against a bound no real document
// reaches -- every event but an implicit null consumes input -- and reports where it got stuck.
class EventBudget : public YAML::EventHandler {
 public:
  explicit EventBudget(size_t limit) : limit_(limit) {}

  // Thrown (and caught in parseConfigYaml) when the budget runs out.
  struct Exhausted {
    YAML::Mark mark;
  };

  void OnDocumentStart(const YAML::Mark& mark) override { spend(mark); }
  void OnDocumentEnd() override { spend(last_); }
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { spend(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { spend(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    spend(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    spend(mark);
  }
  void OnSequenceEnd() override { spend(last_); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    spend(mark);
  }
  void OnMapEnd() override { spend(last_); }

 private:
  void spend(const YAML::Mark& mark) {
    last_ = mark;
    if (++spent_ > limit_) throw Exhausted{mark};
  }

  size_t limit_;
  size_t spent_ = 0;
  YAML::Mark last_ = YAML::Mark::null_mark();
};

class Reader {
 public:
  Reader(std::string_view source, ValueOrigins& origins) : source_(source), origins_(origins) {}

  std::string where(const YAML::Mark& mark) const {
    if (mark.is_null() || mark.line < 0) return source_;
    return source_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  }

  Error error(const Field& f, const std::string& message) const {
    std::string prefix = where(f.mark) + ": ";
    if (!f.path.empty()) prefix += f.path + ": ";
    return makeError(ErrorCode::kInvalidArgument, prefix + message);
  }

  void note(const Field& f) { origins_.set(f.path, where(f.mark)); }

  // Checks that f is a mapping whose keys are all in `allowed`, each once, and returns its entries.
  Result<std::map<std::string, Field>> openMap(const Field& f,
                                               std::initializer_list<std::string_view> allowed) {
    std::map<std::string, Field> entries;
    if (f.isNull()) return entries;
    if (!f.node.IsMap()) {
      return error(f,
                   "expected a mapping with keys " + joinKeys(allowed) + ", got " + kindOf(f.node));
    }
    // The top level is the file itself: a key missing there is reported against the file.
    if (!f.path.empty()) note(f);
    for (auto it = f.node.begin(); it != f.node.end(); ++it) {
      Field key{it->first, it->first.Mark(), f.path};
      if (!it->first.IsScalar()) return error(key, "a key must be a plain name");
      const std::string name = it->first.Scalar();
      std::string path = f.path.empty() ? name : f.path + "." + name;
      Field value{it->second, it->second.IsNull() ? it->first.Mark() : it->second.Mark(), path};
      bool known = false;
      for (std::string_view a : allowed) known = known || a == name;
      if (!known) {
        return error(Field{it->first, it->first.Mark(), path},
                     "unknown key; allowed here: " + joinKeys(allowed));
      }
      if (entries.count(name) != 0) {
        return error(Field{it->first, it->first.Mark(), path}, "duplicate key");
      }
      entries.emplace(name, value);
    }
    return entries;
  }

  Result<std::vector<Field>> openList(const Field& f) {
    std::vector<Field> items;
    if (f.isNull()) return items;
    if (!f.node.IsSequence()) return error(f, "expected a list, got " + kindOf(f.node));
    note(f);
    size_t i = 0;
    for (const YAML::Node& item : f.node) {
      items.push_back(Field{item, item.Mark(), f.path + "[" + std::to_string(i++) + "]"});
    }
    return items;
  }

  Result<std::string> scalar(const Field& f, std::string_view expected) {
    if (f.isNull()) return error(f, "no value; expected " + std::string(expected));
    if (!f.node.IsScalar()) {
      return error(f, "expected " + std::string(expected) + ", got " + kindOf(f.node));
    }
    note(f);
    return f.node.Scalar();
  }

  Status readString(const Field& f, std::string& out) {
    auto s = scalar(f, "a string");
    if (!s.ok()) return s.error();
    out = *s;
    return okStatus();
  }

  Status readBool(const Field& f, bool& out) {
    auto s = scalar(f, "a boolean (true or false)");
    if (!s.ok()) return s.error();
    if (!YAML::convert<bool>::decode(f.node, out)) {
      return error(f, "'" + *s + "' is not a boolean (use true or false)");
    }
    return okStatus();
  }

  Status readPort(const Field& f, uint16_t& out) {
    auto s = scalar(f, "a port number (1-65535)");
    if (!s.ok()) return s.error();
    auto port = parsePort(*s);
    if (!port.ok()) return error(f, port.error().message);
    out = *port;
    return okStatus();
  }

  Status readInt(const Field& f, int min, int max, int& out) {
    const std::string range = "(" + std::to_string(min) + "-" + std::to_string(max) + ")";
    auto s = scalar(f, "a whole number " + range);
    if (!s.ok()) return s.error();
    const std::string& text = *s;
    long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || end != text.data() + text.size() || ec == std::errc::invalid_argument) {
      return error(f, "'" + text + "' is not a whole number " + range);
    }
    if (ec == std::errc::result_out_of_range) return error(f, text + " is out of range " + range);
    if (value < min || value > max) return error(f, *s + " is out of range " + range);
    out = static_cast<int>(value);
    return okStatus();
  }

  Status readDuration(const Field& f, milliseconds& out) {
    auto s = scalar(f, "a duration such as 300ms or 2s");
    if (!s.ok()) return s.error();
    auto d = parseDuration(*s);
    if (!d.ok()) return error(f, d.error().message);
    out = *d;
    return okStatus();
  }

  Status readSeconds(const Field& f, std::string_view why, std::chrono::seconds& out) {
    milliseconds ms{0};
    if (auto s = readDuration(f, ms); !s.ok()) return s;
    if (ms.count() % 1000 != 0) {
      return error(f, "'" + f.node.Scalar() + "' is " + formatDuration(ms) +
                          ", not a whole number of seconds (" + std::string(why) +
                          "; plain numbers are milliseconds, so write e.g. 2s)");
    }
    out = std::chrono::duration_cast<std::chrono::seconds>(ms);
    return okStatus();
  }

  Status readAddress(const Field& f, IpAddress& out) {
    auto s = scalar(f, "an IPv4 or IPv6 address");
    if (!s.ok()) return s.error();
    auto address = IpAddress::parse(*s);
    if (!address.ok()) return error(f, address.error().message);
    if (address->isUnspecified()) {
      return error(f, "'" + *s + "' is the unspecified address; give a host address");
    }
    out = *address;
    return okStatus();
  }

  // A Raft peer: id, address and port. With the etcd election localPeer needs only its id (the
  // identity); an address and port given anyway are read and not used (id_only).
  Status readPeer(const Field& f, Peer& out, bool id_only = false) {
    if (f.isNull() || !f.node.IsMap()) {
      return error(f, "expected a mapping with keys id, address, port, got " + kindOf(f.node));
    }
    auto entries = openMap(f, {"id", "address", "port"});
    if (!entries.ok()) return entries.error();
    for (const char* key : {"id", "address", "port"}) {
      if (entries->count(key) == 0 && (!id_only || std::string_view(key) == "id")) {
        return error(f, "missing key '" + std::string(key) + "'");
      }
    }
    const Field& id = entries->at("id");
    if (auto s = readString(id, out.id); !s.ok()) return s;
    if (auto s = checkPeerId(out.id); !s.ok()) return error(id, s.error().message);
    if (auto address = entries->find("address"); address != entries->end()) {
      if (auto s = readAddress(address->second, out.address); !s.ok()) return s;
    }
    if (auto port = entries->find("port"); port != entries->end()) {
      return readPort(port->second, out.port);
    }
    return okStatus();
  }

  Status readBackend(const Field& f, Backend& out) {
    if (f.isNull() || !f.node.IsMap()) {
      return error(f, "expected a mapping with keys address, port, got " + kindOf(f.node));
    }
    auto entries = openMap(f, {"address", "port", "weight"});
    if (!entries.ok()) return entries.error();
    for (const char* key : {"address", "port"}) {
      if (entries->count(key) == 0) return error(f, "missing key '" + std::string(key) + "'");
    }
    if (auto s = readAddress(entries->at("address"), out.address); !s.ok()) return s;
    if (auto weight = entries->find("weight"); weight != entries->end()) {
      int w = 1;
      if (auto s = readInt(weight->second, 1, 256, w); !s.ok()) return s;
      out.weight = static_cast<uint32_t>(w);
    }
    return readPort(entries->at("port"), out.port);
  }

  Status readHealthCheck(const Field& f, HealthCheck& out) {
    auto entries =
        openMap(f, {"enabled", "interval", "timeout", "rise", "fall", "path", "payload"});
    if (!entries.ok()) return entries.error();
    for (auto& [key, value] : *entries) {
      Status s;
      if (key == "enabled") s = readBool(value, out.enabled);
      if (key == "interval") s = readDuration(value, out.interval);
      if (key == "timeout") s = readDuration(value, out.timeout);
      if (key == "rise") s = readInt(value, 1, 100, out.rise);
      if (key == "fall") s = readInt(value, 1, 100, out.fall);
      if (key == "path") s = readString(value, out.http_path);
      if (key == "payload") s = readString(value, out.payload);
      if (!s.ok()) return s;
    }
    return okStatus();
  }

  Status readLoadBalancer(const Field& f, LoadBalancer& out) {
    if (f.isNull() || !f.node.IsMap()) {
      return error(f, "expected a mapping describing a load balancer, got " + kindOf(f.node));
    }
    auto entries = openMap(f, {"name", "type", "port", "bindToVip", "backends", "algorithm",
                               "healthCheck", "connectTimeout", "idleTimeout", "maxConnections",
                               "connectRetries", "forwarding", "sourceNat"});
    if (!entries.ok()) return entries.error();
    if (entries->count("port") == 0) return error(f, "missing key 'port'");
    for (auto& [key, value] : *entries) {
      Status s;
      if (key == "name") s = readString(value, out.name);
      if (key == "type") s = readType(value, out.type);
      if (key == "port") s = readPort(value, out.port);
      if (key == "bindToVip") s = readBool(value, out.bind_to_vip);
      if (key == "backends") s = readBackends(value, out.backends);
      if (key == "algorithm") s = readAlgorithm(value, out.algorithm);
      if (key == "healthCheck") s = readHealthCheck(value, out.health_check);
      if (key == "connectTimeout") s = readDuration(value, out.connect_timeout);
      if (key == "idleTimeout") s = readDuration(value, out.idle_timeout);
      if (key == "maxConnections") s = readInt(value, 1, 1'000'000, out.max_connections);
      if (key == "connectRetries") s = readInt(value, 0, 100, out.connect_retries);
      if (key == "forwarding") s = readForwarding(value, out.forwarding);
      if (key == "sourceNat") s = readBool(value, out.source_nat);
      if (!s.ok()) return s;
    }
    return okStatus();
  }

  Status readType(const Field& f, LoadBalancerType& out) {
    auto s = scalar(f, "tcp, http or udp");
    if (!s.ok()) return s.error();
    auto type = parseLoadBalancerType(*s);
    if (!type.ok()) return error(f, type.error().message);
    out = *type;
    return okStatus();
  }

  Status readForwarding(const Field& f, ForwardingMode& out) {
    auto s = scalar(f, "proxy or kernel");
    if (!s.ok()) return s.error();
    auto mode = parseForwardingMode(*s);
    if (!mode.ok()) return error(f, mode.error().message);
    out = *mode;
    return okStatus();
  }

  Status readAlgorithm(const Field& f, BalanceAlgorithm& out) {
    auto s = scalar(f, "roundrobin, leastconn, random or sourcehash");
    if (!s.ok()) return s.error();
    auto algorithm = parseBalanceAlgorithm(*s);
    if (!algorithm.ok()) return error(f, algorithm.error().message);
    out = *algorithm;
    return okStatus();
  }

  Status readBackends(const Field& f, std::vector<Backend>& out) {
    auto items = openList(f);
    if (!items.ok()) return items.error();
    out.clear();
    for (const Field& item : *items) {
      Backend b;
      if (auto s = readBackend(item, b); !s.ok()) return s;
      out.push_back(b);
    }
    return okStatus();
  }

  // election: the Raft timings, or with `type: etcd` the etcd election's settings; the probe
  // settings apply to both (the probe guards every takeover). Keys of the other kind are refused
  // by name, since they would have no effect.
  Status readElection(const Field& f, Config& out) {
    static const std::vector<std::string> kRaftKeys = {"timeout", "heartbeat", "leaderLease"};
    static const std::vector<std::string> kEtcdKeys = {"endpoints", "tls", "ttl", "key"};
    auto entries = openMap(f, {"type", "timeout", "heartbeat", "leaderLease", "probeInterval",
                               "probesUnanswered", "endpoints", "tls", "ttl", "key"});
    if (!entries.ok()) return entries.error();
    bool etcd = false;
    if (auto type = entries->find("type"); type != entries->end()) {
      auto s = scalar(type->second, "raft or etcd");
      if (!s.ok()) return s.error();
      if (*s != "raft" && *s != "etcd") {
        return error(type->second, "'" + *s + "' is not an election type; use raft or etcd");
      }
      etcd = *s == "etcd";
    }
    for (const std::string& key : etcd ? kRaftKeys : kEtcdKeys) {
      auto it = entries->find(key);
      if (it == entries->end()) continue;
      return error(it->second,
                   etcd
                       ? "is a Raft setting; with election.type etcd the etcd lease (election.ttl) "
                         "decides how long leadership lasts: remove it"
                       : "is a setting of the etcd election; add 'type: etcd' to election or "
                         "remove it");
    }
    EtcdElection election;
    ElectionTiming& timing = out.election;
    for (auto& [key, value] : *entries) {
      Status s;
      if (key == "timeout") s = readDuration(value, timing.election_timeout);
      if (key == "heartbeat") s = readDuration(value, timing.heartbeat_interval);
      if (key == "leaderLease") s = readDuration(value, timing.leader_lease);
      if (key == "probeInterval") s = readDuration(value, timing.probe_interval);
      if (key == "probesUnanswered") s = readInt(value, 1, 1000, timing.probes_unanswered);
      if (key == "endpoints") s = readStrings(value, election.endpoints);
      if (key == "tls") s = readEtcdTls(value, election);
      if (key == "ttl") s = readSeconds(value, "etcd lease TTLs are whole seconds", election.ttl);
      if (key == "key") s = readString(value, election.key);
      if (!s.ok()) return s;
    }
    if (etcd) out.etcd = std::move(election);
    return okStatus();
  }

  Status readStrings(const Field& f, std::vector<std::string>& out) {
    auto items = openList(f);
    if (!items.ok()) return items.error();
    out.clear();
    for (const Field& item : *items) {
      std::string value;
      if (auto s = readString(item, value); !s.ok()) return s;
      out.push_back(std::move(value));
    }
    return okStatus();
  }

  Status readEtcdTls(const Field& f, EtcdElection& out) {
    auto entries = openMap(f, {"caFile", "certFile", "keyFile"});
    if (!entries.ok()) return entries.error();
    for (auto& [key, value] : *entries) {
      Status s;
      if (key == "caFile") s = readString(value, out.ca_file);
      if (key == "certFile") s = readString(value, out.cert_file);
      if (key == "keyFile") s = readString(value, out.key_file);
      if (!s.ok()) return s;
    }
    return okStatus();
  }

  Status readVipTiming(const Field& f, VipTiming& out) {
    auto entries = openMap(f, {"lifetime", "renewInterval", "announceInterval", "announceBurst"});
    if (!entries.ok()) return entries.error();
    for (auto& [key, value] : *entries) {
      Status s;
      if (key == "lifetime") {
        s = readSeconds(value, "the kernel counts address lifetimes in seconds",
                        out.valid_lifetime);
      }
      if (key == "renewInterval") s = readDuration(value, out.renew_interval);
      if (key == "announceInterval") s = readDuration(value, out.announce_interval);
      if (key == "announceBurst") s = readInt(value, 0, 1000, out.announce_burst);
      if (!s.ok()) return s;
    }
    return okStatus();
  }

  Status readKubernetes(const Field& f, KubernetesLease& out) {
    if (!f.isNull() && !f.node.IsMap()) {
      return error(f, "expected a mapping of Lease settings, got " + kindOf(f.node));
    }
    auto entries =
        openMap(f, {"leaseName", "leaseNamespace", "leaseDuration", "renewDeadline", "retryPeriod",
                    "identity", "kubeconfig", "apiServerPort", "useKubeconfigServer"});
    if (!entries.ok()) return entries.error();
    constexpr std::string_view kWhy = "Lease times are whole seconds";
    for (auto& [key, value] : *entries) {
      Status s;
      if (key == "leaseName") s = readString(value, out.lease_name);
      if (key == "leaseNamespace") s = readString(value, out.lease_namespace);
      if (key == "leaseDuration") s = readSeconds(value, kWhy, out.lease_duration);
      if (key == "renewDeadline") s = readSeconds(value, kWhy, out.renew_deadline);
      if (key == "retryPeriod") s = readSeconds(value, kWhy, out.retry_period);
      if (key == "identity") s = readString(value, out.identity);
      if (key == "kubeconfig") s = readString(value, out.kubeconfig_path);
      if (key == "apiServerPort") s = readPort(value, out.apiserver_port);
      if (key == "useKubeconfigServer") s = readBool(value, out.use_kubeconfig_server);
      if (!s.ok()) return s;
    }
    return okStatus();
  }

  // A BGP timer: a duration of whole seconds, 0 or 3s-65535s for hold times (RFC 4271 §4.2).
  Status readBgpSeconds(const Field& f, std::chrono::seconds& out) {
    if (auto s = readSeconds(f, "BGP timers are whole seconds", out); !s.ok()) return s;
    if (out.count() > 65535) return error(f, f.node.Scalar() + " is more than 65535s");
    return okStatus();
  }

  Status readOptionalBgpSeconds(const Field& f, std::optional<std::chrono::seconds>& out) {
    std::chrono::seconds value{0};
    if (auto s = readBgpSeconds(f, value); !s.ok()) return s;
    out = value;
    return okStatus();
  }

  template <typename T>
  Status readWith(const Field& f, std::string_view expected, Result<T> (*parse)(std::string_view),
                  T& out) {
    auto s = scalar(f, expected);
    if (!s.ok()) return s.error();
    auto value = parse(*s);
    if (!value.ok()) return error(f, value.error().message);
    out = *value;
    return okStatus();
  }

  Status readOptionalUint32(const Field& f, std::optional<uint32_t>& out) {
    uint32_t value = 0;
    if (auto s = readWith<uint32_t>(f, "a number (0-4294967295)", parseUint32, value); !s.ok()) {
      return s;
    }
    out = value;
    return okStatus();
  }

  Status readOptionalAddress(const Field& f, std::optional<IpAddress>& out) {
    IpAddress address;
    if (auto s = readAddress(f, address); !s.ok()) return s;
    out = address;
    return okStatus();
  }

  // multihop: a boolean (true: TTL 255) or the TTL itself, 1-255.
  Status readMultihop(const Field& f, int& out) {
    auto s = scalar(f, "true, false or a TTL (1-255)");
    if (!s.ok()) return s.error();
    bool flag = false;
    if (YAML::convert<bool>::decode(f.node, flag)) {
      out = flag ? kMultihopTtl : 0;
      return okStatus();
    }
    auto ttl = parseUint32(*s);
    if (!ttl.ok() || *ttl < 1 || *ttl > 255) {
      return error(f, "'" + *s + "' is neither a boolean nor a TTL (1-255)");
    }
    out = static_cast<int>(*ttl);
    return okStatus();
  }

  Status readBgpPeer(const Field& f, BgpPeer& out) {
    if (f.isNull() || !f.node.IsMap()) {
      return error(f, "expected a mapping with keys address, as, ..., got " + kindOf(f.node));
    }
    auto entries = openMap(f, {"address", "as", "password", "multihop", "port", "holdTime",
                               "keepaliveInterval", "passive"});
    if (!entries.ok()) return entries.error();
    if (entries->count("address") == 0) return error(f, "missing key 'address'");
    for (auto& [key, value] : *entries) {
      Status s;
      if (key == "address") s = readAddress(value, out.address);
      if (key == "as") s = readWith<uint32_t>(value, "an AS number", parseAsNumber, out.as);
      if (key == "password") s = readString(value, out.password);
      if (key == "multihop") s = readMultihop(value, out.multihop_ttl);
      if (key == "port") s = readPort(value, out.port);
      if (key == "holdTime") s = readOptionalBgpSeconds(value, out.hold_time);
      if (key == "keepaliveInterval") s = readOptionalBgpSeconds(value, out.keepalive_interval);
      if (key == "passive") s = readBool(value, out.passive);
      if (!s.ok()) return s;
    }
    return okStatus();
  }

  template <typename T>
  Status readBgpList(const Field& f, std::vector<T>& out, std::string_view expected,
                     Result<T> (*parse)(std::string_view)) {
    auto items = openList(f);
    if (!items.ok()) return items.error();
    out.clear();
    for (const Field& item : *items) {
      T value{};
      if (auto s = readWith<T>(item, expected, parse, value); !s.ok()) return s;
      out.push_back(value);
    }
    return okStatus();
  }

  Status readBgp(const Field& f, BgpConfig& out) {
    if (!f.isNull() && !f.node.IsMap()) {
      return error(f, "expected a mapping of BGP settings, got " + kindOf(f.node));
    }
    auto entries = openMap(f, {"routerID", "routerInterface", "as", "holdTime", "keepaliveInterval",
                               "peers", "sourceIP", "sourceInterface", "mpbgpNexthop", "mpbgpIPv4",
                               "mpbgpIPv6", "communities", "largeCommunities", "localPref", "med",
                               "vipInterface", "listenPort", "gracefulRestartTime"});
    if (!entries.ok()) return entries.error();
    for (auto& [key, value] : *entries) {
      Status s;
      if (key == "routerID") s = readOptionalAddress(value, out.router_id);
      if (key == "routerInterface") s = readString(value, out.router_interface);
      if (key == "as") s = readWith<uint32_t>(value, "an AS number", parseAsNumber, out.as);
      if (key == "holdTime") s = readBgpSeconds(value, out.hold_time);
      if (key == "keepaliveInterval") s = readBgpSeconds(value, out.keepalive_interval);
      if (key == "peers") {
        auto items = openList(value);
        if (!items.ok()) return items.error();
        out.peers.clear();
        for (const Field& item : *items) {
          BgpPeer peer;
          if (s = readBgpPeer(item, peer); !s.ok()) break;
          out.peers.push_back(std::move(peer));
        }
      }
      if (key == "sourceIP") s = readOptionalAddress(value, out.source_ip);
      if (key == "sourceInterface") s = readString(value, out.source_interface);
      if (key == "mpbgpNexthop") {
        s = readWith<MpBgpNextHop>(value, "auto_sourceif, auto_sourceip or fixed",
                                   parseMpBgpNextHop, out.mpbgp_nexthop);
      }
      if (key == "mpbgpIPv4") s = readOptionalAddress(value, out.mpbgp_ipv4);
      if (key == "mpbgpIPv6") s = readOptionalAddress(value, out.mpbgp_ipv6);
      if (key == "communities") {
        s = readBgpList<BgpCommunity>(value, out.communities, "a community (AS:value)",
                                      parseBgpCommunity);
      }
      if (key == "largeCommunities") {
        s = readBgpList<BgpLargeCommunity>(value, out.large_communities,
                                           "a large community (a:b:c)", parseBgpLargeCommunity);
      }
      if (key == "localPref") s = readOptionalUint32(value, out.local_pref);
      if (key == "med") s = readOptionalUint32(value, out.med);
      if (key == "vipInterface") s = readString(value, out.vip_interface);
      if (key == "listenPort") s = readPort(value, out.listen_port);
      if (key == "gracefulRestartTime") s = readBgpSeconds(value, out.graceful_restart_time);
      if (!s.ok()) return s;
    }
    return okStatus();
  }

  Status readPeers(const Field& f, std::vector<Peer>& out) {
    auto items = openList(f);
    if (!items.ok()) return items.error();
    out.clear();
    for (const Field& item : *items) {
      Peer p;
      if (auto s = readPeer(item, p); !s.ok()) return s;
      out.push_back(std::move(p));
    }
    return okStatus();
  }

  Status readLoadBalancers(const Field& f, std::vector<LoadBalancer>& out) {
    auto items = openList(f);
    if (!items.ok()) return items.error();
    out.clear();
    for (const Field& item : *items) {
      LoadBalancer lb;
      if (auto s = readLoadBalancer(item, lb); !s.ok()) return s;
      out.push_back(std::move(lb));
    }
    return okStatus();
  }

  Status readConfig(const Field& root, Config& out) {
    origins_.set("", source_);
    auto entries =
        openMap(root, {"localPeer", "remotePeers", "vip", "interface", "gratuitousARP",
                       "singleNode", "startAsLeader", "loadBalancers", "loadBalancerWorkers",
                       "election", "vipTiming", "kubernetes", "clusterKeyFile", "logLevel",
                       "prometheusServer", "healthCheckPort", "statusSocket", "bgp"});
    if (!entries.ok()) return entries.error();
    // The election first: its type decides what localPeer must hold and which keys belong.
    if (auto election = entries->find("election"); election != entries->end()) {
      if (auto s = readElection(election->second, out); !s.ok()) return s;
    }
    for (auto& [key, value] : *entries) {
      Status s;
      if (key == "localPeer") {
        Peer p;
        s = readPeer(value, p, out.etcd.has_value());
        if (s.ok()) out.local_peer = std::move(p);
      }
      if (key == "remotePeers") s = readPeers(value, out.remote_peers);
      if (key == "vip") {
        IpAddress a;
        s = readAddress(value, a);
        if (s.ok()) out.vip = a;
      }
      if (key == "interface") s = readString(value, out.interface);
      if (key == "gratuitousARP") s = readBool(value, out.gratuitous_arp);
      if (key == "singleNode") s = readBool(value, out.single_node);
      if (key == "startAsLeader") s = readBool(value, out.start_as_leader);
      if (key == "loadBalancers") s = readLoadBalancers(value, out.load_balancers);
      if (key == "loadBalancerWorkers") s = readInt(value, 0, 256, out.lb_workers);
      if (key == "clusterKeyFile") s = readString(value, out.cluster_key_file);
      if (key == "logLevel") s = readString(value, out.log_level);
      if (key == "prometheusServer") s = readString(value, out.prometheus_server);
      if (key == "statusSocket") s = readString(value, out.status_socket);
      if (key == "healthCheckPort") {
        int port = 0;
        s = readInt(value, 0, 65535, port);
        if (s.ok()) out.health_check_port = static_cast<uint16_t>(port);
      }
      if (key == "vipTiming") s = readVipTiming(value, out.vip_timing);
      if (key == "kubernetes") {
        // One election per VIP: a Lease and an etcd key would each elect a holder.
        if (out.etcd) {
          return error(Field{value.node, value.mark, key},
                       "elects with a Kubernetes Lease, and election.type etcd elects through "
                       "etcd: keep one of them");
        }
        KubernetesLease lease;
        s = readKubernetes(value, lease);
        if (s.ok()) out.kubernetes = std::move(lease);
      }
      if (key == "bgp") {
        BgpConfig bgp;
        s = readBgp(value, bgp);
        if (s.ok()) out.bgp = std::move(bgp);
      }
      if (!s.ok()) return s;
    }
    return okStatus();
  }

 private:
  std::string source_;
  ValueOrigins& origins_;
};

}  // namespace

Result<Config> parseConfigYaml(std::string_view yaml, std::string_view source_name) {
  Config config;
  Reader reader(source_name, config.origins);
  try {
    const std::string text(yaml);
    {
      std::istringstream stream(text);
      YAML::Parser parser(stream);
      EventBudget budget(4 * text.size() + 64);
      while (parser.HandleNextDocument(budget)) {
      }
    }
    std::vector<YAML::Node> documents = YAML::LoadAll(text);
    if (documents.size() > 1) {
      return reader.error(Field{documents[1], documents[1].Mark(), ""},
                          "a second YAML document; a configuration file holds exactly one");
    }
    YAML::Node root = documents.empty() ? YAML::Node() : documents[0];
    if (!root.IsNull() && !root.IsMap()) {
      return reader.error(
          Field{root, root.Mark(), ""},
          "expected a mapping of configuration keys at the top level, got " + kindOf(root));
    }
    if (auto s = reader.readConfig(Field{root, root.Mark(), ""}, config); !s.ok()) {
      return s.error();
    }
    deriveEtcdIdentity(config);
  } catch (const EventBudget::Exhausted& e) {
    return reader.error(Field{YAML::Node(), e.mark, ""},
                        "YAML syntax error: the parser makes no progress here (a ',' outside "
                        "[ ] or { }?)");
  } catch (const YAML::Exception& e) {
    return reader.error(Field{YAML::Node(), e.mark, ""}, "YAML syntax error: " + e.msg);
  } catch (const std::exception& e) {
    return makeError(ErrorCode::kInvalidArgument,
                     std::string(source_name) + ": cannot parse: " + e.what());
  }
  return config;
}

Result<Config> loadConfigFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    return Error{err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kSystem, err,
                 "cannot open configuration file " + path};
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return makeError(ErrorCode::kInvalidArgument,
                     "configuration file " + path + " is a directory, not a file");
  }
  std::string text;
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return systemError("cannot read configuration file " + path, errno);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxFileSize) {
      return makeError(
          ErrorCode::kInvalidArgument,
          "configuration file " + path + " is larger than 4 MiB; is it the right file?");
    }
  }
  return parseConfigYaml(text, path);
}

}  // namespace kubevip::config

#include "cli/start_options.h"

#include <memory>
#include <string>
#include <vector>

#include "common/log_format.h"
#include "config/values.h"

namespace kubevip::cli {
namespace {

using config::Config;

Error flagError(const std::string& flag, const Error& e) {
  return makeError(ErrorCode::kInvalidArgument, "flag " + flag + ": " + e.message);
}

// Boolean flags that stay unset unless given: "--x", "--x=false", "--no-x". CLI11 stores a flag's
// value whether or not it was given, so the option's count decides once parsing is complete.
class OptionalFlags {
 public:
  void add(CLI::App& cmd, const std::string& name, std::optional<bool>& out,
           const std::string& help) {
    auto value = std::make_shared<bool>(false);
    CLI::Option* option = cmd.add_flag("--" + name + ",!--no-" + name, *value, help);
    resolvers_.emplace_back([option, value, &out] {
      if (option->count() > 0) out = *value;
    });
  }
  void resolve() const {
    for (const auto& r : resolvers_) r();
  }

 private:
  std::vector<std::function<void()>> resolvers_;
};

Status applyFlags(const StartOptions& o, Config& c) {
  if (o.interface) {
    c.interface = *o.interface;
    c.origins.set("interface", "flag --interface");
  }
  if (o.vip) {
    auto address = IpAddress::parse(*o.vip);
    if (!address.ok()) return flagError("--vip", address.error());
    c.vip = *address;
    c.origins.set("vip", "flag --vip");
  }
  if (o.local_peer) {
    auto peer = config::parsePeer(*o.local_peer);
    if (!peer.ok()) return flagError("--localPeer", peer.error());
    c.local_peer = *peer;
    c.origins.eraseBelow("localPeer");
    c.origins.set("localPeer", "flag --localPeer");
  }
  if (o.remote_peers) {
    auto peers = config::parsePeerList(*o.remote_peers);
    if (!peers.ok()) return flagError("--remotePeers", peers.error());
    c.remote_peers = *peers;
    c.origins.eraseBelow("remotePeers");
    c.origins.set("remotePeers", "flag --remotePeers");
  }
  // A flag that was given replaces the value and becomes its origin in error messages.
  auto override = [&c](const auto& flag_value, auto& field, const char* key, const char* flag) {
    if (!flag_value) return;
    field = *flag_value;
    c.origins.set(key, std::string("flag ") + flag);
  };
  override(o.single_node, c.single_node, "singleNode", "--singleNode");
  override(o.start_as_leader, c.start_as_leader, "startAsLeader", "--startAsLeader");
  override(o.gratuitous_arp, c.gratuitous_arp, "gratuitousARP", "--arp");
  override(o.log_level, c.log_level, "logLevel", "--log");
  override(o.prometheus_server, c.prometheus_server, "prometheusServer", "--prometheusHTTPServer");
  override(o.status_socket, c.status_socket, "statusSocket", "--statusSocket");
  if (o.health_check_port) {
    auto port = config::parseOptionalPort(*o.health_check_port);
    if (!port.ok()) return flagError("--healthCheckPort", port.error());
    c.health_check_port = *port;
    c.origins.set("healthCheckPort", "flag --healthCheckPort");
  }
  if (o.data_dir) {
    if (o.data_dir->empty()) {
      return makeError(ErrorCode::kInvalidArgument, "flag --data-dir: must not be empty");
    }
    c.data_dir = *o.data_dir;
  }
  return okStatus();
}

}  // namespace

Status checkLogFormat(const std::string& value, const std::string& origin) {
  auto format = parseLogFormat(value);
  if (!format.ok()) {
    return makeError(ErrorCode::kInvalidArgument, origin + ": " + format.error().message);
  }
  return okStatus();
}

void addStartOptions(CLI::App& cmd, StartOptions& options) {
  cmd.add_option("-c,--config", options.config_path,
                 "Configuration file (YAML); /dev/stdin reads standard input")
      ->required();
  cmd.add_option("--log", options.log_level,
                 "Log level: trace, debug, info, warn, error, critical, off (default info; "
                 "environment vip_loglevel)");
  cmd.add_option("--log-format", options.log_format,
                 "Log line format: text (default) or json (one object per line)");
  cmd.add_option("--data-dir", options.data_dir,
                 std::string("Directory for the Raft log and snapshots (default ") + kDataDirRoot +
                     "/<localPeer id>)");
  cmd.add_option("--interface", options.interface, "Interface that carries the VIP");
  cmd.add_option("--vip", options.vip, "Virtual IP address (IPv4 or IPv6)");
  cmd.add_option("--localPeer", options.local_peer,
                 "This node as id:address:port (IPv6: id:[address]:port)");
  cmd.add_option("--remotePeers", options.remote_peers,
                 "Other nodes, comma separated id:address:port");
  cmd.add_option("--prometheusHTTPServer", options.prometheus_server,
                 "Where /metrics is served, [host]:port (default :2112; empty disables; key "
                 "prometheusServer, environment prometheus_server)");
  cmd.add_option("--healthCheckPort", options.health_check_port,
                 "Port of /livez and /readyz (default 0: off; key healthCheckPort, environment "
                 "health_check_port)");
  cmd.add_option("--statusSocket", options.status_socket,
                 "Unix socket for `kube-vip status` and `kube-vip reload` (default "
                 "/run/kube-vip/kube-vip.sock; empty disables; key statusSocket)");
  auto flags = std::make_shared<OptionalFlags>();
  flags->add(cmd, "singleNode", options.single_node, "Run without a cluster: always lead");
  flags->add(cmd, "startAsLeader", options.start_as_leader, "Bootstrap the cluster from this node");
  flags->add(cmd, "arp", options.gratuitous_arp,
             "Announce the VIP with gratuitous ARP / unsolicited neighbour advertisements");
  cmd.parse_complete_callback([flags] { flags->resolve(); });
}

Result<Config> buildStartConfig(const StartOptions& options, const config::Getenv& getenv,
                                const std::function<bool(const std::string&)>& interface_exists) {
  auto loaded = config::loadConfigFile(options.config_path);
  if (!loaded.ok()) return loaded.error();
  if (auto s = checkLogFormat(options.log_format, "flag --log-format"); !s.ok()) return s.error();
  Config c = std::move(*loaded);
  if (auto s = config::applyEnvironment(c, getenv); !s.ok()) return s.error();
  if (auto s = applyFlags(options, c); !s.ok()) return s.error();
  config::deriveEtcdIdentity(c);  // --localPeer may have replaced it
  if (c.data_dir.empty()) {
    c.data_dir = std::string(kDataDirRoot) + (c.local_peer ? "/" + c.local_peer->id : "");
  }
  if (auto s = config::validateConfig(c, interface_exists); !s.ok()) return s.error();
  return c;
}

}  // namespace kubevip::cli

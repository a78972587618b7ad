// `manager`: the in-cluster mode. The control-plane VIP is elected with a Kubernetes Lease (or
// through etcd, leader_election_type=etcd) and announced with ARP/NDP, configured like the Go
// kube-vip: its environment variables (static pod and DaemonSet manifests set them), the matching
// flags, and optionally a base file (flags > environment > file). See config/incluster_env.h for
// the variables and their checks.
#include <unistd.h>

#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>

#include "cli/commands.h"
#include "cli/start_options.h"
#include "common/log.h"
#include "config/incluster_env.h"

namespace kubevip::cli {
namespace {

struct ManagerOptions {
  std::string config_path;
  config::InClusterFlags flags;
  std::map<std::string, std::string> raw;  // variable name -> flag value, filled by CLI11
  std::string log_format;                  // --log-format; else vip_logformat; else text
};

std::string hostname() {
  char name[256] = {0};
  if (gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

const std::set<std::string_view>& booleanVariables() {
  static const std::set<std::string_view> names = {"vip_arp",
                                                   "cp_enable",
                                                   "svc_enable",
                                                   "vip_leaderelection",
                                                   "k8s_use_kubeconfig_server",
                                                   "svc_election",
                                                   "lb_class_only",
                                                   "lb_class_legacy_handling",
                                                   "enable_endpoints",
                                                   "disable_service_updates",
                                                   "svc_ipam",
                                                   "bgp_enable",
                                                   "bgp_multihop"};
  return names;
}

// The flag --log-format, else a set and non-empty vip_logformat (as for the other variables),
// else text; a bad value is an error naming where it came from.
Result<std::string> chooseLogFormat(const CLI::App& cmd, const std::string& flag_value,
                                    const config::Getenv& getenv) {
  std::string format = "text";
  std::string origin = "default";
  if (auto variable = getenv("vip_logformat"); variable && !variable->empty()) {
    format = *variable;
    origin = "environment vip_logformat";
  }
  if (cmd.count("--log-format") > 0) {
    format = flag_value;
    origin = "flag --log-format";
  }
  if (auto s = checkLogFormat(format, origin); !s.ok()) return s.error();
  return format;
}

}  // namespace

void addManagerCommand(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<ManagerOptions>();
  CLI::App* cmd = app.add_subcommand(
      "manager",
      "Run in a Kubernetes cluster: the control-plane VIP and/or Services of type LoadBalancer, "
      "elected with Leases, configured by kube-vip's environment variables (vip_interface, "
      "address, cp_enable, svc_enable, ...) or these flags");
  cmd->add_option("-c,--config", options->config_path,
                  "optional configuration file underneath the environment and flags");
  cmd->add_option("--log-format", options->log_format,
                  "log line format: text or json [env vip_logformat, default text]");
  for (const auto& variable : config::inClusterVariables()) {
    const std::string name(variable.name);
    std::string help =
        std::string(variable.meaning) + " [env " + name +
        (variable.default_value.empty() ? "" : ", default " + std::string(variable.default_value)) +
        "]";
    const std::string flag = "--" + std::string(variable.flag);
    if (booleanVariables().count(variable.name) != 0) {
      // Go-style boolean flags: "--arp" alone is true, "--arp=false" is false.
      cmd->add_flag(flag + "{true}", options->raw[name], help)->expected(0, 1);
    } else {
      cmd->add_option(flag, options->raw[name], help);
    }
  }
  cmd->callback([&context, options, cmd] {
    auto log_format = chooseLogFormat(*cmd, options->log_format, context.env.getenv);
    if (!log_format) return context.fail(log_format.error());
    for (const auto& variable : config::inClusterVariables()) {
      const std::string name(variable.name);
      if (cmd->count("--" + std::string(variable.flag)) > 0) {
        options->flags[name] = options->raw[name];
      }
    }
    // The base file (if any), then the environment and flags: at start and on a reload.
    auto build = [options, env = context.env]() -> Result<config::Config> {
      config::Config base;
      if (!options->config_path.empty()) {
        auto loaded = config::loadConfigFile(options->config_path);
        if (!loaded) return loaded.error();
        base = std::move(*loaded);
      }
      auto config =
          config::inClusterConfig(std::move(base), env.getenv, options->flags, hostname());
      if (!config) return config.error();
      if (auto valid = config::validateConfig(*config, env.interface_exists); !valid) {
        return valid.error();
      }
      return config;
    };
    auto config = build();
    if (!config) return context.fail(config.error());
    if (auto s = initLogging(config->log_level, *log_format); !s.ok()) {
      return context.fail(s.error());
    }
    // Configured by the environment alone, there is no file to read again.
    config::ConfigSource reread;
    if (!options->config_path.empty()) reread = build;
    context.exit_status = context.env.run_daemon(*config, std::move(reread));
  });
}

}  // namespace kubevip::cli

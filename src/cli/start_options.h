// The flags of `start` and `check`, and the one function that turns file, environment and flags
// into a validated Config (flags > environment > file), so that precedence is tested without a
// daemon.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

#include "common/result.h"
#include "config/config.h"
#include "config/loader.h"

namespace kubevip::cli {

// Where the data dir goes when --data-dir is not given: kDataDirRoot/<localPeer.id>, so that
// several instances on one host keep apart.
inline constexpr const char* kDataDirRoot = "/var/lib/kube-vip";

struct StartOptions {
  std::string config_path;
  std::optional<std::string> log_level;
  std::string log_format = "text";  // not part of Config: it only matters when logging starts
  std::optional<std::string> data_dir;
  std::optional<std::string> interface;
  std::optional<std::string> vip;
  std::optional<std::string> local_peer;
  std::optional<std::string> remote_peers;
  std::optional<bool> single_node;
  std::optional<bool> start_as_leader;
  std::optional<bool> gratuitous_arp;
  std::optional<std::string> prometheus_server;
  std::optional<std::string> health_check_port;
  std::optional<std::string> status_socket;
};

// Registers the flags on cmd; `options` is filled when cmd has been parsed.
void addStartOptions(CLI::App& cmd, StartOptions& options);

// A log format given as a flag or variable ("flag --log-format", "environment vip_logformat"):
// text or json, else an error naming where the bad value came from.
Status checkLogFormat(const std::string& value, const std::string& origin);

// Loads the file, applies the environment, then the flags, sets the default data dir, validates.
Result<config::Config> buildStartConfig(
    const StartOptions& options, const config::Getenv& getenv,
    const std::function<bool(const std::string&)>& interface_exists);

}  // namespace kubevip::cli

// Reading, overriding, checking and writing the configuration.
//
// Data flow (see cli/start_command.cc): loadConfigFile or parseConfigYaml -> applyEnvironment ->
// flags -> validateConfig. Every step reports the first problem as one Error whose message is a
// single line naming where the value came from and its key path:
//   config.yaml:7:10: remotePeers[1].port: 70000 is out of range (1-65535)
//   environment variable vip_arp: 'maybe' is not a boolean (use true, false, 1 or 0)
// Parsing checks the shape and the syntax of each value; validateConfig checks what depends on
// several values (duplicates, timing relations, required keys) and so also catches bad overrides.
// Nothing here throws: yaml-cpp's exceptions are caught inside.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "config/config.h"

namespace kubevip::config {

// Parses a YAML document. source_name prefixes error messages and origins ("config.yaml").
// Unknown keys are errors; absent keys keep the defaults of config.h.
Result<Config> parseConfigYaml(std::string_view yaml, std::string_view source_name);

// Reads the whole file (pipes such as /dev/stdin too) and parses it.
Result<Config> loadConfigFile(const std::string& path);

// Looks a variable up; returns nullopt when it is unset.
using Getenv = std::function<std::optional<std::string>(const char*)>;

// Builds the configuration again from its sources (file, environment, flags) for a reload.
using ConfigSource = std::function<Result<Config>()>;

// Applies vip_interface, vip_address, vip_arp, vip_singlenode, vip_startleader, vip_localpeer,
// vip_peers and vip_loglevel (set and non-empty ones only) over the file's values.
Status applyEnvironment(Config& config, const Getenv& getenv);

// Whether a file the configuration names can be read here: ok, or an Error whose message says why
// ("No such file or directory").
using FileReadable = std::function<Status(const std::string& path)>;
Status readableOnThisHost(const std::string& path);

// Checks everything parsing cannot: required keys, duplicates, timing relations, the log level,
// that the interface exists (through interface_exists, so that tests need no real interface) and
// that the etcd election's certificate files can be read (through file_readable: a manifest or a
// sample written for another host takes them to be there).
Status validateConfig(const Config& config,
                      const std::function<bool(const std::string&)>& interface_exists,
                      const FileReadable& file_readable = readableOnThisHost);

// With the file's etcd election (election.type: etcd) the identity written to the key is
// localPeer.id: copies it into Config::etcd. parseConfigYaml and applyEnvironment call it, and
// whatever else replaces localPeer (a flag) must call it again.
void deriveEtcdIdentity(Config& config);

// The Raft cluster key: from vip_clusterkey if set, else read from clusterKeyFile; nullopt when
// neither is set. Errors name the variable or the file (and where clusterKeyFile was set).
Result<std::optional<std::array<uint8_t, 32>>> readClusterKey(const Config& config);

// YAML with every key of the file, including defaults, that parseConfigYaml reads back to an equal
// Config. Runtime settings (log level, data dir) are not part of the file.
std::string renderConfigYaml(const Config& config);

}  // namespace kubevip::config

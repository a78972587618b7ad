// The syntax of single configuration values, shared by the YAML file, the environment and flags:
// ports, peers ("id:address:port"), backends ("address:port"), durations ("300ms") and booleans.
// Each parser returns an Error whose message describes the bad text and what is expected; the
// caller prefixes it with where the text came from.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/config.h"

namespace kubevip::config {

// 1-65535, decimal.
Result<uint16_t> parsePort(std::string_view text);

// "id:address:port"; an IPv6 address is bracketed: "id:[fd00::1]:port".
Result<Peer> parsePeer(std::string_view text);
// Comma-separated peers; empty text is an empty list.
Result<std::vector<Peer>> parsePeerList(std::string_view text);

// "address:port"; an IPv6 address is bracketed: "[fd00::1]:8080".
Result<Backend> parseBackend(std::string_view text);
// Comma-separated backends; empty text is an empty list.
Result<std::vector<Backend>> parseBackendList(std::string_view text);

// Peer ids name a directory under the data dir and appear in "id:address:port", so they are limited
// to letters, digits, '.', '-' and '_' (and are not "." or "..").
Status checkPeerId(std::string_view id);

// A sequence of decimal numbers with units ms, s, m, h ("300ms", "2s", "1m30s", "1.5s"), or a
// plain non-negative integer meaning milliseconds.
Result<std::chrono::milliseconds> parseDuration(std::string_view text);
// The shortest form parseDuration reads back to the same value: "300ms", "2s", "5m", "1500ms".
std::string formatDuration(std::chrono::milliseconds d);

// "tcp" or "http".
Result<LoadBalancerType> parseLoadBalancerType(std::string_view text);
// "roundrobin" or "leastconn".
Result<BalanceAlgorithm> parseBalanceAlgorithm(std::string_view text);
Result<ForwardingMode> parseForwardingMode(std::string_view text);
// The configuration file's words for these values.
std::string_view loadBalancerTypeName(LoadBalancerType type);
std::string_view balanceAlgorithmName(BalanceAlgorithm algorithm);
std::string_view forwardingModeName(ForwardingMode mode);

// The Raft cluster key: 64 hexadecimal digits (32 bytes); surrounding whitespace is ignored.
using ClusterKey = std::array<uint8_t, 32>;
Result<ClusterKey> parseClusterKey(std::string_view text);
std::string formatClusterKey(const ClusterKey& key);

// A port that may be 0 (off): 0-65535, decimal.
Result<uint16_t> parseOptionalPort(std::string_view text);

// true/false/1/0 (environment variables and flag values).
Result<bool> parseBool(std::string_view text);

// An etcd client URL as the etcd elector uses it: "https://host:port" or "http://host:port", the
// host a name, an IPv4 address or a bracketed IPv6 address ("https://[fd00::1]:2379"), the port
// given, nothing after it (no path, query or user): the client appends the /v3/... paths itself.
Status checkEtcdEndpoint(std::string_view text);
// Comma-separated endpoints, each checked as above; empty text is an empty list.
Result<std::vector<std::string>> parseEtcdEndpointList(std::string_view text);

}  // namespace kubevip::config

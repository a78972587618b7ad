#include "config/values.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

namespace kubevip::config {
namespace {

using std::chrono::milliseconds;

// Large enough for any timer we have, small enough that sums and products of two stay in int64.
constexpr int64_t kMaxDurationMs = int64_t{366} * 24 * 3600 * 1000;

Error invalid(std::string message) {
  return makeError(ErrorCode::kInvalidArgument, std::move(message));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string_view> splitCommas(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    parts.push_back(
        trim(text.substr(start, comma == std::string_view::npos ? comma : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return parts;
}

// Splits "address:port" or "[v6address]:port" into its two halves.
Status splitHostPort(std::string_view text, std::string_view& host, std::string_view& port) {
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return invalid("expected [address]:port");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    return okStatus();
  }
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return invalid("expected address:port");
  host = text.substr(0, colon);
  port = text.substr(colon + 1);
  if (host.find(':') != std::string_view::npos) {
    return invalid("an IPv6 address must be bracketed, as in [fd00::1]:port");
  }
  return okStatus();
}

Result<IpAddress> parseHostAddress(std::string_view host) {
  auto address = IpAddress::parse(host);
  if (!address.ok()) return address.error();
  if (address->isUnspecified()) {
    return invalid("'" + std::string(host) + "' is the unspecified address, not a host");
  }
  return address;
}

}  // namespace

Result<uint16_t> parsePort(std::string_view text) {
  std::string_view digits = text;
  bool negative = !digits.empty() && digits.front() == '-';
  if (negative) digits.remove_prefix(1);
  if (!allDigits(digits)) {
    return invalid("'" + std::string(text) + "' is not a port number (1-65535)");
  }
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (negative || ec != std::errc() || value < 1 || value > 65535) {
    return invalid(std::string(text) + " is out of range (1-65535)");
  }
  return static_cast<uint16_t>(value);
}

Status checkPeerId(std::string_view id) {
  if (id.empty()) return invalid("a peer id must not be empty");
  if (id == "." || id == "..") return invalid("'" + std::string(id) + "' is not a usable peer id");
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return invalid("peer id '" + std::string(id) +
                     "' may only contain letters, digits, '.', '-' and '_'");
    }
  }
  return okStatus();
}

Result<Peer> parsePeer(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return invalid(quoted + " is not a peer: expected id:address:port (IPv6: id:[address]:port)");
  }
  Peer peer;
  peer.id = std::string(text.substr(0, colon));
  if (auto s = checkPeerId(peer.id); !s.ok()) return invalid(quoted + ": " + s.error().message);
  std::string_view host, port;
  if (auto s = splitHostPort(text.substr(colon + 1), host, port); !s.ok()) {
    return invalid(quoted + " is not a peer: " + s.error().message +
                   " after the id (id:address:port, IPv6: id:[address]:port)");
  }
  auto address = parseHostAddress(host);
  if (!address.ok()) return invalid(quoted + ": " + address.error().message);
  peer.address = *address;
  auto port_number = parsePort(port);
  if (!port_number.ok()) return invalid(quoted + ": port " + port_number.error().message);
  peer.port = *port_number;
  return peer;
}

Result<std::vector<Peer>> parsePeerList(std::string_view text) {
  std::vector<Peer> peers;
  if (trim(text).empty()) return peers;
  for (std::string_view part : splitCommas(text)) {
    if (part.empty()) {
      return invalid("empty entry in the comma-separated list '" + std::string(text) + "'");
    }
    auto peer = parsePeer(part);
    if (!peer.ok()) return peer.error();
    peers.push_back(std::move(*peer));
  }
  return peers;
}

Result<Backend> parseBackend(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  std::string_view host, port;
  if (auto s = splitHostPort(text, host, port); !s.ok()) {
    return invalid(quoted + " is not a backend: " + s.error().message);
  }
  auto address = parseHostAddress(host);
  if (!address.ok()) return invalid(quoted + ": " + address.error().message);
  auto port_number = parsePort(port);
  if (!port_number.ok()) return invalid(quoted + ": port " + port_number.error().message);
  return Backend{*address, *port_number};
}

Status checkEtcdEndpoint(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  auto bad = [&quoted](const std::string& why) {
    return invalid(quoted + " is not an etcd endpoint: " + why);
  };
  std::string_view rest = text;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return bad("expected https://host:port or http://host:port");
  }
  if (rest.find_first_of("/?#") != std::string_view::npos) {
    return bad("give scheme://host:port only, without a path (the client adds /v3/...)");
  }
  if (rest.find('@') != std::string_view::npos) {
    return bad("user information is not supported; authenticate with a client certificate");
  }
  const bool bracketed = !rest.empty() && rest.front() == '[';
  if (!bracketed && rest.find(':') == std::string_view::npos) {
    return bad("the port is missing (etcd's client port is usually 2379)");
  }
  std::string_view host, port;
  if (auto s = splitHostPort(rest, host, port); !s.ok()) return bad(s.error().message);
  if (host.empty()) return bad("the host is missing");
  if (bracketed) {
    auto address = IpAddress::parse(host);
    if (!address.ok() || !address->isV6()) {
      return bad("'[" + std::string(host) + "]' is not a bracketed IPv6 address");
    }
  }
  if (auto address = IpAddress::parse(host); address.ok() && address->isUnspecified()) {
    return bad("'" + std::string(host) + "' is the unspecified address, not a host");
  }
  // A name (resolved when the client connects): letters, digits, '-' and '.'.
  if (!bracketed && !IpAddress::parse(host).ok()) {
    for (char c : host) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') {
        return bad("'" + std::string(host) + "' is neither an IP address nor a host name");
      }
    }
    if (std::all_of(host.begin(), host.end(),
                    [](char c) { return (c >= '0' && c <= '9') || c == '.'; })) {
      return bad("'" + std::string(host) + "' is not an IPv4 address");
    }
  }
  if (auto number = parsePort(port); !number.ok()) return bad("port " + number.error().message);
  return okStatus();
}

Result<std::vector<std::string>> parseEtcdEndpointList(std::string_view text) {
  std::vector<std::string> endpoints;
  if (trim(text).empty()) return endpoints;
  for (std::string_view part : splitCommas(text)) {
    if (part.empty()) {
      return invalid("empty entry in the comma-separated list '" + std::string(text) + "'");
    }
    if (auto s = checkEtcdEndpoint(part); !s.ok()) return s.error();
    endpoints.emplace_back(part);
  }
  return endpoints;
}

Result<uint16_t> parseOptionalPort(std::string_view text) {
  if (text == "0") return uint16_t{0};
  auto port = parsePort(text);
  if (!port.ok())
    return invalid("'" + std::string(text) + "' is not a port number (0 for off, 1-65535)");
  return port;
}

Result<std::vector<Backend>> parseBackendList(std::string_view text) {
  std::vector<Backend> backends;
  if (trim(text).empty()) return backends;
  for (std::string_view part : splitCommas(text)) {
    if (part.empty()) {
      return invalid("empty entry in the comma-separated list '" + std::string(text) + "'");
    }
    auto backend = parseBackend(part);
    if (!backend.ok()) return backend.error();
    backends.push_back(*backend);
  }
  return backends;
}

Result<milliseconds> parseDuration(std::string_view text) {
  const std::string usage =
      "'" + std::string(text) +
      "' is not a duration (write a number with a unit: 300ms, 2s, 1m, 1m30s; "
      "a plain number is milliseconds)";
  if (text.empty()) return invalid(usage);
  if (text.front() == '-') {
    return invalid("'" + std::string(text) + "': a duration cannot be negative");
  }
  int64_t total = 0;
  if (allDigits(text)) {
    if (text.size() > 13) return invalid("'" + std::string(text) + "' is too long a duration");
    std::from_chars(text.data(), text.data() + text.size(), total);
  } else {
    std::string_view rest = text;
    while (!rest.empty()) {
      size_t n = 0;
      while (n < rest.size() && std::isdigit(static_cast<unsigned char>(rest[n]))) ++n;
      std::string_view whole = rest.substr(0, n);
      std::string_view fraction;
      if (n < rest.size() && rest[n] == '.') {
        size_t f = n + 1;
        while (f < rest.size() && std::isdigit(static_cast<unsigned char>(rest[f]))) ++f;
        fraction = rest.substr(n + 1, f - n - 1);
        n = f;
      }
      if ((whole.empty() && fraction.empty()) || whole.size() > 13 || fraction.size() > 9) {
        return invalid(usage);
      }
      rest.remove_prefix(n);
      int64_t unit = 0;
      if (rest.starts_with("ms")) {
        unit = 1;
        rest.remove_prefix(2);
      } else if (rest.starts_with("s")) {
        unit = 1000;
        rest.remove_prefix(1);
      } else if (rest.starts_with("m")) {
        unit = 60'000;
        rest.remove_prefix(1);
      } else if (rest.starts_with("h")) {
        unit = 3'600'000;
        rest.remove_prefix(1);
      } else {
        return invalid(usage);
      }
      int64_t whole_value = 0;
      if (!whole.empty()) std::from_chars(whole.data(), whole.data() + whole.size(), whole_value);
      if (whole_value > kMaxDurationMs / unit) {
        return invalid("'" + std::string(text) + "' is too long a duration");
      }
      total += whole_value * unit;
      if (!fraction.empty()) {
        int64_t fraction_value = 0;
        std::from_chars(fraction.data(), fraction.data() + fraction.size(), fraction_value);
        int64_t scale = 1;
        for (size_t i = 0; i < fraction.size(); ++i) scale *= 10;
        // fraction_value < 1e9 and unit <= 3.6e6: the product fits in int64.
        if ((fraction_value * unit) % scale != 0) {
          return invalid("'" + std::string(text) + "' is finer than a millisecond");
        }
        total += fraction_value * unit / scale;
      }
      if (total > kMaxDurationMs) {
        return invalid("'" + std::string(text) + "' is too long a duration");
      }
    }
  }
  if (total > kMaxDurationMs) return invalid("'" + std::string(text) + "' is too long a duration");
  return milliseconds(total);
}

std::string formatDuration(milliseconds d) {
  int64_t ms = d.count();
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

Result<LoadBalancerType> parseLoadBalancerType(std::string_view text) {
  if (text == "tcp") return LoadBalancerType::kTcp;
  if (text == "http") return LoadBalancerType::kHttp;
  if (text == "udp") return LoadBalancerType::kUdp;
  return invalid("'" + std::string(text) + "' is not a load balancer type; use tcp, http or udp");
}

std::string_view loadBalancerTypeName(LoadBalancerType type) {
  switch (type) {
    case LoadBalancerType::kHttp:
      return "http";
    case LoadBalancerType::kUdp:
      return "udp";
    case LoadBalancerType::kTcp:
      break;
  }
  return "tcp";
}

Result<BalanceAlgorithm> parseBalanceAlgorithm(std::string_view text) {
  if (text == "roundrobin") return BalanceAlgorithm::kRoundRobin;
  if (text == "leastconn") return BalanceAlgorithm::kLeastConnections;
  if (text == "random") return BalanceAlgorithm::kRandom;
  if (text == "sourcehash") return BalanceAlgorithm::kSourceHash;
  return invalid("'" + std::string(text) +
                 "' is not a balancing algorithm; use roundrobin, leastconn, random or sourcehash");
}

std::string_view balanceAlgorithmName(BalanceAlgorithm algorithm) {
  switch (algorithm) {
    case BalanceAlgorithm::kLeastConnections:
      return "leastconn";
    case BalanceAlgorithm::kRandom:
      return "random";
    case BalanceAlgorithm::kSourceHash:
      return "sourcehash";
    case BalanceAlgorithm::kRoundRobin:
      break;
  }
  return "roundrobin";
}

Result<ForwardingMode> parseForwardingMode(std::string_view text) {
  if (text == "proxy") return ForwardingMode::kProxy;
  if (text == "kernel") return ForwardingMode::kKernel;
  return invalid("'" + std::string(text) + "' is not a forwarding mode; use proxy or kernel");
}

std::string_view forwardingModeName(ForwardingMode mode) {
  return mode == ForwardingMode::kKernel ? "kernel" : "proxy";
}

Result<bool> parseBool(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true" || lower == "1") return true;
  if (lower == "false" || lower == "0") return false;
  return invalid("'" + std::string(text) + "' is not a boolean (use true, false, 1 or 0)");
}

}  // namespace kubevip::config

namespace kubevip::config {
namespace {

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<ClusterKey> parseClusterKey(std::string_view text) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  ClusterKey key{};
  if (text.size() != 2 * key.size()) {
    return makeError(ErrorCode::kInvalidArgument,
                     "a cluster key is 64 hexadecimal digits (32 bytes), this one has " +
                         std::to_string(text.size()) +
                         " characters; generate one with `kube-vip sample key`");
  }
  for (std::size_t i = 0; i < key.size(); ++i) {
    const int hi = hexDigit(text[2 * i]);
    const int lo = hexDigit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return makeError(ErrorCode::kInvalidArgument, "a cluster key is 64 hexadecimal digits; '" +
                                                        std::string(text.substr(2 * i, 2)) +
                                                        "' at position " +
                                                        std::to_string(2 * i + 1) + " is not");
    }
    key[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return key;
}

std::string formatClusterKey(const ClusterKey& key) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : key) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

}  // namespace kubevip::config

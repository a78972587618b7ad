#include "config/bgp_values.h"

#include <charconv>

#include "config/values.h"

namespace kubevip::config {
namespace {

Error invalid(std::string message) {
  return makeError(ErrorCode::kInvalidArgument, std::move(message));
}

// A plain decimal no larger than `max`; nullopt for anything else (signs, spaces, overflow).
std::optional<uint64_t> decimal(std::string_view text, uint64_t max) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t at = text.find(sep, start);
    parts.push_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

constexpr const char* kPeerForm = "address:AS[:password[:multihop[:port]]]";

}  // namespace

Result<uint32_t> parseAsNumber(std::string_view text) {
  auto value = decimal(text, 4294967295u);
  if (!value || *value == 0) {
    return invalid("'" + std::string(text) + "' is not an AS number (1-4294967295)");
  }
  if (*value == 23456) {
    return invalid(
        "23456 is AS_TRANS (RFC 6793), which stands in for four-octet AS numbers and "
        "is nobody's AS");
  }
  return static_cast<uint32_t>(*value);
}

Result<uint32_t> parseUint32(std::string_view text) {
  auto value = decimal(text, 4294967295u);
  if (!value) return invalid("'" + std::string(text) + "' is not a number (0-4294967295)");
  return static_cast<uint32_t>(*value);
}

Result<BgpPeer> parseBgpPeer(std::string_view text) {
  BgpPeer peer;
  std::string_view address_text;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return invalid("'" + std::string(text) + "': no ']' closes the IPv6 address");
    }
    address_text = text.substr(1, close - 1);
    rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') {
      return invalid("'" + std::string(text) + "': expected " + kPeerForm + " after the address");
    }
    rest.remove_prefix(1);
  } else {
    size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
      return invalid("'" + std::string(text) + "': the AS is missing; expected " + kPeerForm);
    }
    address_text = text.substr(0, colon);
    rest = text.substr(colon + 1);
  }
  auto address = IpAddress::parse(address_text);
  if (!address.ok()) {
    std::string hint = text.front() != '[' && rest.find(':') != std::string_view::npos &&
                               address_text.find('.') == std::string_view::npos
                           ? " (an IPv6 address is bracketed: [fd00::1]:65000)"
                           : "";
    return invalid("'" + std::string(text) + "': '" + std::string(address_text) +
                   "' is not an IP address" + hint);
  }
  if (address->isUnspecified()) {
    return invalid("'" + std::string(text) + "': " + address->toString() +
                   " is the unspecified address, not a peer");
  }
  peer.address = *address;

  std::vector<std::string_view> fields = split(rest, ':');
  if (fields.size() > 4) {
    return invalid("'" + std::string(text) + "': too many fields; expected " + kPeerForm +
                   " (a password cannot contain ':')");
  }
  auto as = parseAsNumber(fields[0]);
  if (!as.ok()) return invalid("'" + std::string(text) + "': " + as.error().message);
  peer.as = *as;
  if (fields.size() > 1) peer.password = std::string(fields[1]);
  if (fields.size() > 2 && !fields[2].empty()) {
    auto multihop = parseBool(fields[2]);
    if (!multihop.ok()) {
      return invalid("'" + std::string(text) + "': multihop '" + std::string(fields[2]) +
                     "' is not a boolean (true or false)");
    }
    peer.multihop_ttl = *multihop ? kMultihopTtl : 0;
  }
  if (fields.size() > 3 && !fields[3].empty()) {
    auto port = parsePort(fields[3]);
    if (!port.ok()) return invalid("'" + std::string(text) + "': " + port.error().message);
    peer.port = *port;
  }
  return peer;
}

namespace {

// Comma-separated values, each parsed by `parse`; blanks around an entry and empty entries are
// skipped; an error names the entry (1-based).
template <typename T, typename Parse>
Result<std::vector<T>> parseList(std::string_view text, Parse parse) {
  std::vector<T> out;
  size_t index = 0;
  for (std::string_view entry : split(text, ',')) {
    ++index;
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (entry.empty()) continue;
    auto value = parse(entry);
    if (!value.ok()) {
      return invalid("entry " + std::to_string(index) + " " + value.error().message);
    }
    out.push_back(std::move(*value));
  }
  return out;
}

}  // namespace

Result<std::vector<BgpPeer>> parseBgpPeerList(std::string_view text) {
  return parseList<BgpPeer>(text, parseBgpPeer);
}

Result<std::vector<BgpCommunity>> parseBgpCommunityList(std::string_view text) {
  return parseList<BgpCommunity>(text, parseBgpCommunity);
}

Result<std::vector<BgpLargeCommunity>> parseBgpLargeCommunityList(std::string_view text) {
  return parseList<BgpLargeCommunity>(text, parseBgpLargeCommunity);
}

Result<BgpCommunity> parseBgpCommunity(std::string_view text) {
  std::vector<std::string_view> parts = split(text, ':');
  std::optional<uint64_t> as;
  std::optional<uint64_t> value;
  if (parts.size() == 2) {
    as = decimal(parts[0], 65535);
    value = decimal(parts[1], 65535);
  }
  if (!as || !value) {
    return invalid("'" + std::string(text) +
                   "' is not a community; expected AS:value, each 0-65535 (RFC 1997)");
  }
  return BgpCommunity{static_cast<uint16_t>(*as), static_cast<uint16_t>(*value)};
}

std::string formatBgpCommunity(const BgpCommunity& c) {
  return std::to_string(c.as) + ":" + std::to_string(c.value);
}

Result<BgpLargeCommunity> parseBgpLargeCommunity(std::string_view text) {
  std::vector<std::string_view> parts = split(text, ':');
  std::optional<uint64_t> values[3];
  bool ok = parts.size() == 3;
  for (size_t i = 0; ok && i < 3; ++i) {
    values[i] = decimal(parts[i], 4294967295u);
    ok = values[i].has_value();
  }
  if (!ok) {
    return invalid("'" + std::string(text) +
                   "' is not a large community; expected global:local1:local2, each "
                   "0-4294967295 (RFC 8092)");
  }
  return BgpLargeCommunity{static_cast<uint32_t>(*values[0]), static_cast<uint32_t>(*values[1]),
                           static_cast<uint32_t>(*values[2])};
}

std::string formatBgpLargeCommunity(const BgpLargeCommunity& c) {
  return std::to_string(c.global) + ":" + std::to_string(c.local1) + ":" + std::to_string(c.local2);
}

Result<MpBgpNextHop> parseMpBgpNextHop(std::string_view text) {
  for (MpBgpNextHop mode : {MpBgpNextHop::kDefault, MpBgpNextHop::kAutoSourceInterface,
                            MpBgpNextHop::kAutoSourceIp, MpBgpNextHop::kFixed}) {
    if (text == mpBgpNextHopName(mode)) return mode;
  }
  return invalid("'" + std::string(text) +
                 "' is not an MP-BGP next hop mode (auto_sourceif, auto_sourceip or fixed)");
}

const char* mpBgpNextHopName(MpBgpNextHop mode) {
  switch (mode) {
    case MpBgpNextHop::kDefault:
      return "";
    case MpBgpNextHop::kAutoSourceInterface:
      return "auto_sourceif";
    case MpBgpNextHop::kAutoSourceIp:
      return "auto_sourceip";
    case MpBgpNextHop::kFixed:
      return "fixed";
  }
  return "";
}

}  // namespace kubevip::config

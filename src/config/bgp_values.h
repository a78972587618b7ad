// The syntax of single BGP configuration values, shared by the YAML file's `bgp:` section and the
// in-cluster variables (bgp_peers, bgp_as, ...). As in config/values.h, each parser returns an
// Error describing the bad text and what is expected; the caller says where the text came from.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/config.h"

namespace kubevip::config {

// An AS number, 1-4294967295 (RFC 6793 four-octet AS numbers); 23456 (AS_TRANS) is refused: it
// stands for a four-octet AS in OPENs of two-octet speakers and is nobody's AS.
Result<uint32_t> parseAsNumber(std::string_view text);

// A decimal 0-4294967295 (LOCAL_PREF, MULTI_EXIT_DISC).
Result<uint32_t> parseUint32(std::string_view text);

// One peer of bgp_peers: "address:AS[:password[:multihop[:port]]]", an IPv6 address bracketed
// ("[fd00::1]:65001"). Empty optional fields take their defaults (no password, not multihop, port
// 179); multihop is a boolean (true: TTL 255).
Result<BgpPeer> parseBgpPeer(std::string_view text);
// Comma-separated peers; empty entries are skipped. Errors name the entry (1-based).
Result<std::vector<BgpPeer>> parseBgpPeerList(std::string_view text);

// The TTL of a multihop session whose multihop setting is just "true".
inline constexpr int kMultihopTtl = 255;

// "AS:value", each 0-65535 (RFC 1997).
Result<BgpCommunity> parseBgpCommunity(std::string_view text);
// Comma-separated communities / large communities, as parseBgpPeerList splits its entries.
Result<std::vector<BgpCommunity>> parseBgpCommunityList(std::string_view text);
std::string formatBgpCommunity(const BgpCommunity& c);
// "global:local1:local2", each 0-4294967295 (RFC 8092).
Result<BgpLargeCommunity> parseBgpLargeCommunity(std::string_view text);
Result<std::vector<BgpLargeCommunity>> parseBgpLargeCommunityList(std::string_view text);
std::string formatBgpLargeCommunity(const BgpLargeCommunity& c);

// "auto_sourceif", "auto_sourceip", "fixed", or "" (the default next hop).
Result<MpBgpNextHop> parseMpBgpNextHop(std::string_view text);
const char* mpBgpNextHopName(MpBgpNextHop mode);

}  // namespace kubevip::config

// Where an operations server listens, written as Go's net.Listen takes it ("host:port").
//
//   ":2112"            every address: IPv6 and IPv4 on one dual-stack socket (IPv4 alone when the
//                      host has no IPv6)
//   "127.0.0.1:2112"   one IPv4 address
//   "[::1]:2112"       one IPv6 address, in brackets (RFC 3986 section 3.2.2)
//   ":0"               any free port (tests)
// Host names are refused: a listener bound to whatever a name resolves to at start is a surprise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/ip_address.h"
#include "common/result.h"

namespace kubevip {

struct ListenAddress {
  std::optional<IpAddress> host;  // none: every address
  uint16_t port = 0;
};

// `setting` names where the value came from, for the error ("prometheus_server \":99999\": port
// out of range").
Result<ListenAddress> parseListenAddress(std::string_view setting, std::string_view value);

}  // namespace kubevip

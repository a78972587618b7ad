// The socket options a BGP session needs, each a thin call with an error that names the peer or
// the socket it was meant for. Only this folder makes these system calls.
#pragma once

#include <string>
#include <string_view>

#include "common/ip_address.h"
#include "common/result.h"

namespace kubevip::bgp::linux_tcp {

// Linux's TCP_MD5SIG_MAXKEYLEN: the longest RFC 2385 key the kernel stores.
inline constexpr std::size_t kMaxMd5PasswordBytes = 80;
// IP_TTL and IPV6_UNICAST_HOPS take 1..255.
inline constexpr int kMinTtl = 1;
inline constexpr int kMaxTtl = 255;

// Checked before any socket is made, so that a bad option never leaves half a socket behind.
Status checkMd5Password(const std::string& password, const IpAddress& peer);
Status checkTtl(int ttl, const IpAddress& peer);

// RFC 2385 signatures on the segments to and from `peer` (TCP_MD5SIG). On an AF_INET6 socket an
// IPv4 peer's key is given in the IPv4-mapped form: Linux (tcp_v6_parse_md5_keys) stores it as an
// IPv4 key, which is what the IPv4 segments of a dual-stack socket are checked against.
Status setMd5Key(int fd, int socket_family, const IpAddress& peer, const std::string& password);

// The TTL (IPv4) or hop limit (IPv6) of our segments to `peer`. An IPv4 peer on an AF_INET6
// (dual-stack) socket is reached with IPv4 packets, whose TTL is the IP-level option.
Status setTtl(int fd, const IpAddress& peer, int ttl);

// SO_BINDTODEVICE.
Status bindToDevice(int fd, const std::string& interface, std::string_view what);

Status setNoDelay(int fd);

}  // namespace kubevip::bgp::linux_tcp

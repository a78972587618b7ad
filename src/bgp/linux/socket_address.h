// Conversions between IpAddress/Endpoint and the kernel's sockaddr structures for the BGP
// transport, and the one rule about IPv4-mapped IPv6 addresses (RFC 4291 §2.5.5.2): a dual-stack
// listening socket reports an IPv4 peer as ::ffff:a.b.c.d, and the speaker compares peers as the
// configuration spells them, so the mapped form is turned back into IPv4 everywhere we report an
// address.
#pragma once

#include <sys/socket.h>

#include "common/ip_address.h"
#include "common/result.h"

namespace kubevip::bgp::linux_tcp {

// `ep` as a sockaddr of the socket family `family` (AF_INET or AF_INET6). An IPv4 endpoint given
// for an AF_INET6 socket becomes its IPv4-mapped form; an IPv6 endpoint cannot be expressed for an
// AF_INET socket (the caller checks families first).
socklen_t toSockaddr(const Endpoint& ep, int family, sockaddr_storage& out);

// The endpoint in `in`, with an IPv4-mapped IPv6 address turned into IPv4.
Endpoint fromSockaddr(const sockaddr_storage& in);

// The local (getsockname) and remote (getpeername) endpoints of a connected socket.
Result<Endpoint> localEndpointOf(int fd);
Result<Endpoint> remoteEndpointOf(int fd);

int socketFamilyFor(const IpAddress& address);

}  // namespace kubevip::bgp::linux_tcp

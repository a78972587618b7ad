// Conversions between Endpoint and the kernel's sockaddr structures, shared by every module that
// opens sockets (the load balancer, the BGP transport), and the one rule about IPv4-mapped IPv6
// addresses (RFC 4291 §2.5.5.2): a dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d, and
// addresses are compared as the configuration spells them, so the mapped form is turned back into
// IPv4 wherever an address is read from the kernel.
#pragma once

#include <sys/socket.h>

#include "common/ip_address.h"

namespace kubevip {

// `ep` as a sockaddr of the socket family `family` (AF_INET or AF_INET6). An IPv4 endpoint given
// for an AF_INET6 socket becomes its IPv4-mapped form; an IPv6 endpoint cannot be expressed for an
// AF_INET socket (the caller checks families first).
socklen_t toSockaddr(const Endpoint& ep, int family, sockaddr_storage& out);
// `ep` as a sockaddr of its own family.
socklen_t toSockaddr(const Endpoint& ep, sockaddr_storage& out);

// The endpoint in `in`, with an IPv4-mapped IPv6 address turned into IPv4.
Endpoint fromSockaddr(const sockaddr_storage& in);

}  // namespace kubevip

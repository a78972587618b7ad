// The endpoints of the BGP transport's sockets (the sockaddr conversions, and the rule about
// IPv4-mapped addresses, are common/socket_address.h's).
#pragma once

#include <sys/socket.h>

#include "common/ip_address.h"
#include "common/result.h"
#include "common/socket_address.h"

namespace kubevip::bgp::linux_tcp {

// The local (getsockname) and remote (getpeername) endpoints of a connected socket.
Result<Endpoint> localEndpointOf(int fd);
Result<Endpoint> remoteEndpointOf(int fd);

int socketFamilyFor(const IpAddress& address);

}  // namespace kubevip::bgp::linux_tcp

#include "bgp/linux/socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

namespace kubevip::bgp::linux_tcp {

Result<Endpoint> localEndpointOf(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return systemError("getsockname", errno);
  }
  return fromSockaddr(ss);
}

Result<Endpoint> remoteEndpointOf(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return systemError("getpeername", errno);
  }
  return fromSockaddr(ss);
}

int socketFamilyFor(const IpAddress& address) { return address.isV4() ? AF_INET : AF_INET6; }

}  // namespace kubevip::bgp::linux_tcp

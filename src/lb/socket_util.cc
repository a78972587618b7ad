#include "lb/socket_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cerrno>
#include <cstring>

namespace kubevip::lb {

bool isResourceExhaustion(int err) {
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

void setNoDelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

Result<UniqueFd> connectNonblocking(const Endpoint& backend) {
  sockaddr_storage ss;
  socklen_t len = toSockaddr(backend, ss);
  UniqueFd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return systemError("socket", errno);
  setNoDelay(fd.get());
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS) {
    return systemError("connect to " + backend.toString(), errno);
  }
  return fd;
}

Result<UniqueFd> listenReusePort(const Endpoint& ep, int backlog) {
  sockaddr_storage ss;
  socklen_t len = toSockaddr(ep, ss);
  UniqueFd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return systemError("socket", errno);
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    return systemError("SO_REUSEPORT", errno);
  }
  if (ep.address.isV6()) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  // Accepted sockets inherit TCP_NODELAY from the listener: one system call less per connection.
  setNoDelay(fd.get());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    return systemError("bind " + ep.toString(), errno);
  }
  if (::listen(fd.get(), backlog) != 0) return systemError("listen " + ep.toString(), errno);
  return fd;
}

Result<Endpoint> localEndpoint(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return systemError("getsockname", errno);
  }
  return fromSockaddr(ss);
}

}  // namespace kubevip::lb

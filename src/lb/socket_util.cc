#include "lb/socket_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cerrno>
#include <cstring>

namespace kubevip::lb {

socklen_t toSockaddr(const Endpoint& ep, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof(out));
  if (ep.address.isV4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(ep.port);
    std::memcpy(&sin->sin_addr, ep.address.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(ep.port);
  std::memcpy(&sin6->sin6_addr, ep.address.data(), 16);
  return sizeof(sockaddr_in6);
}

Endpoint fromSockaddr(const sockaddr_storage& in) {
  Endpoint ep;
  if (in.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&in);
    std::array<uint8_t, 4> b;
    std::memcpy(b.data(), &sin->sin_addr, 4);
    ep.address = IpAddress::v4(b);
    ep.port = ntohs(sin->sin_port);
  } else if (in.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&in);
    std::array<uint8_t, 16> b;
    std::memcpy(b.data(), &sin6->sin6_addr, 16);
    ep.address = IpAddress::v6(b);
    ep.port = ntohs(sin6->sin6_port);
  }
  return ep;
}

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

#include "common/socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstring>

namespace kubevip {

socklen_t toSockaddr(const Endpoint& ep, int family, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof(out));
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(ep.port);
    std::memcpy(&sin->sin_addr, ep.address.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(ep.port);
  if (ep.address.isV4()) {
    // ::ffff:a.b.c.d (RFC 4291 §2.5.5.2).
    sin6->sin6_addr.s6_addr[10] = 0xff;
    sin6->sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&sin6->sin6_addr.s6_addr[12], ep.address.data(), 4);
  } else {
    std::memcpy(&sin6->sin6_addr, ep.address.data(), 16);
  }
  return sizeof(sockaddr_in6);
}

Endpoint fromSockaddr(const sockaddr_storage& in) {
  Endpoint ep;
  if (in.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&in);
    std::array<uint8_t, 4> bytes;
    std::memcpy(bytes.data(), &sin->sin_addr, 4);
    ep.address = IpAddress::v4(bytes);
    ep.port = ntohs(sin->sin_port);
  } else if (in.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&in);
    ep.port = ntohs(sin6->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
      std::array<uint8_t, 4> bytes;
      std::memcpy(bytes.data(), &sin6->sin6_addr.s6_addr[12], 4);
      ep.address = IpAddress::v4(bytes);
    } else {
      std::array<uint8_t, 16> bytes;
      std::memcpy(bytes.data(), &sin6->sin6_addr, 16);
      ep.address = IpAddress::v6(bytes);
    }
  }
  return ep;
}

socklen_t toSockaddr(const Endpoint& ep, sockaddr_storage& out) {
  return toSockaddr(ep, ep.address.isV4() ? AF_INET : AF_INET6, out);
}

}  // namespace kubevip

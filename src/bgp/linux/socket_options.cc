#include "bgp/linux/socket_options.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "bgp/linux/socket_address.h"

namespace kubevip::bgp::linux_tcp {

static_assert(kMaxMd5PasswordBytes == TCP_MD5SIG_MAXKEYLEN);

Status checkMd5Password(const std::string& password, const IpAddress& peer) {
  if (password.size() > kMaxMd5PasswordBytes) {
    return makeError(ErrorCode::kInvalidArgument,
                     "the TCP MD5 password of BGP peer " + peer.toString() + " is " +
                         std::to_string(password.size()) + " bytes long; the limit is " +
                         std::to_string(kMaxMd5PasswordBytes));
  }
  return {};
}

Status checkTtl(int ttl, const IpAddress& peer) {
  if (ttl < kMinTtl || ttl > kMaxTtl) {
    return makeError(ErrorCode::kInvalidArgument,
                     "the TTL for BGP peer " + peer.toString() + " is " + std::to_string(ttl) +
                         "; it must be between " + std::to_string(kMinTtl) + " and " +
                         std::to_string(kMaxTtl));
  }
  return {};
}

Status setMd5Key(int fd, int socket_family, const IpAddress& peer, const std::string& password) {
  if (auto st = checkMd5Password(password, peer); !st) return st;
  tcp_md5sig sig{};
  toSockaddr(Endpoint{peer, 0}, socket_family, sig.tcpm_addr);
  sig.tcpm_keylen = static_cast<uint16_t>(password.size());
  std::memcpy(sig.tcpm_key, password.data(), password.size());
  if (::setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof(sig)) != 0) {
    return systemError("set the TCP MD5 key of BGP peer " + peer.toString(), errno);
  }
  return {};
}

Status setTtl(int fd, const IpAddress& peer, int ttl) {
  if (auto st = checkTtl(ttl, peer); !st) return st;
  int rc = peer.isV4() ? ::setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl))
                       : ::setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl));
  if (rc != 0) {
    return systemError("set the TTL " + std::to_string(ttl) + " for BGP peer " + peer.toString(),
                       errno);
  }
  return {};
}

Status bindToDevice(int fd, const std::string& interface, std::string_view what) {
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, interface.c_str(),
                   static_cast<socklen_t>(interface.size())) != 0) {
    return systemError("bind " + std::string(what) + " to interface " + interface, errno);
  }
  return {};
}

Status setNoDelay(int fd) {
  int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
    return systemError("TCP_NODELAY", errno);
  }
  return {};
}

}  // namespace kubevip::bgp::linux_tcp

// lookupInterface() over getifaddrs(3), which reads the links and addresses of the calling
// thread's network namespace through rtnetlink in one call.
#include "net/interfaces.h"

#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace kubevip::net {

Result<InterfaceInfo> lookupInterface(std::string_view name) {
  const std::string wanted(name);
  auto missing = [&] {
    return makeError(ErrorCode::kNotFound, "interface '" + wanted + "' does not exist");
  };
  if (wanted.empty() || wanted.size() >= IFNAMSIZ) return missing();
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return systemError("getifaddrs", errno);
  std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> owner(list, &freeifaddrs);

  InterfaceInfo info;
  bool found = false;
  for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_name == nullptr || wanted != it->ifa_name || it->ifa_addr == nullptr) continue;
    if (it->ifa_addr->sa_family == AF_PACKET) {
      const auto* ll = reinterpret_cast<const sockaddr_ll*>(it->ifa_addr);
      found = true;
      info.index = ll->sll_ifindex;
      info.name = wanted;
      if (ll->sll_halen == 6) {
        for (size_t i = 0; i < 6; ++i) info.mac.bytes[i] = ll->sll_addr[i];
      }
      info.up = (it->ifa_flags & IFF_UP) != 0;
      info.running = (it->ifa_flags & IFF_RUNNING) != 0;
    } else if (it->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
      std::array<uint8_t, 4> bytes{};
      std::memcpy(bytes.data(), &in->sin_addr.s_addr, 4);  // network order, as written
      info.addresses.push_back(IpAddress::v4(bytes));
    } else if (it->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(it->ifa_addr);
      std::array<uint8_t, 16> bytes{};
      for (size_t i = 0; i < 16; ++i) bytes[i] = in6->sin6_addr.s6_addr[i];
      info.addresses.push_back(IpAddress::v6(bytes));
      // fe80::/10, RFC 4291 §2.5.6.
      if (!info.link_local_v6 && bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80) {
        info.link_local_v6 = IpAddress::v6(bytes);
      }
    }
  }
  if (!found) return missing();
  return info;
}

}  // namespace kubevip::net

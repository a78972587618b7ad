#include "net/linux/netlink_codec.h"

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace kubevip::net::netlink {
namespace {

constexpr uint32_t kForever = 0xffffffff;  // INFINITY_LIFE_TIME in the kernel

constexpr int32_t kMaxErrno = 4095;

Error malformed(const std::string& why) {
  return makeError(ErrorCode::kInvalidArgument, "malformed netlink message: " + why);
}

Status checkPrefix(const IpAddress& address, int prefix_length) {
  if (prefix_length < 0 || prefix_length > address.hostPrefixLength()) {
    return makeError(ErrorCode::kInvalidArgument, "prefix length " + std::to_string(prefix_length) +
                                                      " is out of range for " + address.toString());
  }
  return {};
}

// Header, ifaddrmsg and the address attributes shared by add and remove.
nlmsghdr* putAddressHeader(std::vector<uint8_t>& buf, uint16_t type, uint16_t flags, uint32_t seq,
                           int ifindex, const IpAddress& address, int prefix_length) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = flags;
  nlh->nlmsg_seq = seq;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = address.isV4() ? AF_INET : AF_INET6;
  ifa->ifa_prefixlen = static_cast<uint8_t>(prefix_length);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = static_cast<uint32_t>(ifindex);
  mnl_attr_put(nlh, IFA_LOCAL, address.size(), address.data());
  mnl_attr_put(nlh, IFA_ADDRESS, address.size(), address.data());
  return nlh;
}

std::vector<uint8_t> finish(std::vector<uint8_t> buf, const nlmsghdr* nlh) {
  buf.resize(nlh->nlmsg_len);
  return buf;
}

}  // namespace

Result<std::vector<uint8_t>> encodeAddRequest(uint32_t seq, int ifindex, const IpAddress& address,
                                              int prefix_length, const AddressLifetime& lifetime) {
  if (auto st = checkPrefix(address, prefix_length); !st) return st.error();
  ifa_cacheinfo ci{};
  if (lifetime.permanent) {
    ci.ifa_valid = kForever;
    ci.ifa_prefered = kForever;
  } else {
    auto valid = lifetime.valid.count();
    auto preferred = lifetime.preferred.count();
    // The kernel refuses these with EINVAL (inet_rtm_newaddr, inet6_rtm_newaddr); say why here.
    if (valid <= 0 || valid >= kForever) {
      return makeError(ErrorCode::kInvalidArgument,
                       "valid lifetime must be 1.." + std::to_string(kForever - 1) + " s");
    }
    if (preferred < 0 || preferred > valid) {
      return makeError(ErrorCode::kInvalidArgument,
                       "preferred lifetime must be between 0 and the valid lifetime");
    }
    ci.ifa_valid = static_cast<uint32_t>(valid);
    ci.ifa_prefered = static_cast<uint32_t>(preferred);
  }
  std::vector<uint8_t> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh =
      putAddressHeader(buf, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
                       seq, ifindex, address, prefix_length);
  // An owned VIP must be usable at once: no Duplicate Address Detection (the controller probes
  // before adding), so it is never "tentative".
  uint32_t flags = address.isV6() ? IFA_F_NODAD : 0;
  static_cast<ifaddrmsg*>(mnl_nlmsg_get_payload(nlh))->ifa_flags = static_cast<uint8_t>(flags);
  mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci), &ci);
  mnl_attr_put_u32(nlh, IFA_FLAGS, flags);
  return finish(std::move(buf), nlh);
}

Result<std::vector<uint8_t>> encodeRemoveRequest(uint32_t seq, int ifindex,
                                                 const IpAddress& address, int prefix_length) {
  if (auto st = checkPrefix(address, prefix_length); !st) return st.error();
  std::vector<uint8_t> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = putAddressHeader(buf, RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, seq, ifindex,
                                   address, prefix_length);
  return finish(std::move(buf), nlh);
}

std::vector<uint8_t> encodeDumpRequest(uint32_t seq) {
  std::vector<uint8_t> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_GETADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = seq;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_UNSPEC;
  return finish(std::move(buf), nlh);
}

Result<std::vector<Message>> splitMessages(std::span<const uint8_t> datagram) {
  std::vector<Message> out;
  size_t at = 0;
  while (at < datagram.size()) {
    if (datagram.size() - at < sizeof(nlmsghdr)) return malformed("truncated header");
    nlmsghdr h;
    std::memcpy(&h, datagram.data() + at, sizeof(h));
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > datagram.size() - at) {
      return malformed("length " + std::to_string(h.nlmsg_len) + " does not fit the datagram");
    }
    out.push_back({h.nlmsg_type, h.nlmsg_flags, h.nlmsg_seq, h.nlmsg_pid,
                   datagram.subspan(at + sizeof(nlmsghdr), h.nlmsg_len - sizeof(nlmsghdr))});
    at += NLMSG_ALIGN(h.nlmsg_len);
  }
  return out;
}

bool isError(const Message& m) { return m.type == NLMSG_ERROR; }
bool isDone(const Message& m) { return m.type == NLMSG_DONE; }
bool isAddressMessage(const Message& m) { return m.type == RTM_NEWADDR || m.type == RTM_DELADDR; }

Result<int> decodeErrorCode(const Message& m) {
  if (!isError(m)) return malformed("not an NLMSG_ERROR message");
  int32_t error = 0;
  if (m.payload.size() < sizeof(error)) return malformed("truncated NLMSG_ERROR");
  std::memcpy(&error, m.payload.data(), sizeof(error));
  // netlink(7): the error is 0 (an acknowledgement) or a negated errno, and the kernel's errnos
  // stay below 4096 (MAX_ERRNO, include/linux/err.h). Anything else is not the kernel's answer, and
  // negating INT32_MIN would overflow.
  if (error > 0 || error < -kMaxErrno) {
    return malformed("NLMSG_ERROR carries " + std::to_string(error) +
                     ", neither 0 nor a negated errno");
  }
  return -error;
}

Result<std::optional<AddressRecord>> decodeAddressMessage(const Message& m) {
  if (!isAddressMessage(m)) return malformed("not RTM_NEWADDR/RTM_DELADDR");
  if (m.payload.size() < sizeof(ifaddrmsg)) return malformed("truncated ifaddrmsg");
  ifaddrmsg ifa;
  std::memcpy(&ifa, m.payload.data(), sizeof(ifa));
  if (ifa.ifa_family != AF_INET && ifa.ifa_family != AF_INET6)
    return std::optional<AddressRecord>{};
  const size_t address_size = ifa.ifa_family == AF_INET ? 4 : 16;

  AddressRecord r;
  r.event.kind = m.type == RTM_NEWADDR ? AddressEvent::Kind::kAdded : AddressEvent::Kind::kRemoved;
  r.event.ifindex = static_cast<int>(ifa.ifa_index);
  r.event.prefix_length = ifa.ifa_prefixlen;
  r.flags = ifa.ifa_flags;
  std::optional<IpAddress> local, address;
  auto attrs = m.payload.subspan(NLMSG_ALIGN(sizeof(ifaddrmsg)) <= m.payload.size()
                                     ? NLMSG_ALIGN(sizeof(ifaddrmsg))
                                     : m.payload.size());
  size_t at = 0;
  while (attrs.size() - at >= sizeof(nlattr)) {
    nlattr a;
    std::memcpy(&a, attrs.data() + at, sizeof(a));
    if (a.nla_len < sizeof(nlattr) || a.nla_len > attrs.size() - at) {
      return malformed("attribute length " + std::to_string(a.nla_len) + " does not fit");
    }
    auto value = attrs.subspan(at + sizeof(nlattr), a.nla_len - sizeof(nlattr));
    uint16_t type = a.nla_type & NLA_TYPE_MASK;
    if (type == IFA_LOCAL || type == IFA_ADDRESS) {
      if (value.size() != address_size) return malformed("address attribute of wrong size");
      std::array<uint8_t, 16> bytes{};
      std::memcpy(bytes.data(), value.data(), address_size);
      IpAddress ip = address_size == 4 ? IpAddress::v4({bytes[0], bytes[1], bytes[2], bytes[3]})
                                       : IpAddress::v6(bytes);
      (type == IFA_LOCAL ? local : address) = ip;
    } else if (type == IFA_CACHEINFO) {
      if (value.size() < sizeof(ifa_cacheinfo)) return malformed("short IFA_CACHEINFO");
      ifa_cacheinfo ci;
      std::memcpy(&ci, value.data(), sizeof(ci));
      r.valid_seconds = ci.ifa_valid;
      r.preferred_seconds = ci.ifa_prefered;
    } else if (type == IFA_FLAGS) {
      if (value.size() < sizeof(uint32_t)) return malformed("short IFA_FLAGS");
      std::memcpy(&r.flags, value.data(), sizeof(uint32_t));
    }
    at = std::min<size_t>(attrs.size(), at + NLA_ALIGN(a.nla_len));
  }
  if (!local && !address) return malformed("no IFA_LOCAL or IFA_ADDRESS");
  r.event.address = local ? *local : *address;
  return std::optional<AddressRecord>(r);
}

}  // namespace kubevip::net::netlink

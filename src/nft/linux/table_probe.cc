// Whether kube-vip's table exists, asked of nf_tables over a bare netlink socket: one GETTABLE
// request for inet kube_vip, answered by the table (NFT_MSG_NEWTABLE) or by ENOENT.
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "common/unique_fd.h"
#include "nft/nftables.h"

namespace kubevip::nft {
namespace {

Error lookupError(const std::string& what, int err) {
  return kubevip::systemError("looking for table inet " + std::string(kTableName) + ": " + what,
                              err);
}

}  // namespace

Result<bool> tablePresentWithoutLibrary() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (!fd.valid()) return lookupError("netlink socket", errno);

  // nlmsghdr, nfgenmsg, then the NFTA_TABLE_NAME attribute (NUL-terminated, padded to 4).
  std::array<char, 64> request{};
  const std::string name(kTableName);
  const auto attr_len = static_cast<uint16_t>(NLA_HDRLEN + name.size() + 1);
  const auto total =
      static_cast<uint32_t>(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg)) + NLA_ALIGN(attr_len));
  auto* header = reinterpret_cast<nlmsghdr*>(request.data());
  header->nlmsg_len = total;
  header->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE;
  header->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  header->nlmsg_seq = 1;
  auto* generic = reinterpret_cast<nfgenmsg*>(request.data() + NLMSG_HDRLEN);
  generic->nfgen_family = NFPROTO_INET;
  generic->version = NFNETLINK_V0;
  auto* attr =
      reinterpret_cast<nlattr*>(request.data() + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg)));
  attr->nla_len = attr_len;
  attr->nla_type = NFTA_TABLE_NAME;
  std::memcpy(reinterpret_cast<char*>(attr) + NLA_HDRLEN, name.c_str(), name.size() + 1);

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd.get(), request.data(), total, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof(kernel)) < 0) {
    return lookupError("netlink send", errno);
  }
  // The answer: the table then an acknowledgement, or an error; nothing else is asked on this
  // socket, so the first message decides.
  alignas(nlmsghdr) std::array<char, 8192> reply{};
  const ssize_t n = ::recv(fd.get(), reply.data(), reply.size(), 0);
  if (n < 0) return lookupError("netlink receive", errno);
  const auto* answer = reinterpret_cast<const nlmsghdr*>(reply.data());
  if (!NLMSG_OK(answer, static_cast<unsigned>(n))) {
    return makeError(ErrorCode::kInternal,
                     "looking for table inet " + name + ": a truncated netlink answer");
  }
  if (answer->nlmsg_type == NLMSG_ERROR) {
    if (answer->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) {
      return makeError(ErrorCode::kInternal,
                       "looking for table inet " + name + ": a truncated netlink error");
    }
    const int err = -reinterpret_cast<const nlmsgerr*>(NLMSG_DATA(answer))->error;
    if (err == ENOENT) return false;
    if (err == 0) return true;  // an acknowledgement alone is not expected; the table answered
    return lookupError("nf_tables refused", err);
  }
  return answer->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE);
}

}  // namespace kubevip::nft

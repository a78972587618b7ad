// deleteFlows() and listFlows() over a NETLINK_NETFILTER socket (conntrack.h says what they do;
// conntrack.cc builds and reads the messages).
//
// The whole table of one family is dumped and filtered here: the kernel's dump filter (CTA_FILTER)
// is absent from older kernels. The deletions follow the dump, on the same socket, each one
// acknowledged before the next; an entry that ended in between answers ENOENT, which is no error.
// A receive timeout bounds every wait, so a kernel that stops answering cannot hold the caller.
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <functional>
#include <string>

#include "common/unique_fd.h"
#include "nft/conntrack.h"

namespace kubevip::nft {
namespace {

// The kernel fills each dump datagram up to the larger of 16 KiB and the last receive buffer it
// saw (at most 32 KiB); a larger one is never cut.
constexpr size_t kReceiveBuffer = size_t{64} * 1024;
constexpr timeval kReceiveTimeout{1, 0};

Error failure(const std::string& what, int err) { return systemError("conntrack: " + what, err); }

class ConntrackSocket {
 public:
  Status open() {
    fd_ = UniqueFd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
    if (!fd_.valid()) return failure("netlink socket", errno);
    if (::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &kReceiveTimeout,
                     sizeof(kReceiveTimeout)) != 0) {
      return failure("setting the receive timeout", errno);
    }
    return {};
  }

  Status send(const std::vector<uint8_t>& request) {
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(fd_.get(), request.data(), request.size(), 0,
                 reinterpret_cast<const sockaddr*>(&kernel), sizeof(kernel)) < 0) {
      return failure("netlink send", errno);
    }
    return {};
  }

  Result<std::vector<DumpMessage>> receive() {
    const ssize_t n = ::recv(fd_.get(), buffer_.data(), buffer_.size(), MSG_TRUNC);
    if (n < 0) {
      return failure(errno == EAGAIN ? "no answer within 1 s" : "netlink receive", errno);
    }
    if (static_cast<size_t>(n) > buffer_.size()) {
      return makeError(ErrorCode::kInternal, "conntrack: a netlink answer of " + std::to_string(n) +
                                                 " bytes was cut to " +
                                                 std::to_string(buffer_.size()));
    }
    return decodeDumpDatagram(std::span<const uint8_t>(buffer_.data(), static_cast<size_t>(n)));
  }

  uint32_t nextSeq() { return ++seq_; }

 private:
  UniqueFd fd_;
  std::vector<uint8_t> buffer_ = std::vector<uint8_t>(kReceiveBuffer);
  uint32_t seq_ = 0;
};

// Shows each TCP/UDP entry to `visit` as it arrives: a large table is never held in memory.
Status dump(ConntrackSocket& socket, IpFamily family,
            const std::function<void(const ConntrackEntry&)>& visit) {
  if (auto st = socket.send(encodeDumpRequest(socket.nextSeq(), family)); !st) return st.error();
  for (;;) {
    auto messages = socket.receive();
    if (!messages) return messages.error();
    for (const DumpMessage& m : *messages) {
      switch (m.kind) {
        case DumpMessageKind::kDone:
          return {};
        case DumpMessageKind::kError:
          if (m.error != 0) return failure("dump refused", m.error);
          break;
        case DumpMessageKind::kEntry:
          if (m.entry) visit(*m.entry);
          break;
        case DumpMessageKind::kOther:
          break;
      }
    }
  }
}

// Deletes one entry; false when it was gone already.
Result<bool> remove(ConntrackSocket& socket, const ConntrackEntry& entry) {
  auto request = encodeDeleteRequest(socket.nextSeq(), entry.original, entry.zone);
  if (!request) return request.error();
  if (auto st = socket.send(*request); !st) return st.error();
  for (;;) {
    auto messages = socket.receive();
    if (!messages) return messages.error();
    for (const DumpMessage& m : *messages) {
      if (m.kind != DumpMessageKind::kError) continue;
      if (m.error == 0) return true;
      if (m.error == ENOENT) return false;
      return failure("deleting the entry of " + entry.original.source.toString() + ":" +
                         std::to_string(entry.original.source_port) + " -> " +
                         entry.original.destination.toString() + ":" +
                         std::to_string(entry.original.destination_port),
                     m.error);
    }
  }
}

}  // namespace

Result<std::vector<ConntrackEntry>> listFlows(IpFamily family) {
  ConntrackSocket socket;
  if (auto st = socket.open(); !st) return st.error();
  std::vector<ConntrackEntry> entries;
  auto st = dump(socket, family, [&entries](const ConntrackEntry& e) { entries.push_back(e); });
  if (!st) return st.error();
  return entries;
}

Result<std::vector<int>> deleteFlows(const std::vector<FlowMatch>& matches) {
  std::vector<int> deleted(matches.size(), 0);
  if (matches.empty()) return deleted;
  ConntrackSocket socket;
  if (auto st = socket.open(); !st) return st.error();
  for (const IpFamily family : {IpFamily::kV4, IpFamily::kV6}) {
    // The entries to delete, each with the match that picked it; deleted after the dump, which
    // must end before the socket carries another request.
    std::vector<std::pair<size_t, ConntrackEntry>> picked;
    bool wanted = false;
    for (const FlowMatch& m : matches) wanted = wanted || m.vip.family() == family;
    if (!wanted) continue;
    auto st = dump(socket, family, [&](const ConntrackEntry& entry) {
      for (size_t i = 0; i < matches.size(); ++i) {
        if (matchesFlow(matches[i], entry)) {
          picked.emplace_back(i, entry);
          return;
        }
      }
    });
    if (!st) return st.error();
    for (const auto& [index, entry] : picked) {
      auto removed = remove(socket, entry);
      if (!removed) return removed.error();
      if (*removed) ++deleted[index];
    }
  }
  return deleted;
}

}  // namespace kubevip::nft

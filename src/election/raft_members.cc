#include "election/raft_members.h"

#include <algorithm>
#include <set>

#include "election/raft_c.h"

namespace kubevip::election {

uint64_t raftIdOf(std::string_view member_id) {
  const std::string text(member_id);
  uint64_t id = raft_digest(text.c_str(), 0);
  // 0 means "no server" to libraft. A digest of 0 is astronomically unlikely; map it anyway.
  return id == 0 ? 1 : id;
}

Result<std::string> raftAddressOf(const config::Peer& peer) {
  if (!peer.address.isV4()) {
    return makeError(ErrorCode::kInvalidArgument,
                     "member " + peer.id + " has address " + peer.address.toString() +
                         ": the Raft transport (libraft 0.15) supports IPv4 only");
  }
  if (peer.port == 0) {
    return makeError(ErrorCode::kInvalidArgument, "member " + peer.id + " has no port");
  }
  return peer.address.toString() + ":" + std::to_string(peer.port);
}

Result<std::vector<RaftMember>> resolveMembers(const std::vector<config::Peer>& peers) {
  if (peers.empty()) return makeError(ErrorCode::kInvalidArgument, "no Raft members configured");
  std::vector<RaftMember> out;
  std::set<std::string> ids;
  std::set<uint64_t> raft_ids;
  std::set<std::string> addresses;
  for (const auto& p : peers) {
    if (p.id.empty()) return makeError(ErrorCode::kInvalidArgument, "a Raft member has no id");
    auto address = raftAddressOf(p);
    if (!address) return address.error();
    RaftMember m{p.id, raftIdOf(p.id), *address};
    if (!ids.insert(m.id).second) {
      return makeError(ErrorCode::kInvalidArgument, "duplicate member id " + m.id);
    }
    if (!raft_ids.insert(m.raft_id).second) {
      return makeError(ErrorCode::kInvalidArgument, "member id " + m.id + " collides with another");
    }
    if (!addresses.insert(m.address).second) {
      return makeError(ErrorCode::kInvalidArgument, "duplicate member address " + m.address);
    }
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(),
            [](const RaftMember& a, const RaftMember& b) { return a.raft_id < b.raft_id; });
  return out;
}

}  // namespace kubevip::election

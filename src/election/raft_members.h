// How configured members become libraft servers: numeric ids and transport addresses.
//
// Every node derives the same numeric id for a member from its id string alone, with libraft's own
// raft_digest() (the first 8 bytes of SHA-1 over the string, seed 0), so the ids agree on all nodes
// whatever order the members are listed in, and a member keeps its id when others are added.
// libraft 0.15's TCP transport splits "host:port" at the first ':' and resolves it as AF_INET only,
// so members must have IPv4 addresses ("1.2.3.4:port"); an IPv6 member is refused with a clear
// error instead of failing later inside the library.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/config.h"

namespace kubevip::election {

struct RaftMember {
  std::string id;        // the configured member id
  uint64_t raft_id = 0;  // never 0 (libraft reserves 0)
  std::string address;   // "ip:port" as the libraft transport takes it
};

uint64_t raftIdOf(std::string_view member_id);
Result<std::string> raftAddressOf(const config::Peer& peer);

// Checks the member list (non-empty unique ids, unique raft ids and addresses, IPv4, port != 0) and
// returns it sorted by raft id.
Result<std::vector<RaftMember>> resolveMembers(const std::vector<config::Peer>& peers);

}  // namespace kubevip::election

// The Raft port's transport: who may speak on it, and (with a cluster key) proof of every byte.
//
// libraft 0.15 takes its connections from a `struct raft_uv_transport` (raft/uv.h); this one
// replaces raft_uv_tcp_init's. Data flow:
//   accept: TCP accept -> the source address must be a configured peer's, else the socket is closed
//           at once (counted, logged once per address) -> [cluster key: the handshake of
//           raft_peer_auth.h, the client's claimed id must be a member whose address is the source
//           address] -> libraft's preamble (protocol, id, address) -> libraft's accept callback.
//   connect: TCP connect -> [cluster key: handshake] -> libraft's preamble -> libraft's callback.
// Without a key libraft gets the TCP socket itself and the bytes on the wire are exactly those of
// libraft's own TCP transport (a rolling upgrade mixes both). With a key libraft gets one end of a
// socketpair per connection, and a bridge on the loop seals what libraft writes into frames on the
// socket and writes back only the payload of frames that pass their check; the first bad frame
// closes the connection. libraft frames its messages inside that byte stream as always, so nothing
// unproven reaches its decoder, and the id it is told is the one the peer proved (raft_peer_auth.h
// for the argument).
//
// Members that vanish: a member whose link or power is lost sends no FIN or RST, so our end of
// each connection to it stays open and the kernel retransmits into it with exponential backoff
// (200 ms doubling up to 120 s, for about 15 minutes). When the member comes back (a new process on
// the same address), nothing reaches it until the next retransmission draws its RST: after an 8 s
// outage the returned member heard no leader for 5.5 s, and the other followers' replies to it were
// lost as long, so losing the leader in that window left two live members without a majority (a
// failover of 6.2 s instead of 0.6 s). Every connection therefore carries TCP_USER_TIMEOUT
// (dead_peer_timeout: data unacknowledged that long closes it, and libraft connects again, one
// attempt per handshake_timeout) and keepalive probes after kKeepaliveIdle of silence (an idle
// connection draws the returned member's RST instead of losing the next message). Closing a
// connection only loses messages, which Raft tolerates, and the leader lease counts
// acknowledgements, not connections (leader_lease.h); a peer that is stopped or slow but whose
// host is up still acknowledges in its kernel, so it is not cut off.
//
// Why the address filter stays on with a key: it costs nothing and turns away scanners before any
// handshake state is allocated. Handshakes that do not finish within handshake_timeout are closed,
// and at most kMaxPendingHandshakes incoming ones are kept.
//
// Threading: everything on the loop's thread. Memory handed to libraft (streams) is allocated with
// raft_malloc, since libraft frees it with raft_free.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "common/result.h"
#include "election/raft_c.h"
#include "election/raft_members.h"
#include "election/raft_peer_auth.h"

namespace kubevip::election {

struct RaftTransportOptions {
  std::vector<RaftMember> members;  // all voters, this node included
  uint64_t self_id = 0;
  std::optional<peer_auth::ClusterKey> cluster_key;  // unset: unauthenticated (address filter only)
  // Fills the span with unpredictable bytes (handshake nonces). Default: OpenSSL's RAND_bytes.
  std::function<void(std::span<uint8_t>)> random_bytes;
  std::chrono::milliseconds handshake_timeout{1000};
  // Unacknowledged data older than this closes the connection (see "Members that vanish"). Long
  // enough that a link flap of a second or two does not cost the connection: retransmission
  // (200 ms doubling) brings it back within a second of the link's return, where a closed one
  // waits for libraft's next connect attempt, up to a handshake_timeout and more; with 1 s a
  // follower's 1 s flap closed the leader's connection to it, and the other follower's flap a
  // second later left the leader without a majority (test_safety_probe_link_flap). Short enough
  // that a member lost for longer is reached again within a connect attempt of its return.
  std::chrono::milliseconds dead_peer_timeout{3000};
};

// Silence after which a connection is probed, and the interval of the probes (whole seconds: the
// kernel's unit).
constexpr std::chrono::seconds kKeepaliveIdle{1};

struct RaftTransportStats {
  uint64_t connections_accepted = 0;  // handed to libraft
  uint64_t refused_addresses = 0;     // not from a configured peer's address
  uint64_t refused_handshakes = 0;    // bad or missing proof, bad preamble, wrong id, timeout
  uint64_t refused_frames = 0;        // a frame failed its check after the handshake
};

constexpr int kMaxPendingHandshakes = 16;

// Sets `transport` up; libraft then calls its init/listen/connect/close. Release it with
// raftTransportDestroy once its close callback has run (or if raft_uv_init never took it).
Status raftTransportInit(struct raft_uv_transport* transport, uv_loop_t* loop,
                         RaftTransportOptions options);
void raftTransportDestroy(struct raft_uv_transport* transport);
RaftTransportStats raftTransportStats(const struct raft_uv_transport* transport);

}  // namespace kubevip::election

// Authentication and integrity of the Raft port: the pure half (no I/O, no clock, no randomness).
//
// Peers that share a 32-byte cluster key K authenticate each other before any Raft byte flows,
// then protect every byte with a per-connection key. The transport (raft_transport.h) moves these
// messages; everything that decides what is accepted is here, and tested with golden vectors.
//
// Handshake (C connects to S; ids are Raft ids, nonces 32 random bytes drawn per connection):
//   C -> S  hello      "KVR1" | client id (8, big endian) | client nonce (32)
//   S -> C  challenge  "KVR1" | server nonce (32) | server proof (32)
//   C -> S  proof      client proof (32)
// with transcript T = client id | server id | client nonce | server nonce and
//   server proof = HMAC-SHA256(K, "kube-vip raft v1 server proof" | T)
//   client proof = HMAC-SHA256(K, "kube-vip raft v1 client proof" | T)
//   key C->S     = HMAC-SHA256(K, "kube-vip raft v1 client to server" | T)
//   key S->C     = HMAC-SHA256(K, "kube-vip raft v1 server to client" | T)
// (HKDF-Expand of RFC 5869 §2.3 with K as the pseudorandom key, one block each; K is uniformly
// random, so no extract step is needed.) Then each direction is a sequence of frames
//   length (4, big endian, 1..kMaxFramePayload) | payload | HMAC-SHA256(direction key,
//   sequence (8, big endian, 0, 1, 2, ... per direction) | length | payload)
//
// Why this is enough:
//  * Only a holder of K can produce either proof, and each proof covers the other side's fresh
//    nonce: a recorded handshake replayed later meets a new nonce and fails. The labels differ per
//    role, so a server's proof cannot be reflected as a client's. The client checks the server's
//    proof for the id it meant to reach, the server the client's proof for the id it claims; the
//    id libraft is told comes from that proven hello, never from unauthenticated bytes.
//  * Every frame is bound to this connection (keys derived from both nonces) and to its position
//    (the implicit sequence number): a frame replayed on another connection, replayed, dropped or
//    reordered on this one, or altered, fails its tag, and the connection is closed at the first
//    bad frame. Frames carry a byte stream, so libraft's own framing is untouched inside.
//  * Nothing is encrypted: Raft messages here carry terms, ids and log positions, no secrets.
//    Tags are compared in constant time (CRYPTO_memcmp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kubevip::election::peer_auth {

constexpr std::size_t kKeySize = 32;
using Bytes32 = std::array<uint8_t, 32>;
using ClusterKey = Bytes32;  // config::ClusterKey; as text, config::parseClusterKey
using Nonce = Bytes32;
using Tag = Bytes32;

constexpr std::size_t kHelloSize = 4 + 8 + 32;
constexpr std::size_t kChallengeSize = 4 + 32 + 32;
constexpr std::size_t kProofSize = 32;
constexpr std::size_t kFrameHeaderSize = 4;
constexpr std::size_t kFrameTagSize = 32;
constexpr std::size_t kMaxFramePayload = std::size_t{64} * 1024;

struct Hello {
  uint64_t client_id = 0;
  Nonce client_nonce{};
};
std::array<uint8_t, kHelloSize> encodeHello(const Hello& hello);
std::optional<Hello> decodeHello(std::span<const uint8_t> bytes);

struct Challenge {
  Nonce server_nonce{};
  Tag server_proof{};
};
std::array<uint8_t, kChallengeSize> encodeChallenge(const Challenge& challenge);
std::optional<Challenge> decodeChallenge(std::span<const uint8_t> bytes);

struct Transcript {
  uint64_t client_id = 0;
  uint64_t server_id = 0;
  Nonce client_nonce{};
  Nonce server_nonce{};
};
Tag serverProof(const ClusterKey& key, const Transcript& t);
Tag clientProof(const ClusterKey& key, const Transcript& t);

struct SessionKeys {
  Bytes32 client_to_server{};
  Bytes32 server_to_client{};
};
SessionKeys deriveSessionKeys(const ClusterKey& key, const Transcript& t);

// Constant-time comparison.
bool sameTag(const Tag& a, std::span<const uint8_t> b);

// Turns a byte stream into frames of one direction.
class FrameSealer {
 public:
  explicit FrameSealer(const Bytes32& key) : key_(key) {}
  // Appends the frames carrying `data` (split at kMaxFramePayload) to `out`.
  void seal(std::span<const uint8_t> data, std::string& out);

 private:
  Bytes32 key_;
  uint64_t sequence_ = 0;
};

// Checks the frames of one direction and yields their payloads. Bytes may arrive in any pieces.
class FrameOpener {
 public:
  explicit FrameOpener(const Bytes32& key) : key_(key) {}
  // Appends the payloads of every complete frame to `out`; an Error (and nothing more accepted)
  // at the first frame with a bad length or tag.
  Status open(std::span<const uint8_t> data, std::string& out);
  uint64_t framesAccepted() const { return sequence_; }

 private:
  Bytes32 key_;
  uint64_t sequence_ = 0;
  std::string pending_;
  bool failed_ = false;
};

}  // namespace kubevip::election::peer_auth

#include "election/raft_peer_auth.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "election/hmac_sha256.h"

namespace kubevip::election::peer_auth {
namespace {

constexpr std::array<uint8_t, 4> kMagic = {'K', 'V', 'R', '1'};

void putU64(uint64_t v, uint8_t* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
}

uint64_t getU64(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | in[i];
  return v;
}

void putU32(uint32_t v, uint8_t* out) {
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
}

uint32_t getU32(const uint8_t* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | in[i];
  return v;
}

Bytes32 hmac(const Bytes32& key, std::span<const uint8_t> message) {
  return hmacSha256(key, message);
}

Bytes32 labelled(const ClusterKey& key, std::string_view label, const Transcript& t) {
  std::string m(label);
  uint8_t ids[16];
  putU64(t.client_id, ids);
  putU64(t.server_id, ids + 8);
  m.append(reinterpret_cast<const char*>(ids), sizeof ids);
  m.append(reinterpret_cast<const char*>(t.client_nonce.data()), t.client_nonce.size());
  m.append(reinterpret_cast<const char*>(t.server_nonce.data()), t.server_nonce.size());
  return hmac(key, {reinterpret_cast<const uint8_t*>(m.data()), m.size()});
}

Bytes32 frameTag(const Bytes32& key, uint64_t sequence, std::span<const uint8_t> header,
                 std::span<const uint8_t> payload) {
  std::string m(8, '\0');
  putU64(sequence, reinterpret_cast<uint8_t*>(m.data()));
  m.append(reinterpret_cast<const char*>(header.data()), header.size());
  m.append(reinterpret_cast<const char*>(payload.data()), payload.size());
  return hmac(key, {reinterpret_cast<const uint8_t*>(m.data()), m.size()});
}

}  // namespace

std::array<uint8_t, kHelloSize> encodeHello(const Hello& hello) {
  std::array<uint8_t, kHelloSize> out{};
  std::copy(kMagic.begin(), kMagic.end(), out.begin());
  putU64(hello.client_id, out.data() + 4);
  std::copy(hello.client_nonce.begin(), hello.client_nonce.end(), out.begin() + 12);
  return out;
}

std::optional<Hello> decodeHello(std::span<const uint8_t> bytes) {
  if (bytes.size() != kHelloSize || !std::equal(kMagic.begin(), kMagic.end(), bytes.begin())) {
    return std::nullopt;
  }
  Hello h;
  h.client_id = getU64(bytes.data() + 4);
  std::copy(bytes.begin() + 12, bytes.end(), h.client_nonce.begin());
  return h;
}

std::array<uint8_t, kChallengeSize> encodeChallenge(const Challenge& challenge) {
  std::array<uint8_t, kChallengeSize> out{};
  std::copy(kMagic.begin(), kMagic.end(), out.begin());
  std::copy(challenge.server_nonce.begin(), challenge.server_nonce.end(), out.begin() + 4);
  std::copy(challenge.server_proof.begin(), challenge.server_proof.end(), out.begin() + 36);
  return out;
}

std::optional<Challenge> decodeChallenge(std::span<const uint8_t> bytes) {
  if (bytes.size() != kChallengeSize || !std::equal(kMagic.begin(), kMagic.end(), bytes.begin())) {
    return std::nullopt;
  }
  Challenge c;
  std::copy(bytes.begin() + 4, bytes.begin() + 36, c.server_nonce.begin());
  std::copy(bytes.begin() + 36, bytes.end(), c.server_proof.begin());
  return c;
}

Tag serverProof(const ClusterKey& key, const Transcript& t) {
  return labelled(key, "kube-vip raft v1 server proof", t);
}

Tag clientProof(const ClusterKey& key, const Transcript& t) {
  return labelled(key, "kube-vip raft v1 client proof", t);
}

SessionKeys deriveSessionKeys(const ClusterKey& key, const Transcript& t) {
  return SessionKeys{labelled(key, "kube-vip raft v1 client to server", t),
                     labelled(key, "kube-vip raft v1 server to client", t)};
}

bool sameTag(const Tag& a, std::span<const uint8_t> b) {
  return b.size() == a.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void FrameSealer::seal(std::span<const uint8_t> data, std::string& out) {
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), kMaxFramePayload);
    const auto payload = data.first(n);
    uint8_t header[kFrameHeaderSize];
    putU32(static_cast<uint32_t>(n), header);
    const Tag tag = frameTag(key_, sequence_++, header, payload);
    out.append(reinterpret_cast<const char*>(header), sizeof header);
    out.append(reinterpret_cast<const char*>(payload.data()), payload.size());
    out.append(reinterpret_cast<const char*>(tag.data()), tag.size());
    data = data.subspan(n);
  }
}

Status FrameOpener::open(std::span<const uint8_t> data, std::string& out) {
  if (failed_) return makeError(ErrorCode::kInvalidArgument, "frame stream already rejected");
  pending_.append(reinterpret_cast<const char*>(data.data()), data.size());
  std::size_t at = 0;
  while (pending_.size() - at >= kFrameHeaderSize) {
    const auto* header = reinterpret_cast<const uint8_t*>(pending_.data() + at);
    const uint32_t n = getU32(header);
    if (n == 0 || n > kMaxFramePayload) {
      failed_ = true;
      return makeError(ErrorCode::kInvalidArgument, "frame " + std::to_string(sequence_) +
                                                        " has a bad length " + std::to_string(n));
    }
    const std::size_t total = kFrameHeaderSize + n + kFrameTagSize;
    if (pending_.size() - at < total) break;
    std::span<const uint8_t> payload(header + kFrameHeaderSize, n);
    const Tag expected =
        frameTag(key_, sequence_, std::span<const uint8_t>(header, kFrameHeaderSize), payload);
    if (!sameTag(expected,
                 std::span<const uint8_t>(header + kFrameHeaderSize + n, kFrameTagSize))) {
      failed_ = true;
      return makeError(ErrorCode::kInvalidArgument,
                       "frame " + std::to_string(sequence_) +
                           " fails its integrity check (wrong key, altered, replayed or "
                           "out of order)");
    }
    out.append(reinterpret_cast<const char*>(payload.data()), payload.size());
    ++sequence_;
    at += total;
  }
  pending_.erase(0, at);
  return okStatus();
}

}  // namespace kubevip::election::peer_auth

// HMAC-SHA256 (RFC 2104, FIPS 198-1) for the Raft peer authentication (raft_peer_auth.h).
//
// The hash is OpenSSL's own SHA-256 (SHA256_Init/Update/Final); only the HMAC construction is
// written here: H((K ^ opad) | H((K ^ ipad) | m)), K padded to the 64-byte block (a longer key is
// hashed first). Checked against the RFC 4231 test vectors and against OpenSSL's HMAC().
//
// Why not OpenSSL's HMAC() or EVP_MAC: in OpenSSL 3 those fetch their algorithms through the
// provider machinery, whose first use reads the configuration and builds the default provider's
// tables of every algorithm, which cost an idle member 2.4 MiB resident (0.5 MiB of heap and
// 1.9 MiB of libcrypto it touches; bench/footprint/run.sh with a cluster key) for one hash. The
// low-level SHA-256 functions run the same code without that layer. They are marked deprecated
// in OpenSSL 3.0 (still shipped by every 3.x), hence OPENSSL_SUPPRESS_DEPRECATED in the .cc.
// The computation has no secret-dependent branch or table lookup (SHA-256 has none, and the key
// is only XORed), so it is as constant-time as OpenSSL's.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace kubevip::election {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest hmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> message);

}  // namespace kubevip::election

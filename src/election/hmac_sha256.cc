#include "election/hmac_sha256.h"

// The low-level digest functions: see the header for why.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace kubevip::election {
namespace {

constexpr std::size_t kBlockSize = 64;  // SHA-256's block (RFC 2104: B)
constexpr uint8_t kInnerPad = 0x36;
constexpr uint8_t kOuterPad = 0x5c;

}  // namespace

Sha256Digest hmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> message) {
  // RFC 2104 §2: a key longer than the block is replaced by its hash; then padded with zeros.
  std::array<uint8_t, kBlockSize> block{};
  if (key.size() > kBlockSize) {
    SHA256(key.data(), key.size(), block.data());
  } else {
    std::copy(key.begin(), key.end(), block.begin());
  }
  std::array<uint8_t, kBlockSize> pad{};
  Sha256Digest inner{};
  Sha256Digest out{};
  SHA256_CTX ctx;

  for (std::size_t i = 0; i < kBlockSize; ++i) pad[i] = block[i] ^ kInnerPad;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, pad.data(), pad.size());
  SHA256_Update(&ctx, message.data(), message.size());
  SHA256_Final(inner.data(), &ctx);

  for (std::size_t i = 0; i < kBlockSize; ++i) pad[i] = block[i] ^ kOuterPad;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, pad.data(), pad.size());
  SHA256_Update(&ctx, inner.data(), inner.size());
  SHA256_Final(out.data(), &ctx);

  // The key material leaves no copy on the stack.
  OPENSSL_cleanse(block.data(), block.size());
  OPENSSL_cleanse(pad.data(), pad.size());
  OPENSSL_cleanse(&ctx, sizeof ctx);
  return out;
}

}  // namespace kubevip::election

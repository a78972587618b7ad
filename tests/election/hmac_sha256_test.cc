#include "election/hmac_sha256.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <vector>

namespace kubevip::election {
namespace {

std::vector<uint8_t> fromHex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::vector<uint8_t> fromText(const std::string& text) { return {text.begin(), text.end()}; }

std::string toHex(const Sha256Digest& digest) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : digest) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

struct Rfc4231Case {
  const char* name;
  std::vector<uint8_t> key;
  std::vector<uint8_t> data;
  const char* hmac_sha256;
};

// RFC 4231 §4: the HMAC-SHA-256 results of test cases 1-4, 6 and 7 (5 is a truncated tag).
TEST(HmacSha256Test, MatchesTheRfc4231TestVectors) {
  const std::vector<Rfc4231Case> cases = {
      {"4.2", std::vector<uint8_t>(20, 0x0b), fromText("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"4.3", fromText("Jefe"), fromText("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"4.4", std::vector<uint8_t>(20, 0xaa), std::vector<uint8_t>(50, 0xdd),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"4.5", fromHex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
       std::vector<uint8_t>(50, 0xcd),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {"4.7", std::vector<uint8_t>(131, 0xaa),
       fromText("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"4.8", std::vector<uint8_t>(131, 0xaa),
       fromText("This is a test using a larger than block-size key and a larger than block-size "
                "data. The key needs to be hashed before being used by the HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(toHex(hmacSha256(c.key, c.data)), c.hmac_sha256) << "RFC 4231 section " << c.name;
  }
}

// The same as OpenSSL's HMAC() for the lengths around the block size and the 32-byte cluster key.
TEST(HmacSha256Test, AgreesWithOpenSslHmacAcrossKeyAndMessageLengths) {
  for (std::size_t key_len : {0, 1, 32, 63, 64, 65, 200}) {
    for (std::size_t msg_len : {0, 1, 55, 56, 64, 100, 1000}) {
      // One spare byte each, so that an empty key or message still has a pointer (OpenSSL's
      // HMAC() refuses a null key).
      std::vector<uint8_t> key(key_len + 1), msg(msg_len + 1);
      for (std::size_t i = 0; i < key_len; ++i) key[i] = static_cast<uint8_t>(i * 7 + 1);
      for (std::size_t i = 0; i < msg_len; ++i) msg[i] = static_cast<uint8_t>(i * 13 + 5);
      Sha256Digest expected{};
      unsigned len = 0;
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key_len), msg.data(), msg_len,
           expected.data(), &len);
      ASSERT_EQ(len, expected.size());
      EXPECT_EQ(toHex(hmacSha256({key.data(), key_len}, {msg.data(), msg_len})), toHex(expected))
          << "key " << key_len << " bytes, message " << msg_len << " bytes";
    }
  }
}

}  // namespace
}  // namespace kubevip::election

#include "net/mac_address.h"

#include <algorithm>

namespace kubevip::net {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool MacAddress::isZero() const {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

std::string MacAddress::toString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(17);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i != 0) out.push_back(':');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0f]);
  }
  return out;
}

Result<MacAddress> MacAddress::parse(std::string_view text) {
  auto invalid = [&] {
    return makeError(ErrorCode::kInvalidArgument,
                     "'" + std::string(text) + "' is not a MAC address (want aa:bb:cc:dd:ee:ff)");
  };
  if (text.size() != 17) return invalid();
  MacAddress mac;
  for (size_t i = 0; i < 6; ++i) {
    size_t at = i * 3;
    int hi = hexValue(text[at]);
    int lo = hexValue(text[at + 1]);
    if (hi < 0 || lo < 0) return invalid();
    if (i < 5 && text[at + 2] != ':') return invalid();
    mac.bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return mac;
}

}  // namespace kubevip::net

#include "bgp/prefix.h"

#include <array>
#include <string>

namespace kubevip::bgp {

Prefix Prefix::host(const IpAddress& address) {
  return Prefix{address, static_cast<uint8_t>(address.hostPrefixLength())};
}

void encodePrefix(const Prefix& prefix, ByteWriter& w) {
  w.u8(prefix.length);
  std::size_t octets = (prefix.length + 7) / 8;
  w.bytes(std::span(prefix.address.data(), octets));
}

Decoded<std::vector<Prefix>> decodePrefixes(std::span<const uint8_t> bytes, IpFamily family,
                                            uint8_t error_subcode, const char* where) {
  const std::size_t width = family == IpFamily::kV4 ? 32 : 128;
  std::vector<Prefix> out;
  ByteReader r(bytes);
  while (!r.empty()) {
    uint8_t length = r.u8();
    std::size_t octets = (length + 7u) / 8;
    if (length > width || !r.has(octets)) {
      return decodeError(NotificationCode::kUpdateMessage, error_subcode,
                         std::string("UPDATE: ") + where + ": prefix length " +
                             std::to_string(length) + " is invalid or runs past the field");
    }
    std::array<uint8_t, 16> raw{};
    auto part = r.take(octets);
    std::copy(part.begin(), part.end(), raw.begin());
    // RFC 4271 §4.3: the trailing bits are irrelevant; clear them so equal prefixes compare equal.
    if (length % 8 != 0) raw[octets - 1] &= static_cast<uint8_t>(0xff << (8 - length % 8));
    IpAddress address = family == IpFamily::kV4 ? IpAddress::v4({raw[0], raw[1], raw[2], raw[3]})
                                                : IpAddress::v6(raw);
    out.push_back(Prefix{address, length});
  }
  return out;
}

}  // namespace kubevip::bgp

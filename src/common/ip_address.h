// IPv4 and IPv6 addresses as plain values, shared by configuration, codecs and the kernel layer.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kubevip {

enum class IpFamily { kV4, kV6 };

class IpAddress {
 public:
  IpAddress() = default;
  static IpAddress v4(std::array<uint8_t, 4> bytes);
  static IpAddress v6(std::array<uint8_t, 16> bytes);
  // Accepts dotted IPv4 and RFC 4291 textual IPv6, nothing else (no host names, no prefix).
  static Result<IpAddress> parse(std::string_view text);

  IpFamily family() const { return family_; }
  bool isV4() const { return family_ == IpFamily::kV4; }
  bool isV6() const { return family_ == IpFamily::kV6; }
  // 4 or 16 bytes in network order; only the first size() bytes of raw() are meaningful.
  std::size_t size() const { return isV4() ? 4 : 16; }
  const uint8_t* data() const { return bytes_.data(); }
  std::array<uint8_t, 4> v4Bytes() const;
  const std::array<uint8_t, 16>& raw() const { return bytes_; }
  // Prefix length of a host route for this family: 32 or 128.
  int hostPrefixLength() const { return isV4() ? 32 : 128; }
  bool isUnspecified() const;
  std::string toString() const;

  friend bool operator==(const IpAddress& a, const IpAddress& b) = default;

 private:
  IpFamily family_ = IpFamily::kV4;
  std::array<uint8_t, 16> bytes_{};
};

// An address and a port: a peer, a backend, a listener.
struct Endpoint {
  IpAddress address;
  uint16_t port = 0;
  // "1.2.3.4:80" or "[::1]:80".
  std::string toString() const;
  friend bool operator==(const Endpoint& a, const Endpoint& b) = default;
};

}  // namespace kubevip

template <>
struct std::hash<kubevip::IpAddress> {
  std::size_t operator()(const kubevip::IpAddress& a) const noexcept;
};

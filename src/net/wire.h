// Big-endian field access over byte buffers, shared by the packet codecs (internal to src/net).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/ip_address.h"
#include "net/mac_address.h"

namespace kubevip::net::wire {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr size_t kEthernetHeaderSize = 14;

inline uint16_t readU16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

inline MacAddress readMac(std::span<const uint8_t> b, size_t at) {
  MacAddress mac;
  for (size_t i = 0; i < 6; ++i) mac.bytes[i] = b[at + i];
  return mac;
}

inline IpAddress readV4(std::span<const uint8_t> b, size_t at) {
  return IpAddress::v4({b[at], b[at + 1], b[at + 2], b[at + 3]});
}

inline IpAddress readV6(std::span<const uint8_t> b, size_t at) {
  std::array<uint8_t, 16> a{};
  for (size_t i = 0; i < 16; ++i) a[i] = b[at + i];
  return IpAddress::v6(a);
}

// Appends fields to a frame under construction.
class Writer {
 public:
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) {
    out_.push_back(static_cast<uint8_t>(v >> 8));
    out_.push_back(static_cast<uint8_t>(v));
  }
  void u32(uint32_t v) {
    u16(static_cast<uint16_t>(v >> 16));
    u16(static_cast<uint16_t>(v));
  }
  void mac(const MacAddress& m) { out_.insert(out_.end(), m.bytes.begin(), m.bytes.end()); }
  // The address's 4 or 16 bytes.
  void ip(const IpAddress& a) { out_.insert(out_.end(), a.data(), a.data() + a.size()); }
  void zeros(size_t n) { out_.insert(out_.end(), n, 0); }
  void ethernet(const MacAddress& dst, const MacAddress& src, uint16_t type) {
    mac(dst);
    mac(src);
    u16(type);
  }
  size_t size() const { return out_.size(); }
  std::vector<uint8_t>& bytes() { return out_; }

 private:
  std::vector<uint8_t> out_;
};

}  // namespace kubevip::net::wire

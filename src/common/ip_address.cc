#include "common/ip_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace kubevip {

IpAddress IpAddress::v4(std::array<uint8_t, 4> bytes) {
  IpAddress a;
  a.family_ = IpFamily::kV4;
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  return a;
}

IpAddress IpAddress::v6(std::array<uint8_t, 16> bytes) {
  IpAddress a;
  a.family_ = IpFamily::kV6;
  a.bytes_ = bytes;
  return a;
}

Result<IpAddress> IpAddress::parse(std::string_view text) {
  std::string s(text);
  std::array<uint8_t, 16> buf{};
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), buf.data()) == 1) {
      return v4({buf[0], buf[1], buf[2], buf[3]});
    }
  } else if (inet_pton(AF_INET6, s.c_str(), buf.data()) == 1) {
    return v6(buf);
  }
  return makeError(ErrorCode::kInvalidArgument, "'" + s + "' is not an IPv4 or IPv6 address");
}

std::array<uint8_t, 4> IpAddress::v4Bytes() const {
  return {bytes_[0], bytes_[1], bytes_[2], bytes_[3]};
}

bool IpAddress::isUnspecified() const {
  return std::all_of(bytes_.begin(), bytes_.begin() + static_cast<long>(size()),
                     [](uint8_t b) { return b == 0; });
}

std::string IpAddress::toString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(isV4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof(buf));
  return buf;
}

std::string Endpoint::toString() const {
  if (address.isV6()) return "[" + address.toString() + "]:" + std::to_string(port);
  return address.toString() + ":" + std::to_string(port);
}

}  // namespace kubevip

std::size_t std::hash<kubevip::IpAddress>::operator()(const kubevip::IpAddress& a) const noexcept {
  std::size_t h = a.isV4() ? 4 : 6;
  for (uint8_t b : a.raw()) h = h * 131 + b;
  return h;
}

// Ethernet MAC addresses as plain values, used by the ARP/NDP codecs and the interface lookup.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kubevip::net {

struct MacAddress {
  std::array<uint8_t, 6> bytes{};

  static MacAddress broadcast() { return MacAddress{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
  bool isZero() const;
  // Lower-case "aa:bb:cc:dd:ee:ff".
  std::string toString() const;
  // Accepts six colon-separated pairs of hex digits, either case; nothing else.
  static Result<MacAddress> parse(std::string_view text);

  friend bool operator==(const MacAddress&, const MacAddress&) = default;
};

}  // namespace kubevip::net

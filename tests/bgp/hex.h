// Test helpers: hex text to bytes (the golden files' format), and whole messages from a body.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kubevip::bgp::testing {

// Hex digits separated by any whitespace; a line starting with '#' is a comment.
std::vector<uint8_t> fromHex(std::string_view text);
// The bytes of tests/bgp/golden/<name>.hex; fails the test when the file is missing.
std::vector<uint8_t> golden(const std::string& name);
// 16 x 0xff, the length, the type, then `body`.
std::vector<uint8_t> message(uint8_t type, const std::vector<uint8_t>& body);
// The body of a whole message.
std::vector<uint8_t> bodyOf(const std::vector<uint8_t>& whole);

}  // namespace kubevip::bgp::testing

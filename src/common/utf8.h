// Well-formed UTF-8 (RFC 3629 section 4: no overlong forms, no surrogates, nothing above
// U+10FFFF), for text that must be valid UTF-8 where it goes: JSON log lines, Prometheus label
// values and HELP text.
#pragma once

#include <cstddef>
#include <string_view>

namespace kubevip {

// The length of the well-formed sequence that starts at text[i] (1 for ASCII), or 0 when the
// bytes there are not one.
size_t utf8SequenceLength(std::string_view text, size_t i);

bool isValidUtf8(std::string_view text);

}  // namespace kubevip

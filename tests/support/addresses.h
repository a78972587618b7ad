#pragma once
// Addresses written as text in tests: a literal the test knows to be valid.
#include "common/ip_address.h"

namespace kubevip::test {

inline IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

}  // namespace kubevip::test

#include "common/listen_address.h"

#include <charconv>

namespace kubevip {

Result<ListenAddress> parseListenAddress(std::string_view setting, std::string_view value) {
  auto fail = [&](const std::string& why) -> Error {
    return makeError(ErrorCode::kInvalidArgument,
                     std::string(setting) + " \"" + std::string(value) + "\": " + why);
  };
  std::string_view host;
  std::string_view port;
  if (value.starts_with("[")) {
    size_t close = value.find(']');
    if (close == std::string_view::npos) return fail("'[' without a closing ']'");
    if (close + 1 >= value.size() || value[close + 1] != ':') {
      return fail("missing ':port' after the address (e.g. \"[::1]:2112\")");
    }
    host = value.substr(1, close - 1);
    port = value.substr(close + 2);
    if (host.find(':') == std::string_view::npos) {
      return fail("only an IPv6 address goes in brackets");
    }
  } else {
    size_t colon = value.rfind(':');
    if (colon == std::string_view::npos) return fail("missing ':port' (e.g. \":2112\")");
    host = value.substr(0, colon);
    port = value.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return fail("an IPv6 address must be in brackets (e.g. \"[::1]:2112\")");
    }
  }
  if (port.empty()) return fail("missing port after ':'");
  unsigned long number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (ec == std::errc::result_out_of_range) return fail("port out of range");
  if (ec != std::errc() || end != port.data() + port.size()) {
    return fail("port '" + std::string(port) + "' is not a number");
  }
  if (number > 65535) return fail("port out of range");
  ListenAddress result;
  result.port = static_cast<uint16_t>(number);
  if (!host.empty()) {
    auto address = IpAddress::parse(host);
    if (!address) return fail("'" + std::string(host) + "' is not an IP address");
    result.host = *address;
  }
  return result;
}

}  // namespace kubevip

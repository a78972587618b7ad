// libFuzzer target over the control socket's protocol, both ends: the server reading a request
// line from the bytes a client sent (readControlRequestLine, then parseControlRequest), and the
// client reading the daemon's answer (controlErrorIn, parseReloadOutcome). Beyond "no crash, no
// exception escaping, no out-of-bounds read" (ASan/UBSan): an accepted line is within the length
// bound and holds no line end, a refusal says why, and the JSON the client reads round-trips.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ops/control_protocol.h"

namespace {

using namespace kubevip::ops;

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view received(reinterpret_cast<const char*>(data), size);
  if (auto line = readControlRequestLine(received)) {
    if (line->ok()) {
      const std::string& text = line->value();
      check(text.size() <= kMaxControlRequest);
      check(text.find('\n') == std::string::npos);
      auto request = parseControlRequest(text);
      check(request.ok() || !request.error().message.empty());
    } else {
      check(!line->error().message.empty());
    }
  }

  if (auto error = controlErrorIn(received)) {
    check(controlErrorIn(controlErrorDocument(*error)) == error);
  }
  auto outcome = parseReloadOutcome(received);
  if (outcome) {
    auto again = parseReloadOutcome(reloadOutcomeJson(*outcome));
    check(again.ok() && again->ok == outcome->ok && again->message == outcome->message);
  } else {
    check(!outcome.error().message.empty());
  }
  return 0;
}

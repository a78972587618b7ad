// libFuzzer target over the operations HTTP server's request reading: parseRequestHead on the
// bytes received so far (growing prefixes of the input, as they arrive a few at a time), then the
// answer and the response bytes. Beyond "no crash, no out-of-bounds read" (ASan/UBSan): a head
// accepted or refused on a prefix is accepted (the same method and path) or refused with all the
// bytes, a refusal carries a 4xx/5xx status and a reason, and a complete head gets its route's
// answer, else 404 or 405.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ops/http_exchange.h"

namespace {

using namespace kubevip::ops;

void check(bool condition) {
  if (!condition) std::abort();
}

constexpr size_t kChunk = 16;
constexpr size_t kMaxHead = 512;  // small, so that the size bound is reached too

const Routes& routes() {
  static const Routes r{{"/livez",
                         [] {
                           return HttpAnswer{200, "text/plain", "ok\n"};
                         }},
                        {"/metrics", [] {
                           return HttpAnswer{200, "text/plain", "x 1\n"};
                         }}};
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  // As the server reads: the first prefix on which the head is decided.
  RequestHead head;
  for (size_t end = std::min(kChunk, all.size());; end = std::min(end + kChunk, all.size())) {
    head = parseRequestHead(all.substr(0, end), kMaxHead);
    if (head.state != HeadState::kIncomplete || end == all.size()) break;
  }
  // More bytes do not change a decision. (Which status a refusal gets may: a request line with a
  // control character is refused 400 as soon as that byte arrives, but 505 if it also names
  // HTTP/2.0 and arrives whole; either refuses and closes.)
  RequestHead whole = parseRequestHead(all, kMaxHead);
  if (head.state != HeadState::kIncomplete) {
    check(whole.state == head.state && whole.method == head.method && whole.path == head.path);
  }
  if (head.state == HeadState::kIncomplete) return 0;
  if (head.state == HeadState::kRefused) {
    check(head.error_status >= 400 && head.error_status < 600 && !head.error.empty());
  }
  HttpAnswer answer = answerRequest(head, routes());
  if (head.state == HeadState::kComplete) {
    const bool routed = routes().count(head.path) != 0;
    const bool readable = head.method == "GET" || head.method == "HEAD";
    check(!routed || !readable || answer.status == 200);
    check(routed || answer.status == 404 || answer.status == 405);
  }
  std::string response = formatResponse(answer, head.method == "HEAD");
  check(response.starts_with("HTTP/1.1 ") && response.find("\r\n\r\n") != std::string::npos);
  return 0;
}

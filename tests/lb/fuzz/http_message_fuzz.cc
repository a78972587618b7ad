// libFuzzer target over the HTTP mode's message framing: the bytes a client (requests) or a
// backend (responses) sends, cut into messages as the session does (findHeadEnd, parseHead with
// exactly the head, parseBody with what follows until complete(), finishAtEof at the end), and
// each head rewritten as it would be forwarded. Request bodies arrive in one piece, response
// bodies a few bytes at a time, so both ways of resuming the parser are exercised. Beyond "no
// crash, no out-of-bounds read" (ASan/UBSan): parseBody never claims more bytes than it was given,
// and a rewritten head ends with its blank line and parses again.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/ip_address.h"
#include "lb/http_message.h"

namespace {

using namespace kubevip::lb;
using kubevip::IpAddress;

void check(bool condition) {
  if (!condition) std::abort();
}

constexpr size_t kResponseChunk = 5;
constexpr int kMaxMessages = 64;

void checkRewritten(const std::string& head, HttpMessageParser::Kind kind) {
  check(head.size() >= 4 && head.ends_with("\r\n\r\n"));
  check(findHeadEnd(head) == head.size());
  HttpMessageParser again(kind);
  check(again.parseHead(head).ok());
}

// Bytes consumed from `data` by the body of the message whose head was just parsed; npos when
// the parser refused them.
size_t consumeBody(HttpMessageParser& parser, std::string_view data, size_t chunk) {
  size_t used = 0;
  while (!parser.complete() && used < data.size()) {
    std::string_view piece = data.substr(used, chunk);
    auto n = parser.parseBody(piece);
    if (!n) return std::string_view::npos;
    check(*n <= piece.size());
    used += *n;
    if (*n < piece.size() && !parser.complete()) return std::string_view::npos;
  }
  return used;
}

void stream(std::string_view data, HttpMessageParser::Kind kind) {
  const bool requests = kind == HttpMessageParser::Kind::kRequest;
  HttpMessageParser parser(kind);
  const IpAddress client = *IpAddress::parse("192.0.2.7");
  for (int i = 0; i < kMaxMessages; ++i) {
    size_t end = findHeadEnd(data);
    if (end == std::string_view::npos) return;
    check(end <= data.size());
    // A response to a HEAD request has no body whatever its headers say: every third one.
    auto head = parser.parseHead(data.substr(0, end), !requests && i % 3 == 2);
    if (!head) return;
    if (requests) {
      checkRewritten(backendRequestHead(*head, client), HttpMessageParser::Kind::kRequest);
    } else {
      checkRewritten(clientResponseHead(*head, 1, false), HttpMessageParser::Kind::kResponse);
      checkRewritten(clientResponseHead(*head, 0, true), HttpMessageParser::Kind::kResponse);
    }
    data.remove_prefix(end);
    size_t used = consumeBody(parser, data, requests ? data.size() + 1 : kResponseChunk);
    if (used == std::string_view::npos) return;
    data.remove_prefix(used);
    if (!parser.complete()) {
      (void)parser.finishAtEof().ok();
      return;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  stream(text, HttpMessageParser::Kind::kRequest);
  stream(text, HttpMessageParser::Kind::kResponse);
  for (int status : {400, 431, 502, 503, 504}) {
    check(findHeadEnd(errorResponse(status)) != std::string_view::npos);
  }
  return 0;
}

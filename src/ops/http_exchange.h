// The HTTP of the operations servers, as pure functions: reading a request head, choosing the
// answer, writing the response. The server (http_server.h) only moves bytes.
//
// Only what a probe or a Prometheus scraper sends is understood: GET and HEAD of a path, HTTP/1.0
// or 1.1, one request per connection, answered with "Connection: close". Everything else is
// refused with the status RFC 9110 names for it, and the connection is closed.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace kubevip::ops {

struct HttpAnswer {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Path (without the query) to the handler that answers it.
using Routes = std::map<std::string, std::function<HttpAnswer()>>;

// A request head is at most this long (request line and header fields); longer is refused with
// 431 (RFC 6585 section 5).
inline constexpr size_t kDefaultMaxRequestHead = size_t{8} * 1024;

enum class HeadState {
  kIncomplete,  // no end of head yet, and still within the size bound: read more
  kComplete,    // method and path are set
  kRefused,     // error_status and error are set; answer and close
};

struct RequestHead {
  HeadState state = HeadState::kIncomplete;
  std::string method;
  std::string path;  // the target's path, the query removed
  int error_status = 0;
  std::string error;
};

// Reads the head of one request from the bytes received so far.
RequestHead parseRequestHead(std::string_view received, size_t max_head = kDefaultMaxRequestHead);

// The answer to a complete or refused head: the route's, 404 for an unknown path, 405 for a method
// other than GET and HEAD, the refusal otherwise.
HttpAnswer answerRequest(const RequestHead& head, const Routes& routes);

// The bytes on the wire; a HEAD request gets the same header fields without the body (RFC 9110
// section 9.3.2).
std::string formatResponse(const HttpAnswer& answer, bool head_only);

const char* reasonPhrase(int status);

}  // namespace kubevip::ops

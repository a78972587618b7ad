#include "ops/http_exchange.h"

#include <exception>

namespace kubevip::ops {
namespace {

// tchar of RFC 9110 section 5.6.2: the characters of a method and of a field name.
bool isTokenChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isToken(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!isTokenChar(c)) return false;
  }
  return true;
}

bool isVisibleAscii(char c) { return c > ' ' && c < 0x7f; }

RequestHead refused(int status, std::string why) {
  RequestHead head;
  head.state = HeadState::kRefused;
  head.error_status = status;
  head.error = std::move(why);
  return head;
}

// One line ends at LF; a CR before it is dropped. A bare LF ends a line too (RFC 9112 section 2.2
// lets a recipient accept it, and being strict would only refuse hand-typed requests).
std::string_view withoutCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// request-line = method SP request-target SP HTTP-version (RFC 9112 section 3).
RequestHead parseRequestLine(std::string_view line) {
  size_t first = line.find(' ');
  size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (second == std::string_view::npos || line.find(' ', second + 1) != std::string_view::npos) {
    return refused(400, "the request line is not 'METHOD /path HTTP/1.1'");
  }
  std::string_view method = line.substr(0, first);
  std::string_view target = line.substr(first + 1, second - first - 1);
  std::string_view version = line.substr(second + 1);
  if (!isToken(method)) return refused(400, "the method is not a token");
  if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return refused(400, "the version is not 'HTTP/1.1'");
  }
  if (version[5] != '1') return refused(505, "only HTTP/1.0 and HTTP/1.1 are served");
  for (char c : target) {
    if (!isVisibleAscii(c)) return refused(400, "the request target has a control character");
  }
  // absolute-form (RFC 9112 section 3.2.2): a server must accept it; only the path matters here.
  std::string_view path = target;
  size_t scheme_end = path.find("://");
  if (!path.starts_with("/") && scheme_end != std::string_view::npos) {
    size_t path_start = path.find('/', scheme_end + 3);
    path = path_start == std::string_view::npos ? "/" : path.substr(path_start);
  }
  if (!path.starts_with("/")) return refused(400, "the request target is not a path");
  path = path.substr(0, path.find_first_of("?#"));
  if (method != "GET" && method != "HEAD") {
    return refused(405, "only GET and HEAD are served");
  }
  RequestHead head;
  head.state = HeadState::kComplete;
  head.method = std::string(method);
  head.path = std::string(path);
  return head;
}

// field-line = field-name ":" OWS field-value OWS (RFC 9112 section 5); no whitespace before the
// colon (section 5.1), no line folding (section 5.2), no CR, LF or NUL in a value (RFC 9110
// section 5.5).
bool isValidFieldLine(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || !isToken(line.substr(0, colon))) return false;
  for (char c : line.substr(colon + 1)) {
    if (c == '\0' || c == '\r' || c == '\n') return false;
  }
  return true;
}

}  // namespace

RequestHead parseRequestHead(std::string_view received, size_t max_head) {
  // A server should ignore empty lines before the request line (RFC 9112 section 2.2).
  size_t start = 0;
  while (start < received.size() && (received[start] == '\r' || received[start] == '\n')) {
    ++start;
  }
  std::string_view rest = received.substr(start);
  size_t line_end = rest.find('\n');
  if (line_end == std::string_view::npos) {
    // A byte that cannot be in a request line refuses it at once (a TLS ClientHello, say, which
    // would otherwise wait for a line end until the deadline).
    for (char c : rest) {
      if (c != '\r' && c != ' ' && !isVisibleAscii(c)) {
        return refused(400, "the request line is not text");
      }
    }
    if (received.size() > max_head) return refused(431, "the request head is too large");
    return RequestHead{};
  }
  RequestHead head = parseRequestLine(withoutCr(rest.substr(0, line_end)));
  if (head.state == HeadState::kRefused) return head;
  size_t pos = line_end + 1;
  while (true) {
    size_t next = rest.find('\n', pos);
    if (next == std::string_view::npos) {
      if (received.size() > max_head) return refused(431, "the request head is too large");
      return RequestHead{};
    }
    if (start + next + 1 > max_head) return refused(431, "the request head is too large");
    std::string_view line = withoutCr(rest.substr(pos, next - pos));
    if (line.empty()) return head;  // the end of the head
    if (!isValidFieldLine(line)) return refused(400, "a header field line is malformed");
    pos = next + 1;
  }
}

HttpAnswer answerRequest(const RequestHead& head, const Routes& routes) {
  if (head.state == HeadState::kRefused) {
    return HttpAnswer{head.error_status, "text/plain; charset=utf-8", head.error + "\n"};
  }
  auto route = routes.find(head.path);
  if (route == routes.end() || !route->second) {
    std::string known;
    for (const auto& [path, handler] : routes) known += (known.empty() ? "" : ", ") + path;
    return HttpAnswer{404, "text/plain; charset=utf-8",
                      "no such path; served here: " + known + "\n"};
  }
  try {
    return route->second();
  } catch (const std::exception& e) {
    // The handlers are the daemon's own; one that throws is a bug, but the server thread must
    // live on to answer the next probe.
    return HttpAnswer{500, "text/plain; charset=utf-8",
                      std::string("internal error: ") + e.what() + "\n"};
  }
}

std::string formatResponse(const HttpAnswer& answer, bool head_only) {
  std::string out =
      "HTTP/1.1 " + std::to_string(answer.status) + " " + reasonPhrase(answer.status) + "\r\n";
  out += "Content-Type: " + answer.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(answer.body.size()) + "\r\n";
  if (answer.status == 405) out += "Allow: GET, HEAD\r\n";  // RFC 9110 section 15.5.6
  out += "Cache-Control: no-store\r\n";
  out += "Connection: close\r\n\r\n";
  if (!head_only) out += answer.body;
  return out;
}

const char* reasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Status";
  }
}

}  // namespace kubevip::ops

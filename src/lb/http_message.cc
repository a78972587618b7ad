#include "lb/http_message.h"

#include <http_parser.h>

#include <algorithm>
#include <cctype>

namespace kubevip::lb {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::size_t findHeadEnd(std::string_view data) {
  // The head ends at the first empty line: "\n\r\n" or "\n\n".
  for (std::size_t i = data.find('\n'); i != std::string_view::npos; i = data.find('\n', i + 1)) {
    if (i + 1 < data.size() && data[i + 1] == '\n') return i + 2;
    if (i + 2 < data.size() && data[i + 1] == '\r' && data[i + 2] == '\n') return i + 3;
  }
  return std::string_view::npos;
}

struct HttpParserCallbacks {
  static HttpMessageParser& self(http_parser* p) {
    return *static_cast<HttpMessageParser*>(p->data);
  }
  static int onUrl(http_parser* p, const char* at, std::size_t len) {
    self(p).head_.url.append(at, len);
    return 0;
  }
  static int onStatus(http_parser* p, const char* at, std::size_t len) {
    self(p).head_.reason.append(at, len);
    return 0;
  }
  static int onField(http_parser* p, const char* at, std::size_t len) {
    auto& s = self(p);
    if (s.in_value_ || s.head_.headers.empty()) {
      s.head_.headers.emplace_back();
      s.in_value_ = false;
    }
    s.head_.headers.back().first.append(at, len);
    return 0;
  }
  static int onValue(http_parser* p, const char* at, std::size_t len) {
    auto& s = self(p);
    s.in_value_ = true;
    s.head_.headers.back().second.append(at, len);
    return 0;
  }
  static int onHeadersComplete(http_parser* p) {
    auto& s = self(p);
    s.headers_done_ = true;
    // 1: the message has no body whatever its headers say (a response to HEAD).
    return s.skip_body_ ? 1 : 0;
  }
  static int onMessageComplete(http_parser* p) {
    self(p).complete_ = true;
    // Stop at the message's last byte, so the caller knows where the next one starts.
    http_parser_pause(p, 1);
    return 0;
  }
  static const http_parser_settings& settings() {
    static const http_parser_settings s = [] {
      http_parser_settings x;
      http_parser_settings_init(&x);
      x.on_url = onUrl;
      x.on_status = onStatus;
      x.on_header_field = onField;
      x.on_header_value = onValue;
      x.on_headers_complete = onHeadersComplete;
      x.on_message_complete = onMessageComplete;
      return x;
    }();
    return s;
  }
};

HttpMessageParser::HttpMessageParser(Kind kind) : kind_(kind), parser_(new http_parser) {}
HttpMessageParser::~HttpMessageParser() = default;

Result<HttpHead> HttpMessageParser::parseHead(std::string_view head, bool to_head_request) {
  http_parser_init(parser_.get(), kind_ == Kind::kRequest ? HTTP_REQUEST : HTTP_RESPONSE);
  parser_->data = this;
  head_ = HttpHead{};
  in_value_ = false;
  skip_body_ = to_head_request;
  headers_done_ = false;
  complete_ = false;
  std::size_t n = http_parser_execute(parser_.get(), &HttpParserCallbacks::settings(), head.data(),
                                      head.size());
  auto err = HTTP_PARSER_ERRNO(parser_.get());
  if ((err != HPE_OK && err != HPE_PAUSED) || !headers_done_ ||
      (n != head.size() && err != HPE_PAUSED)) {
    return makeError(ErrorCode::kInvalidArgument,
                     std::string("malformed HTTP head: ") + http_errno_description(err));
  }
  if (err == HPE_PAUSED) http_parser_pause(parser_.get(), 0);
  // HTTP/1.0 and 1.1 only (RFC 9112), as HAProxy: http_parser takes a request line without a
  // version for HTTP/0.9, a form that has no headers to forward and that no rewritten head can be.
  if (parser_->http_major != 1) {
    return makeError(ErrorCode::kInvalidArgument,
                     "unsupported HTTP version " + std::to_string(parser_->http_major) + "." +
                         std::to_string(parser_->http_minor) + " (only 1.0 and 1.1)");
  }
  // RFC 9112 section 6.3 rule 4: a request whose Transfer-Encoding does not end in chunked has no
  // length its recipient can determine and must be refused. http_parser refuses it, except when
  // the request asks for a protocol upgrade: it leaves the bytes after such a head to the new
  // protocol. The proxy drops Upgrade (no upgrade ever happens), so the backend would get it as a
  // plain request whose body it frames differently from the proxy, the start of request smuggling.
  if (kind_ == Kind::kRequest && parser_->uses_transfer_encoding != 0 &&
      (parser_->flags & F_CHUNKED) == 0) {
    return makeError(ErrorCode::kInvalidArgument,
                     "malformed HTTP head: a request's Transfer-Encoding must end in chunked");
  }
  // RFC 9110 section 5.5: a field value is visible characters, spaces and tabs (and obs-text);
  // http_parser lets control bytes such as NUL through, which a backend would refuse, and which
  // must not reach a backend joined into a rewritten head.
  for (const auto& [name, value] : head_.headers) {
    for (const char c : value) {
      const auto byte = static_cast<unsigned char>(c);
      if ((byte < 0x20 && byte != '\t') || byte == 0x7f) {
        return makeError(ErrorCode::kInvalidArgument,
                         "malformed HTTP head: a control character in the value of " + name);
      }
    }
  }
  head_.major = parser_->http_major;
  head_.minor = parser_->http_minor;
  if (kind_ == Kind::kRequest) {
    head_.method = http_method_str(static_cast<http_method>(parser_->method));
  } else {
    head_.status = parser_->status_code;
  }
  head_.keep_alive = http_should_keep_alive(parser_.get()) != 0;
  // A response body without chunked framing or Content-Length lasts until the connection closes
  // (RFC 9112 section 6.3, rule 8).
  head_.ends_at_close = !complete_ && kind_ == Kind::kResponse &&
                        (parser_->flags & (F_CHUNKED | F_CONTENTLENGTH)) == 0;
  head_.has_body = !complete_;
  return head_;
}

Result<std::size_t> HttpMessageParser::parseBody(std::string_view data) {
  if (complete_ || data.empty()) return std::size_t{0};
  std::size_t n = http_parser_execute(parser_.get(), &HttpParserCallbacks::settings(), data.data(),
                                      data.size());
  auto err = HTTP_PARSER_ERRNO(parser_.get());
  if (err == HPE_PAUSED) {
    http_parser_pause(parser_.get(), 0);
    return n;
  }
  if (err != HPE_OK) {
    return makeError(ErrorCode::kInvalidArgument,
                     std::string("malformed HTTP body: ") + http_errno_description(err));
  }
  return n;
}

Status HttpMessageParser::finishAtEof() {
  if (complete_) return {};
  http_parser_execute(parser_.get(), &HttpParserCallbacks::settings(), nullptr, 0);
  auto err = HTTP_PARSER_ERRNO(parser_.get());
  if (err == HPE_PAUSED) http_parser_pause(parser_.get(), 0);
  if (!complete_) return makeError(ErrorCode::kUnavailable, "connection closed mid-message");
  return {};
}

namespace {

bool isHopByHop(std::string_view name, const std::vector<std::string>& named_by_connection) {
  static constexpr std::string_view kHopByHop[] = {"connection", "keep-alive", "proxy-connection",
                                                   "upgrade", "te"};
  for (auto h : kHopByHop) {
    if (equalsIgnoreCase(name, h)) return true;
  }
  for (const auto& n : named_by_connection) {
    if (equalsIgnoreCase(name, n)) return true;
  }
  return false;
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

// Header names listed in Connection (RFC 9110 section 7.6.1), except "close"/"keep-alive".
std::vector<std::string> connectionOptions(const HttpHead& head) {
  std::vector<std::string> out;
  for (const auto& [name, value] : head.headers) {
    if (!equalsIgnoreCase(name, "connection")) continue;
    std::string_view v = value;
    while (!v.empty()) {
      auto comma = v.find(',');
      std::string token = trim(v.substr(0, comma));
      if (!token.empty() && !equalsIgnoreCase(token, "close") &&
          !equalsIgnoreCase(token, "keep-alive")) {
        out.push_back(token);
      }
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  return out;
}

const char* reasonOf(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 431:
      return "Request Header Fields Too Large";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

}  // namespace

std::string backendRequestHead(const HttpHead& request, const IpAddress& client) {
  auto named = connectionOptions(request);
  std::string forwarded_for;
  std::string out = request.method + " " + request.url + " HTTP/" + std::to_string(request.major) +
                    "." + std::to_string(request.minor) + "\r\n";
  for (const auto& [name, value] : request.headers) {
    if (equalsIgnoreCase(name, "x-forwarded-for")) {
      // Several X-Forwarded-For fields are one list (RFC 9110 section 5.3).
      if (!forwarded_for.empty()) forwarded_for += ", ";
      forwarded_for += trim(value);
      continue;
    }
    if (equalsIgnoreCase(name, "x-forwarded-proto") || isHopByHop(name, named)) continue;
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (!forwarded_for.empty()) forwarded_for += ", ";
  forwarded_for += client.toString();
  out += "X-Forwarded-For: " + forwarded_for + "\r\n";
  out += "X-Forwarded-Proto: http\r\n";
  out += "Connection: close\r\n\r\n";
  return out;
}

std::string clientResponseHead(const HttpHead& response, int client_minor, bool close) {
  auto named = connectionOptions(response);
  std::string out = "HTTP/1." + std::to_string(client_minor) + " " +
                    std::to_string(response.status) + " " + response.reason + "\r\n";
  for (const auto& [name, value] : response.headers) {
    if (isHopByHop(name, named)) continue;
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (close) {
    out += "Connection: close\r\n";
  } else if (client_minor == 0) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  return out;
}

std::string errorResponse(int status) {
  std::string body = std::to_string(status) + " " + reasonOf(status) + "\n";
  return "HTTP/1.1 " + std::to_string(status) + " " + reasonOf(status) +
         "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace kubevip::lb

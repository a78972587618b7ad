// The real Prober: a nonblocking TCP connect on the health-check thread's libuv loop, and for
// http balancers a `GET <path> HTTP/1.0` whose status must be 2xx or 3xx.
#pragma once

#include <memory>
#include <string>

#include "common/event_loop.h"
#include "lb/health_checker.h"

namespace kubevip::lb {

class SocketProber final : public Prober {
 public:
  // `http_path` empty: a TCP connect check; otherwise an HTTP GET of that path.
  SocketProber(EventLoop& loop, std::string http_path);
  std::unique_ptr<ProbeHandle> start(const Endpoint& backend,
                                     std::function<void(bool ok)> done) override;

 private:
  EventLoop& loop_;
  std::string http_path_;
};

// Parses the status line of an HTTP/1.x response; true for 2xx and 3xx (RFC 9110 section 15).
// Needs only the bytes up to the first CRLF.
bool httpStatusHealthy(std::string_view response);

}  // namespace kubevip::lb

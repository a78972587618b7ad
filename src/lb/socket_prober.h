// The real Prober, on the health-check thread's libuv loop: a nonblocking TCP connect; for http
// balancers a `GET <path> HTTP/1.0` whose status must be 2xx or 3xx; for udp balancers a datagram
// (healthCheck.payload, empty by default) on a connected UDP socket, where a reply is up, an error
// (ICMP port or host unreachable, RFC 1122 section 4.1.3.3: reported to the socket as ECONNREFUSED,
// EHOSTUNREACH...) is down, and silence until the checker's timeout is up (unansweredIsHealthy()).
#pragma once

#include <memory>
#include <string>

#include "common/event_loop.h"
#include "lb/health_checker.h"

namespace kubevip::lb {

enum class ProbeMethod { kTcpConnect, kHttpGet, kUdpDatagram };

class SocketProber final : public Prober {
 public:
  // `data`: the path of kHttpGet, the datagram of kUdpDatagram; unused by kTcpConnect.
  SocketProber(EventLoop& loop, ProbeMethod method, std::string data = {});
  std::unique_ptr<ProbeHandle> start(const Endpoint& backend,
                                     std::function<void(bool ok)> done) override;
  bool unansweredIsHealthy() const override { return method_ == ProbeMethod::kUdpDatagram; }

 private:
  EventLoop& loop_;
  ProbeMethod method_;
  std::string data_;
};

// Parses the status line of an HTTP/1.x response; true for 2xx and 3xx (RFC 9110 section 15).
// Needs only the bytes up to the first CRLF.
bool httpStatusHealthy(std::string_view response);

}  // namespace kubevip::lb

// The HTTP server of /metrics, /livez and /readyz.
//
// It runs its own thread (linux/one_shot_server.h), so it answers while the daemon's control loop
// is stuck: that is what lets /livez report a stuck loop. The handlers run on that thread and must
// only read state that is safe to read from it (HealthState, the metrics registry).
//
// Users may expose the port to a hostile network, so everything is bounded: a request head of at
// most 8 KiB (431), 5 s to send it (408) and again to read the answer, 64 connections at once
// (more are closed at once), one request per connection. See http_exchange.h for what is served.
//
// Two servers cannot listen on one port: create() fails with a clear error, so the daemon gives
// metrics and health one server with both routes when their ports match.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "common/time_source.h"
#include "ops/http_exchange.h"

namespace kubevip::ops {

struct HttpServerLimits {
  size_t max_request_head = kDefaultMaxRequestHead;
  Duration timeout = seconds(5);
  size_t max_connections = 64;
};

namespace linux_io {
class OneShotServer;
}

class OpsHttpServer {
 public:
  // listen as in listen_address.h (":2112", "127.0.0.1:2112", "[::1]:2112"; port 0 for any).
  // `setting` names the configuration key in errors ("prometheus_server \":99999\": port out of
  // range").
  static Result<std::unique_ptr<OpsHttpServer>> create(const std::string& listen, Routes routes,
                                                       HttpServerLimits limits = {},
                                                       const std::string& setting = "listen");
  ~OpsHttpServer();
  OpsHttpServer(const OpsHttpServer&) = delete;
  OpsHttpServer& operator=(const OpsHttpServer&) = delete;

  // The port bound (the one chosen by the kernel when the address asked for port 0).
  uint16_t port() const { return port_; }

  struct Stats {
    uint64_t accepted = 0;
    uint64_t refused_over_limit = 0;
    uint64_t timed_out = 0;
    uint64_t accept_pauses = 0;  // accept() short of descriptors: listening paused for 100 ms
  };
  Stats stats() const;

 private:
  OpsHttpServer(std::unique_ptr<linux_io::OneShotServer> server, uint16_t port);
  std::unique_ptr<linux_io::OneShotServer> server_;
  uint16_t port_;
};

}  // namespace kubevip::ops

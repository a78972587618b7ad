// HTTP mode: an HTTP/1.1 reverse proxy for one client connection.
//
// Each request is read up to the end of its head (at most kMaxHeadBytes, else 431), rewritten
// (http_message.h) and sent to a backend chosen for that request, over a new backend connection
// that carries only it ("Connection: close"); bodies, chunked or not, pass through as received.
// The response head is rewritten for the client and its body passed through; then, if the client
// keeps the connection alive and the response had its own framing, the next request is read.
//
// Errors the proxy answers itself, with a small body and "Connection: close": 400 (malformed
// request), 431 (head too large), 503 (no backend up), 502 (every backend tried failed, or a
// malformed or truncated response head), 504 (backend connect timed out, or no response within
// idle_timeout). Timeouts: a request head must arrive within kRequestHeadTimeout of its first
// byte; an idle keep-alive connection is closed after idle_timeout.
//
// Not supported: protocol upgrades (Upgrade is hop-by-hop and dropped, so a backend never
// switches; a 101 answer becomes 502), and reuse of backend connections across requests.
#pragma once

#include <memory>

#include "common/ip_address.h"
#include "common/unique_fd.h"
#include "lb/balancer.h"

namespace kubevip::lb {

class Worker;

inline constexpr std::size_t kMaxHeadBytes = 16384;
inline constexpr std::chrono::seconds kRequestHeadTimeout{30};

void startHttpSession(Worker& worker, std::shared_ptr<Balancer> balancer, int group,
                      UniqueFd client, const Endpoint& peer);

}  // namespace kubevip::lb

// The real EtcdClient (client.h): etcd v3's JSON gateway over libcurl, with client TLS.
//
// What the gateway does that callers see (etcd 3.4, measured; the wire rules are in codec.h):
//   - keepAlive of a lease etcd no longer knows (expired or revoked) succeeds with TTL 0;
//     revokeLease of such a lease, or createIfAbsent bound to it, fails with kNotFound
//     ("etcdserver: requested lease not found").
//   - grantLease below etcd's minimum TTL (2 s) is granted with the minimum: use LeaseGrant's TTL.
//   - With --client-cert-auth, etcd's gateway calls its own gRPC port presenting the server's
//     certificate, so that certificate must allow client authentication (extendedKeyUsage
//     clientAuth); without it every request fails with HTTP 503 "connection closed" (gRPC code
//     14) although etcdctl works.
//   - A watch of a compacted revision ends (on_end) with kNotFound naming the oldest revision
//     kept; every watch also ends 5 minutes after it started, so that a stream on a dead
//     connection cannot last for ever: the caller watches again from its last revision.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/event_loop.h"
#include "common/result.h"
#include "etcd/client.h"

namespace kubevip::etcd {

struct HttpClientOptions {
  std::vector<std::string> endpoints;  // "https://host:port" / "http://host:port", at least one
  std::string ca_file;                 // PEM; empty: the system's trust store
  std::string cert_file;               // client certificate and key (PEM), both or neither
  std::string key_file;
  // Bounds each request on each endpoint (connect + answer). A watch is bounded only in connecting.
  std::chrono::milliseconds request_timeout{1000};
};

// Reads the certificate files (an error names the file), checks the endpoints' syntax, and
// prepares the worker and watch threads. No request is sent before the first call.
Result<std::unique_ptr<EtcdClient>> makeHttpEtcdClient(EventLoop& loop, HttpClientOptions options);

}  // namespace kubevip::etcd

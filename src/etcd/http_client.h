// The real EtcdClient (client.h): etcd v3's JSON gateway over libcurl, with client TLS.
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

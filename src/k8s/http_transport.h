// A blocking HTTPS client for the API server, over libcurl (loaded on first use: curl_library.h).
//
// One HttpTransport belongs to one thread (the RequestWorker's, see request_worker.h): it keeps a
// curl easy handle so that the TLS connection is reused between requests. It verifies the server
// against ClusterAccess::ca_pem unless insecure_skip_tls_verify, presents the client certificate or
// the bearer token (re-reading the token file whenever its modification time changes, since the
// kubelet rotates projected tokens), and bounds every request by a timeout. Transport failures
// become Errors naming the cause: unreachable server, TLS failure, timeout.
//
// Nothing the API server sends may grow memory without bound: a response body larger than
// kMaxResponseBodyBytes aborts the transfer with an error naming the cap and the URL, and a
// stream's consumer may abort it the same way (a watch caps each event line, see lease_watch.h).
// kube-vip reads and writes single Lease objects (a few hundred bytes) and Status objects; etcd
// refuses requests over 1.5 MiB by default (--max-request-bytes), so no object the API server can
// store comes near 4 MiB, and 4 MiB per request is harmless to the daemon.
//
// With ClusterAccess::connect_to set, every request connects there instead of the URL's host and
// port (libcurl CONNECT_TO) while TLS is still verified against the URL's host.
//
// stream() serves watches: the body is handed over piece by piece as it arrives, over a curl
// multi handle so that another thread can end it at once (cancel flag + wakeStream()) instead of
// waiting for libcurl's next once-a-second progress call.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "k8s/cluster_access.h"

namespace kubevip::k8s {

struct CurlLibrary;

inline constexpr size_t kMaxResponseBodyBytes = size_t{4} << 20;

struct HttpRequest {
  std::string method;  // GET, POST, PUT, PATCH
  std::string path;    // "/apis/coordination.k8s.io/v1/namespaces/x/leases/y"
  std::string body;    // JSON, empty for GET
  // Of the body; a PATCH names its kind here (application/merge-patch+json, RFC 7386).
  std::string content_type = "application/json";
};

// Who the transport talks to, for its errors, and how much of one answer it keeps. The API server
// is the default; the etcd client (src/etcd) names etcd and caps answers lower.
struct HttpPeer {
  std::string name = "the API server";
  size_t max_body_bytes = kMaxResponseBodyBytes;
};

struct HttpResponse {
  long status = 0;
  std::string body;
};

class HttpTransport {
 public:
  static Result<std::unique_ptr<HttpTransport>> create(ClusterAccess access,
                                                       std::chrono::milliseconds timeout,
                                                       HttpPeer peer = {});
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Any HTTP status is a response; only transport failures are errors.
  Result<HttpResponse> send(const HttpRequest& request);
  const std::string& server() const { return access_.server; }

  // A long-running GET: connecting is bounded by the request timeout, the whole transfer by
  // `max_duration`. On a 2xx status the body goes to `on_data` as it arrives and the returned
  // HttpResponse has an empty body; any other status returns the whole body (an error Status,
  // capped like send()'s). An error from `on_data` aborts the transfer and is returned.
  // Ends with kUnavailable "cancelled" soon after `cancel` is set and wakeStream() called.
  Result<HttpResponse> stream(const HttpRequest& request,
                              const std::function<Status(std::string_view)>& on_data,
                              std::chrono::milliseconds max_duration,
                              const std::atomic<bool>& cancel);
  // Thread-safe: interrupts a stream() in progress so that it looks at its cancel flag.
  void wakeStream();

 private:
  HttpTransport(const CurlLibrary& lib, ClusterAccess access, std::chrono::milliseconds timeout,
                HttpPeer peer);
  Result<std::string> bearerToken();
  // Everything but the body handling and the time bounds: URL, method, TLS, auth, headers.
  // Returns the header list, which must outlive the transfer (curl_slist_free_all after it).
  Result<void*> prepare(const HttpRequest& request, char* error_buffer);

  const CurlLibrary* lib_;  // libcurl, loaded on first use (curl_library.h)
  ClusterAccess access_;
  std::chrono::milliseconds timeout_;
  HttpPeer peer_;
  void* curl_ = nullptr;        // CURL*
  void* multi_ = nullptr;       // CURLM*, for stream()
  void* connect_to_ = nullptr;  // curl_slist* for CURLOPT_CONNECT_TO, or null
  std::string server_label_;
  std::string token_cache_;
  struct TokenFileIdentity {
    uint64_t device = 0;
    uint64_t inode = 0;
    int64_t mtime_ns = -1;
    int64_t size = -1;
    bool operator==(const TokenFileIdentity&) const = default;
  };
  TokenFileIdentity token_identity_;
};

}  // namespace kubevip::k8s

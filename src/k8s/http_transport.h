// A blocking HTTPS client for the API server, over libcurl.
//
// One HttpTransport belongs to one thread (the RequestWorker's, see request_worker.h): it keeps a
// curl easy handle so that the TLS connection is reused between requests. It verifies the server
// against ClusterAccess::ca_pem unless insecure_skip_tls_verify, presents the client certificate or
// the bearer token (re-reading the token file whenever its modification time changes, since the
// kubelet rotates projected tokens), and bounds every request by a timeout. Transport failures
// become Errors naming the cause: unreachable server, TLS failure, timeout.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"
#include "k8s/cluster_access.h"

namespace kubevip::k8s {

struct HttpRequest {
  std::string method;  // GET, POST, PUT
  std::string path;    // "/apis/coordination.k8s.io/v1/namespaces/x/leases/y"
  std::string body;    // JSON, empty for GET
};

struct HttpResponse {
  long status = 0;
  std::string body;
};

class HttpTransport {
 public:
  static Result<std::unique_ptr<HttpTransport>> create(ClusterAccess access,
                                                       std::chrono::milliseconds timeout);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Any HTTP status is a response; only transport failures are errors.
  Result<HttpResponse> send(const HttpRequest& request);
  const std::string& server() const { return access_.server; }

 private:
  HttpTransport(ClusterAccess access, std::chrono::milliseconds timeout);
  Result<std::string> bearerToken();

  ClusterAccess access_;
  std::chrono::milliseconds timeout_;
  void* curl_ = nullptr;  // CURL*
  std::string token_cache_;
  int64_t token_mtime_ns_ = -1;
};

}  // namespace kubevip::k8s

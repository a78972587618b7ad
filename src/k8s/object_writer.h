// Reading and patching single API objects, asynchronously: the writes of the Services mode
// (status.loadBalancer.ingress through the status subresource, annotations on the Service).
//
// Requests run in the order they were made, one at a time, on a RequestWorker thread through an
// HttpTransport of their own (TLS connection reused); callbacks run on the event loop's thread,
// never from within the call and never after the writer is destroyed. A 2xx answer gives the
// response body (the object as stored); anything else the Error errorFromResponse makes of it:
// 409 -> kConflict (a merge patch carrying metadata.resourceVersion is a precondition, and the
// object changed since it was read), 404 -> kNotFound, 401/403 -> kPermission, 429/5xx ->
// kUnavailable. Transport failures are errors naming the cause.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/event_loop.h"
#include "common/result.h"
#include "k8s/cluster_access.h"

namespace kubevip::k8s {

class HttpTransport;
class RequestWorker;
struct HttpRequest;

class ObjectWriter {
 public:
  // Response body on 2xx; otherwise errorFromResponse (409 -> kConflict, 404 -> kNotFound, ...).
  using Done = std::function<void(Result<std::string>)>;
  static Result<std::unique_ptr<ObjectWriter>> create(EventLoop& loop, ClusterAccess access,
                                                      std::chrono::milliseconds timeout);
  ~ObjectWriter();
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  // PATCH with Content-Type application/merge-patch+json (RFC 7386). Callbacks on the loop thread,
  // never from within the call, never after destruction.
  void mergePatch(std::string path, std::string patch_json, Done done);
  void get(std::string path, Done done);

 private:
  ObjectWriter() = default;
  void send(const HttpRequest& request, std::string action, Done done);

  // Used only on the worker thread once created; destroyed after the worker has been joined.
  std::shared_ptr<HttpTransport> transport_;
  std::unique_ptr<RequestWorker> worker_;
};

}  // namespace kubevip::k8s

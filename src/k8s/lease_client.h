// Reading and writing one coordination.k8s.io/v1 Lease, asynchronously.
//
// LeaseClient is the narrow interface the Lease elector needs (GET, CREATE, UPDATE of one named
// Lease); tests drive the elector with a scripted fake of it. ApiLeaseClient is the real one:
// requests run on a RequestWorker thread through HttpTransport, and callbacks run on the event
// loop's thread, never synchronously from within the call. HTTP errors are mapped by
// errorFromResponse: 404 -> kNotFound, 409 -> kConflict (lost a race), 401/403 -> kPermission.
// watch() streams the Lease's changes (a LeaseWatcher thread for ApiLeaseClient, see
// lease_watcher.h); a watch only ever adds observations, the elector keeps polling regardless.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/event_loop.h"
#include "common/result.h"
#include "k8s/cluster_access.h"
#include "k8s/lease.h"
#include "k8s/lease_requests.h"
#include "k8s/lease_watcher.h"

namespace kubevip::k8s {

class LeaseClient {
 public:
  using Callback = std::function<void(Result<Lease>)>;
  virtual ~LeaseClient() = default;
  virtual void get(Callback done) = 0;
  // POST; the Lease must not exist yet (409 AlreadyExists otherwise).
  virtual void create(const LeaseSpec& spec, Callback done) = 0;
  // PUT with `resource_version`; 409 Conflict when the Lease changed since it was read.
  virtual void update(const std::string& resource_version, const LeaseSpec& spec,
                      Callback done) = 0;
  // At most one watch at a time: starting one cancels the previous. Callbacks run on the loop
  // thread, never from within the call, and never after cancelWatch().
  virtual void watch(const std::string& resource_version, LeaseWatchCallbacks callbacks) = 0;
  virtual void cancelWatch() = 0;
  // "namespace/name", for log lines.
  virtual std::string describe() const = 0;
};

class HttpTransport;
class RequestWorker;

class ApiLeaseClient final : public LeaseClient {
 public:
  static Result<std::unique_ptr<ApiLeaseClient>> create(EventLoop& loop, ClusterAccess access,
                                                        std::string lease_namespace,
                                                        std::string lease_name,
                                                        std::chrono::milliseconds timeout);
  ~ApiLeaseClient() override;

  void get(Callback done) override;
  void create(const LeaseSpec& spec, Callback done) override;
  void update(const std::string& resource_version, const LeaseSpec& spec, Callback done) override;
  void watch(const std::string& resource_version, LeaseWatchCallbacks callbacks) override;
  void cancelWatch() override;
  std::string describe() const override { return namespace_ + "/" + name_; }

 private:
  ApiLeaseClient() = default;
  void send(LeaseRequest request, Callback done);

  std::string namespace_;
  std::string name_;
  // Used only on the worker thread once created; destroyed after the worker has been joined.
  std::shared_ptr<HttpTransport> transport_;
  std::unique_ptr<RequestWorker> worker_;
  std::unique_ptr<LeaseWatcher> watcher_;
};

// Synchronous helper for tools and tests: one request from the calling thread.
Result<Lease> getLeaseBlocking(const ClusterAccess& access, const std::string& lease_namespace,
                               const std::string& lease_name, std::chrono::milliseconds timeout);

}  // namespace kubevip::k8s

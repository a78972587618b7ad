#include "k8s/lease_client.h"

#include <fmt/format.h>

#include "k8s/http_transport.h"
#include "k8s/lease_requests.h"
#include "k8s/request_worker.h"

namespace kubevip::k8s {

Result<std::unique_ptr<ApiLeaseClient>> ApiLeaseClient::create(EventLoop& loop,
                                                               ClusterAccess access,
                                                               std::string lease_namespace,
                                                               std::string lease_name,
                                                               std::chrono::milliseconds timeout) {
  // The server ends each watch after kWatchSeconds (client-go picks 5 to 10 minutes); a new one
  // starts from the last resourceVersion seen.
  constexpr int kWatchSeconds = 290;
  auto watcher =
      LeaseWatcher::create(loop, access, lease_namespace, lease_name, timeout, kWatchSeconds);
  if (!watcher) return watcher.error();
  auto transport = HttpTransport::create(std::move(access), timeout);
  if (!transport) return transport.error();
  auto worker = RequestWorker::create(loop);
  if (!worker) return worker.error();
  std::unique_ptr<ApiLeaseClient> client(new ApiLeaseClient());
  client->namespace_ = std::move(lease_namespace);
  client->name_ = std::move(lease_name);
  client->transport_ = std::move(*transport);
  client->worker_ = std::move(*worker);
  client->watcher_ = std::move(*watcher);
  return client;
}

ApiLeaseClient::~ApiLeaseClient() {
  watcher_.reset();
  worker_.reset();  // joins the thread before the transport goes
}

void ApiLeaseClient::send(LeaseRequest request, Callback done) {
  worker_->post([transport = transport_, request = std::move(request),
                 done = std::move(done)]() mutable -> RequestWorker::Completion {
    auto result = leaseFromResponse(transport->send(request.http), request);
    return
        [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); };
  });
}

void ApiLeaseClient::get(Callback done) {
  send(leaseGetRequest(namespace_, name_), std::move(done));
}

void ApiLeaseClient::create(const LeaseSpec& spec, Callback done) {
  send(leaseCreateRequest(namespace_, name_, spec), std::move(done));
}

void ApiLeaseClient::update(const std::string& resource_version, const LeaseSpec& spec,
                            Callback done) {
  send(leaseUpdateRequest(namespace_, name_, resource_version, spec), std::move(done));
}

void ApiLeaseClient::watch(const std::string& resource_version, LeaseWatchCallbacks callbacks) {
  watcher_->start(resource_version, std::move(callbacks));
}

void ApiLeaseClient::cancelWatch() { watcher_->cancel(); }

Result<Lease> getLeaseBlocking(const ClusterAccess& access, const std::string& lease_namespace,
                               const std::string& lease_name, std::chrono::milliseconds timeout) {
  auto transport = HttpTransport::create(access, timeout);
  if (!transport) return transport.error();
  const LeaseRequest request = leaseGetRequest(lease_namespace, lease_name);
  return leaseFromResponse((*transport)->send(request.http), request);
}

}  // namespace kubevip::k8s

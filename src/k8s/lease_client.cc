#include "k8s/lease_client.h"

#include <fmt/format.h>

#include "k8s/api_error.h"
#include "k8s/http_transport.h"
#include "k8s/request_worker.h"

namespace kubevip::k8s {
namespace {

std::string collectionPath(const std::string& ns) {
  return fmt::format("/apis/coordination.k8s.io/v1/namespaces/{}/leases", ns);
}

Result<Lease> interpret(const Result<HttpResponse>& response, long expected_a, long expected_b,
                        const std::string& action) {
  if (!response) return response.error();
  if (response->status != expected_a && response->status != expected_b) {
    return errorFromResponse(response->status, response->body, action);
  }
  auto lease = leaseFromJson(response->body);
  if (!lease) {
    Error e = lease.error();
    e.message = action + ": " + e.message;
    return e;
  }
  return lease;
}

}  // namespace

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

void ApiLeaseClient::send(std::string method, std::string path, std::string body,
                          std::string action, Callback done) {
  const long expected_a = method == "POST" ? 201 : 200;
  const long expected_b = method == "POST" ? 200 : expected_a;
  worker_->post([transport = transport_,
                 request = HttpRequest{std::move(method), std::move(path), std::move(body)},
                 action = std::move(action), done = std::move(done), expected_a,
                 expected_b]() mutable -> RequestWorker::Completion {
    auto response = transport->send(request);
    auto result = interpret(response, expected_a, expected_b, action);
    return
        [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); };
  });
}

void ApiLeaseClient::get(Callback done) {
  send("GET", collectionPath(namespace_) + "/" + name_, "", "get Lease " + describe(),
       std::move(done));
}

void ApiLeaseClient::create(const LeaseSpec& spec, Callback done) {
  Lease lease{name_, namespace_, "", spec};
  send("POST", collectionPath(namespace_), leaseToJson(lease), "create Lease " + describe(),
       std::move(done));
}

void ApiLeaseClient::update(const std::string& resource_version, const LeaseSpec& spec,
                            Callback done) {
  Lease lease{name_, namespace_, resource_version, spec};
  send("PUT", collectionPath(namespace_) + "/" + name_, leaseToJson(lease),
       "update Lease " + describe(), std::move(done));
}

void ApiLeaseClient::watch(const std::string& resource_version, LeaseWatchCallbacks callbacks) {
  watcher_->start(resource_version, std::move(callbacks));
}

void ApiLeaseClient::cancelWatch() { watcher_->cancel(); }

Result<Lease> getLeaseBlocking(const ClusterAccess& access, const std::string& lease_namespace,
                               const std::string& lease_name, std::chrono::milliseconds timeout) {
  auto transport = HttpTransport::create(access, timeout);
  if (!transport) return transport.error();
  auto response =
      (*transport)->send({"GET", collectionPath(lease_namespace) + "/" + lease_name, ""});
  return interpret(response, 200, 200, fmt::format("get Lease {}/{}", lease_namespace, lease_name));
}

}  // namespace kubevip::k8s

#include "k8s/lease_requests.h"

#include <fmt/format.h>

#include "k8s/api_error.h"

namespace kubevip::k8s {
namespace {

std::string collectionPath(const std::string& ns) {
  return fmt::format("/apis/coordination.k8s.io/v1/namespaces/{}/leases", ns);
}

}  // namespace

LeaseRequest leaseGetRequest(const std::string& lease_namespace, const std::string& lease_name) {
  return {{"GET", collectionPath(lease_namespace) + "/" + lease_name, ""},
          fmt::format("get Lease {}/{}", lease_namespace, lease_name)};
}

LeaseRequest leaseCreateRequest(const std::string& lease_namespace, const std::string& lease_name,
                                const LeaseSpec& spec) {
  const Lease lease{lease_name, lease_namespace, "", spec};
  return {{"POST", collectionPath(lease_namespace), leaseToJson(lease)},
          fmt::format("create Lease {}/{}", lease_namespace, lease_name),
          201,
          200};
}

LeaseRequest leaseUpdateRequest(const std::string& lease_namespace, const std::string& lease_name,
                                const std::string& resource_version, const LeaseSpec& spec) {
  const Lease lease{lease_name, lease_namespace, resource_version, spec};
  return {{"PUT", collectionPath(lease_namespace) + "/" + lease_name, leaseToJson(lease)},
          fmt::format("update Lease {}/{}", lease_namespace, lease_name)};
}

Result<Lease> leaseFromResponse(const Result<HttpResponse>& response, const LeaseRequest& request) {
  if (!response) return response.error();
  if (response->status != request.expected_status &&
      response->status != request.also_accepted_status) {
    return errorFromResponse(response->status, response->body, request.action);
  }
  auto lease = leaseFromJson(response->body);
  if (!lease) {
    Error e = lease.error();
    e.message = request.action + ": " + e.message;
    return e;
  }
  return lease;
}

}  // namespace kubevip::k8s

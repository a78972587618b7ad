// The requests a LeaseClient makes for one Lease and the reading of their answers, as pure
// functions shared by ApiLeaseClient (lease_client.h) and the pooled clients
// (lease_client_pool.h).
#pragma once

#include <string>

#include "common/result.h"
#include "k8s/http_transport.h"
#include "k8s/lease.h"

namespace kubevip::k8s {

struct LeaseRequest {
  HttpRequest http;
  std::string action;  // "update Lease kube-system/x", for errors
  long expected_status = 200;
  long also_accepted_status = 200;  // a create may answer 200 as well as 201
};

LeaseRequest leaseGetRequest(const std::string& lease_namespace, const std::string& lease_name);
// POST; the Lease must not exist yet (409 AlreadyExists otherwise).
LeaseRequest leaseCreateRequest(const std::string& lease_namespace, const std::string& lease_name,
                                const LeaseSpec& spec);
// PUT with `resource_version`; 409 Conflict when the Lease changed since it was read.
LeaseRequest leaseUpdateRequest(const std::string& lease_namespace, const std::string& lease_name,
                                const std::string& resource_version, const LeaseSpec& spec);

// The Lease in the answer, or the error: transport failure, errorFromResponse for an unexpected
// status, or a decoding error, each prefixed with the request's action.
Result<Lease> leaseFromResponse(const Result<HttpResponse>& response, const LeaseRequest& request);

}  // namespace kubevip::k8s

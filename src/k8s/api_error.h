// Turning API server responses into errors an operator can act on.
//
// A failed request returns a meta/v1 Status object ({"kind":"Status","reason":"Forbidden",
// "message":"leases.coordination.k8s.io \"x\" is forbidden: User ... cannot update resource
// ..."}). The message already names the verb and resource RBAC refused, so it is kept verbatim and
// prefixed with what we were doing. Pure function, unit-tested.
#pragma once

#include <string_view>

#include "common/result.h"

namespace kubevip::k8s {

// `action` says what was attempted, e.g. "update Lease kube-system/plndr-cp-lock".
// Codes: 401/403 -> kPermission, 404 -> kNotFound, 409 -> kConflict, 429/5xx -> kUnavailable,
// anything else -> kInvalidArgument.
Error errorFromResponse(long http_status, std::string_view body, std::string_view action);

}  // namespace kubevip::k8s

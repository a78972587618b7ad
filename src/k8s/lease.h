// coordination.k8s.io/v1 Lease objects as plain values, and their JSON form.
//
// A Lease is the lock that in-cluster leader election writes: spec.holderIdentity names the leader,
// spec.renewTime is refreshed on every renewal, spec.leaseTransitions counts changes of holder.
// Times on the wire are MicroTime, "2006-01-02T15:04:05.000000Z" (UTC, microseconds). These
// functions are pure so that the wire format is unit-tested without a server.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kubevip::k8s {

// Wall-clock time as stored in a Lease. Only written and displayed: election never compares it
// with the local clock (clocks of different nodes disagree).
using WallTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

// The spec of a Lease, i.e. client-go's LeaderElectionRecord.
struct LeaseSpec {
  std::string holder_identity;
  int lease_duration_seconds = 0;
  std::optional<WallTime> acquire_time;
  std::optional<WallTime> renew_time;
  int lease_transitions = 0;

  bool operator==(const LeaseSpec&) const = default;
};

struct Lease {
  std::string name;
  std::string lease_namespace;
  std::string resource_version;  // empty for a Lease not yet created
  LeaseSpec spec;
};

// "2006-01-02T15:04:05.000000Z".
std::string formatMicroTime(WallTime time);
// Accepts RFC 3339 times with or without a fraction, in UTC ("Z") or with a numeric offset.
Result<WallTime> parseMicroTime(std::string_view text);

// The JSON body of a CREATE (no resourceVersion) or an UPDATE (with it).
std::string leaseToJson(const Lease& lease);
Result<Lease> leaseFromJson(std::string_view json);

}  // namespace kubevip::k8s

// The one place that picks the kind of Elector from the configuration:
//   single_node          -> SingleNodeElector (no election at all)
//   etcd is set          -> EtcdElector (a key bound to an etcd lease; wins over `kubernetes`,
//                           which `manager` also sets for the Services' Leases)
//   kubernetes is set    -> LeaseElector (coordination.k8s.io Lease)
//   otherwise            -> RaftElector over local_peer + remote_peers
#pragma once

#include <memory>

#include "common/event_loop.h"
#include "common/result.h"
#include "config/config.h"
#include "election/elector.h"

namespace kubevip::election {

Result<std::unique_ptr<Elector>> makeElector(EventLoop& loop, const config::Config& config);

}  // namespace kubevip::election

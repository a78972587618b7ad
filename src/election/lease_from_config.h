// Builds the LeaseElector of the in-cluster mode from config::KubernetesLease: finds the API server
// (the kubeconfig file, else the in-cluster service account), and connects the elector to an
// ApiLeaseClient on the daemon's loop. Called by makeElector (make_elector.h) only.
#pragma once

#include <memory>

#include "common/event_loop.h"
#include "common/result.h"
#include "config/config.h"
#include "election/elector.h"
#include "k8s/cluster_access.h"
#include "k8s/lease_client.h"

namespace kubevip::election {

Result<std::unique_ptr<Elector>> makeLeaseElector(EventLoop& loop,
                                                  const config::KubernetesLease& settings);

// The parts, for the Services mode's elections (one per Lease, sharing the API server's access):
// where the API server is and how to authenticate (logged), and an elector with the settings'
// identity and timings over any LeaseClient.
Result<k8s::ClusterAccess> clusterAccessFor(const config::KubernetesLease& settings);
// `follower_poll_while_watching`: see LeaseElectorOptions.
Result<std::unique_ptr<Elector>> makeLeaseElector(TimeSource& time,
                                                  const config::KubernetesLease& settings,
                                                  std::unique_ptr<k8s::LeaseClient> client,
                                                  Duration follower_poll_while_watching = {});

}  // namespace kubevip::election

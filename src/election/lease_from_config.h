// Builds the LeaseElector of the in-cluster mode from config::KubernetesLease: finds the API server
// (the kubeconfig file, else the in-cluster service account), and connects the elector to an
// ApiLeaseClient on the daemon's loop. Called by makeElector (make_elector.h) only.
#pragma once

#include <memory>

#include "common/event_loop.h"
#include "common/result.h"
#include "config/config.h"
#include "election/elector.h"

namespace kubevip::election {

Result<std::unique_ptr<Elector>> makeLeaseElector(EventLoop& loop,
                                                  const config::KubernetesLease& settings);

}  // namespace kubevip::election

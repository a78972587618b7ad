// The daemon: wires configuration, election, the VIP controller and the load balancers onto one
// event loop, handles SIGTERM/SIGINT, and runs until stopped.
#pragma once

#include "common/result.h"
#include "config/config.h"

namespace kubevip::daemon {

// Runs in the foreground until SIGTERM or SIGINT. The configuration must already be validated.
// Returns the process exit status: 0 after a clean stop, 1 when the daemon could not run.
int run(const config::Config& config);

}  // namespace kubevip::daemon

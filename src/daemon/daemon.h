// The daemon: wires configuration, election, the VIP controller and the load balancers onto one
// event loop, handles SIGTERM/SIGINT, and runs until stopped.
#pragma once

#include "common/result.h"
#include "config/config.h"
#include "config/loader.h"

namespace kubevip::daemon {

// Runs in the foreground until SIGTERM or SIGINT. The configuration must already be validated.
// SIGHUP (and `kube-vip reload`) builds the configuration again with `reread` and applies what
// may change live (config/reload_plan.h); without `reread` (configured by the environment only)
// a reload is refused. Returns the process exit status: 0 after a clean stop, 1 when the daemon
// could not run.
int run(const config::Config& config, config::ConfigSource reread = {});

}  // namespace kubevip::daemon

// The descriptor limit at start-up: RLIMIT_NOFILE's soft limit is raised to the hard one (the
// soft default, often 1024, is a compatibility value for select(); the hard limit is what the
// administrator granted), both are logged, and the load balancers' connections are planned
// against it with a reserve for the control plane (lb/descriptor_budget.h).
//
// When the configured maxConnections cannot all fit, the daemon starts anyway and says so with
// the numbers: the admission keeps connections within the limit, so the only cost is that
// connections over it are closed at once (counted, logged), while refusing to start would take
// the VIP away altogether over a capacity figure. The limit belongs to the host or unit the daemon
// runs under (systemd LimitNOFILE=, a container runtime's nofile), not to the configuration
// file, which is why `kube-vip check` does not judge it. When not even one connection fits, the
// daemon refuses to start.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "config/config.h"

namespace kubevip::daemon {

struct DescriptorLimits {
  uint64_t soft_before = 0;
  uint64_t soft = 0;  // after raising
  uint64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (to the kernel's default nr_open, 1048576, when
// the hard limit is unlimited).
Result<DescriptorLimits> raiseDescriptorLimit();

// Raises the limit, logs it, and checks the load balancers' maxConnections against it: a warning
// with the numbers when they do not all fit, an error when not one connection does. Returns the
// limit the data plane is to plan with.
Result<uint64_t> prepareDescriptorLimit(const config::Config& config);

}  // namespace kubevip::daemon

// Reads the inputs of lb/usable_cpus.h from this process's environment: the sched_getaffinity()
// mask, /proc/self/cgroup and the cgroup v2 cpu.max files under /sys/fs/cgroup.
#pragma once

#include <string>

#include "lb/usable_cpus.h"

namespace kubevip::lb {

// Never fails: a mask that cannot be read counts as hardware_concurrency(), a cgroup file that
// cannot be read as no limit.
UsableCpus readUsableCpus(const std::string& cgroup_root = "/sys/fs/cgroup");

}  // namespace kubevip::lb

// How many CPUs this process may actually use, which is what the load balancer sizes its worker
// threads by: std::thread::hardware_concurrency() counts the machine's CPUs, so a daemon pinned
// to one CPU (taskset, a systemd CPUAffinity=) or limited by a cgroup CPU quota (a container's
// CPU limit, systemd CPUQuota=) would run several workers that only take turns on the same CPU
// time. As HAProxy, nginx and Go's automaxprocs do, the count is
//
//   min(CPUs in the sched_getaffinity() mask, ceil(cgroup CPU quota / period)), at least 1,
//
// where the cgroup limit is the tightest along the process's cgroup path up to the root (a
// parent's cpu.max caps its children). Pure parsing here, tested with strings; the files and the
// system call are read in lb/linux/usable_cpus_reader.h. Whatever cannot be read or parsed counts
// as "no limit": a wrong guess costs throughput, never the daemon's start.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kubevip::lb {

struct UsableCpus {
  int count = 1;                    // what the workers are sized by
  int affinity = 1;                 // CPUs in the affinity mask
  std::optional<int> cgroup_limit;  // ceil(quota / period); nullopt: no quota

  // "2 usable CPUs (affinity 2, cgroup limit none)"
  std::string describe() const;
};

// The count from its two inputs: the smaller, and at least 1.
UsableCpus combineUsableCpus(int affinity, std::optional<int> cgroup_limit);

// cgroup v2: the path of the unified hierarchy's "0::/path" line of /proc/self/cgroup ("/a/b");
// nullopt when there is none (cgroup v1 only).
std::optional<std::string> cgroupV2Path(std::string_view proc_self_cgroup);

// The path itself and each of its ancestors up to "/": "/a/b" gives "/a/b", "/a", "/".
std::vector<std::string> cgroupPathAndAncestors(std::string_view path);

// cgroup v2 cpu.max ("max 100000" or "150000 100000"): ceil(quota / period) CPUs, nullopt for
// "max" or text that is not two positive numbers.
std::optional<int> cpuLimitFromCpuMax(std::string_view cpu_max);

// The tightest of several limits (nullopt: none of them limits).
std::optional<int> tightestLimit(const std::vector<std::optional<int>>& limits);

}  // namespace kubevip::lb

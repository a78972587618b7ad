#include "lb/linux/usable_cpus_reader.h"

#include <sched.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

namespace kubevip::lb {
namespace {

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int affinityCpus() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof(mask), &mask) == 0) return CPU_COUNT(&mask);
  // More CPUs than a cpu_set_t holds (EINVAL): none of them is excluded that we can tell.
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::optional<int> cgroupCpuLimit(const std::string& cgroup_root) {
  const auto self = readFile("/proc/self/cgroup");
  if (!self) return std::nullopt;
  const auto path = cgroupV2Path(*self);
  if (!path) return std::nullopt;
  std::vector<std::optional<int>> limits;
  for (const std::string& dir : cgroupPathAndAncestors(*path)) {
    // The root cgroup has no cpu.max; inside a cgroup namespace "/" is the container's own.
    const auto cpu_max = readFile(cgroup_root + (dir == "/" ? "" : dir) + "/cpu.max");
    if (cpu_max) limits.push_back(cpuLimitFromCpuMax(*cpu_max));
  }
  return tightestLimit(limits);
}

}  // namespace

UsableCpus readUsableCpus(const std::string& cgroup_root) {
  return combineUsableCpus(affinityCpus(), cgroupCpuLimit(cgroup_root));
}

}  // namespace kubevip::lb

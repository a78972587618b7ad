#include "lb/usable_cpus.h"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace kubevip::lb {
namespace {

std::string_view trim(std::string_view s) {
  const auto begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  const auto end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

std::optional<uint64_t> parsePositive(std::string_view s) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value == 0) return std::nullopt;
  return value;
}

}  // namespace

std::string UsableCpus::describe() const {
  return std::to_string(count) + (count == 1 ? " usable CPU" : " usable CPUs") + " (affinity " +
         std::to_string(affinity) + ", cgroup limit " +
         (cgroup_limit ? std::to_string(*cgroup_limit) : std::string("none")) + ")";
}

UsableCpus combineUsableCpus(int affinity, std::optional<int> cgroup_limit) {
  UsableCpus cpus;
  cpus.affinity = affinity;
  cpus.cgroup_limit = cgroup_limit;
  int count = affinity;
  if (cgroup_limit) count = std::min(count, *cgroup_limit);
  cpus.count = std::max(1, count);
  return cpus;
}

std::optional<std::string> cgroupV2Path(std::string_view proc_self_cgroup) {
  while (!proc_self_cgroup.empty()) {
    const auto newline = proc_self_cgroup.find('\n');
    const std::string_view line = proc_self_cgroup.substr(0, newline);
    proc_self_cgroup = newline == std::string_view::npos ? std::string_view()
                                                         : proc_self_cgroup.substr(newline + 1);
    // "hierarchy-ID:controller-list:path"; the unified hierarchy is "0" with no controllers
    // (cgroups(7)).
    if (line.substr(0, 3) == "0::") {
      const std::string_view path = trim(line.substr(3));
      if (!path.empty() && path.front() == '/') return std::string(path);
    }
  }
  return std::nullopt;
}

std::vector<std::string> cgroupPathAndAncestors(std::string_view path) {
  std::vector<std::string> out;
  std::string p(path);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  while (!p.empty() && p != "/") {
    out.push_back(p);
    const auto slash = p.find_last_of('/');
    p = slash == 0 || slash == std::string::npos ? std::string("/") : p.substr(0, slash);
  }
  out.emplace_back("/");
  return out;
}

std::optional<int> cpuLimitFromCpuMax(std::string_view cpu_max) {
  cpu_max = trim(cpu_max);
  const auto space = cpu_max.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto quota = parsePositive(cpu_max.substr(0, space));  // "max" fails here: no limit
  const auto period = parsePositive(trim(cpu_max.substr(space + 1)));
  if (!quota || !period) return std::nullopt;
  const uint64_t cpus = (*quota + *period - 1) / *period;
  return static_cast<int>(std::min<uint64_t>(cpus, 1u << 20));
}

std::optional<int> tightestLimit(const std::vector<std::optional<int>>& limits) {
  std::optional<int> tightest;
  for (const auto& limit : limits) {
    if (limit && (!tightest || *limit < *tightest)) tightest = limit;
  }
  return tightest;
}

}  // namespace kubevip::lb

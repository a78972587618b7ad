#include "daemon/descriptor_limit.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <cerrno>

#include "lb/descriptor_budget.h"
#include "lb/load_balancer_set.h"

namespace kubevip::daemon {
namespace {

// The kernel's default fs.nr_open: the most a process may have when its hard limit says
// unlimited (setrlimit refuses RLIM_INFINITY for RLIMIT_NOFILE).
constexpr uint64_t kDefaultNrOpen = 1048576;

}  // namespace

Result<DescriptorLimits> raiseDescriptorLimit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return systemError("getrlimit(RLIMIT_NOFILE)", errno);
  DescriptorLimits limits;
  limits.soft_before = rl.rlim_cur;
  limits.hard = rl.rlim_max == RLIM_INFINITY ? kDefaultNrOpen : rl.rlim_max;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < limits.hard) {
    rl.rlim_cur = limits.hard;
    if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) {
      return systemError("setrlimit(RLIMIT_NOFILE) to " + std::to_string(limits.hard), errno);
    }
  }
  limits.soft = rl.rlim_cur == RLIM_INFINITY ? limits.hard : rl.rlim_cur;
  return limits;
}

Result<uint64_t> prepareDescriptorLimit(const config::Config& config) {
  auto limits = raiseDescriptorLimit();
  if (!limits) return limits.error();
  spdlog::info("descriptor limit: soft {} (was {}), hard {}", limits->soft, limits->soft_before,
               limits->hard);
  if (config.load_balancers.empty()) return limits->soft;
  const auto plan = lb::planDescriptors(config.load_balancers, lb::Forwarding::kCopy,
                                        lb::defaultWorkerCount(), limits->soft);
  const std::string numbers = plan.describe(config.load_balancers);
  if (!plan.usable()) {
    return makeError(ErrorCode::kInvalidArgument,
                     "the descriptor limit is too low for any load-balanced connection: " +
                         numbers + "; raise the hard RLIMIT_NOFILE");
  }
  if (!plan.fits()) {
    spdlog::warn(
        "the load balancers' maxConnections do not fit the descriptor limit: {}; connections "
        "over that are closed at once. Raise the hard RLIMIT_NOFILE (LimitNOFILE= in a systemd "
        "unit, --ulimit nofile= for a container) or lower maxConnections",
        numbers);
  } else {
    spdlog::info("load-balancer descriptors: {}", numbers);
  }
  return limits->soft;
}

}  // namespace kubevip::daemon

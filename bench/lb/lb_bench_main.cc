// Runs one LoadBalancerSet outside the daemon, for the load-balancing benchmark:
//   kube-vip-lb-bench --listen 10.0.0.1:8080 --backend 10.0.1.1:80 --backend ... [--workers N]
//                     [--mode tcp|http] [--splice]
//                     [--health-check INTERVAL_MS,TIMEOUT_MS,RISE,FALL | --no-health-check]
// It listens on the given address (a bindToVip:true balancer whose VIP is that address, which
// the benchmark has put on an interface) until SIGINT or SIGTERM.
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "common/log.h"
#include "lb/load_balancer_set.h"

using namespace kubevip;

namespace {

Result<Endpoint> parseEndpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return makeError(ErrorCode::kInvalidArgument, "need ADDR:PORT");
  auto addr = IpAddress::parse(text.substr(0, colon));
  if (!addr) return addr.error();
  return Endpoint{*addr, static_cast<uint16_t>(std::stoi(text.substr(colon + 1)))};
}

int usage() {
  std::fprintf(
      stderr,
      "usage: kube-vip-lb-bench --listen ADDR:PORT --backend ADDR:PORT... [--workers N] "
      "[--mode tcp|http] [--splice] [--health-check MS,MS,RISE,FALL | --no-health-check]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  (void)initLogging("info");
  config::LoadBalancer lb;
  lb.name = "bench";
  lb.bind_to_vip = true;
  std::optional<Endpoint> listen;
  int workers = 0;
  lb::DataPlaneOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--listen" && has_value) {
      auto ep = parseEndpoint(argv[++i]);
      if (!ep) return usage();
      listen = *ep;
    } else if (arg == "--backend" && has_value) {
      auto ep = parseEndpoint(argv[++i]);
      if (!ep) return usage();
      lb.backends.push_back(config::Backend{ep->address, ep->port});
    } else if (arg == "--workers" && has_value) {
      workers = std::stoi(argv[++i]);
    } else if (arg == "--mode" && has_value) {
      std::string mode = argv[++i];
      lb.type = mode == "http" ? config::LoadBalancerType::kHttp : config::LoadBalancerType::kTcp;
    } else if (arg == "--splice") {
      options.splice = true;
    } else if (arg == "--health-check" && has_value) {
      // INTERVAL_MS,TIMEOUT_MS,RISE,FALL
      int interval = 0, timeout = 0, rise = 0, fall = 0;
      if (std::sscanf(argv[++i], "%d,%d,%d,%d", &interval, &timeout, &rise, &fall) != 4) {
        return usage();
      }
      lb.health_check.interval = std::chrono::milliseconds(interval);
      lb.health_check.timeout = std::chrono::milliseconds(timeout);
      lb.health_check.rise = rise;
      lb.health_check.fall = fall;
    } else if (arg == "--no-health-check") {
      lb.health_check.enabled = false;
    } else {
      return usage();
    }
  }
  if (!listen || lb.backends.empty()) return usage();
  lb.port = listen->port;

  // Block the stop signals before any thread starts, so only sigwait() below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // The driver stops at once when it cannot listen, so the set's bind retries never run: a time
  // source that never advances is enough.
  ManualTimeSource time;
  auto set = lb::LoadBalancerSet::create({lb}, listen->address, workers, time, options);
  if (!set) {
    std::fprintf(stderr, "kube-vip-lb-bench: %s\n", set.error().describe().c_str());
    return 1;
  }
  if (auto st = (*set)->start(); !st) {
    std::fprintf(stderr, "kube-vip-lb-bench: %s\n", st.error().describe().c_str());
    return 1;
  }
  (*set)->onVipAcquired();
  if (!(*set)->stats(lb.name)->listening) {
    std::fprintf(stderr, "kube-vip-lb-bench: cannot listen on %s (see the log above)\n",
                 listen->toString().c_str());
    return 1;
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  (*set)->stop();
  return 0;
}

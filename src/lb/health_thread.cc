#include "lb/health_thread.h"

#include "lb/health_checker.h"
#include "lb/socket_prober.h"

namespace kubevip::lb {

Status HealthThread::start() {
  std::promise<Status> ready;
  auto started = ready.get_future();
  thread_ = std::thread([this, &ready] { run(ready); });
  Status st = started.get();
  if (!st) {
    thread_.join();
    return st;
  }
  return {};
}

void HealthThread::stop() {
  if (!thread_.joinable()) return;
  if (auto* h = stop_handle_.load()) h->notify();
  thread_.join();
}

void HealthThread::run(std::promise<Status>& ready) {
  auto loop = EventLoop::create();
  if (!loop) return ready.set_value(loop.error());
  {
    std::vector<std::unique_ptr<SocketProber>> probers;
    std::vector<std::unique_ptr<HealthChecker>> checkers;
    auto wake = CrossThreadWakeup::create(**loop, [&] { (*loop)->stop(); });
    if (!wake) return ready.set_value(wake.error());
    for (Balancer* b : balancers_) {
      if (!b->config.health_check.enabled || b->pool.size() == 0) continue;
      std::string path;
      if (b->config.type == config::LoadBalancerType::kHttp) {
        path = b->config.health_check.http_path.empty() ? "/" : b->config.health_check.http_path;
      }
      probers.push_back(std::make_unique<SocketProber>(**loop, path));
      checkers.push_back(std::make_unique<HealthChecker>(
          b->config.name, b->config.health_check, b->pool, (*loop)->time(), *probers.back()));
      checkers.back()->start();
    }
    stop_handle_.store(wake->get());
    ready.set_value(Status{});
    (*loop)->run();
    stop_handle_.store(nullptr);
    checkers.clear();
    probers.clear();
  }
  // The loop's destructor runs the close callbacks of the handles freed above.
}

}  // namespace kubevip::lb

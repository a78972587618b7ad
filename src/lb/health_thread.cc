#include "lb/health_thread.h"

#include "lb/health_checker.h"
#include "lb/socket_prober.h"

namespace kubevip::lb {

// The checks of one balancer's generation; they keep that generation (and so its pool) alive.
class HealthThread::Checks {
 public:
  Checks(EventLoop& loop, std::shared_ptr<Balancer> balancer) : balancer_(std::move(balancer)) {
    const config::LoadBalancer& c = balancer_->config;
    switch (c.type) {
      case config::LoadBalancerType::kTcp:
        prober_ = std::make_unique<SocketProber>(loop, ProbeMethod::kTcpConnect);
        break;
      case config::LoadBalancerType::kHttp:
        prober_ = std::make_unique<SocketProber>(
            loop, ProbeMethod::kHttpGet,
            c.health_check.http_path.empty() ? "/" : c.health_check.http_path);
        break;
      case config::LoadBalancerType::kUdp:
        prober_ =
            std::make_unique<SocketProber>(loop, ProbeMethod::kUdpDatagram, c.health_check.payload);
        break;
    }
    checker_ = std::make_unique<HealthChecker>(c.name, c.health_check, balancer_->pool, loop.time(),
                                               *prober_);
    checker_->start();
  }

  static bool needed(const Balancer& b) {
    return b.config.health_check.enabled && b.pool.size() > 0;
  }

 private:
  std::shared_ptr<Balancer> balancer_;
  std::unique_ptr<SocketProber> prober_;
  std::unique_ptr<HealthChecker> checker_;  // destroyed before the prober it uses
};

Status HealthThread::start(std::map<int, std::shared_ptr<Balancer>> balancers) {
  std::promise<Status> ready;
  auto started = ready.get_future();
  stopping_.store(false);
  thread_ = std::thread(
      [this, &ready, initial = std::move(balancers)]() mutable { run(ready, std::move(initial)); });
  Status st = started.get();
  if (!st) {
    thread_.join();
    return st;
  }
  return {};
}

void HealthThread::setBalancer(int id, std::shared_ptr<Balancer> balancer) {
  if (!thread_.joinable()) return;
  Change change{id, std::move(balancer), {}};
  auto done = change.done.get_future();
  {
    std::lock_guard lock(mu_);
    changes_.push_back(&change);
  }
  wake_handle_.load()->notify();
  done.wait();
}

void HealthThread::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true);
  if (auto* h = wake_handle_.load()) h->notify();
  thread_.join();
}

void HealthThread::run(std::promise<Status>& ready,
                       std::map<int, std::shared_ptr<Balancer>> initial) {
  auto loop = EventLoop::create();
  if (!loop) return ready.set_value(loop.error());
  {
    std::map<int, std::unique_ptr<Checks>> checks;
    auto wake = CrossThreadWakeup::create(**loop, [&] {
      if (stopping_.load()) return (*loop)->stop();
      std::vector<Change*> todo;
      {
        std::lock_guard lock(mu_);
        todo.swap(changes_);
      }
      for (Change* c : todo) {
        checks.erase(c->id);  // the old checks end before the new ones probe
        if (c->balancer && Checks::needed(*c->balancer)) {
          checks[c->id] = std::make_unique<Checks>(**loop, std::move(c->balancer));
        }
        c->done.set_value();
      }
    });
    if (!wake) return ready.set_value(wake.error());
    for (auto& [id, b] : initial) {
      if (Checks::needed(*b)) checks[id] = std::make_unique<Checks>(**loop, std::move(b));
    }
    wake_handle_.store(wake->get());
    ready.set_value(Status{});
    (*loop)->run();
    wake_handle_.store(nullptr);
    checks.clear();
  }
  // The loop's destructor runs the close callbacks of the handles freed above.
}

}  // namespace kubevip::lb

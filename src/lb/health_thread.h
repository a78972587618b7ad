// The thread running the active health checks of every balancer on one libuv loop.
#pragma once

#include <atomic>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "common/event_loop.h"
#include "lb/balancer.h"

namespace kubevip::lb {

class HealthThread {
 public:
  explicit HealthThread(std::vector<Balancer*> balancers) : balancers_(std::move(balancers)) {}
  ~HealthThread() { stop(); }
  // Returns once the loop runs and the first probes are started.
  Status start();
  void stop();

 private:
  void run(std::promise<Status>& ready);

  std::vector<Balancer*> balancers_;
  std::thread thread_;
  std::unique_ptr<CrossThreadWakeup> stop_;  // created and destroyed on the thread
  std::atomic<CrossThreadWakeup*> stop_handle_{nullptr};
};

}  // namespace kubevip::lb

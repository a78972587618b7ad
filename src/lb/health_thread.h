// The thread running the active health checks of every balancer on one libuv loop.
//
// Balancers are keyed by an id the caller chooses. setBalancer() replaces the checks of one
// balancer by those of a new generation (or removes them) on the loop's thread and returns when
// that is done: the checks of backends no longer listed stop with the old generation's checker,
// and every backend of the new one is probed at once. Whether a backend is up lives in its
// BackendState, not in the checker, so it carries over: a backend down before is still down in
// the new generation, and its new checker takes it down in its own state machine at the first
// probe (health_checker.h), so it needs `rise` good probes to return. What a replaced checker
// loses is only a streak in progress (say 1 of 2 good probes), which starts again.
#pragma once

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/event_loop.h"
#include "lb/balancer.h"

namespace kubevip::lb {

class HealthThread {
 public:
  HealthThread() = default;
  ~HealthThread() { stop(); }
  HealthThread(const HealthThread&) = delete;
  HealthThread& operator=(const HealthThread&) = delete;

  // Returns once the loop runs and the first probes of `balancers` are started.
  Status start(std::map<int, std::shared_ptr<Balancer>> balancers);
  // Checks balancer `id` as `balancer` from now on; nullptr: no longer checks it. Returns once
  // applied. Must not be called before start() or after stop().
  void setBalancer(int id, std::shared_ptr<Balancer> balancer);
  void stop();

 private:
  class Checks;
  struct Change {
    int id;
    std::shared_ptr<Balancer> balancer;
    std::promise<void> done;
  };
  void run(std::promise<Status>& ready, std::map<int, std::shared_ptr<Balancer>> initial);

  std::thread thread_;
  std::mutex mu_;
  std::vector<Change*> changes_;  // guarded by mu_; applied on the loop's thread
  std::atomic<bool> stopping_{false};
  std::atomic<CrossThreadWakeup*> wake_handle_{nullptr};
};

}  // namespace kubevip::lb

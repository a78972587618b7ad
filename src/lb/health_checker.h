// Active health checks of one load balancer's backends.
//
// HealthStateMachine is the pure rise/fall counter of one backend: `fall` consecutive failed
// probes take an up backend down, `rise` consecutive good probes bring a down one back. Backends
// start up, so traffic flows as soon as a balancer starts (a dead one is caught by the passive
// check on the first connect, or by `fall` probes).
//
// HealthChecker schedules a probe of every backend each `interval` through an injected
// TimeSource and Prober, counts a probe that has not answered within `timeout` as failed (or, for
// a prober whose silence means "up", such as the UDP check, as good), and
// writes transitions into the BackendPool, logging each one once. A backend the data plane marked
// down (passive check) is taken down in the state machine too, so it needs `rise` good probes to
// come back. Everything runs on the thread of the TimeSource's loop; tests use ManualTimeSource
// and a fake Prober.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/time_source.h"
#include "config/config.h"
#include "lb/backend_pool.h"

namespace kubevip::lb {

enum class HealthState { kUp, kDown };

class HealthStateMachine {
 public:
  HealthStateMachine(int rise, int fall);
  // Returns true when the probe changed the state.
  bool onProbe(bool success);
  // Takes the backend down at once (a passive failure); returns true when it was up.
  bool forceDown();
  HealthState state() const { return state_; }

 private:
  int rise_;
  int fall_;
  HealthState state_ = HealthState::kUp;
  int streak_ = 0;  // consecutive results against the current state
};

// One probe in flight; destroying it abandons the probe, and its callback is never called after.
class ProbeHandle {
 public:
  virtual ~ProbeHandle() = default;
};

class Prober {
 public:
  virtual ~Prober() = default;
  // Starts probing `backend`; `done(ok)` is called at most once, on the caller's thread.
  virtual std::unique_ptr<ProbeHandle> start(const Endpoint& backend,
                                             std::function<void(bool ok)> done) = 0;
  // What a probe still unanswered at the checker's timeout counts as. False for checks that wait
  // for an answer (TCP connect, HTTP). True for a UDP datagram: a service may ignore the probe,
  // and only an error (ICMP port or host unreachable) proves it absent, as in keepalived's
  // UDP_CHECK without require_reply.
  virtual bool unansweredIsHealthy() const { return false; }
};

class HealthChecker {
 public:
  HealthChecker(std::string balancer_name, config::HealthCheck config, BackendPool& pool,
                TimeSource& time, Prober& prober);
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Probes every backend at once, then every interval.
  void start();
  HealthState state(std::size_t backend) const { return backends_[backend].machine.state(); }

 private:
  struct Backend {
    explicit Backend(const config::HealthCheck& c) : machine(c.rise, c.fall) {}
    HealthStateMachine machine;
    std::unique_ptr<Timer> next_probe;
    std::unique_ptr<Timer> deadline;
    std::unique_ptr<ProbeHandle> in_flight;
    std::unique_ptr<ProbeHandle> finished;  // freed at the next probe, never inside its callback
  };
  void probe(std::size_t i);
  void finish(std::size_t i, bool ok, const char* why);

  std::string name_;
  config::HealthCheck config_;
  BackendPool& pool_;
  TimeSource& time_;
  Prober& prober_;
  std::vector<Backend> backends_;
};

}  // namespace kubevip::lb

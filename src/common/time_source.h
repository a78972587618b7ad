// Injected time and randomness.
//
// Everything that waits (election timeouts, lease renewals, announcement repeats, probes, health
// checks) asks a TimeSource for the time and for timers instead of reading the clock or sleeping.
// The daemon passes the libuv-backed source (event_loop.h); tests pass ManualTimeSource and advance
// simulated time, so no test sleeps.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>

namespace kubevip {

using SteadyTime = std::chrono::steady_clock::time_point;
using Duration = std::chrono::nanoseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A one-shot timer. Destroying it cancels it.
class Timer {
 public:
  virtual ~Timer() = default;
  // Arms the timer (re-arming replaces an earlier deadline) to call `fire` once after `delay`.
  virtual void start(Duration delay, std::function<void()> fire) = 0;
  virtual void stop() = 0;
  virtual bool active() const = 0;
};

class TimeSource {
 public:
  virtual ~TimeSource() = default;
  // The monotonic clock; never jumps with the wall clock, keeps counting while the process is
  // frozen.
  virtual SteadyTime now() const = 0;
  virtual std::unique_ptr<Timer> createTimer() = 0;
};

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // A uniformly distributed integer in [low, high].
  virtual int64_t uniform(int64_t low, int64_t high) = 0;
};

// Seeded from std::random_device by default; a fixed seed makes tests reproducible.
class StdRandomSource final : public RandomSource {
 public:
  StdRandomSource();
  explicit StdRandomSource(uint64_t seed) : engine_(seed) {}
  int64_t uniform(int64_t low, int64_t high) override;

 private:
  std::mt19937_64 engine_;
};

// Simulated time for tests: time stands still until advance() moves it, firing due timers in
// deadline order (ties in arming order), each seeing now() equal to its own deadline.
class ManualTimeSource final : public TimeSource {
 public:
  ManualTimeSource();
  ~ManualTimeSource() override;
  SteadyTime now() const override { return now_; }
  std::unique_ptr<Timer> createTimer() override;

  void advance(Duration by);
  // Fires everything due now without moving time.
  void runDue() { advance(Duration::zero()); }
  // Moves time without firing anything, as for a frozen process; the next advance() or runDue()
  // then fires every overdue timer, each seeing the time at which the process runs again.
  void freezeFor(Duration d) { now_ += d; }
  std::size_t activeTimers() const { return queue_.size(); }

 private:
  class ManualTimer;
  friend class ManualTimer;
  struct Entry {
    ManualTimer* timer;
    std::function<void()> fire;
  };
  uint64_t arm(ManualTimer* timer, Duration delay, std::function<void()> fire);
  void disarm(uint64_t id);

  SteadyTime now_;
  uint64_t next_id_ = 1;
  std::map<std::pair<SteadyTime, uint64_t>, Entry> queue_;
};

}  // namespace kubevip

#include "common/time_source.h"

#include <algorithm>
#include <cassert>

namespace kubevip {

StdRandomSource::StdRandomSource() : engine_(std::random_device{}()) {}

int64_t StdRandomSource::uniform(int64_t low, int64_t high) {
  assert(low <= high);
  return std::uniform_int_distribution<int64_t>(low, high)(engine_);
}

class ManualTimeSource::ManualTimer final : public Timer {
 public:
  explicit ManualTimer(ManualTimeSource* source) : source_(source) {}
  ~ManualTimer() override { stop(); }
  void start(Duration delay, std::function<void()> fire) override {
    stop();
    id_ = source_->arm(this, delay, std::move(fire));
  }
  void stop() override {
    if (id_ != 0) source_->disarm(id_);
    id_ = 0;
  }
  bool active() const override { return id_ != 0; }
  void fired() { id_ = 0; }

 private:
  ManualTimeSource* source_;
  uint64_t id_ = 0;
};

// Starts at an arbitrary non-zero point so that code never relies on time starting at zero.
ManualTimeSource::ManualTimeSource() : now_(SteadyTime{} + std::chrono::hours(1000)) {}

ManualTimeSource::~ManualTimeSource() { assert(queue_.empty() && "timers outlived their source"); }

std::unique_ptr<Timer> ManualTimeSource::createTimer() {
  return std::make_unique<ManualTimer>(this);
}

uint64_t ManualTimeSource::arm(ManualTimer* timer, Duration delay, std::function<void()> fire) {
  uint64_t id = next_id_++;
  if (delay < Duration::zero()) delay = Duration::zero();
  queue_.emplace(std::make_pair(now_ + delay, id), Entry{timer, std::move(fire)});
  return id;
}

void ManualTimeSource::disarm(uint64_t id) {
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (it->first.second == id) {
      queue_.erase(it);
      return;
    }
  }
}

void ManualTimeSource::advance(Duration by) {
  const SteadyTime target = now_ + by;
  while (!queue_.empty() && queue_.begin()->first.first <= target) {
    auto node = queue_.extract(queue_.begin());
    if (node.key().first > now_) now_ = node.key().first;
    node.mapped().timer->fired();
    node.mapped().fire();  // may arm timers again, including ones already due
  }
  // A callback that stalled (freezeFor inside a timer callback or a fake's method, modelling a
  // call that blocks) may have moved time past the target; time never runs backwards.
  now_ = std::max(now_, target);
}

}  // namespace kubevip

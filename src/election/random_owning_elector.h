// An Elector together with the RandomSource it borrows: the factories that make an elector with a
// random source of its own (lease_from_config, etcd_from_config) hand out this, so that the
// source lives exactly as long as the elector that uses it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "common/time_source.h"
#include "election/elector.h"

namespace kubevip::election {

class RandomOwningElector final : public Elector {
 public:
  // `elector` must use `random` and nothing else that this object would outlive.
  RandomOwningElector(std::unique_ptr<RandomSource> random, std::unique_ptr<Elector> elector)
      : random_(std::move(random)), elector_(std::move(elector)) {}
  Status start(ElectorCallbacks callbacks) override {
    return elector_->start(std::move(callbacks));
  }
  void stop(std::function<void()> done) override { elector_->stop(std::move(done)); }
  bool isLeader() const override { return elector_->isLeader(); }
  SteadyTime leadershipValidUntil() const override { return elector_->leadershipValidUntil(); }
  std::string leaderId() const override { return elector_->leaderId(); }
  ElectorStatus status() const override { return elector_->status(); }

 private:
  std::unique_ptr<RandomSource> random_;  // declared first: destroyed after the elector
  std::unique_ptr<Elector> elector_;
};

}  // namespace kubevip::election

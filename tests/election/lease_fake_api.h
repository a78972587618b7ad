// An in-memory Lease store with the API server's optimistic-concurrency rules, and LeaseClients
// that reach it after a simulated latency on a ManualTimeSource. Several electors can share one
// store, to race for it; the test can take the store down, edit the Lease behind the electors'
// backs and see every request.
#pragma once

#include <deque>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include "common/time_source.h"
#include "k8s/lease_client.h"

namespace kubevip::election::testing {

class FakeLeaseStore {
 public:
  enum class Verb { kGet, kCreate, kUpdate };
  struct Request {
    std::string client;
    Verb verb;
    k8s::LeaseSpec spec;
  };

  explicit FakeLeaseStore(ManualTimeSource& time) : time_(time) {}

  // Applies a request as the API server would (404 / 409 AlreadyExists / 409 Conflict).
  Result<k8s::Lease> apply(const std::string& client, Verb verb, const std::string& rv,
                           const k8s::LeaseSpec& spec) {
    log.push_back({client, verb, spec});
    if (down) return makeError(ErrorCode::kUnavailable, "cannot reach the API server (test)");
    switch (verb) {
      case Verb::kGet:
        if (!lease) return makeError(ErrorCode::kNotFound, "get Lease: not found (404)");
        return *lease;
      case Verb::kCreate:
        if (lease) return makeError(ErrorCode::kConflict, "create Lease: already exists (409)");
        lease = k8s::Lease{"plndr-cp-lock", "kube-system", "", spec};
        break;
      case Verb::kUpdate:
        if (!lease) return makeError(ErrorCode::kNotFound, "update Lease: not found (404)");
        if (rv != lease->resource_version) {
          ++conflicts;
          return makeError(ErrorCode::kConflict, "update Lease: conflict (409)");
        }
        lease->spec = spec;
        break;
    }
    lease->resource_version = std::to_string(next_rv_++);
    return *lease;
  }

  // Another node (not an elector under test) writes the Lease.
  void writeDirectly(const k8s::LeaseSpec& spec) {
    if (!lease) lease = k8s::Lease{"plndr-cp-lock", "kube-system", "", spec};
    lease->spec = spec;
    lease->resource_version = std::to_string(next_rv_++);
  }

  int count(const std::string& client, Verb verb) const {
    int n = 0;
    for (const auto& r : log) n += (r.client == client && r.verb == verb) ? 1 : 0;
    return n;
  }

  std::unique_ptr<k8s::LeaseClient> client(const std::string& name);

  ManualTimeSource& time_;
  std::optional<k8s::Lease> lease;
  bool down = false;
  Duration latency = milliseconds(10);
  int conflicts = 0;
  std::deque<Request> log;

 private:
  int64_t next_rv_ = 100;
};

class FakeLeaseClient final : public k8s::LeaseClient {
 public:
  FakeLeaseClient(FakeLeaseStore& store, std::string name)
      : store_(store), name_(std::move(name)) {}

  void get(Callback done) override { later(FakeLeaseStore::Verb::kGet, "", {}, std::move(done)); }
  void create(const k8s::LeaseSpec& spec, Callback done) override {
    later(FakeLeaseStore::Verb::kCreate, "", spec, std::move(done));
  }
  void update(const std::string& rv, const k8s::LeaseSpec& spec, Callback done) override {
    later(FakeLeaseStore::Verb::kUpdate, rv, spec, std::move(done));
  }
  std::string describe() const override { return "kube-system/plndr-cp-lock"; }

 private:
  // The request reaches the store half-way through the latency; the answer arrives at its end.
  void later(FakeLeaseStore::Verb verb, std::string rv, k8s::LeaseSpec spec, Callback done) {
    auto& arrive = timers_.emplace_back(store_.time_.createTimer());
    arrive->start(store_.latency / 2, [this, verb, rv, spec, done = std::move(done)]() mutable {
      auto result = store_.apply(name_, verb, rv, spec);
      auto& reply = timers_.emplace_back(store_.time_.createTimer());
      reply->start(store_.latency / 2,
                   [done = std::move(done), result = std::move(result)]() { done(result); });
    });
  }

  FakeLeaseStore& store_;
  std::string name_;
  std::list<std::unique_ptr<Timer>> timers_;
};

inline std::unique_ptr<k8s::LeaseClient> FakeLeaseStore::client(const std::string& name) {
  return std::make_unique<FakeLeaseClient>(*this, name);
}

}  // namespace kubevip::election::testing

// An in-memory Lease store with the API server's optimistic-concurrency rules, and LeaseClients
// that reach it after a simulated latency on a ManualTimeSource. Several electors can share one
// store, to race for it; the test can take the store down, edit the Lease behind the electors'
// backs and see every request. Watches get every change after the same latency/2 as an answer;
// `watch_down` refuses new watches; endWatches() ends the open ones as the server would.
#pragma once

#include <deque>
#include <functional>
#include <list>
#include <map>
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
    notify(verb == Verb::kCreate ? k8s::LeaseWatchEvent::Type::kAdded
                                 : k8s::LeaseWatchEvent::Type::kModified);
    return *lease;
  }

  // Another node (not an elector under test) writes the Lease.
  void writeDirectly(const k8s::LeaseSpec& spec) {
    if (!lease) lease = k8s::Lease{"plndr-cp-lock", "kube-system", "", spec};
    lease->spec = spec;
    lease->resource_version = std::to_string(next_rv_++);
    notify(k8s::LeaseWatchEvent::Type::kModified);
  }

  // Watches: each open one is a function receiving an event, or the end of the stream.
  using WatchSink = std::function<void(std::optional<k8s::LeaseWatchEvent>, Status)>;
  int openWatch(WatchSink sink) {
    ++watch_starts;
    watches_[next_watch_] = std::move(sink);
    return next_watch_++;
  }
  void closeWatch(int id) { watches_.erase(id); }
  int openWatches() const { return static_cast<int>(watches_.size()); }
  void breakWatches() { endWatches(makeError(ErrorCode::kUnavailable, "watch broken (test)")); }
  // As the server does at a watch's timeoutSeconds (OK) or when it fails (an Error).
  void endWatches(const Status& end) {
    auto open = std::move(watches_);
    watches_.clear();
    for (auto& [id, sink] : open) sink(std::nullopt, end);
  }
  void notify(k8s::LeaseWatchEvent::Type type) {
    auto open = watches_;
    for (auto& [id, sink] : open) sink(k8s::LeaseWatchEvent{type, *lease}, okStatus());
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
  bool watch_down = false;
  int watch_starts = 0;

 private:
  int64_t next_rv_ = 100;
  int next_watch_ = 1;
  std::map<int, WatchSink> watches_;
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
  void watch(const std::string& rv, k8s::LeaseWatchCallbacks callbacks) override {
    (void)rv;  // every change after the watch opens is delivered
    cancelWatch();
    const int generation = ++generation_;
    callbacks_ = std::move(callbacks);
    auto deliver = [this, generation](std::optional<k8s::LeaseWatchEvent> event, Status end) {
      auto& timer = timers_.emplace_back(store_.time_.createTimer());
      timer->start(store_.latency / 2, [this, generation, event, end]() {
        if (generation != generation_) return;  // cancelled meanwhile
        if (event) {
          if (callbacks_.on_event) callbacks_.on_event(*event);
        } else {
          watch_id_ = 0;
          if (callbacks_.on_end) callbacks_.on_end(end);
        }
      });
    };
    if (store_.watch_down) {
      ++store_.watch_starts;
      deliver(std::nullopt, makeError(ErrorCode::kUnavailable, "watch refused (test)"));
      return;
    }
    watch_id_ = store_.openWatch(deliver);
  }
  void cancelWatch() override {
    ++generation_;
    if (watch_id_ != 0) store_.closeWatch(watch_id_);
    watch_id_ = 0;
  }
  ~FakeLeaseClient() override { cancelWatch(); }
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
  k8s::LeaseWatchCallbacks callbacks_;
  int generation_ = 0;
  int watch_id_ = 0;
};

inline std::unique_ptr<k8s::LeaseClient> FakeLeaseStore::client(const std::string& name) {
  return std::make_unique<FakeLeaseClient>(*this, name);
}

}  // namespace kubevip::election::testing

// An in-memory etcd for the etcd elector's tests: keys with create/mod revisions, leases whose
// expiry runs on the ManualTimeSource (a lease's keys are deleted when it expires or is revoked),
// watches with history, and EtcdClients that reach it after a simulated latency. Several electors
// can share one store to race for the key; the test can cut a client off (its requests fail, or
// are never answered), slow its answers, and edit the store behind the electors' backs. Every
// request is recorded, and a shared `trace` orders requests against the electors' callbacks.
#pragma once

#include <algorithm>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/time_source.h"
#include "etcd/client.h"

namespace kubevip::election::testing {

class FakeEtcd {
 public:
  enum class Op { kGrant, kKeepAlive, kRevoke, kCreate, kGet, kWatch };
  // How a client's requests fare: applied and answered; refused (an error after the latency,
  // nothing applied); or lost (nothing applied, never answered).
  enum class Link { kUp, kFailing, kSilent };
  struct Request {
    std::string client;
    Op op;
    SteadyTime sent;
    int64_t lease = 0;
  };
  struct Lease {
    int64_t ttl = 0;
    SteadyTime expiry;
    std::unique_ptr<Timer> timer;
  };

  explicit FakeEtcd(ManualTimeSource& time) : time_(time) {}

  // ---- the operations, applied when a request reaches the store ----
  etcd::LeaseGrant grant(int64_t ttl) {
    const int64_t id = next_lease_++;
    Lease& lease = leases_[id];
    lease.ttl = std::max<int64_t>(ttl, 2);  // etcd's minimum TTL
    lease.timer = time_.createTimer();
    refresh(id);
    return {id, lease.ttl};
  }
  int64_t keepAlive(int64_t id) {
    auto it = leases_.find(id);
    if (it == leases_.end()) return 0;
    refresh(id);
    return it->second.ttl;
  }
  Status revoke(int64_t id) {
    if (leases_.find(id) == leases_.end()) {
      return makeError(ErrorCode::kNotFound, "etcdserver: requested lease not found");
    }
    dropLease(id);
    return okStatus();
  }
  Result<etcd::CreateOutcome> createIfAbsent(const std::string& key, const std::string& value,
                                             int64_t lease) {
    if (lease != 0 && leases_.find(lease) == leases_.end()) {
      return makeError(ErrorCode::kNotFound, "etcdserver: requested lease not found");
    }
    etcd::CreateOutcome out;
    if (auto it = kvs_.find(key); it != kvs_.end()) {
      out.current = it->second;
    } else {
      put(key, value, lease);
      out.created = true;
      out.current = kvs_[key];
    }
    out.revision = revision_;
    return out;
  }
  etcd::GetOutcome get(const std::string& key) const {
    etcd::GetOutcome out;
    if (auto it = kvs_.find(key); it != kvs_.end()) out.kv = it->second;
    out.revision = revision_;
    return out;
  }

  // ---- behind the electors' backs ----
  void put(const std::string& key, const std::string& value, int64_t lease) {
    etcd::KeyValue& kv = kvs_[key];
    const bool fresh = kv.create_revision == 0;
    kv.key = key;
    kv.value = value;
    kv.mod_revision = ++revision_;
    if (fresh) kv.create_revision = kv.mod_revision;
    kv.version = fresh ? 1 : kv.version + 1;
    kv.lease = lease;
    record(etcd::WatchEvent{etcd::WatchEvent::Type::kPut, kv});
  }
  void erase(const std::string& key) {
    auto it = kvs_.find(key);
    if (it == kvs_.end()) return;
    etcd::KeyValue gone;
    gone.key = key;
    gone.mod_revision = ++revision_;
    kvs_.erase(it);
    record(etcd::WatchEvent{etcd::WatchEvent::Type::kDelete, gone});
  }
  bool leaseAlive(int64_t id) const { return leases_.find(id) != leases_.end(); }
  std::optional<SteadyTime> leaseExpiry(int64_t id) const {
    auto it = leases_.find(id);
    if (it == leases_.end()) return std::nullopt;
    return it->second.expiry;
  }
  std::optional<etcd::KeyValue> kv(const std::string& key) const {
    auto it = kvs_.find(key);
    if (it == kvs_.end()) return std::nullopt;
    return it->second;
  }
  int64_t revision() const { return revision_; }

  // ---- watches ----
  using WatchSink = std::function<void(const etcd::WatchEvent&)>;
  int openWatch(const std::string& key, int64_t start_revision, WatchSink sink) {
    ++watch_starts;
    if (start_revision > 0) {
      for (const auto& event : history_) {
        if (event.kv.key == key && event.kv.mod_revision >= start_revision) sink(event);
      }
    }
    watches_[next_watch_] = {key, std::move(sink)};
    return next_watch_++;
  }
  void closeWatch(int id) { watches_.erase(id); }
  int openWatches() const { return static_cast<int>(watches_.size()); }

  // ---- the record ----
  int count(const std::string& client, Op op) const {
    return static_cast<int>(std::count_if(requests.begin(), requests.end(), [&](const Request& r) {
      return r.client == client && r.op == op;
    }));
  }
  std::vector<SteadyTime> sendTimes(const std::string& client, Op op) const {
    std::vector<SteadyTime> out;
    for (const auto& r : requests) {
      if (r.client == client && r.op == op) out.push_back(r.sent);
    }
    return out;
  }

  std::unique_ptr<etcd::EtcdClient> client(const std::string& name);

  ManualTimeSource& time_;
  std::map<std::string, Link> links;         // absent: kUp
  std::map<std::string, Duration> slowness;  // extra delay of a client's answers
  Duration latency = milliseconds(10);
  bool watch_events_lost = false;  // watches open but deliver nothing
  std::vector<Request> requests;
  std::vector<std::string>* trace = nullptr;  // "name op" per request sent, when set
  int watch_starts = 0;

 private:
  void refresh(int64_t id) {
    Lease& lease = leases_[id];
    lease.expiry = time_.now() + seconds(lease.ttl);
    lease.timer->start(seconds(lease.ttl), [this, id] { dropLease(id); });
  }
  void dropLease(int64_t id) {
    std::vector<std::string> keys;
    for (const auto& [key, kv] : kvs_) {
      if (kv.lease == id) keys.push_back(key);
    }
    auto node = leases_.extract(id);
    if (node.empty()) return;
    // The timer may be the caller: stopped now, destroyed with the store.
    node.mapped().timer->stop();
    retired_.push_back(std::move(node.mapped().timer));
    for (const auto& key : keys) erase(key);
  }
  void record(const etcd::WatchEvent& event) {
    history_.push_back(event);
    if (watch_events_lost) return;
    auto open = watches_;
    for (auto& [id, watch] : open) {
      if (watch.first == event.kv.key) watch.second(event);
    }
  }

  int64_t revision_ = 1;
  int64_t next_lease_ = 0x7a00;
  int next_watch_ = 1;
  std::map<std::string, etcd::KeyValue> kvs_;
  std::map<int64_t, Lease> leases_;
  std::list<std::unique_ptr<Timer>> retired_;
  std::vector<etcd::WatchEvent> history_;
  std::map<int, std::pair<std::string, WatchSink>> watches_;
};

class FakeEtcdClient final : public etcd::EtcdClient {
 public:
  FakeEtcdClient(FakeEtcd& store, std::string name) : store_(store), name_(std::move(name)) {}
  ~FakeEtcdClient() override { cancelWatch(); }

  void grantLease(std::chrono::seconds ttl, Callback<etcd::LeaseGrant> done) override {
    send<etcd::LeaseGrant>(FakeEtcd::Op::kGrant, 0, std::move(done), [this, ttl] {
      return Result<etcd::LeaseGrant>(store_.grant(ttl.count()));
    });
  }
  void keepAlive(int64_t lease_id, Callback<int64_t> done) override {
    send<int64_t>(FakeEtcd::Op::kKeepAlive, lease_id, std::move(done),
                  [this, lease_id] { return Result<int64_t>(store_.keepAlive(lease_id)); });
  }
  void revokeLease(int64_t lease_id, std::function<void(Status)> done) override {
    send<bool>(
        FakeEtcd::Op::kRevoke, lease_id,
        [done = std::move(done)](Result<bool> r) { done(r ? okStatus() : Status(r.error())); },
        [this, lease_id]() -> Result<bool> {
          if (auto st = store_.revoke(lease_id); !st) return st.error();
          return true;
        });
  }
  void createIfAbsent(const std::string& key, const std::string& value, int64_t lease_id,
                      Callback<etcd::CreateOutcome> done) override {
    send<etcd::CreateOutcome>(
        FakeEtcd::Op::kCreate, lease_id, std::move(done),
        [this, key, value, lease_id] { return store_.createIfAbsent(key, value, lease_id); });
  }
  void get(const std::string& key, Callback<etcd::GetOutcome> done) override {
    send<etcd::GetOutcome>(FakeEtcd::Op::kGet, 0, std::move(done),
                           [this, key] { return Result<etcd::GetOutcome>(store_.get(key)); });
  }
  void watch(const std::string& key, int64_t start_revision,
             etcd::WatchCallbacks callbacks) override {
    cancelWatch();
    store_.requests.push_back({name_, FakeEtcd::Op::kWatch, store_.time_.now(), 0});
    const int generation = ++generation_;
    callbacks_ = std::move(callbacks);
    if (link() != FakeEtcd::Link::kUp) {
      later(store_.latency, [this, generation] {
        if (generation != generation_) return;
        if (callbacks_.on_end) {
          callbacks_.on_end(makeError(ErrorCode::kUnavailable, "watch refused (test)"));
        }
      });
      return;
    }
    watch_id_ =
        store_.openWatch(key, start_revision, [this, generation](const etcd::WatchEvent& e) {
          later(store_.latency / 2, [this, generation, e] {
            if (generation == generation_ && callbacks_.on_event) callbacks_.on_event(e);
          });
        });
  }
  void cancelWatch() override {
    ++generation_;
    if (watch_id_ != 0) store_.closeWatch(watch_id_);
    watch_id_ = 0;
  }
  // Ends the open watch as etcd would on an error.
  void breakWatch() {
    const int generation = generation_;
    cancelWatch();
    generation_ = generation;
    later(Duration::zero(), [this, generation] {
      if (generation == generation_ && callbacks_.on_end) {
        callbacks_.on_end(makeError(ErrorCode::kUnavailable, "watch broken (test)"));
      }
    });
  }
  std::string endpoint() const override { return "fake://" + name_; }

 private:
  FakeEtcd::Link link() const {
    auto it = store_.links.find(name_);
    return it == store_.links.end() ? FakeEtcd::Link::kUp : it->second;
  }
  Duration slowness() const {
    auto it = store_.slowness.find(name_);
    return it == store_.slowness.end() ? Duration::zero() : it->second;
  }
  void later(Duration delay, std::function<void()> fn) {
    auto& timer = timers_.emplace_back(store_.time_.createTimer());
    timer->start(delay, std::move(fn));
  }
  // The request reaches the store half-way through the latency; the answer arrives at its end
  // (plus the client's slowness). The link is judged when the request is sent.
  template <typename T>
  void send(FakeEtcd::Op op, int64_t lease, std::function<void(Result<T>)> done,
            std::function<Result<T>()> apply) {
    store_.requests.push_back({name_, op, store_.time_.now(), lease});
    if (store_.trace) store_.trace->push_back(name_ + " " + opName(op));
    const FakeEtcd::Link link_now = link();
    if (link_now == FakeEtcd::Link::kSilent) return;
    if (link_now == FakeEtcd::Link::kFailing) {
      later(store_.latency, [done = std::move(done)] {
        done(makeError(ErrorCode::kUnavailable, "connection refused (test)"));
      });
      return;
    }
    const Duration reply = store_.latency / 2 + slowness();
    later(store_.latency / 2, [this, reply, done = std::move(done), apply = std::move(apply)] {
      Result<T> result = apply();
      later(reply, [done, result] { done(result); });
    });
  }
  static const char* opName(FakeEtcd::Op op) {
    switch (op) {
      case FakeEtcd::Op::kGrant:
        return "grant";
      case FakeEtcd::Op::kKeepAlive:
        return "keepalive";
      case FakeEtcd::Op::kRevoke:
        return "revoke";
      case FakeEtcd::Op::kCreate:
        return "create";
      case FakeEtcd::Op::kGet:
        return "get";
      case FakeEtcd::Op::kWatch:
        return "watch";
    }
    return "?";
  }

  FakeEtcd& store_;
  std::string name_;
  std::list<std::unique_ptr<Timer>> timers_;
  etcd::WatchCallbacks callbacks_;
  int generation_ = 0;
  int watch_id_ = 0;
};

inline std::unique_ptr<etcd::EtcdClient> FakeEtcd::client(const std::string& name) {
  return std::make_unique<FakeEtcdClient>(*this, name);
}

}  // namespace kubevip::election::testing

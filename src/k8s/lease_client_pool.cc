#include "k8s/lease_client_pool.h"

#include <fmt/format.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/log.h"
#include "k8s/http_transport.h"
#include "k8s/json_fields.h"
#include "k8s/lease_requests.h"
#include "k8s/request_worker.h"

namespace kubevip::k8s {
namespace {

// As ApiLeaseClient's watches: the server ends each after this long, the informer resumes.
constexpr int kWatchSeconds = 290;

std::string nameOf(const std::string& key) {
  const size_t slash = key.find('/');
  return slash == std::string::npos ? key : key.substr(slash + 1);
}

// The items of a list omit their kind, which the Lease decoder insists on.
Result<Lease> decodeLease(const WatchedObject& object) {
  auto parsed = json_fields::parseUntrustedObject(object.json);
  if (!parsed) {
    return makeError(ErrorCode::kInvalidArgument, fmt::format("Lease {} from the API server: {}",
                                                              object.key, parsed.error().message));
  }
  auto& doc = *parsed;
  if (!doc.contains("kind")) doc["kind"] = "Lease";
  auto lease = leaseFromJson(doc.dump());
  if (!lease) {
    Error error = lease.error();
    error.message = fmt::format("Lease {}: {}", object.key, error.message);
    return error;
  }
  return lease;
}

LeaseWatchEvent::Type leaseEventType(InformerEventType type) {
  switch (type) {
    case InformerEventType::kAdded:
      return LeaseWatchEvent::Type::kAdded;
    case InformerEventType::kDeleted:
      return LeaseWatchEvent::Type::kDeleted;
    default:
      return LeaseWatchEvent::Type::kModified;
  }
}

}  // namespace

class LeaseClientPool::PooledClient final : public LeaseClient {
 public:
  PooledClient(LeaseClientPool& pool, uint64_t id, size_t worker, std::string lease_namespace,
               std::string lease_name)
      : pool_(pool),
        id_(id),
        worker_(worker),
        namespace_(std::move(lease_namespace)),
        name_(std::move(lease_name)) {}
  ~PooledClient() override {
    alive_.reset();  // answers still on their way are dropped
    pool_.clientGone(id_, namespace_, name_);
  }

  void get(Callback done) override {
    pool_.send(worker_, leaseGetRequest(namespace_, name_), std::move(done), alive_);
  }
  void create(const LeaseSpec& spec, Callback done) override {
    pool_.send(worker_, leaseCreateRequest(namespace_, name_, spec), std::move(done), alive_);
  }
  void update(const std::string& resource_version, const LeaseSpec& spec, Callback done) override {
    pool_.send(worker_, leaseUpdateRequest(namespace_, name_, resource_version, spec),
               std::move(done), alive_);
  }
  void watch(const std::string& resource_version, LeaseWatchCallbacks callbacks) override {
    pool_.watch(id_, namespace_, name_, resource_version, std::move(callbacks));
  }
  void cancelWatch() override { pool_.cancelWatch(id_, namespace_, name_); }
  std::string describe() const override { return namespace_ + "/" + name_; }

 private:
  LeaseClientPool& pool_;
  const uint64_t id_;
  const size_t worker_;
  const std::string namespace_;
  const std::string name_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

Result<std::unique_ptr<LeaseClientPool>> LeaseClientPool::create(EventLoop& loop,
                                                                 ClusterAccess access,
                                                                 std::chrono::milliseconds timeout,
                                                                 int workers) {
  if (workers < 1) {
    return makeError(ErrorCode::kInvalidArgument,
                     fmt::format("a Lease client pool needs at least 1 worker, not {}", workers));
  }
  std::unique_ptr<LeaseClientPool> pool(new LeaseClientPool(loop));
  for (int i = 0; i < workers; ++i) {
    auto transport = HttpTransport::create(access, timeout);
    if (!transport) return transport.error();
    auto worker = RequestWorker::create(loop);
    if (!worker) return worker.error();
    pool->workers_.push_back(Worker{std::move(*transport), std::move(*worker)});
  }
  pool->access_ = std::move(access);
  pool->timeout_ = timeout;
  pool->pending_timer_ = loop.time().createTimer();
  return pool;
}

LeaseClientPool::LeaseClientPool(EventLoop& loop) : loop_(loop) {}

LeaseClientPool::~LeaseClientPool() {
  pending_timer_.reset();
  namespaces_.clear();                                    // stops the informers
  for (auto& worker : workers_) worker.requests.reset();  // joins before the transports go
}

std::unique_ptr<LeaseClient> LeaseClientPool::client(std::string lease_namespace,
                                                     std::string lease_name) {
  const size_t worker =
      std::hash<std::string>{}(lease_namespace + "/" + lease_name) % workers_.size();
  ++namespaces_[lease_namespace].clients;
  return std::unique_ptr<LeaseClient>(new PooledClient(
      *this, next_client_id_++, worker, std::move(lease_namespace), std::move(lease_name)));
}

void LeaseClientPool::send(size_t worker, LeaseRequest request, LeaseClient::Callback done,
                           std::weak_ptr<bool> client_alive) {
  workers_[worker].requests->post(
      [transport = workers_[worker].transport, request = std::move(request), done = std::move(done),
       alive = std::move(client_alive)]() mutable -> RequestWorker::Completion {
        auto result = leaseFromResponse(transport->send(request.http), request);
        return [done = std::move(done), result = std::move(result), alive]() mutable {
          if (!alive.expired()) done(std::move(result));
        };
      });
}

void LeaseClientPool::watch(uint64_t client_id, const std::string& lease_namespace,
                            const std::string& name, const std::string& resource_version,
                            LeaseWatchCallbacks callbacks) {
  Namespace& space = namespaces_[lease_namespace];
  const uint64_t generation = next_generation_++;
  space.watches[name][client_id] =
      Registration{client_id, generation, resource_version, std::move(callbacks)};
  std::optional<Error> failure;
  if (!space.informer) {
    Status started = startInformer(lease_namespace);
    if (started) return;  // its first list delivers the current object
    failure = started.error();
  } else {
    if (!space.synced) return;  // the list in progress delivers the current object
    auto known = space.objects.find(name);
    if (known == space.objects.end() || known->second.resource_version == resource_version) return;
  }
  pending_.push_back(PendingDelivery{lease_namespace, name, client_id, generation, failure});
  pending_timer_->start(Duration::zero(), [this] { deliverPending(); });
}

void LeaseClientPool::cancelWatch(uint64_t client_id, const std::string& lease_namespace,
                                  const std::string& name) {
  auto space = namespaces_.find(lease_namespace);
  if (space == namespaces_.end()) return;
  auto watches = space->second.watches.find(name);
  if (watches == space->second.watches.end()) return;
  watches->second.erase(client_id);
  if (watches->second.empty()) space->second.watches.erase(watches);
}

void LeaseClientPool::clientGone(uint64_t client_id, const std::string& lease_namespace,
                                 const std::string& name) {
  cancelWatch(client_id, lease_namespace, name);
  auto space = namespaces_.find(lease_namespace);
  if (space == namespaces_.end()) return;
  // The last client of a namespace takes its informer along (possibly from within one of that
  // informer's callbacks, which the Informer allows).
  if (--space->second.clients == 0) namespaces_.erase(space);
}

Status LeaseClientPool::startInformer(const std::string& lease_namespace) {
  InformerOptions options;
  options.description = "Leases in namespace " + lease_namespace;
  options.collection_path =
      fmt::format("/apis/coordination.k8s.io/v1/namespaces/{}/leases", lease_namespace);
  options.request_timeout = timeout_;
  options.watch_seconds = kWatchSeconds;
  auto informer = Informer::create(loop_, access_, std::move(options));
  if (!informer) return informer.error();
  InformerCallbacks callbacks;
  callbacks.on_replace = [this, lease_namespace](std::vector<WatchedObject> objects) {
    onReplace(lease_namespace, std::move(objects));
  };
  callbacks.on_event = [this, lease_namespace](InformerEventType type, WatchedObject object) {
    onEvent(lease_namespace, type, std::move(object));
  };
  callbacks.on_error = [this, lease_namespace](const Error& error) {
    onInformerError(lease_namespace, error);
  };
  Namespace& space = namespaces_[lease_namespace];
  space.informer = std::move(*informer);
  space.informer->start(std::move(callbacks));
  return okStatus();
}

void LeaseClientPool::onReplace(const std::string& lease_namespace,
                                std::vector<WatchedObject> objects) {
  auto space = namespaces_.find(lease_namespace);
  if (space == namespaces_.end()) return;
  space->second.objects.clear();
  for (auto& object : objects) {
    std::string name = nameOf(object.key);
    space->second.objects[std::move(name)] = std::move(object);
  }
  space->second.synced = true;
  space->second.last_error.clear();
  std::vector<WatchedObject> watched;
  for (const auto& [name, registrations] : space->second.watches) {
    auto object = space->second.objects.find(name);
    if (!registrations.empty() && object != space->second.objects.end()) {
      watched.push_back(object->second);
    }
  }
  for (const auto& object : watched) {
    dispatch(lease_namespace, LeaseWatchEvent::Type::kModified, object);
  }
}

void LeaseClientPool::onEvent(const std::string& lease_namespace, InformerEventType type,
                              WatchedObject object) {
  auto space = namespaces_.find(lease_namespace);
  if (space == namespaces_.end()) return;
  const std::string name = nameOf(object.key);
  if (type == InformerEventType::kDeleted) {
    space->second.objects.erase(name);
  } else {
    space->second.objects[name] = object;
  }
  dispatch(lease_namespace, leaseEventType(type), object);
}

void LeaseClientPool::onInformerError(const std::string& lease_namespace, const Error& error) {
  auto space = namespaces_.find(lease_namespace);
  if (space == namespaces_.end()) return;
  // Once the informer has listed, it resumes from its last resourceVersion (or lists again and
  // onReplace delivers the current objects) by itself: the watches stay. Ending them would send
  // every follower of the namespace back to polling every retry period at once, just when the API
  // server may be struggling. Before its first list nothing is being watched yet (the list itself
  // fails, e.g. refused by RBAC): the watches end, so that the electors say so and retry.
  if (space->second.synced) {
    if (space->second.last_error != error.message) {
      space->second.last_error = error.message;
      spdlog::warn("Leases in namespace {}: watch failed, resuming: {}", lease_namespace,
                   error.describe());
    }
    return;
  }
  std::vector<LeaseWatchCallbacks> ended;
  for (auto& [name, registrations] : space->second.watches) {
    for (auto& [id, registration] : registrations) ended.push_back(registration.callbacks);
  }
  space->second.watches.clear();
  for (auto& callbacks : ended) {
    if (callbacks.on_end) callbacks.on_end(error);
  }
}

void LeaseClientPool::dispatch(const std::string& lease_namespace, LeaseWatchEvent::Type type,
                               const WatchedObject& object) {
  const std::string name = nameOf(object.key);
  std::vector<std::pair<uint64_t, uint64_t>> targets;  // client id, generation
  {
    auto space = namespaces_.find(lease_namespace);
    if (space == namespaces_.end()) return;
    auto watches = space->second.watches.find(name);
    if (watches == space->second.watches.end()) return;
    for (const auto& [id, registration] : watches->second) {
      targets.emplace_back(id, registration.generation);
    }
  }
  const Result<Lease> lease = decodeLease(object);
  for (const auto& [id, generation] : targets) {
    // Looked up again: an earlier callback may have cancelled this watch or destroyed clients.
    auto space = namespaces_.find(lease_namespace);
    if (space == namespaces_.end()) return;
    auto watches = space->second.watches.find(name);
    if (watches == space->second.watches.end()) return;
    auto registration = watches->second.find(id);
    if (registration == watches->second.end() || registration->second.generation != generation) {
      continue;
    }
    if (!lease) {
      // As a single Lease's watch does on a malformed event: this watch ends.
      auto on_end = registration->second.callbacks.on_end;
      watches->second.erase(registration);
      if (on_end) on_end(lease.error());
      continue;
    }
    auto on_event = registration->second.callbacks.on_event;
    if (on_event) on_event(LeaseWatchEvent{type, *lease});
  }
}

void LeaseClientPool::deliverPending() {
  std::vector<PendingDelivery> pending;
  pending.swap(pending_);
  for (const auto& delivery : pending) {
    auto space = namespaces_.find(delivery.lease_namespace);
    if (space == namespaces_.end()) continue;
    auto watches = space->second.watches.find(delivery.name);
    if (watches == space->second.watches.end()) continue;
    auto registration = watches->second.find(delivery.client_id);
    if (registration == watches->second.end() ||
        registration->second.generation != delivery.generation) {
      continue;
    }
    if (delivery.failure) {
      auto on_end = registration->second.callbacks.on_end;
      watches->second.erase(registration);
      if (on_end) on_end(*delivery.failure);
      continue;
    }
    auto known = space->second.objects.find(delivery.name);
    if (known == space->second.objects.end() ||
        known->second.resource_version == registration->second.start_version) {
      continue;
    }
    const Result<Lease> lease = decodeLease(known->second);
    if (!lease) {
      auto on_end = registration->second.callbacks.on_end;
      watches->second.erase(registration);
      if (on_end) on_end(lease.error());
      continue;
    }
    auto on_event = registration->second.callbacks.on_event;
    if (on_event) on_event(LeaseWatchEvent{LeaseWatchEvent::Type::kModified, *lease});
  }
}

}  // namespace kubevip::k8s

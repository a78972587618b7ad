// Many Leases through few threads: the LeaseClients of a node that runs one election per Service.
//
// An ApiLeaseClient costs two threads (a RequestWorker for its requests, a LeaseWatcher for its
// watch), so 1,000 Services would mean 2,000 threads and 2,000 watch connections. The pool shares
// instead:
//  - Requests (get, create, update) run on `workers` RequestWorker threads, each with its own
//    HttpTransport (one TLS connection each). A client always uses the same worker, chosen by a
//    hash of namespace/name, so its requests stay in order. A request waits behind the others on
//    its worker; that is safe, because the elector counts a renewal's validity from the moment it
//    asked for it, not from when it went out, but a renewal that waits too long is lost. At the
//    default timings (leaseDuration 5 s, renewDeadline 3 s, retryPeriod 1 s) an elector makes
//    about 1 request/s for a Lease it holds (a PUT per retry period) and 1/1.6 s on average for
//    one it follows (a GET per jittered period of 1 to 2.2 s), so a node with N Leases needs
//    N x (up to 1/s) x (request latency) < `workers`, with room to spare.
//  - Watches: one Informer per namespace over its leases (started when the first client of the
//    namespace watches, stopped when the last client of the namespace is destroyed). Its events
//    go to the client registered for that Lease's name, decoded as LeaseWatchEvent; after a
//    list (the first, or a relist after 410 Gone) each registered Lease's current object comes
//    as kModified (nothing if it does not exist). A watch registered while the informer already
//    knows another version of its Lease than the one given receives that version at once (from
//    the loop, not from within watch()), so that a change between the client's read and its
//    watch is not missed (an older version, from an informer that lags, costs the elector one
//    refused write: its writes carry the resourceVersion read). Before the informer's first list,
//    an error (it retries by itself) ends every watch of its namespace with on_end(error); the
//    elector watches again after its back-off and keeps polling meanwhile. Once it has listed, an
//    error is logged (once per distinct message) and the watches stay: the informer resumes from
//    its last resourceVersion, or lists again and hands over the current objects.
//
// Callbacks run on the loop thread, never from within a call, never after the client was
// destroyed or (for a watch) after cancelWatch(). Loop thread only; the pool must outlive its
// clients.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/event_loop.h"
#include "common/result.h"
#include "k8s/cluster_access.h"
#include "k8s/informer.h"
#include "k8s/lease_client.h"

namespace kubevip::k8s {

class HttpTransport;
class RequestWorker;
struct LeaseRequest;

class LeaseClientPool {
 public:
  // `workers` request threads shared by all clients (a client always uses the same one, chosen by
  // a hash of namespace/name, so its requests stay in order).
  static Result<std::unique_ptr<LeaseClientPool>> create(EventLoop& loop, ClusterAccess access,
                                                         std::chrono::milliseconds timeout,
                                                         int workers);
  ~LeaseClientPool();
  LeaseClientPool(const LeaseClientPool&) = delete;
  LeaseClientPool& operator=(const LeaseClientPool&) = delete;

  // The pool must outlive its clients.
  std::unique_ptr<LeaseClient> client(std::string lease_namespace, std::string lease_name);

 private:
  class PooledClient;
  friend class PooledClient;

  struct Worker {
    std::shared_ptr<HttpTransport> transport;  // used on the worker's thread only
    std::unique_ptr<RequestWorker> requests;
  };
  struct Registration {
    uint64_t client_id = 0;
    uint64_t generation = 0;  // a new watch() or cancelWatch() makes older deliveries void
    std::string start_version;
    LeaseWatchCallbacks callbacks;
  };
  // The leases of one namespace: one informer, the watches registered on it, its view.
  struct Namespace {
    int clients = 0;
    std::unique_ptr<Informer> informer;  // started by the first watch()
    std::map<std::string, std::map<uint64_t, Registration>> watches;  // name -> client -> watch
    std::map<std::string, WatchedObject> objects;                     // name -> latest object
    bool synced = false;                                              // objects hold a full list
    std::string last_error;                                           // logged once
  };
  // A watch() that must hear something at once: the newer object the informer already knows,
  // or the failure to start the informer.
  struct PendingDelivery {
    std::string lease_namespace;
    std::string name;
    uint64_t client_id = 0;
    uint64_t generation = 0;
    std::optional<Error> failure;
  };

  explicit LeaseClientPool(EventLoop& loop);
  // The answer goes to `done` unless the client is gone by then.
  void send(size_t worker, LeaseRequest request, LeaseClient::Callback done,
            std::weak_ptr<bool> client_alive);
  void watch(uint64_t client_id, const std::string& lease_namespace, const std::string& name,
             const std::string& resource_version, LeaseWatchCallbacks callbacks);
  void cancelWatch(uint64_t client_id, const std::string& lease_namespace, const std::string& name);
  void clientGone(uint64_t client_id, const std::string& lease_namespace, const std::string& name);
  Status startInformer(const std::string& lease_namespace);
  void onReplace(const std::string& lease_namespace, std::vector<WatchedObject> objects);
  void onEvent(const std::string& lease_namespace, InformerEventType type, WatchedObject object);
  void onInformerError(const std::string& lease_namespace, const Error& error);
  // Hands `object` to each watch of its name (looked up again before each call: a callback may
  // cancel watches or destroy clients).
  void dispatch(const std::string& lease_namespace, LeaseWatchEvent::Type type,
                const WatchedObject& object);
  void deliverPending();

  EventLoop& loop_;
  ClusterAccess access_;
  std::chrono::milliseconds timeout_{0};
  std::vector<Worker> workers_;
  std::map<std::string, Namespace> namespaces_;
  uint64_t next_client_id_ = 1;
  uint64_t next_generation_ = 1;
  std::vector<PendingDelivery> pending_;
  std::unique_ptr<Timer> pending_timer_;  // runs deliverPending from the loop
};

}  // namespace kubevip::k8s

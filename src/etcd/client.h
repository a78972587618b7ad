// The few etcd v3 operations a leader election needs, asynchronously.
//
// EtcdClient is the narrow interface the etcd elector (src/election/etcd_elector.h) is written
// against; its unit tests drive the elector with a scripted fake. The real client talks to etcd's
// JSON gateway (/v3/lease/grant, /v3/kv/txn, /v3/kv/range, /v3/lease/keepalive, /v3/lease/revoke,
// /v3/watch) over libcurl: requests run on a worker thread, every callback runs on the event
// loop's thread and never synchronously from within the call, and none runs after the client is
// destroyed (or, for a watch, after cancelWatch()).
//
// Endpoints: a request goes to the endpoint that last answered; on a transport failure (refused,
// timed out, TLS) the next endpoint is tried, each at most once per request; the error names the
// endpoints and their failures. An answer of etcd itself (an error status with a message, such as
// "etcdserver: requested lease not found") is returned as is and is not retried elsewhere, except
// a member's "cannot serve now" (503: "etcdserver: no leader"), which moves on like a failure.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/result.h"

namespace kubevip::etcd {

// mvccpb.KeyValue: revisions are etcd's int64s (the gateway writes them as strings).
struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;  // 0: not bound to a lease
  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

struct LeaseGrant {
  int64_t id = 0;
  int64_t ttl_seconds = 0;  // as granted (etcd may raise it to its minimum)
};

// The answer to createIfAbsent: whether the key was created, and the key as it is now (ours when
// created, the holder's otherwise; absent only if it vanished between compare and read, which the
// one transaction rules out).
struct CreateOutcome {
  bool created = false;
  std::optional<KeyValue> current;
  int64_t revision = 0;  // the store's revision after the transaction (header.revision)
};

struct GetOutcome {
  std::optional<KeyValue> kv;  // absent: no such key
  int64_t revision = 0;        // header.revision: a watch from revision + 1 misses nothing
};

struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;  // for a delete: the key and the mod_revision of the deletion
};

struct WatchCallbacks {
  std::function<void(const WatchEvent&)> on_event;
  // The watch ended (error, compaction, the endpoint went away). Not called after cancelWatch().
  std::function<void(const Status&)> on_end;
};

class EtcdClient {
 public:
  template <typename T>
  using Callback = std::function<void(Result<T>)>;
  virtual ~EtcdClient() = default;

  // /v3/lease/grant.
  virtual void grantLease(std::chrono::seconds ttl, Callback<LeaseGrant> done) = 0;
  // /v3/lease/keepalive, one round: the TTL the lease now has; 0 when etcd no longer knows the
  // lease (expired or revoked).
  virtual void keepAlive(int64_t lease_id, Callback<int64_t> done) = 0;
  // /v3/lease/revoke: the lease and every key bound to it are deleted.
  virtual void revokeLease(int64_t lease_id, std::function<void(Status)> done) = 0;
  // /v3/kv/txn: if create_revision(key) == 0 then put key=value bound to lease_id, else range key.
  virtual void createIfAbsent(const std::string& key, const std::string& value, int64_t lease_id,
                              Callback<CreateOutcome> done) = 0;
  // /v3/kv/range of one key.
  virtual void get(const std::string& key, Callback<GetOutcome> done) = 0;
  // /v3/watch of one key from `start_revision` (0: from now). At most one watch at a time:
  // starting one cancels the previous.
  virtual void watch(const std::string& key, int64_t start_revision, WatchCallbacks callbacks) = 0;
  virtual void cancelWatch() = 0;
  // The endpoint requests currently go to, for log lines and status.
  virtual std::string endpoint() const = 0;
};

}  // namespace kubevip::etcd

// The bodies of etcd v3's JSON gateway, encoded and decoded by pure functions.
//
// etcd 3.4 serves its gRPC API as JSON over HTTP/1.1 (grpc-gateway): every call is a POST of the
// request message to /v3/<service>/<method>, answered with the response message. The gateway maps
// protobuf to JSON with these rules, which every function here follows (measured against etcd
// 3.4.23, goldens in tests/etcd/golden/):
//   - bytes fields (keys, values) are standard base64;
//   - int64 fields (IDs, TTLs, revisions) are JSON strings of decimal digits;
//   - fields at their zero value are omitted: a lost transaction has no "succeeded", a missing key
//     no "kvs", a PUT event no "type", a keepalive of an unknown lease no "TTL";
//   - a failed call is a non-2xx status with {"error": text, "code": gRPC code, "message": text};
//   - a streaming method (/v3/lease/keepalive, /v3/watch) answers with concatenated messages, each
//     {"result": response} (or {"error": {...}} when the stream fails), one per line.
// Keepalive over a plain POST: the request body carries one LeaseKeepAliveRequest, the client
// side of the stream then ends, and the gateway ends the answer after the one response, so a
// keepalive is an ordinary request. A watch stays open until the client leaves.
//
// Nothing etcd sends can crash the daemon or grow memory without bound: every decode error is an
// Error naming the answer and the field ("etcd /v3/kv/txn answer: responses[0].response_range.
// kvs[0].mod_revision: ..."), and answers or stream messages over kMaxAnswerBytes, or nested
// deeper than kMaxNestingDepth, are refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "etcd/client.h"

namespace kubevip::etcd {

// One key's answer is a few hundred bytes; etcd's own request limit is 1.5 MiB. 1 MiB bounds what
// one answer, or one message of a stream, may make us buffer.
inline constexpr size_t kMaxAnswerBytes = size_t{1} << 20;

// The deepest answer etcd sends, a lost transaction, nests six levels (the body, responses, its
// element, response_range, kvs, its element). nlohmann parses and frees a document without
// recursion, but copying or serializing a value recurses once per level, and 1 MiB of '[' is half
// a million levels: far more than a thread's stack holds. So an answer nested deeper than this is
// refused before it is parsed.
inline constexpr int kMaxNestingDepth = 32;

inline constexpr std::string_view kLeaseGrantPath = "/v3/lease/grant";
inline constexpr std::string_view kLeaseKeepAlivePath = "/v3/lease/keepalive";
inline constexpr std::string_view kLeaseRevokePath = "/v3/lease/revoke";
inline constexpr std::string_view kRangePath = "/v3/kv/range";
inline constexpr std::string_view kTxnPath = "/v3/kv/txn";
inline constexpr std::string_view kWatchPath = "/v3/watch";

std::string encodeBase64(std::string_view bytes);
// Standard base64 with padding, as the gateway writes it; anything else is an error.
Result<std::string> decodeBase64(std::string_view text);

// Request bodies.
std::string encodeLeaseGrant(int64_t ttl_seconds);
std::string encodeLeaseKeepAlive(int64_t lease_id);
std::string encodeLeaseRevoke(int64_t lease_id);
std::string encodeRange(std::string_view key);
// A transaction: if the key's create_revision is 0 (it does not exist) put key=value bound to the
// lease, else read the key, so that the loser learns the holder in the same round trip.
std::string encodeCreateIfAbsent(std::string_view key, std::string_view value, int64_t lease_id);
// start_revision 0 (omitted): from the store's current revision on.
std::string encodeWatchCreate(std::string_view key, int64_t start_revision);

// A non-2xx answer: {"error","code","message"} becomes an Error carrying etcd's message, with the
// code mapped from the gRPC status (5 NOT_FOUND -> kNotFound, 7/16 -> kPermission, 3/11 ->
// kInvalidArgument, 6/9/10 -> kConflict, 4 -> kTimeout, others -> kUnavailable). An unreadable
// body still gives an Error naming the status. `action` names the request ("/v3/kv/txn at URL").
Error decodeErrorAnswer(std::string_view action, long http_status, std::string_view body);

// 2xx answers. The request's arguments are passed where the answer must be checked against them
// (the key a range returns, the lease a keepalive answers for).
Result<LeaseGrant> decodeLeaseGrant(std::string_view body);
// The TTL from the first message of the keepalive answer; 0 when etcd does not know the lease.
Result<int64_t> decodeLeaseKeepAlive(std::string_view body, int64_t lease_id);
Status decodeLeaseRevoke(std::string_view body);
Result<GetOutcome> decodeRange(std::string_view body, std::string_view key);
Result<CreateOutcome> decodeCreateIfAbsent(std::string_view body, std::string_view key,
                                           std::string_view value, int64_t lease_id);

// Splits a stream of concatenated JSON objects (whitespace or newlines between them allowed) that
// arrives in chunks cut anywhere. A message longer than kMaxAnswerBytes, or anything but an
// object at the top level, is an error after which the splitter must be abandoned.
class JsonMessageSplitter {
 public:
  // Calls `on_message` with each message completed by `chunk`; stops at its first error.
  Status feed(std::string_view chunk, const std::function<Status(std::string_view)>& on_message);
  // Bytes of an unfinished message kept for the next chunk.
  size_t pending() const { return partial_.size(); }

 private:
  std::string partial_;
  size_t scanned_ = 0;  // of partial_, already looked at
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
};

// One WatchResponse.
struct WatchMessage {
  int64_t revision = 0;  // header.revision
  bool created = false;  // the first message of a watch: it is in place
  bool canceled = false;
  int64_t compact_revision = 0;  // set with canceled when start_revision was compacted away
  std::string cancel_reason;
  std::vector<WatchEvent> events;
};

// Decodes one message of a /v3/watch stream (as split by JsonMessageSplitter).
Result<WatchMessage> decodeWatchMessage(std::string_view message);

}  // namespace kubevip::etcd

// libFuzzer target over what an etcd member's JSON gateway sends: every decoder of
// src/etcd/codec.h gets every input, as the whole body of an answer (lease grant, keepalive for
// the lease the goldens hold and for one etcd does not know, revoke, range, the create-if-absent
// transaction, an error answer under a few HTTP statuses), as base64 text, and as a /v3/watch
// stream: split by JsonMessageSplitter whole and again a few bytes per chunk, each message decoded
// as a watch message. One corpus of captured answers serves them all. Beyond "no crash, no
// exception escaping, no out-of-bounds read" (ASan/UBSan): a refusal carries a message; what is
// accepted keeps the promises the elector relies on (a granted lease has an ID and a TTL, a
// keepalive TTL is never negative, a range or a lost transaction returns only the key asked for,
// a won transaction returns ours, a watch event names a key); base64 that decodes re-encodes to
// text that decodes the same; and the splitter hands over the same messages, each one JSON object
// cut at its closing brace, however the stream is chunked, never keeping more than its cap.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "etcd/codec.h"

namespace {

using namespace kubevip::etcd;
using kubevip::Status;

void check(bool condition) {
  if (!condition) std::abort();
}

template <typename R>
void checkRefusalSaysWhy(const R& result) {
  check(result.ok() || !result.error().message.empty());
}

// The key and leases of the goldens (tests/etcd/golden), so that seeds reach past the checks of
// an answer against its request.
constexpr std::string_view kKey = "/kube-vip/election/plndr-cp-lock";
constexpr std::string_view kValue = "node-a";
constexpr int64_t kGrantedLease = 4111120489066429957;
constexpr int64_t kUnknownLease = 12345;
constexpr int64_t kHolderLease = 4111120489066429961;

constexpr size_t kChunk = 7;

void checkKeyValue(const KeyValue& kv) { check(!kv.key.empty()); }

void decodeAnswers(std::string_view body) {
  auto grant = decodeLeaseGrant(body);
  checkRefusalSaysWhy(grant);
  if (grant) check(grant->id != 0 && grant->ttl_seconds > 0);

  for (int64_t lease : {kGrantedLease, kUnknownLease}) {
    auto ttl = decodeLeaseKeepAlive(body, lease);
    checkRefusalSaysWhy(ttl);
    if (ttl) check(*ttl >= 0);
  }

  checkRefusalSaysWhy(decodeLeaseRevoke(body));

  auto range = decodeRange(body, kKey);
  checkRefusalSaysWhy(range);
  if (range && range->kv) check(range->kv->key == kKey);

  auto txn = decodeCreateIfAbsent(body, kKey, kValue, kHolderLease);
  checkRefusalSaysWhy(txn);
  if (txn && txn->created) {
    check(txn->current && txn->current->key == kKey && txn->current->value == kValue &&
          txn->current->lease == kHolderLease && txn->revision > 0);
  }
  if (txn && !txn->created && txn->current) check(txn->current->key == kKey);

  for (long http_status : {400L, 404L, 500L, 503L}) {
    check(!decodeErrorAnswer("/v3/kv/txn at http://127.0.0.1:2379", http_status, body)
               .message.empty());
  }
}

void base64RoundTrip(std::string_view text) {
  auto bytes = decodeBase64(text);
  checkRefusalSaysWhy(bytes);
  if (bytes) {
    auto again = decodeBase64(encodeBase64(*bytes));
    check(again.ok() && *again == *bytes);
  }
  // And the input taken as bytes: what the encoder writes, the decoder reads back.
  auto back = decodeBase64(encodeBase64(text));
  check(back.ok() && *back == text);
}

struct Split {
  std::vector<std::string> messages;
  bool ok = true;
};

Split splitStream(std::string_view stream, size_t chunk) {
  Split out;
  JsonMessageSplitter splitter;
  auto on_message = [&](std::string_view message) -> Status {
    check(message.size() >= 2 && message.front() == '{' &&
          (message.back() == '}' || message.back() == ']'));
    out.messages.emplace_back(message);
    auto watch = decodeWatchMessage(message);
    checkRefusalSaysWhy(watch);
    if (watch) {
      for (const auto& event : watch->events) checkKeyValue(event.kv);
    }
    return {};
  };
  for (size_t at = 0; at < stream.size(); at += chunk) {
    Status fed = splitter.feed(stream.substr(at, chunk), on_message);
    if (!fed) {
      check(!fed.error().message.empty());
      out.ok = false;
      return out;
    }
    check(splitter.pending() <= kMaxAnswerBytes);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  decodeAnswers(text);
  base64RoundTrip(text);
  checkRefusalSaysWhy(decodeWatchMessage(text));

  // How the stream arrives must not change what it is made of.
  const Split whole = splitStream(text, text.size() + 1);
  const Split chunked = splitStream(text, kChunk);
  check(whole.ok == chunked.ok && whole.messages == chunked.messages);
  return 0;
}

// The gateway codec: request bodies as etcd expects them, and answers captured from etcd 3.4.23
// (golden/capture.py) decoded; malformed answers give an Error naming the field, never a crash.
#include "etcd/codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace kubevip::etcd {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

const std::string kKey = "/kube-vip/election/plndr-cp-lock";
constexpr int64_t kHolderLease = 4111120489066429961;

std::string golden(const std::string& name) {
  std::ifstream in(std::string(KUBEVIP_ETCD_GOLDEN_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Every message of a stream, decoded as watch messages.
std::vector<WatchMessage> watchMessages(const std::string& body, size_t chunk_size) {
  JsonMessageSplitter splitter;
  std::vector<WatchMessage> out;
  for (size_t at = 0; at < body.size(); at += chunk_size) {
    Status fed = splitter.feed(body.substr(at, chunk_size), [&](std::string_view text) -> Status {
      auto message = decodeWatchMessage(text);
      if (!message) return message.error();
      out.push_back(std::move(*message));
      return okStatus();
    });
    EXPECT_TRUE(fed.ok()) << fed.error().message;
  }
  EXPECT_EQ(splitter.pending(), 0u);
  return out;
}

TEST(EtcdBase64, RoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  for (size_t length = 0; length <= bytes.size(); length += 1) {
    const std::string input = bytes.substr(bytes.size() - length);
    auto decoded = decodeBase64(encodeBase64(input));
    ASSERT_TRUE(decoded.ok()) << length;
    EXPECT_EQ(*decoded, input);
  }
  EXPECT_EQ(encodeBase64("/e/lock"), "L2UvbG9jaw==");
  EXPECT_EQ(encodeBase64("node-a"), "bm9kZS1h");
}

TEST(EtcdBase64, RefusesWhatTheGatewayNeverWrites) {
  for (const char* bad : {"abc", "ab=c", "a===", "=abc", "ab\ncd==", "ab-_", "ab c", "YQ==YQ=="}) {
    auto decoded = decodeBase64(bad);
    EXPECT_FALSE(decoded.ok()) << bad;
    if (!decoded.ok()) {
      EXPECT_THAT(decoded.error().message, HasSubstr("invalid base64")) << bad;
    }
  }
}

TEST(EtcdCodec, EncodesRequestsAsTheGatewayExpects) {
  EXPECT_EQ(Json::parse(encodeLeaseGrant(2)), Json::parse(R"({"TTL":"2"})"));
  EXPECT_EQ(Json::parse(encodeLeaseKeepAlive(4111120489066429957)),
            Json::parse(R"({"ID":"4111120489066429957"})"));
  EXPECT_EQ(Json::parse(encodeLeaseRevoke(7)), Json::parse(R"({"ID":"7"})"));
  EXPECT_EQ(Json::parse(encodeRange("/e/lock")), Json::parse(R"({"key":"L2UvbG9jaw=="})"));
  EXPECT_EQ(Json::parse(encodeCreateIfAbsent("/e/lock", "node-a", 42)), Json::parse(R"({
    "compare":[{"key":"L2UvbG9jaw==","target":"CREATE","result":"EQUAL","create_revision":"0"}],
    "success":[{"request_put":{"key":"L2UvbG9jaw==","value":"bm9kZS1h","lease":"42"}}],
    "failure":[{"request_range":{"key":"L2UvbG9jaw=="}}]})"));
  EXPECT_EQ(Json::parse(encodeWatchCreate("/e/lock", 0)),
            Json::parse(R"({"create_request":{"key":"L2UvbG9jaw=="}})"));
  EXPECT_EQ(Json::parse(encodeWatchCreate("/e/lock", 17)),
            Json::parse(R"({"create_request":{"key":"L2UvbG9jaw==","start_revision":"17"}})"));
}

TEST(EtcdCodecGolden, LeaseGrant) {
  auto grant = decodeLeaseGrant(golden("lease_grant.json"));
  ASSERT_TRUE(grant.ok()) << grant.error().message;
  EXPECT_EQ(grant->id, 4111120489066429957);
  EXPECT_EQ(grant->ttl_seconds, 2);
  // Asked for 1 s: etcd raises a TTL below its minimum to the minimum.
  auto raised = decodeLeaseGrant(golden("lease_grant_raised.json"));
  ASSERT_TRUE(raised.ok()) << raised.error().message;
  EXPECT_EQ(raised->ttl_seconds, 2);
}

TEST(EtcdCodecGolden, KeepAliveAndTheUnknownLeaseWithoutTtl) {
  auto ttl = decodeLeaseKeepAlive(golden("lease_keepalive.json"), 4111120489066429957);
  ASSERT_TRUE(ttl.ok()) << ttl.error().message;
  EXPECT_EQ(*ttl, 2);
  auto unknown = decodeLeaseKeepAlive(golden("lease_keepalive_unknown.json"), 12345);
  ASSERT_TRUE(unknown.ok()) << unknown.error().message;
  EXPECT_EQ(*unknown, 0);
  // The answer for another lease is not ours.
  auto other = decodeLeaseKeepAlive(golden("lease_keepalive.json"), 5);
  ASSERT_FALSE(other.ok());
  EXPECT_THAT(other.error().message, HasSubstr("result.ID"));
}

TEST(EtcdCodecGolden, RevokeAndTheUnknownLease) {
  EXPECT_TRUE(decodeLeaseRevoke(golden("lease_revoke.json")).ok());
  const Error unknown =
      decodeErrorAnswer("/v3/lease/revoke at http://e", 404, golden("lease_revoke_unknown.json"));
  EXPECT_EQ(unknown.code, ErrorCode::kNotFound);
  EXPECT_EQ(unknown.message,
            "etcd /v3/lease/revoke at http://e failed: etcdserver: requested lease not found "
            "(gRPC code 5, HTTP 404)");
}

TEST(EtcdCodecGolden, CreateIfAbsentWins) {
  auto outcome = decodeCreateIfAbsent(golden("kv_txn_created.json"), kKey, "node-a", kHolderLease);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_TRUE(outcome->created);
  EXPECT_EQ(outcome->revision, 2);
  ASSERT_TRUE(outcome->current.has_value());
  EXPECT_EQ(*outcome->current, (KeyValue{kKey, "node-a", 2, 2, 1, kHolderLease}));
}

TEST(EtcdCodecGolden, CreateIfAbsentLosesAndLearnsTheHolder) {
  // A lost transaction has no "succeeded" at all (false is omitted).
  auto outcome = decodeCreateIfAbsent(golden("kv_txn_lost.json"), kKey, "node-b", 99);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_FALSE(outcome->created);
  EXPECT_EQ(outcome->revision, 2);
  ASSERT_TRUE(outcome->current.has_value());
  EXPECT_EQ(*outcome->current, (KeyValue{kKey, "node-a", 2, 2, 1, kHolderLease}));
}

TEST(EtcdCodecGolden, CreateIfAbsentWithAnUnknownLease) {
  const Error error =
      decodeErrorAnswer("/v3/kv/txn at http://e", 404, golden("kv_txn_unknown_lease.json"));
  EXPECT_EQ(error.code, ErrorCode::kNotFound);
  EXPECT_THAT(error.message, HasSubstr("requested lease not found"));
}

TEST(EtcdCodecGolden, RangeFoundAndMissing) {
  auto found = decodeRange(golden("kv_range_found.json"), kKey);
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(found->revision, 2);
  ASSERT_TRUE(found->kv.has_value());
  EXPECT_EQ(*found->kv, (KeyValue{kKey, "node-a", 2, 2, 1, kHolderLease}));
  auto missing = decodeRange(golden("kv_range_missing.json"), kKey);
  ASSERT_TRUE(missing.ok()) << missing.error().message;
  EXPECT_FALSE(missing->kv.has_value());
  EXPECT_EQ(missing->revision, 1);
}

TEST(EtcdCodecGolden, WatchSeesCreatedPutAndDeleteInChunksCutAnywhere) {
  const std::string body = golden("watch_put_delete.json");
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{64}, body.size()}) {
    auto messages = watchMessages(body, chunk);
    ASSERT_EQ(messages.size(), 3u) << chunk;
    EXPECT_TRUE(messages[0].created);
    EXPECT_TRUE(messages[0].events.empty());
    ASSERT_EQ(messages[1].events.size(), 1u);
    EXPECT_EQ(messages[1].events[0].type, WatchEvent::Type::kPut);  // "type" omitted
    EXPECT_EQ(messages[1].events[0].kv, (KeyValue{kKey, "node-a", 2, 2, 1, kHolderLease}));
    ASSERT_EQ(messages[2].events.size(), 1u);
    EXPECT_EQ(messages[2].events[0].type, WatchEvent::Type::kDelete);
    EXPECT_EQ(messages[2].events[0].kv.key, kKey);
    EXPECT_EQ(messages[2].events[0].kv.mod_revision, 3);
    EXPECT_EQ(messages[2].revision, 3);
  }
}

TEST(EtcdCodecGolden, WatchFromACompactedRevisionIsCanceled) {
  auto messages = watchMessages(golden("watch_compacted.json"), 5);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_TRUE(messages[0].created);
  EXPECT_TRUE(messages[1].canceled);
  EXPECT_EQ(messages[1].compact_revision, 3);
}

TEST(EtcdErrorAnswer, MapsGrpcCodesAndSurvivesGarbage) {
  EXPECT_EQ(decodeErrorAnswer("x", 403, R"({"error":"e","message":"denied","code":7})").code,
            ErrorCode::kPermission);
  EXPECT_EQ(decodeErrorAnswer("x", 400, R"({"error":"e","message":"bad","code":3})").code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(decodeErrorAnswer("x", 503, R"({"message":"etcdserver: no leader","code":14})").code,
            ErrorCode::kUnavailable);
  const Error garbage = decodeErrorAnswer("/v3/kv/txn at http://e", 502, "<html>\n</html>");
  EXPECT_EQ(garbage.code, ErrorCode::kUnavailable);
  EXPECT_THAT(garbage.message, HasSubstr("HTTP 502 without an etcd error: \"<html> </html>\""));
  const Error huge = decodeErrorAnswer("x", 500, std::string(kMaxAnswerBytes + 1, '{'));
  EXPECT_THAT(huge.message, HasSubstr("HTTP 500"));
}

// Malformed answers: each must be an Error naming the answer and the field.
struct Malformed {
  const char* name;
  std::string body;
  const char* expected;  // a substring of the error
};

TEST(EtcdCodecMalformed, TxnAnswers) {
  const std::string header = R"("header":{"revision":"5"})";
  const std::vector<Malformed> cases = {
      {"not json", "{", "etcd /v3/kv/txn answer: not valid JSON"},
      {"array", "[]", "expected a JSON object, got array"},
      {"no header", R"({"succeeded":true,"responses":[{"response_put":{}}]})", "header: missing"},
      {"revision a number too big",
       R"({"header":{"revision":"99999999999999999999"},"succeeded":true,"responses":[{"response_put":{}}]})",
       "header.revision: expected an int64 as a decimal string, got \"99999999999999999999\""},
      {"revision a float", R"({"header":{"revision":1.5}})", "header.revision: expected an int64"},
      {"revision negative", R"({"header":{"revision":"-1"}})", "header.revision: -1 is below"},
      {"revision with junk", R"({"header":{"revision":"12x"}})", "header.revision"},
      {"succeeded a string", "{" + header + R"(,"succeeded":"true"})",
       "succeeded: expected a boolean, got string"},
      {"no responses", "{" + header + "}", "responses: expected the one response"},
      {"responses an object", "{" + header + R"(,"responses":{}})",
       "responses: expected an array, got object"},
      {"response not an object", "{" + header + R"(,"responses":[3]})",
       "responses[0]: expected an object"},
      {"won without response_put", "{" + header + R"(,"succeeded":true,"responses":[{}]})",
       "responses[0].response_put: missing"},
      {"lost without response_range", "{" + header + R"(,"responses":[{"response_put":{}}]})",
       "responses[0].response_range: missing"},
      {"bad base64 key",
       "{" + header + R"(,"responses":[{"response_range":{"kvs":[{"key":"%%%%"}]}}]})",
       "responses[0].response_range.kvs[0].key: invalid base64"},
      {"key a number", "{" + header + R"(,"responses":[{"response_range":{"kvs":[{"key":5}]}}]})",
       "responses[0].response_range.kvs[0].key: expected a string, got number"},
      {"another key",
       "{" + header + R"(,"responses":[{"response_range":{"kvs":[{"key":"L2UvbG9jaw=="}]}}]})",
       "responses[0].response_range.kvs[0].key: not the key asked for"},
      {"mod_revision an object",
       "{" + header + R"(,"responses":[{"response_range":{"kvs":[{"key":")" + encodeBase64(kKey) +
           R"(","mod_revision":{}}]}}]})",
       "responses[0].response_range.kvs[0].mod_revision: expected an int64 as a decimal string, "
       "got object"},
      {"two keys",
       "{" + header +
           R"(,"responses":[{"response_range":{"kvs":[{"key":"YQ=="},{"key":"Yg=="}]}}]})",
       "responses[0].response_range.kvs: 2 keys for a range of one key"},
      {"too large", std::string(kMaxAnswerBytes + 1, ' '), "exceed the 1 MiB cap"},
  };
  for (const auto& c : cases) {
    auto outcome = decodeCreateIfAbsent(c.body, kKey, "v", 1);
    ASSERT_FALSE(outcome.ok()) << c.name;
    EXPECT_EQ(outcome.error().code, ErrorCode::kInvalidArgument) << c.name;
    EXPECT_THAT(outcome.error().message, HasSubstr("etcd /v3/kv/txn answer")) << c.name;
    EXPECT_THAT(outcome.error().message, HasSubstr(c.expected)) << c.name;
  }
}

TEST(EtcdCodecMalformed, GrantKeepAliveRangeAndRevoke) {
  auto no_id = decodeLeaseGrant(R"({"header":{},"TTL":"2"})");
  ASSERT_FALSE(no_id.ok());
  EXPECT_THAT(no_id.error().message, HasSubstr("etcd /v3/lease/grant answer: ID: missing"));
  auto refused = decodeLeaseGrant(R"({"header":{},"ID":"1","TTL":"2","error":"no space"})");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, HasSubstr("error: no space"));
  auto ttl_bool = decodeLeaseGrant(R"({"ID":"1","TTL":true})");
  ASSERT_FALSE(ttl_bool.ok());
  EXPECT_THAT(ttl_bool.error().message, HasSubstr("TTL: expected an int64"));
  auto huge_int = decodeLeaseGrant(R"({"ID":18446744073709551615,"TTL":"2"})");
  ASSERT_FALSE(huge_int.ok());
  EXPECT_THAT(huge_int.error().message, HasSubstr("ID: integer out of the int64 range"));

  for (const std::string& body :
       {std::string(""), std::string("   \n"), std::string(R"({"result":{"header":{},"ID":"1")"),
        std::string(R"({"result":[]})"), std::string(R"({"nothing":1})"),
        std::string(R"(["result"])"), std::string(R"({"result":{"ID":"1","TTL":"2"}})")}) {
    auto ttl = decodeLeaseKeepAlive(body, 1);
    ASSERT_FALSE(ttl.ok()) << body;
    EXPECT_THAT(ttl.error().message, HasSubstr("etcd /v3/lease/keepalive answer")) << body;
  }
  auto stream_error = decodeLeaseKeepAlive(
      R"({"error":{"grpc_code":14,"http_code":503,"message":"transport is closing"}})", 1);
  ASSERT_FALSE(stream_error.ok());
  EXPECT_THAT(stream_error.error().message, HasSubstr("transport is closing"));

  auto range_kvs = decodeRange(R"({"header":{"revision":"1"},"kvs":"x"})", kKey);
  ASSERT_FALSE(range_kvs.ok());
  EXPECT_THAT(range_kvs.error().message,
              HasSubstr("etcd /v3/kv/range answer: kvs: expected an array, got string"));
  auto range_kv = decodeRange(R"({"header":{"revision":"1"},"kvs":[null]})", kKey);
  ASSERT_FALSE(range_kv.ok());
  EXPECT_THAT(range_kv.error().message, HasSubstr("kvs[0]: expected an object, got null"));
  EXPECT_FALSE(decodeLeaseRevoke("null").ok());
  EXPECT_FALSE(decodeLeaseRevoke(R"({"header":7})").ok());
}

TEST(EtcdCodecMalformed, WatchMessages) {
  const std::vector<Malformed> cases = {
      {"no result", R"({"header":{}})", "result: missing"},
      {"events not an array", R"({"result":{"header":{},"events":{}}})",
       "result.events: expected an array"},
      {"unknown type", R"({"result":{"header":{},"events":[{"type":"MOVE","kv":{"key":"YQ=="}}]}})",
       "result.events[0].type: unknown event type \"MOVE\""},
      {"no kv", R"({"result":{"header":{},"events":[{"type":"DELETE"}]}})",
       "result.events[0].kv: missing"},
      {"bad value", R"({"result":{"header":{},"events":[{"kv":{"key":"YQ==","value":"Y"}}]}})",
       "result.events[0].kv.value: invalid base64"},
      {"canceled a number", R"({"result":{"header":{},"canceled":1}})",
       "result.canceled: expected a boolean"},
      {"stream error", R"({"error":{"message":"etcdserver: permission denied"}})",
       "the stream failed: etcdserver: permission denied"},
  };
  for (const auto& c : cases) {
    auto message = decodeWatchMessage(c.body);
    ASSERT_FALSE(message.ok()) << c.name;
    EXPECT_THAT(message.error().message, HasSubstr("etcd /v3/watch")) << c.name;
    EXPECT_THAT(message.error().message, HasSubstr(c.expected)) << c.name;
  }
}

TEST(JsonMessageSplitter, SplitsConcatenatedMessagesWithBracesInStrings) {
  JsonMessageSplitter splitter;
  std::vector<std::string> messages;
  auto collect = [&](std::string_view m) -> Status {
    messages.emplace_back(m);
    return okStatus();
  };
  const std::string stream = R"({"a":"}{\"\\"}{"b":[1,{"c":"]"}]}   
{"d":{}})";
  for (char c : stream) ASSERT_TRUE(splitter.feed(std::string_view(&c, 1), collect).ok());
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(Json::parse(messages[0])["a"], "}{\"\\");
  EXPECT_EQ(Json::parse(messages[1])["b"][1]["c"], "]");
  EXPECT_EQ(messages[2], R"({"d":{}})");
  EXPECT_EQ(splitter.pending(), 0u);
}

TEST(JsonMessageSplitter, RefusesJunkAndMessagesOverTheCap) {
  JsonMessageSplitter junk;
  auto ignore = [](std::string_view) { return okStatus(); };
  Status refused = junk.feed("{}\nHTTP/1.1 200", ignore);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, HasSubstr("expected a JSON object, got 'H'"));

  JsonMessageSplitter big;
  constexpr size_t kPiece = size_t{64} << 10;
  const std::string piece = R"({"v":")" + std::string(kPiece, 'x');
  Status status = big.feed(piece, ignore);
  const std::string more(kPiece, 'x');
  while (status.ok() && big.pending() <= kMaxAnswerBytes) status = big.feed(more, ignore);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.error().message, HasSubstr("exceeds the 1 MiB cap"));
  EXPECT_EQ(big.pending(), 0u);
}

TEST(JsonMessageSplitter, DeepNestingIsAnErrorNotACrash) {
  // Deep but under the cap: nlohmann parses iteratively; the decoder must still refuse it.
  const std::string deep =
      "{\"result\":" + std::string(200000, '[') + std::string(200000, ']') + "}";
  JsonMessageSplitter splitter;
  int seen = 0;
  Status status = splitter.feed(deep, [&](std::string_view text) -> Status {
    ++seen;
    auto message = decodeWatchMessage(text);
    EXPECT_FALSE(message.ok());
    return okStatus();
  });
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(seen, 1);
}

TEST(EtcdCodecMalformed, NestingDeeperThanTheCapIsRefusedBeforeParsing) {
  // Under the 1 MiB cap but 400,000 levels deep, where the decoders used to overflow the stack:
  // the keepalive's result was copied out of its stream message, and a stream's error serialized
  // into the message, both recursively.
  const std::string deep = std::string(400000, '[') + std::string(400000, ']');
  const std::string refusal = "objects and arrays nested deeper than 32 levels";

  auto ttl = decodeLeaseKeepAlive(R"({"result":{"header":{},"ID":"1","x":)" + deep + "}}", 1);
  ASSERT_FALSE(ttl.ok());
  EXPECT_THAT(ttl.error().message, HasSubstr("etcd /v3/lease/keepalive answer: " + refusal));

  auto watch = decodeWatchMessage(R"({"error":{"details":)" + deep + "}}");
  ASSERT_FALSE(watch.ok());
  EXPECT_THAT(watch.error().message, HasSubstr("etcd /v3/watch stream message: " + refusal));

  auto range = decodeRange(R"({"header":{},"x":)" + deep + "}", kKey);
  ASSERT_FALSE(range.ok());
  EXPECT_THAT(range.error().message, HasSubstr(refusal));
}

TEST(EtcdCodecMalformed, NestingUpToTheCapIsRead) {
  // The body is the first level; brackets inside strings are not nesting.
  auto nested = [](int levels) {
    return R"({"header":{"revision":"4"},"note":"[[[[{{{{","x":)" + std::string(levels - 1, '[') +
           std::string(levels - 1, ']') + "}";
  };
  auto at_cap = decodeRange(nested(kMaxNestingDepth), kKey);
  ASSERT_TRUE(at_cap.ok()) << at_cap.error().message;
  EXPECT_EQ(at_cap->revision, 4);
  EXPECT_FALSE(decodeRange(nested(kMaxNestingDepth + 1), kKey).ok());
}

}  // namespace
}  // namespace kubevip::etcd

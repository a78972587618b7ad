#include "etcd/codec.h"

#include <fmt/format.h>

#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/json_nesting.h"

namespace kubevip::etcd {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Reads the fields of one answer; every error names the answer and the field path.
class Reader {
 public:
  explicit Reader(std::string answer) : answer_(std::move(answer)) {}

  Error error(std::string_view path, std::string_view what) const {
    if (path.empty()) {
      return makeError(ErrorCode::kInvalidArgument, fmt::format("etcd {}: {}", answer_, what));
    }
    return makeError(ErrorCode::kInvalidArgument,
                     fmt::format("etcd {}: {}: {}", answer_, path, what));
  }

  static std::string join(std::string_view parent, std::string_view key) {
    return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
  }
  static std::string element(std::string_view parent, size_t index) {
    return fmt::format("{}[{}]", parent, index);
  }

  // The whole body as one JSON object, refused beyond kMaxAnswerBytes or kMaxNestingDepth (the
  // argument for the depth is beside the constant, in codec.h). Every decoder of an answer or a
  // stream message parses here, so none of them copies or serializes a deeper value.
  Result<Json> parse(std::string_view body) const {
    if (body.size() > kMaxAnswerBytes) {
      return error("", fmt::format("{} bytes exceed the {} MiB cap on one answer", body.size(),
                                   kMaxAnswerBytes >> 20));
    }
    if (jsonNestsDeeperThan(body, kMaxNestingDepth)) {
      return error(
          "", fmt::format("objects and arrays nested deeper than {} levels", kMaxNestingDepth));
    }
    Json document = Json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded()) return error("", "not valid JSON");
    if (!document.is_object()) {
      return error("", fmt::format("expected a JSON object, got {}", document.type_name()));
    }
    return document;
  }

  // nullptr when absent or null (the gateway omits empty messages).
  Result<const Json*> object(const Json& parent, std::string_view key,
                             std::string_view path) const {
    auto found = parent.find(key);
    if (found == parent.end() || found->is_null()) return static_cast<const Json*>(nullptr);
    if (!found->is_object()) {
      return error(join(path, key), fmt::format("expected an object, got {}", found->type_name()));
    }
    return &*found;
  }

  Result<const Json*> requiredObject(const Json& parent, std::string_view key,
                                     std::string_view path) const {
    auto found = object(parent, key, path);
    if (found && *found == nullptr) return error(join(path, key), "missing");
    return found;
  }

  Result<const Json*> array(const Json& parent, std::string_view key, std::string_view path) const {
    auto found = parent.find(key);
    if (found == parent.end() || found->is_null()) return static_cast<const Json*>(nullptr);
    if (!found->is_array()) {
      return error(join(path, key), fmt::format("expected an array, got {}", found->type_name()));
    }
    return &*found;
  }

  // An int64 written as a decimal string (also accepted as a JSON integer); absent reads as 0.
  Result<int64_t> int64Field(const Json& parent, std::string_view key, std::string_view path,
                             int64_t min = 0) const {
    auto found = parent.find(key);
    if (found == parent.end() || found->is_null()) return int64_t{0};
    int64_t value = 0;
    if (found->is_string()) {
      const auto& text = found->get_ref<const std::string&>();
      const char* end = text.data() + text.size();
      auto [stop, ec] = std::from_chars(text.data(), end, value);
      if (text.empty() || ec != std::errc() || stop != end) {
        return error(join(path, key),
                     fmt::format("expected an int64 as a decimal string, got \"{}\"",
                                 text.size() > 40 ? text.substr(0, 40) + "..." : text));
      }
    } else if (found->is_number_integer()) {
      if (found->is_number_unsigned() &&
          found->get<uint64_t>() > uint64_t{std::numeric_limits<int64_t>::max()}) {
        return error(join(path, key), "integer out of the int64 range");
      }
      value = found->get<int64_t>();
    } else {
      return error(join(path, key), fmt::format("expected an int64 as a decimal string, got {}",
                                                found->type_name()));
    }
    if (value < min) {
      return error(join(path, key), fmt::format("{} is below the minimum {}", value, min));
    }
    return value;
  }

  Result<bool> boolField(const Json& parent, std::string_view key, std::string_view path) const {
    auto found = parent.find(key);
    if (found == parent.end() || found->is_null()) return false;
    if (!found->is_boolean()) {
      return error(join(path, key), fmt::format("expected a boolean, got {}", found->type_name()));
    }
    return found->get<bool>();
  }

  Result<std::string> stringField(const Json& parent, std::string_view key,
                                  std::string_view path) const {
    auto found = parent.find(key);
    if (found == parent.end() || found->is_null()) return std::string();
    if (!found->is_string()) {
      return error(join(path, key), fmt::format("expected a string, got {}", found->type_name()));
    }
    return found->get<std::string>();
  }

  // A protobuf bytes field: base64 in a string.
  Result<std::string> bytesField(const Json& parent, std::string_view key,
                                 std::string_view path) const {
    auto text = stringField(parent, key, path);
    if (!text) return text.error();
    auto bytes = decodeBase64(*text);
    if (!bytes) return error(join(path, key), bytes.error().message);
    return bytes;
  }

  // mvccpb.KeyValue.
  Result<KeyValue> keyValue(const Json& kv, std::string_view path) const {
    KeyValue out;
    auto key = bytesField(kv, "key", path);
    if (!key) return key.error();
    if (key->empty()) return error(join(path, "key"), "missing");
    out.key = std::move(*key);
    auto value = bytesField(kv, "value", path);
    if (!value) return value.error();
    out.value = std::move(*value);
    for (auto [name, field] :
         {std::pair{"create_revision", &out.create_revision},
          std::pair{"mod_revision", &out.mod_revision}, std::pair{"version", &out.version},
          std::pair{"lease", &out.lease}}) {
      auto number = int64Field(kv, name, path);
      if (!number) return number.error();
      *field = *number;
    }
    return out;
  }

  // header.revision of a response message at `path`; the header itself is required.
  Result<int64_t> headerRevision(const Json& message, std::string_view path) const {
    auto header = requiredObject(message, "header", path);
    if (!header) return header.error();
    return int64Field(**header, "revision", join(path, "header"));
  }

  // The single key a range of one key returns: none, or exactly `key`.
  Result<std::optional<KeyValue>> singleKey(const Json& range, std::string_view key,
                                            std::string_view path) const {
    auto kvs = array(range, "kvs", path);
    if (!kvs) return kvs.error();
    if (*kvs == nullptr || (*kvs)->empty()) return std::optional<KeyValue>();
    const std::string kvs_path = join(path, "kvs");
    if ((*kvs)->size() != 1) {
      return error(kvs_path, fmt::format("{} keys for a range of one key", (*kvs)->size()));
    }
    const std::string kv_path = element(kvs_path, 0);
    if (!(**kvs)[0].is_object()) {
      return error(kv_path, fmt::format("expected an object, got {}", (**kvs)[0].type_name()));
    }
    auto kv = keyValue((**kvs)[0], kv_path);
    if (!kv) return kv.error();
    if (kv->key != key) return error(join(kv_path, "key"), "not the key asked for");
    return std::optional<KeyValue>(std::move(*kv));
  }

 private:
  std::string answer_;  // "/v3/kv/txn answer"
};

std::string answerName(std::string_view path) { return fmt::format("{} answer", path); }

// The first message of a streamed answer, unwrapped from {"result": ...}; {"error": ...} in the
// stream is the call's failure.
Result<Json> firstStreamResult(const Reader& reader, std::string_view body) {
  if (body.size() > kMaxAnswerBytes) return reader.parse(body).error();
  JsonMessageSplitter splitter;
  std::optional<std::string> first;
  Status split = splitter.feed(body, [&](std::string_view message) -> Status {
    if (!first) first.emplace(message);
    return okStatus();
  });
  if (!split) return reader.error("", split.error().message);
  if (!first) {
    return reader.error("", splitter.pending() > 0 ? "a message is cut short" : "no message");
  }
  auto message = reader.parse(*first);
  if (!message) return message.error();
  auto failure = message->find("error");
  if (failure != message->end() && !failure->is_null()) {
    std::string why = failure->dump();
    if (failure->is_object() && failure->contains("message") && (*failure)["message"].is_string()) {
      why = (*failure)["message"].get<std::string>();
    }
    return makeError(ErrorCode::kUnavailable, fmt::format("{}: {}", "the stream failed", why));
  }
  auto result = reader.requiredObject(*message, "result", "");
  if (!result) return result.error();
  return **result;
}

ErrorCode codeOfGrpcStatus(int64_t grpc_code, long http_status) {
  switch (grpc_code) {
    case 3:   // INVALID_ARGUMENT
    case 11:  // OUT_OF_RANGE
      return ErrorCode::kInvalidArgument;
    case 4:  // DEADLINE_EXCEEDED
      return ErrorCode::kTimeout;
    case 5:  // NOT_FOUND: "etcdserver: requested lease not found"
      return ErrorCode::kNotFound;
    case 6:   // ALREADY_EXISTS
    case 9:   // FAILED_PRECONDITION
    case 10:  // ABORTED
      return ErrorCode::kConflict;
    case 7:   // PERMISSION_DENIED
    case 16:  // UNAUTHENTICATED
      return ErrorCode::kPermission;
    default:
      break;
  }
  if (http_status == 401 || http_status == 403) return ErrorCode::kPermission;
  if (http_status == 404) return ErrorCode::kNotFound;
  if (http_status >= 400 && http_status < 500) return ErrorCode::kInvalidArgument;
  return ErrorCode::kUnavailable;
}

}  // namespace

std::string encodeBase64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = uint32_t{static_cast<uint8_t>(bytes[i])} << 16 |
                       uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8 |
                       uint32_t{static_cast<uint8_t>(bytes[i + 2])};
    out += kBase64Alphabet[n >> 18];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += kBase64Alphabet[n & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = uint32_t{static_cast<uint8_t>(bytes[i])} << 16;
    if (rest == 2) n |= uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8;
    out += kBase64Alphabet[n >> 18];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> decodeBase64(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return makeError(ErrorCode::kInvalidArgument, fmt::format("invalid base64: {}", why));
  };
  if (text.size() % 4 != 0) return bad("the length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t n = 0;
    int padding = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      int value = 0;
      if (c == '=') {
        // Padding only in the last two places of the last group.
        if (i + 4 != text.size() || j < 2) return bad(fmt::format("'=' at offset {}", i + j));
        ++padding;
      } else {
        if (padding > 0) return bad(fmt::format("'{}' after padding at offset {}", c, i + j));
        const auto pos = kBase64Alphabet.find(c);
        if (pos == std::string_view::npos) {
          return bad(
              fmt::format("character 0x{:02x} at offset {}", static_cast<uint8_t>(c), i + j));
        }
        value = static_cast<int>(pos);
      }
      n = n << 6 | static_cast<uint32_t>(value);
    }
    out += static_cast<char>(n >> 16);
    if (padding < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (padding < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

std::string encodeLeaseGrant(int64_t ttl_seconds) {
  return Json{{"TTL", std::to_string(ttl_seconds)}}.dump();
}

std::string encodeLeaseKeepAlive(int64_t lease_id) {
  return Json{{"ID", std::to_string(lease_id)}}.dump();
}

std::string encodeLeaseRevoke(int64_t lease_id) {
  return Json{{"ID", std::to_string(lease_id)}}.dump();
}

std::string encodeRange(std::string_view key) { return Json{{"key", encodeBase64(key)}}.dump(); }

std::string encodeCreateIfAbsent(std::string_view key, std::string_view value, int64_t lease_id) {
  const std::string key64 = encodeBase64(key);
  Json put{{"key", key64}, {"value", encodeBase64(value)}};
  if (lease_id != 0) put["lease"] = std::to_string(lease_id);
  // create_revision 0 is what etcd's own clients compare with for "the key does not exist"
  // (clientv3 concurrency.Election: Compare(CreateRevision(key), "=", 0)).
  return Json{
      {"compare",
       Json::array({Json{
           {"key", key64}, {"target", "CREATE"}, {"result", "EQUAL"}, {"create_revision", "0"}}})},
      {"success", Json::array({Json{{"request_put", put}}})},
      {"failure", Json::array({Json{{"request_range", Json{{"key", key64}}}}})}}
      .dump();
}

std::string encodeWatchCreate(std::string_view key, int64_t start_revision) {
  Json create{{"key", encodeBase64(key)}};
  if (start_revision != 0) create["start_revision"] = std::to_string(start_revision);
  return Json{{"create_request", create}}.dump();
}

Error decodeErrorAnswer(std::string_view action, long http_status, std::string_view body) {
  Json document = body.size() <= kMaxAnswerBytes
                      ? Json::parse(body, nullptr, /*allow_exceptions=*/false)
                      : Json(nullptr);
  std::string message;
  int64_t grpc_code = -1;
  if (document.is_object()) {
    for (const char* key : {"message", "error"}) {
      auto found = document.find(key);
      if (found != document.end() && found->is_string() &&
          !found->get_ref<const std::string&>().empty()) {
        message = found->get<std::string>();
        break;
      }
    }
    auto code = document.find("code");
    if (code != document.end() && code->is_number_integer()) grpc_code = code->get<int64_t>();
  }
  if (message.empty()) {
    std::string excerpt(body.substr(0, 200));
    for (char& c : excerpt) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    return makeError(codeOfGrpcStatus(grpc_code, http_status),
                     fmt::format("etcd {} answered HTTP {} without an etcd error: \"{}{}\"", action,
                                 http_status, excerpt, body.size() > 200 ? "..." : ""));
  }
  return makeError(codeOfGrpcStatus(grpc_code, http_status),
                   fmt::format("etcd {} failed: {} (gRPC code {}, HTTP {})", action, message,
                               grpc_code, http_status));
}

Result<LeaseGrant> decodeLeaseGrant(std::string_view body) {
  const Reader reader(answerName(kLeaseGrantPath));
  auto document = reader.parse(body);
  if (!document) return document.error();
  auto refused = reader.stringField(*document, "error", "");
  if (!refused) return refused.error();
  if (!refused->empty()) return reader.error("error", *refused);
  LeaseGrant grant;
  auto id = reader.int64Field(*document, "ID", "");
  if (!id) return id.error();
  if (*id == 0) return reader.error("ID", "missing");
  grant.id = *id;
  auto ttl = reader.int64Field(*document, "TTL", "");
  if (!ttl) return ttl.error();
  if (*ttl <= 0) return reader.error("TTL", "missing");
  grant.ttl_seconds = *ttl;
  return grant;
}

Result<int64_t> decodeLeaseKeepAlive(std::string_view body, int64_t lease_id) {
  const Reader reader(answerName(kLeaseKeepAlivePath));
  auto result = firstStreamResult(reader, body);
  if (!result) return result.error();
  auto revision = reader.headerRevision(*result, "result");
  if (!revision) return revision.error();
  auto id = reader.int64Field(*result, "ID", "result");
  if (!id) return id.error();
  if (*id != lease_id) {
    return reader.error("result.ID",
                        fmt::format("{} is not the lease asked for ({})", *id, lease_id));
  }
  // An unknown (expired or revoked) lease is answered with no TTL at all; -1 is what etcd's
  // TimeToLive writes for an expired lease, read the same way.
  auto ttl = reader.int64Field(*result, "TTL", "result", -1);
  if (!ttl) return ttl.error();
  return std::max<int64_t>(*ttl, 0);
}

Status decodeLeaseRevoke(std::string_view body) {
  const Reader reader(answerName(kLeaseRevokePath));
  auto document = reader.parse(body);
  if (!document) return document.error();
  auto revision = reader.headerRevision(*document, "");
  if (!revision) return revision.error();
  return okStatus();
}

Result<GetOutcome> decodeRange(std::string_view body, std::string_view key) {
  const Reader reader(answerName(kRangePath));
  auto document = reader.parse(body);
  if (!document) return document.error();
  GetOutcome outcome;
  auto revision = reader.headerRevision(*document, "");
  if (!revision) return revision.error();
  outcome.revision = *revision;
  auto kv = reader.singleKey(*document, key, "");
  if (!kv) return kv.error();
  outcome.kv = std::move(*kv);
  return outcome;
}

Result<CreateOutcome> decodeCreateIfAbsent(std::string_view body, std::string_view key,
                                           std::string_view value, int64_t lease_id) {
  const Reader reader(answerName(kTxnPath));
  auto document = reader.parse(body);
  if (!document) return document.error();
  CreateOutcome outcome;
  auto revision = reader.headerRevision(*document, "");
  if (!revision) return revision.error();
  outcome.revision = *revision;
  auto succeeded = reader.boolField(*document, "succeeded", "");
  if (!succeeded) return succeeded.error();
  outcome.created = *succeeded;

  auto responses = reader.array(*document, "responses", "");
  if (!responses) return responses.error();
  if (*responses == nullptr || (*responses)->size() != 1) {
    return reader.error("responses",
                        fmt::format("expected the one response of the {} branch, got {}",
                                    outcome.created ? "success" : "failure",
                                    *responses == nullptr ? 0 : (*responses)->size()));
  }
  const std::string path = Reader::element("responses", 0);
  const Json& response = (**responses)[0];
  if (!response.is_object()) {
    return reader.error(path, fmt::format("expected an object, got {}", response.type_name()));
  }
  if (outcome.created) {
    // The put's answer carries no key: ours is the one just written, at the transaction's
    // revision (create_revision = mod_revision = header.revision, version 1).
    auto put = reader.requiredObject(response, "response_put", path);
    if (!put) return put.error();
    if (outcome.revision <= 0) return reader.error("header.revision", "missing");
    outcome.current = KeyValue{
        std::string(key), std::string(value), outcome.revision, outcome.revision, 1, lease_id};
    return outcome;
  }
  auto range = reader.requiredObject(response, "response_range", path);
  if (!range) return range.error();
  auto kv = reader.singleKey(**range, key, Reader::join(path, "response_range"));
  if (!kv) return kv.error();
  outcome.current = std::move(*kv);
  return outcome;
}

Status JsonMessageSplitter::feed(std::string_view chunk,
                                 const std::function<Status(std::string_view)>& on_message) {
  partial_.append(chunk);
  size_t start = 0;  // of the message being scanned, or of the unscanned rest
  size_t i = scanned_;
  while (i < partial_.size()) {
    const char c = partial_[i];
    if (depth_ == 0) {
      // Between messages: whitespace, then an object.
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        ++i;
        start = i;
        continue;
      }
      if (c != '{') {
        partial_.clear();
        scanned_ = 0;
        return makeError(ErrorCode::kInvalidArgument,
                         fmt::format("stream: expected a JSON object, got '{}'",
                                     static_cast<unsigned char>(c) < 0x20 ? '?' : c));
      }
      start = i;
    }
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
    } else if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      --depth_;
      if (depth_ == 0) {
        Status status = on_message(std::string_view(partial_).substr(start, i + 1 - start));
        if (!status) {
          partial_.clear();
          scanned_ = 0;
          return status;
        }
        start = i + 1;
      }
    }
    ++i;
  }
  // Keep only the unfinished message.
  partial_.erase(0, start);
  scanned_ = partial_.size();
  if (partial_.size() > kMaxAnswerBytes) {
    const size_t kept = partial_.size();
    partial_.clear();
    scanned_ = 0;
    return makeError(ErrorCode::kInvalidArgument,
                     fmt::format("stream: a message exceeds the {} MiB cap ({} bytes so far)",
                                 kMaxAnswerBytes >> 20, kept));
  }
  return okStatus();
}

Result<WatchMessage> decodeWatchMessage(std::string_view message) {
  const Reader reader(fmt::format("{} stream message", kWatchPath));
  auto document = reader.parse(message);
  if (!document) return document.error();
  auto failure = document->find("error");
  if (failure != document->end() && !failure->is_null()) {
    std::string why = failure->dump();
    if (failure->is_object() && failure->contains("message") && (*failure)["message"].is_string()) {
      why = (*failure)["message"].get<std::string>();
    }
    return makeError(ErrorCode::kUnavailable,
                     fmt::format("etcd {}: the stream failed: {}", kWatchPath, why));
  }
  auto result = reader.requiredObject(*document, "result", "");
  if (!result) return result.error();
  const Json& response = **result;
  WatchMessage out;
  auto revision = reader.headerRevision(response, "result");
  if (!revision) return revision.error();
  out.revision = *revision;
  for (auto [name, field] :
       {std::pair{"created", &out.created}, std::pair{"canceled", &out.canceled}}) {
    auto flag = reader.boolField(response, name, "result");
    if (!flag) return flag.error();
    *field = *flag;
  }
  auto compact = reader.int64Field(response, "compact_revision", "result");
  if (!compact) return compact.error();
  out.compact_revision = *compact;
  auto reason = reader.stringField(response, "cancel_reason", "result");
  if (!reason) return reason.error();
  out.cancel_reason = std::move(*reason);

  auto events = reader.array(response, "events", "result");
  if (!events) return events.error();
  if (*events == nullptr) return out;
  for (size_t i = 0; i < (*events)->size(); ++i) {
    const std::string path = Reader::element("result.events", i);
    const Json& event = (**events)[i];
    if (!event.is_object()) {
      return reader.error(path, fmt::format("expected an object, got {}", event.type_name()));
    }
    WatchEvent decoded;
    auto type = reader.stringField(event, "type", path);
    if (!type) return type.error();
    if (type->empty() || *type == "PUT") {  // PUT is the enum's zero: omitted
      decoded.type = WatchEvent::Type::kPut;
    } else if (*type == "DELETE") {
      decoded.type = WatchEvent::Type::kDelete;
    } else {
      return reader.error(Reader::join(path, "type"),
                          fmt::format("unknown event type \"{}\"", *type));
    }
    auto kv = reader.requiredObject(event, "kv", path);
    if (!kv) return kv.error();
    auto decoded_kv = reader.keyValue(**kv, Reader::join(path, "kv"));
    if (!decoded_kv) return decoded_kv.error();
    decoded.kv = std::move(*decoded_kv);
    out.events.push_back(std::move(decoded));
  }
  return out;
}

}  // namespace kubevip::etcd

#include "ops/control_protocol.h"

#include <nlohmann/json.hpp>

namespace kubevip::ops {
namespace {

Error badRequest(std::string message) {
  return makeError(ErrorCode::kInvalidArgument, std::move(message));
}

}  // namespace

Result<ControlRequest> parseControlRequest(std::string_view line) {
  std::vector<std::string> words;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) end = line.size();
    if (end > pos) words.emplace_back(line.substr(pos, end - pos));
    pos = end + 1;
  }
  if (words.empty()) return badRequest("empty request; requests are status, reload, debug <words>");
  ControlRequest request;
  if (words[0] == "status" && words.size() == 1) {
    request.kind = ControlRequestKind::kStatus;
  } else if (words[0] == "reload" && words.size() == 1) {
    request.kind = ControlRequestKind::kReload;
  } else if (words[0] == "debug") {
    request.kind = ControlRequestKind::kDebug;
    request.words.assign(words.begin() + 1, words.end());
  } else {
    std::string shown(line.substr(0, 64));
    return badRequest("unknown request '" + shown +
                      "'; requests are status, reload, debug <words>");
  }
  return request;
}

std::optional<Result<std::string>> readControlRequestLine(std::string_view received,
                                                          size_t max_length) {
  size_t end = received.find('\n');
  if (end == std::string_view::npos) {
    if (received.size() > max_length) {
      return Result<std::string>(
          badRequest("request longer than " + std::to_string(max_length) + " bytes"));
    }
    return std::nullopt;
  }
  std::string_view line = received.substr(0, end);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > max_length) {
    return Result<std::string>(
        badRequest("request longer than " + std::to_string(max_length) + " bytes"));
  }
  for (char c : line) {
    if (c < ' ' || c > '~') {
      return Result<std::string>(badRequest("request is not one line of printable text"));
    }
  }
  return Result<std::string>(std::string(line));
}

std::string controlErrorDocument(std::string_view message) {
  nlohmann::json doc = {{"error", std::string(message)}};
  // Replace: a message quoting a peer's bytes must not make dump() throw on invalid UTF-8.
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::string> controlErrorIn(std::string_view document) {
  nlohmann::json doc = nlohmann::json::parse(document, nullptr, false);
  if (!doc.is_object()) return std::nullopt;
  auto it = doc.find("error");
  if (it == doc.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::string reloadOutcomeJson(const ReloadOutcome& outcome) {
  nlohmann::json doc = {{"ok", outcome.ok}, {"message", outcome.message}};
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<ReloadOutcome> parseReloadOutcome(std::string_view document) {
  nlohmann::json doc = nlohmann::json::parse(document, nullptr, false);
  if (!doc.is_object()) return badRequest("the reload answer is not a JSON object");
  auto ok = doc.find("ok");
  if (ok == doc.end() || !ok->is_boolean()) {
    return badRequest("the reload answer has no boolean field 'ok'");
  }
  auto message = doc.find("message");
  if (message == doc.end() || !message->is_string()) {
    return badRequest("the reload answer has no string field 'message'");
  }
  return ReloadOutcome{ok->get<bool>(), message->get<std::string>()};
}

bool peerMayControl(uid_t peer, uid_t daemon_uid) { return peer == 0 || peer == daemon_uid; }

}  // namespace kubevip::ops

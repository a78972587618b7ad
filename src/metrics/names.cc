#include "metrics/names.h"

#include <set>
#include <string>

namespace kubevip::metrics {
namespace {

bool isLetterOrUnderscore(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Status validateHelp(std::string_view family, std::string_view help) {
  if (isValidUtf8(help)) return okStatus();
  return makeError(ErrorCode::kInvalidArgument,
                   "metric " + std::string(family) + ": HELP text is not valid UTF-8");
}

Status validateMetricName(std::string_view name) {
  if (name.empty()) return makeError(ErrorCode::kInvalidArgument, "metric name is empty");
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool allowed = isLetterOrUnderscore(c) || c == ':' || (i > 0 && isDigit(c));
    if (!allowed) {
      return makeError(ErrorCode::kInvalidArgument,
                       "metric name \"" + std::string(name) + "\": character " +
                           std::to_string(i + 1) +
                           " is not allowed (names match [a-zA-Z_:][a-zA-Z0-9_:]*)");
    }
  }
  return okStatus();
}

Status validateLabelName(std::string_view name) {
  if (name.empty()) return makeError(ErrorCode::kInvalidArgument, "label name is empty");
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!(isLetterOrUnderscore(c) || (i > 0 && isDigit(c)))) {
      return makeError(ErrorCode::kInvalidArgument,
                       "label name \"" + std::string(name) + "\": character " +
                           std::to_string(i + 1) +
                           " is not allowed (names match [a-zA-Z_][a-zA-Z0-9_]*)");
    }
  }
  if (name.starts_with("__")) {
    return makeError(ErrorCode::kInvalidArgument,
                     "label name \"" + std::string(name) +
                         "\": names starting with \"__\" are reserved for Prometheus");
  }
  return okStatus();
}

Status validateLabels(std::string_view family, MetricType type, const Labels& labels) {
  std::set<std::string_view> seen;
  for (const auto& [name, value] : labels) {
    if (auto status = validateLabelName(name); !status) {
      return makeError(ErrorCode::kInvalidArgument,
                       "metric " + std::string(family) + ": " + status.error().message);
    }
    if (type == MetricType::kHistogram && name == "le") {
      return makeError(ErrorCode::kInvalidArgument,
                       "metric " + std::string(family) +
                           ": label name \"le\" is reserved for histogram buckets");
    }
    if (!isValidUtf8(value)) {
      return makeError(
          ErrorCode::kInvalidArgument,
          "metric " + std::string(family) + ": value of label \"" + name + "\" is not valid UTF-8");
    }
    if (!seen.insert(name).second) {
      return makeError(ErrorCode::kInvalidArgument,
                       "metric " + std::string(family) + ": label \"" + name + "\" given twice");
    }
  }
  return okStatus();
}

}  // namespace kubevip::metrics

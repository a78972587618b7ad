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

bool isValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte (RFC 3629 section 4)
    if (lead < 0x80) {
      length = 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;   // overlong
      if (lead == 0xED) high = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;   // overlong
      if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      const unsigned char min = k == 1 ? low : 0x80;
      const unsigned char max = k == 1 ? high : 0xBF;
      if (c < min || c > max) return false;
    }
    i += length;
  }
  return true;
}

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

#include "common/log_format.h"

#include <spdlog/details/log_msg.h>

#include <cstdio>
#include <ctime>

#include "common/utf8.h"

namespace kubevip {
namespace {

// The fields of the line being logged by this thread, set by ScopedLogEventFields.
thread_local const LogEventFields* current_fields = nullptr;

// A text-format value: bare when it is one plain word, else quoted and escaped as in JSON.
std::string textValue(std::string_view value) {
  bool plain = true;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || c == '"' || c == '=' || c == '\\' || u == 0x7F) plain = false;
  }
  if (plain) return std::string(value);
  return "\"" + jsonEscape(value) + "\"";
}

void appendField(LogFormat format, std::string& line, std::string_view name,
                 std::string_view value) {
  if (value.empty()) return;
  if (format == LogFormat::kJson) {
    line += ",\"" + std::string(name) + "\":\"" + jsonEscape(value) + "\"";
  } else {
    line += " " + std::string(name) + "=" + textValue(value);
  }
}

class LogLineFormatter : public spdlog::formatter {
 public:
  explicit LogLineFormatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    LogRecord record;
    record.time = msg.time;
    record.level = msg.level;
    record.message = std::string_view(msg.payload.data(), msg.payload.size());
    if (current_fields != nullptr) record.fields = *current_fields;
    std::string line = formatLogLine(format_, record);
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LogLineFormatter>(format_);
  }

 private:
  LogFormat format_;
};

}  // namespace

Result<LogFormat> parseLogFormat(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return makeError(ErrorCode::kInvalidArgument,
                   "log format '" + std::string(name) + "' is not one of text, json");
}

std::string formatUtcTimestamp(std::chrono::system_clock::time_point time) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  const auto since_epoch = time.time_since_epoch();
  auto whole_seconds = duration_cast<seconds>(since_epoch);
  auto millis = duration_cast<milliseconds>(since_epoch - whole_seconds).count();
  if (millis < 0) {  // before 1970: floor, so that the milliseconds stay in 0..999
    whole_seconds -= seconds(1);
    millis += 1000;
  }
  const std::time_t t = static_cast<std::time_t>(whole_seconds.count());
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return text;
}

std::string jsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t length = utf8SequenceLength(text, i);
      if (length == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER, for one invalid byte
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return out;
}

std::string formatLogLine(LogFormat format, const LogRecord& record) {
  const auto level_name = spdlog::level::to_string_view(record.level);
  const std::string_view level(level_name.data(), level_name.size());
  std::string line;
  if (format == LogFormat::kJson) {
    line = "{\"time\":\"" + formatUtcTimestamp(record.time) + "\",\"level\":\"" +
           std::string(level) + "\",\"msg\":\"" + jsonEscape(record.message) + "\"";
  } else {
    // Today's layout: the level padded to five columns, then the message as it was logged.
    std::string padded(level);
    if (padded.size() < 5) padded.resize(5, ' ');
    line = formatUtcTimestamp(record.time) + " " + padded + " " + std::string(record.message);
  }
  appendField(format, line, "component", record.fields.component);
  appendField(format, line, "event", record.fields.event);
  appendField(format, line, "vip", record.fields.vip);
  appendField(format, line, "reason", record.fields.reason);
  if (format == LogFormat::kJson) line += "}";
  return line;
}

std::unique_ptr<spdlog::formatter> makeLogFormatter(LogFormat format) {
  return std::make_unique<LogLineFormatter>(format);
}

ScopedLogEventFields::ScopedLogEventFields(const LogEventFields& fields) {
  current_fields = &fields;
}

ScopedLogEventFields::~ScopedLogEventFields() { current_fields = nullptr; }

}  // namespace kubevip

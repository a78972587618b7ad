// The layout of one log line, as pure functions over a LogRecord, and the spdlog formatter that
// uses them. Two formats:
//   text: "2026-12-06T07:03:27.580Z info  MESSAGE[ component=C event=E vip=V reason=R]"
//   json: {"time":"2026-12-06T07:03:27.580Z","level":"info","msg":"MESSAGE"[,"component":...,
//          "event":...,"vip":...,"reason":...]}
// Times are UTC with the zone written ("Z"), so lines from nodes in different zones merge.
#pragma once

#include <spdlog/formatter.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kubevip {

enum class LogFormat { kText, kJson };

// "text" or "json"; anything else is an error naming the value and the choices.
Result<LogFormat> parseLogFormat(std::string_view name);

// The optional structured fields of a line; an empty view is "not given" and is left out.
struct LogEventFields {
  std::string_view component{};  // the part of the daemon: "vip", "election", "lb", ...
  std::string_view event{};      // what happened, one word: "acquired", "released", ...
  std::string_view vip{};        // the address concerned
  std::string_view reason{};     // why it happened
};

struct LogRecord {
  std::chrono::system_clock::time_point time;
  spdlog::level::level_enum level = spdlog::level::info;
  std::string_view message;
  LogEventFields fields;
};

// "2026-12-06T07:03:27.580Z": UTC, milliseconds, zone written.
std::string formatUtcTimestamp(std::chrono::system_clock::time_point time);

// The inside of a JSON string (without the quotes): quote, backslash and control characters
// escaped (RFC 8259 section 7); valid UTF-8 passed through as it is; a byte that is not part of
// valid UTF-8 becomes U+FFFD, so that every line stays valid JSON whatever a message holds.
std::string jsonEscape(std::string_view text);

// One line, without its newline.
std::string formatLogLine(LogFormat format, const LogRecord& record);

// The formatter installed by initLogging. It formats in the thread that logs (the logger is
// synchronous), which is what lets logEvent hand its fields over through ScopedLogEventFields.
std::unique_ptr<spdlog::formatter> makeLogFormatter(LogFormat format);

// While alive, lines logged by this thread carry `fields`. Used by logEvent; not nestable.
class ScopedLogEventFields {
 public:
  explicit ScopedLogEventFields(const LogEventFields& fields);
  ~ScopedLogEventFields();
  ScopedLogEventFields(const ScopedLogEventFields&) = delete;
  ScopedLogEventFields& operator=(const ScopedLogEventFields&) = delete;
};

}  // namespace kubevip

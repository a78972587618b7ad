// Logging: spdlog to stderr, one process-wide logger configured once at start, in the text or
// the JSON line format of common/log_format.h. Plain lines go through spdlog as before
// (spdlog::info(...)); a line that records an event with its fields goes through logEvent.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "common/log_format.h"
#include "common/result.h"

namespace kubevip {

// Levels: trace, debug, info, warn, error, critical, off. Formats: text (default), json.
// Checks both before changing anything, so a bad value leaves the logger as it was.
Status initLogging(std::string_view level, std::string_view format = "text");

// Logs `message` at `level` with the structured fields, e.g.
//   logEvent(spdlog::level::info, {.component = "vip", .event = "acquired", .vip = "10.0.0.5",
//            .reason = "elected leader"}, "node1 is the leader");
void logEvent(spdlog::level::level_enum level, const LogEventFields& fields,
              std::string_view message);

}  // namespace kubevip

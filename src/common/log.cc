#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <string>

namespace kubevip {

Status initLogging(std::string_view level, std::string_view format) {
  auto parsed = spdlog::level::from_str(std::string(level));
  // from_str maps anything unknown to "off"; only accept "off" when it was asked for.
  if (parsed == spdlog::level::off && level != "off") {
    return makeError(ErrorCode::kInvalidArgument,
                     "log level '" + std::string(level) +
                         "' is not one of trace, debug, info, warn, error, critical, off");
  }
  auto line_format = parseLogFormat(format);
  if (!line_format.ok()) return line_format.error();
  // Synchronous on purpose: the formatter runs in the logging thread, where logEvent's fields are.
  static auto logger = spdlog::stderr_logger_mt("kube-vip");
  spdlog::set_default_logger(logger);
  spdlog::set_formatter(makeLogFormatter(*line_format));
  spdlog::set_level(parsed);
  spdlog::flush_on(spdlog::level::trace);
  return {};
}

void logEvent(spdlog::level::level_enum level, const LogEventFields& fields,
              std::string_view message) {
  ScopedLogEventFields scoped(fields);
  spdlog::default_logger_raw()->log(level, spdlog::string_view_t(message.data(), message.size()));
}

}  // namespace kubevip

#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <string>

namespace kubevip {

Status initLogging(std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  // from_str maps anything unknown to "off"; only accept "off" when it was asked for.
  if (parsed == spdlog::level::off && level != "off") {
    return makeError(ErrorCode::kInvalidArgument,
                     "log level '" + std::string(level) +
                         "' is not one of trace, debug, info, warn, error, critical, off");
  }
  static auto logger = spdlog::stderr_logger_mt("kube-vip");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  spdlog::set_level(parsed);
  spdlog::flush_on(spdlog::level::trace);
  return {};
}

}  // namespace kubevip

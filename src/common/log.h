// Logging: spdlog to stderr, one process-wide logger configured once at start.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "common/result.h"

namespace kubevip {

// Levels: trace, debug, info, warn, error, critical, off.
Status initLogging(std::string_view level);

}  // namespace kubevip

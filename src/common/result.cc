#include "common/result.h"

#include <system_error>

namespace kubevip {

const char* errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kSystem:
      return "system error";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kPermission:
      return "permission denied";
    case ErrorCode::kInternal:
      return "internal error";
  }
  return "unknown error";
}

std::string Error::describe() const {
  if (sys_errno == 0) return message;
  return message + ": " + std::generic_category().message(sys_errno);
}

Error makeError(ErrorCode code, std::string message) { return Error{code, 0, std::move(message)}; }

Error systemError(std::string what, int err) {
  return Error{ErrorCode::kSystem, err, std::move(what)};
}

}  // namespace kubevip

// Errors as values.
//
// Every fallible operation across a module boundary returns Result<T>: either a value or an Error
// carrying a category, the errno that caused it (0 if none) and a message written for an operator.
// The shape follows std::expected (not available in g++ 12 in C++20), so that moving to it later is
// a rename.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace kubevip {

enum class ErrorCode {
  kInvalidArgument,  // bad input: configuration, flags, a malformed packet or response
  kNotFound,         // a file, an interface, an address, a key that does not exist
  kSystem,           // a system call failed; sys_errno says why
  kTimeout,          // an operation did not finish in time
  kUnavailable,      // a peer or server could not be reached
  kConflict,         // someone else holds what we wanted (an address, a lease)
  kPermission,       // refused by the kernel or a server's access rules
  kInternal,         // a broken promise between our own modules
};

const char* errorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  int sys_errno = 0;
  std::string message;

  // "message" plus ": strerror(errno)" when an errno is attached.
  std::string describe() const;
};

Error makeError(ErrorCode code, std::string message);
// An Error for a failed system call, taking the current errno (or the one given).
Error systemError(std::string what, int err);

// A value or an error. E is Error everywhere but in decoders whose errors carry more than a
// message (bgp::DecodeError carries the NOTIFICATION to send).
template <typename T, typename E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(E error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<T>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const {
    assert(!ok());
    return std::get<E>(state_);
  }

 private:
  std::variant<T, E> state_;
};

template <>
class [[nodiscard]] Result<void, Error> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(failed_);
    return error_;
  }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

inline Status okStatus() { return {}; }

}  // namespace kubevip

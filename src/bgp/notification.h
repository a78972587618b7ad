// NOTIFICATION codes (RFC 4271 §4.5 and the RFCs that extend it) and the error a decoder returns:
// the NOTIFICATION a speaker sends when it meets the malformation, plus what to do about it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace kubevip::bgp {

// Error codes, RFC 4271 §4.5; 7 is RFC 7313 §5.
enum class NotificationCode : uint8_t {
  kMessageHeader = 1,
  kOpenMessage = 2,
  kUpdateMessage = 3,
  kHoldTimerExpired = 4,
  kFsm = 5,
  kCease = 6,
  kRouteRefresh = 7,
};

// Subcodes of kMessageHeader, RFC 4271 §6.1.
namespace header_error {
inline constexpr uint8_t kConnectionNotSynchronized = 1;
inline constexpr uint8_t kBadMessageLength = 2;
inline constexpr uint8_t kBadMessageType = 3;
}  // namespace header_error

// Subcodes of kOpenMessage, RFC 4271 §6.2; 7 is RFC 5492 §5.
namespace open_error {
inline constexpr uint8_t kUnspecific = 0;
inline constexpr uint8_t kUnsupportedVersion = 1;
inline constexpr uint8_t kBadPeerAs = 2;
inline constexpr uint8_t kBadBgpIdentifier = 3;
inline constexpr uint8_t kUnsupportedOptionalParameter = 4;
inline constexpr uint8_t kUnacceptableHoldTime = 6;
inline constexpr uint8_t kUnsupportedCapability = 7;
}  // namespace open_error

// Subcodes of kUpdateMessage, RFC 4271 §6.3.
namespace update_error {
inline constexpr uint8_t kMalformedAttributeList = 1;
inline constexpr uint8_t kUnrecognizedWellKnownAttribute = 2;
inline constexpr uint8_t kMissingWellKnownAttribute = 3;
inline constexpr uint8_t kAttributeFlagsError = 4;
inline constexpr uint8_t kAttributeLengthError = 5;
inline constexpr uint8_t kInvalidOriginAttribute = 6;
inline constexpr uint8_t kInvalidNextHopAttribute = 8;
inline constexpr uint8_t kOptionalAttributeError = 9;
inline constexpr uint8_t kInvalidNetworkField = 10;
inline constexpr uint8_t kMalformedAsPath = 11;
}  // namespace update_error

// Subcodes of kCease, RFC 4486 §4.
namespace cease {
inline constexpr uint8_t kMaximumPrefixesReached = 1;
inline constexpr uint8_t kAdministrativeShutdown = 2;
inline constexpr uint8_t kPeerDeconfigured = 3;
inline constexpr uint8_t kAdministrativeReset = 4;
inline constexpr uint8_t kConnectionRejected = 5;
inline constexpr uint8_t kOtherConfigurationChange = 6;
inline constexpr uint8_t kConnectionCollisionResolution = 7;
inline constexpr uint8_t kOutOfResources = 8;
}  // namespace cease

// Subcodes of kRouteRefresh, RFC 7313 §5.
namespace route_refresh_error {
inline constexpr uint8_t kInvalidMessageLength = 1;
}  // namespace route_refresh_error

struct Notification {
  NotificationCode code = NotificationCode::kCease;
  uint8_t subcode = 0;
  std::vector<uint8_t> data;
  friend bool operator==(const Notification&, const Notification&) = default;
};

// What the receiver does about a malformed message. RFC 4271 §6 closes the session for every
// error; RFC 7606 §2 lets a speaker keep it and treat an UPDATE whose attributes are malformed as
// a withdrawal of its routes, as long as the message itself could still be parsed.
enum class ErrorAction {
  kSessionReset,     // send the NOTIFICATION and close the connection
  kTreatAsWithdraw,  // RFC 7606 §2: keep the session, drop the routes the UPDATE carried
};

struct DecodeError {
  Notification notification;
  ErrorAction action = ErrorAction::kSessionReset;
  std::string reason;  // for the log: what was wrong and where
};

// Either a decoded value or the DecodeError that says which NOTIFICATION to send.
template <typename T>
using Decoded = Result<T, DecodeError>;

inline DecodeError decodeError(NotificationCode code, uint8_t subcode, std::string reason,
                               std::vector<uint8_t> data = {},
                               ErrorAction action = ErrorAction::kSessionReset) {
  return DecodeError{Notification{code, subcode, std::move(data)}, action, std::move(reason)};
}

}  // namespace kubevip::bgp

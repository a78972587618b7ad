// BGP-4 messages on the wire (RFC 4271 §4): the header, a framer that finds whole messages in a
// TCP byte stream, and pure encoders and decoders of OPEN, KEEPALIVE, NOTIFICATION and
// ROUTE-REFRESH. UPDATE lives in update.h.
//
// Data flow: bytes from the socket go to findMessage(); each whole message it returns goes to the
// decoder of its type; a DecodeError carries the NOTIFICATION to send back. Nothing here touches a
// socket, a clock or the heap beyond the message being built: every length read from the wire is
// checked against the bytes actually present before it is used, and no message is longer than
// kMaxMessageLength.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bgp/capabilities.h"
#include "bgp/notification.h"

namespace kubevip::bgp {

inline constexpr std::size_t kMarkerLength = 16;
inline constexpr std::size_t kHeaderLength = 19;        // marker, length, type (RFC 4271 §4.1)
inline constexpr std::size_t kMaxMessageLength = 4096;  // RFC 4271 §4.1
inline constexpr uint8_t kBgpVersion = 4;
inline constexpr uint16_t kAsTrans = 23456;  // RFC 6793 §9

enum class MessageType : uint8_t {
  kOpen = 1,
  kUpdate = 2,
  kNotification = 3,
  kKeepalive = 4,
  kRouteRefresh = 5,  // RFC 2918 §3
};

// One whole message found in a byte stream: its type, the bytes after the header, and how many
// bytes of the stream it used (header included).
struct Frame {
  MessageType type = MessageType::kKeepalive;
  std::span<const uint8_t> body;
  std::size_t length = 0;
};

// Looks for a whole message at the start of `stream`. Returns nullopt when more bytes are needed,
// a Frame when one is complete, and a Message Header Error (RFC 4271 §6.1) when the header is
// wrong: the marker is not all ones, the length is out of 19..4096 or too short for the type, or
// the type is unknown. The header is checked as soon as its 19 bytes have arrived, so a bad
// length is rejected without waiting for the bytes it announces.
Decoded<std::optional<Frame>> findMessage(std::span<const uint8_t> stream);

struct OpenMessage {
  uint8_t version = kBgpVersion;
  uint16_t my_as = 0;  // AS_TRANS when the real AS needs four octets (RFC 6793 §4.2.1)
  uint16_t hold_time_seconds = 0;
  uint32_t bgp_identifier = 0;
  Capabilities capabilities;
  friend bool operator==(const OpenMessage&, const OpenMessage&) = default;

  // The OPEN a speaker with this AS sends: My AS is the AS itself when it fits in two octets and
  // AS_TRANS otherwise; the four-octet AS capability always carries the real AS (RFC 6793 §3).
  static OpenMessage forLocalAs(uint32_t local_as, uint16_t hold_time_seconds,
                                uint32_t bgp_identifier, Capabilities capabilities);
  // The peer's real AS: the four-octet AS capability when present, else My AS.
  uint32_t speakerAs() const;
};

struct RouteRefreshMessage {
  AfiSafi family;
  uint8_t subtype = 0;  // the "Reserved" octet of RFC 2918, a subtype in RFC 7313 §3
  friend bool operator==(const RouteRefreshMessage&, const RouteRefreshMessage&) = default;
};

// Encoders return the whole message, header included. encodeOpen puts every capability in one
// optional parameter, so they must fit in its 253 octets (ours take about 40).
std::vector<uint8_t> encodeOpen(const OpenMessage& open);
std::vector<uint8_t> encodeKeepalive();
std::vector<uint8_t> encodeNotification(const Notification& notification);
std::vector<uint8_t> encodeRouteRefresh(const RouteRefreshMessage& refresh);

// Decoders take the body of a Frame of the matching type.
// OPEN (RFC 4271 §6.2): version other than 4 -> 2/1 with data 4; My AS 0 -> 2/2 (RFC 7607);
// BGP Identifier 0 -> 2/3 (RFC 6286 §2.1); an optional parameter other than Capabilities -> 2/4;
// a length that does not add up or a malformed capability -> 2/0. The hold time and the peer's AS
// are checked when negotiating (negotiation.h), where our own settings are known.
Decoded<OpenMessage> decodeOpen(std::span<const uint8_t> body);
Decoded<Notification> decodeNotification(std::span<const uint8_t> body);
// RFC 7313 §5: a ROUTE-REFRESH whose length is not 23 -> 7/1 carrying the whole message.
Decoded<RouteRefreshMessage> decodeRouteRefresh(std::span<const uint8_t> body);

// Builds a header for a body of the given size; the body must fit in kMaxMessageLength.
void appendHeader(MessageType type, std::size_t body_length, std::vector<uint8_t>& out);

}  // namespace kubevip::bgp

#include "bgp/message.h"

#include <algorithm>
#include <cassert>
#include <string>

#include "bgp/wire.h"

namespace kubevip::bgp {
namespace {

// The shortest message of each type (RFC 4271 §4.2-4.5, RFC 2918 §3).
constexpr std::size_t kMinOpenLength = 29;
constexpr std::size_t kMinUpdateLength = 23;
constexpr std::size_t kMinNotificationLength = 21;
constexpr std::size_t kRouteRefreshLength = 23;

constexpr uint8_t kOptionalParameterCapabilities = 2;  // RFC 5492 §4

std::vector<uint8_t> u16Bytes(uint16_t v) {
  return {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

// RFC 4271 §6.1: the Data of a Bad Message Length error is the erroneous Length field.
DecodeError badLength(uint16_t length, const std::string& why) {
  return decodeError(NotificationCode::kMessageHeader, header_error::kBadMessageLength,
                     "message length " + std::to_string(length) + " " + why, u16Bytes(length));
}

DecodeError openError(uint8_t subcode, const std::string& why, std::vector<uint8_t> data = {}) {
  return decodeError(NotificationCode::kOpenMessage, subcode, "OPEN: " + why, std::move(data));
}

std::vector<uint8_t> finish(MessageType type, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> out;
  out.reserve(kHeaderLength + body.size());
  appendHeader(type, body.size(), out);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace

void appendHeader(MessageType type, std::size_t body_length, std::vector<uint8_t>& out) {
  assert(kHeaderLength + body_length <= kMaxMessageLength);
  ByteWriter w(out);
  for (std::size_t i = 0; i < kMarkerLength; ++i) w.u8(0xff);
  w.u16(static_cast<uint16_t>(kHeaderLength + body_length));
  w.u8(static_cast<uint8_t>(type));
}

Decoded<std::optional<Frame>> findMessage(std::span<const uint8_t> stream) {
  if (stream.size() < kHeaderLength) return std::optional<Frame>{};
  ByteReader r(stream);
  auto marker = r.take(kMarkerLength);
  if (!std::all_of(marker.begin(), marker.end(), [](uint8_t b) { return b == 0xff; })) {
    return decodeError(NotificationCode::kMessageHeader, header_error::kConnectionNotSynchronized,
                       "message marker is not all ones");
  }
  uint16_t length = r.u16();
  uint8_t type = r.u8();
  if (length < kHeaderLength || length > kMaxMessageLength) {
    return badLength(length, "is outside 19..4096");
  }
  std::size_t min_length = 0;
  bool exact = false;
  switch (static_cast<MessageType>(type)) {
    case MessageType::kOpen:
      min_length = kMinOpenLength;
      break;
    case MessageType::kUpdate:
      min_length = kMinUpdateLength;
      break;
    case MessageType::kNotification:
      min_length = kMinNotificationLength;
      break;
    case MessageType::kKeepalive:
      min_length = kHeaderLength;
      exact = true;
      break;
    case MessageType::kRouteRefresh:
      // RFC 7313 §5 answers a wrong ROUTE-REFRESH length with its own error, in the decoder.
      min_length = kHeaderLength;
      break;
    default:
      return decodeError(NotificationCode::kMessageHeader, header_error::kBadMessageType,
                         "message type " + std::to_string(type) + " is unknown", {type});
  }
  if (length < min_length || (exact && length != min_length)) {
    return badLength(length, "is wrong for message type " + std::to_string(type));
  }
  if (stream.size() < length) return std::optional<Frame>{};
  return std::optional<Frame>{Frame{static_cast<MessageType>(type),
                                    stream.subspan(kHeaderLength, length - kHeaderLength), length}};
}

OpenMessage OpenMessage::forLocalAs(uint32_t local_as, uint16_t hold_time_seconds,
                                    uint32_t bgp_identifier, Capabilities capabilities) {
  OpenMessage open;
  open.my_as = local_as > 0xffff ? kAsTrans : static_cast<uint16_t>(local_as);
  open.hold_time_seconds = hold_time_seconds;
  open.bgp_identifier = bgp_identifier;
  open.capabilities = std::move(capabilities);
  open.capabilities.four_octet_as = local_as;
  return open;
}

uint32_t OpenMessage::speakerAs() const { return capabilities.four_octet_as.value_or(my_as); }

std::vector<uint8_t> encodeOpen(const OpenMessage& open) {
  std::vector<uint8_t> caps;
  encodeCapabilities(open.capabilities, caps);
  // One Capabilities parameter holds every capability (RFC 5492 §4); its length is one octet.
  assert(caps.size() <= 255 - 2);
  std::vector<uint8_t> body;
  ByteWriter w(body);
  w.u8(open.version);
  w.u16(open.my_as);
  w.u16(open.hold_time_seconds);
  w.u32(open.bgp_identifier);
  if (caps.empty()) {
    w.u8(0);
  } else {
    w.u8(static_cast<uint8_t>(caps.size() + 2));
    w.u8(kOptionalParameterCapabilities);
    w.u8(static_cast<uint8_t>(caps.size()));
    w.bytes(caps);
  }
  return finish(MessageType::kOpen, body);
}

Decoded<OpenMessage> decodeOpen(std::span<const uint8_t> body) {
  ByteReader r(body);
  if (!r.has(10)) return openError(open_error::kUnspecific, "shorter than its fixed fields");
  OpenMessage open;
  open.version = r.u8();
  open.my_as = r.u16();
  open.hold_time_seconds = r.u16();
  open.bgp_identifier = r.u32();
  uint8_t params_length = r.u8();
  if (open.version != kBgpVersion) {
    // RFC 4271 §6.2: the Data is the largest locally supported version, as two octets.
    return openError(open_error::kUnsupportedVersion,
                     "version " + std::to_string(open.version) + " is not 4", u16Bytes(4));
  }
  if (open.my_as == 0) return openError(open_error::kBadPeerAs, "My AS is 0 (RFC 7607)");
  if (open.bgp_identifier == 0) {
    return openError(open_error::kBadBgpIdentifier, "BGP Identifier is 0");
  }
  if (params_length != r.remaining()) {
    return openError(open_error::kUnspecific, "optional parameters length " +
                                                  std::to_string(params_length) + " but " +
                                                  std::to_string(r.remaining()) + " bytes follow");
  }
  while (!r.empty()) {
    if (!r.has(2)) return openError(open_error::kUnspecific, "optional parameter cut short");
    uint8_t type = r.u8();
    uint8_t length = r.u8();
    if (!r.has(length)) {
      return openError(open_error::kUnspecific, "optional parameter " + std::to_string(type) +
                                                    " length " + std::to_string(length) +
                                                    " runs past the message");
    }
    auto value = r.take(length);
    if (type != kOptionalParameterCapabilities) {
      // Includes 255, the extended parameters length of RFC 9072, which we do not speak.
      return openError(open_error::kUnsupportedOptionalParameter,
                       "optional parameter type " + std::to_string(type) + " is not supported");
    }
    auto caps = decodeCapabilities(value, open.capabilities);
    if (!caps) return caps.error();
  }
  return open;
}

std::vector<uint8_t> encodeKeepalive() { return finish(MessageType::kKeepalive, {}); }

std::vector<uint8_t> encodeNotification(const Notification& n) {
  std::vector<uint8_t> body;
  ByteWriter w(body);
  w.u8(static_cast<uint8_t>(n.code));
  w.u8(n.subcode);
  // The data is ours to choose and never approaches the limit; cut it rather than overflow.
  std::size_t room = kMaxMessageLength - kMinNotificationLength;
  w.bytes(std::span(n.data).first(std::min(room, n.data.size())));
  return finish(MessageType::kNotification, body);
}

Decoded<Notification> decodeNotification(std::span<const uint8_t> body) {
  ByteReader r(body);
  if (!r.has(2)) {
    return badLength(static_cast<uint16_t>(kHeaderLength + body.size()),
                     "is too short for a NOTIFICATION");
  }
  Notification n;
  n.code = static_cast<NotificationCode>(r.u8());
  n.subcode = r.u8();
  auto data = r.rest();
  n.data.assign(data.begin(), data.end());
  return n;
}

std::vector<uint8_t> encodeRouteRefresh(const RouteRefreshMessage& refresh) {
  std::vector<uint8_t> body;
  ByteWriter w(body);
  w.u16(refresh.family.afi);
  w.u8(refresh.subtype);
  w.u8(refresh.family.safi);
  return finish(MessageType::kRouteRefresh, body);
}

Decoded<RouteRefreshMessage> decodeRouteRefresh(std::span<const uint8_t> body) {
  if (kHeaderLength + body.size() != kRouteRefreshLength) {
    // RFC 7313 §5: the Data is the complete ROUTE-REFRESH message. A body from a Frame always
    // fits; one handed over directly is cut so that the Data stays one message.
    auto kept = body.first(std::min(body.size(), kMaxMessageLength - kHeaderLength));
    std::vector<uint8_t> whole;
    appendHeader(MessageType::kRouteRefresh, kept.size(), whole);
    whole.insert(whole.end(), kept.begin(), kept.end());
    // The reason is built first: the order in which arguments are evaluated is unspecified, so
    // whole.size() next to std::move(whole) may read the moved-from vector.
    std::string reason = "ROUTE-REFRESH length " + std::to_string(whole.size()) + " is not 23";
    return decodeError(NotificationCode::kRouteRefresh, route_refresh_error::kInvalidMessageLength,
                       std::move(reason), std::move(whole));
  }
  ByteReader r(body);
  RouteRefreshMessage refresh;
  refresh.family.afi = r.u16();
  refresh.subtype = r.u8();
  refresh.family.safi = r.u8();
  return refresh;
}

}  // namespace kubevip::bgp

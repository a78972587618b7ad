#include "bgp/message_decoder.h"

namespace kubevip::bgp {
namespace {

template <typename T>
Decoded<Message> widen(Decoded<T> decoded) {
  if (!decoded) return decoded.error();
  return Message{std::move(decoded).value()};
}

}  // namespace

Decoded<Message> decodeFrame(const Frame& frame, bool four_octet_as) {
  switch (frame.type) {
    case MessageType::kOpen:
      return widen(decodeOpen(frame.body));
    case MessageType::kUpdate:
      return widen(decodeUpdate(frame.body, four_octet_as));
    case MessageType::kNotification:
      return widen(decodeNotification(frame.body));
    case MessageType::kKeepalive:
      return Message{KeepaliveMessage{}};
    case MessageType::kRouteRefresh:
      return widen(decodeRouteRefresh(frame.body));
  }
  // findMessage() only makes Frames of the types above.
  return decodeError(NotificationCode::kMessageHeader, header_error::kBadMessageType,
                     "message type is unknown", {static_cast<uint8_t>(frame.type)});
}

}  // namespace kubevip::bgp

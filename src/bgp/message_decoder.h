// One entry point from a Frame to a typed message, for the session and for fuzzing.
#pragma once

#include <variant>

#include "bgp/message.h"
#include "bgp/notification.h"
#include "bgp/update.h"

namespace kubevip::bgp {

struct KeepaliveMessage {
  friend bool operator==(const KeepaliveMessage&, const KeepaliveMessage&) = default;
};

using Message =
    std::variant<OpenMessage, UpdateMessage, Notification, KeepaliveMessage, RouteRefreshMessage>;

// `four_octet_as` is the session's (false before the OPENs are exchanged).
Decoded<Message> decodeFrame(const Frame& frame, bool four_octet_as);

}  // namespace kubevip::bgp

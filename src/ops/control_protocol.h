// What goes over the control socket (control_socket.h), as pure functions.
//
// The client writes one request line and the server writes one JSON document and closes:
//   "status"          -> the status document (status.h)
//   "reload"          -> {"ok": bool, "message": string}: the configuration file re-read, as SIGHUP
//   "debug <words>"   -> a document of the daemon's choosing
// A request the server refuses before the daemon sees it (too long, not one line of text, a peer
// that may not control the daemon) is answered {"error": string}; so is an unknown request.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kubevip::ops {

inline constexpr size_t kMaxControlRequest = 1024;

enum class ControlRequestKind { kStatus, kReload, kDebug };

struct ControlRequest {
  ControlRequestKind kind = ControlRequestKind::kStatus;
  std::vector<std::string> words;  // after "debug"
};

// "status", "reload" or "debug <words>", words separated by spaces.
Result<ControlRequest> parseControlRequest(std::string_view line);

// The request line from the bytes received so far: nullopt until its '\n' arrives; an error when
// it is longer than max_length or holds a byte that is not printable ASCII.
std::optional<Result<std::string>> readControlRequestLine(std::string_view received,
                                                          size_t max_length = kMaxControlRequest);

// {"error": message}
std::string controlErrorDocument(std::string_view message);
// The message of an {"error": ...} document; nullopt for any other document.
std::optional<std::string> controlErrorIn(std::string_view document);

// The answer to "reload".
struct ReloadOutcome {
  bool ok = false;
  std::string message;
};
std::string reloadOutcomeJson(const ReloadOutcome& outcome);
Result<ReloadOutcome> parseReloadOutcome(std::string_view document);

// Who may use the socket: root and the daemon's own user. The socket file's mode (0600) already
// keeps others out; this is the second lock, checked on the peer's credentials (SO_PEERCRED).
bool peerMayControl(uid_t peer, uid_t daemon_uid);

}  // namespace kubevip::ops

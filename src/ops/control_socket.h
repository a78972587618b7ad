// The local control socket behind `kube-vip status` and `kube-vip reload`.
//
// A Unix stream socket served by its own thread (linux/one_shot_server.h): a client writes one
// request line, the handler's JSON document is written back, the connection closes (the protocol
// is control_protocol.h). Requests are at most 1 KiB and get 5 s; at most 16 clients at once.
//
// Who may talk to it: the socket file is created with mode 0600 and owned by the daemon's user,
// and each peer's credentials (SO_PEERCRED) must be root or that user. Why the file is never wider
// than 0600, not even for an instant: Linux creates a socket file with the mode of the socket's
// own inode less the umask (unix_bind in net/unix/af_unix.c), and the socket's inode is set to
// 0600 with fchmod() before bind(); the process-wide umask is not touched, since other threads may
// be creating files. The mode is checked after bind and the file refused if it is not 0600.
//
// The file: its parent directory is created (0755) when missing; a socket file left by a crashed
// run (nobody accepts on it) is replaced; a live one (another daemon answers) or a path that is
// not a socket is refused. Destroying the server stops the thread and removes the file, unless
// another process has replaced it meanwhile.
//
// Threading: the handler runs on the server thread, one request at a time; the daemon hops to its
// loop inside it and must bound that wait, since destroying the server waits for a running
// handler to return.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "common/time_source.h"
#include "ops/control_protocol.h"

namespace kubevip::ops {

inline constexpr const char* kDefaultControlSocketPath = "/run/kube-vip/kube-vip.sock";

struct ControlSocketLimits {
  size_t max_request = kMaxControlRequest;
  Duration timeout = seconds(5);
  size_t max_connections = 16;
};

namespace linux_io {
class OneShotServer;
}

class ControlSocketServer {
 public:
  // Gets the request line (without its newline), returns the JSON document to send.
  using Handler = std::function<std::string(const std::string& request)>;

  static Result<std::unique_ptr<ControlSocketServer>> create(const std::string& path,
                                                             Handler handler,
                                                             ControlSocketLimits limits = {});
  ~ControlSocketServer();
  ControlSocketServer(const ControlSocketServer&) = delete;
  ControlSocketServer& operator=(const ControlSocketServer&) = delete;

  const std::string& path() const { return path_; }

 private:
  ControlSocketServer(std::string path, ino_t inode);
  std::string path_;
  ino_t inode_;
  std::unique_ptr<linux_io::OneShotServer> server_;
};

// Sends one request line and returns the daemon's document. Errors name the path and the likely
// cause ("cannot connect to /run/kube-vip/kube-vip.sock: no such file (is kube-vip running?)").
Result<std::string> requestControl(const std::string& path, const std::string& request,
                                   Duration timeout);

}  // namespace kubevip::ops

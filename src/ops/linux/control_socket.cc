// The Unix socket of ControlSocketServer and its client; the serving loop is
// linux/one_shot_server.cc. The argument for the file's mode is in control_socket.h.
#include "ops/control_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>

#include "common/unique_fd.h"
#include "ops/linux/one_shot_server.h"

namespace kubevip::ops {
namespace {

using Clock = std::chrono::steady_clock;

// A client never needs more than this; a larger answer is not from our daemon.
constexpr size_t kMaxControlAnswer = size_t{16} * 1024 * 1024;

Result<sockaddr_un> unixAddress(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty())
    return makeError(ErrorCode::kInvalidArgument, "the control socket path is empty");
  if (path.size() >= sizeof address.sun_path) {
    return makeError(ErrorCode::kInvalidArgument,
                     "control socket path \"" + path + "\" is longer than " +
                         std::to_string(sizeof address.sun_path - 1) + " bytes");
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  return address;
}

// mkdir -p with mode 0755 for each directory created (chmod, since mkdir applies the umask).
Status makeParentDirectories(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return okStatus();
  std::string parent = path.substr(0, slash);
  for (size_t pos = parent.find('/', 1);; pos = parent.find('/', pos + 1)) {
    std::string prefix = parent.substr(0, pos);
    struct stat st {};
    if (::stat(prefix.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        return makeError(ErrorCode::kInvalidArgument,
                         std::string("control socket path \"")
                             .append(path)
                             .append("\": ")
                             .append(prefix)
                             .append(" exists and is not a directory"));
      }
    } else if (errno != ENOENT) {
      return systemError(std::string("control socket path \"")
                             .append(path)
                             .append("\": cannot read ")
                             .append(prefix),
                         errno);
    } else if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return systemError("cannot create the directory " + prefix + " for the control socket",
                         errno);
    } else {
      ::chmod(prefix.c_str(), 0755);
    }
    if (pos == std::string::npos) break;
  }
  return okStatus();
}

// Clears the way for bind(): nothing there, or a dead socket file that is then removed.
Status removeStaleSocket(const std::string& path, const sockaddr_un& address) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return okStatus();
    return systemError("cannot read the control socket path " + path, errno);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return makeError(
        ErrorCode::kInvalidArgument,
        "control socket path " + path + " exists and is not a socket; refusing to replace it");
  }
  // Non-blocking: a live daemon with a full backlog answers EAGAIN instead of holding us here.
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!probe.valid()) return systemError("cannot open a Unix socket", errno);
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 ||
      errno == EAGAIN) {
    return makeError(ErrorCode::kConflict, "control socket " + path +
                                               " is in use by a running kube-vip; give this "
                                               "instance another path");
  }
  if (errno != ECONNREFUSED) {
    return systemError("cannot tell whether the control socket " + path + " is in use", errno);
  }
  // Nobody accepts on it: left behind by a run that did not stop cleanly.
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return systemError("cannot remove the stale control socket " + path, errno);
  }
  return okStatus();
}

std::optional<std::string> admitPeer(int fd) {
  ucred credentials{};
  socklen_t length = sizeof credentials;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
    return controlErrorDocument("cannot read the credentials of this connection");
  }
  if (!peerMayControl(credentials.uid, ::geteuid())) {
    return controlErrorDocument(
        "permission denied: only root and the daemon's user may use this "
        "socket");
  }
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<ControlSocketServer>> ControlSocketServer::create(
    const std::string& path, Handler handler, ControlSocketLimits limits) {
  auto address = unixAddress(path);
  if (!address) return address.error();
  if (auto made = makeParentDirectories(path); !made) return made.error();
  if (auto cleared = removeStaleSocket(path, *address); !cleared) return cleared.error();

  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return systemError("cannot open a Unix socket", errno);
  // The file is born with this mode less the umask: never wider than 0600 (control_socket.h).
  if (::fchmod(fd.get(), 0600) != 0) {
    return systemError("cannot set the mode of the control socket", errno);
  }
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof *address) != 0) {
    return systemError("cannot create the control socket " + path, errno);
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || (st.st_mode & 07777) != 0600 || st.st_uid != ::geteuid()) {
    ::unlink(path.c_str());
    return makeError(ErrorCode::kPermission,
                     "control socket " + path + " was not created with mode 0600 and our owner");
  }
  if (::listen(fd.get(), 16) != 0) {
    int err = errno;
    ::unlink(path.c_str());
    return systemError("cannot listen on the control socket " + path, err);
  }

  linux_io::OneShotProtocol protocol;
  protocol.max_request_bytes = limits.max_request;
  protocol.timeout = limits.timeout;
  protocol.max_connections = limits.max_connections;
  protocol.timeout_response = controlErrorDocument("no request line in time");
  protocol.admit = admitPeer;
  protocol.answer = [handler = std::move(handler), max = limits.max_request](
                        std::string_view received) -> std::optional<std::string> {
    auto line = readControlRequestLine(received, max);
    if (!line) return std::nullopt;
    if (!line->ok()) return controlErrorDocument(line->error().message);
    try {
      return handler(line->value());
    } catch (const std::exception& e) {
      // The handler is the daemon's; one that throws is a bug, but the socket must keep serving.
      return controlErrorDocument(std::string("internal error: ") + e.what());
    }
  };
  std::vector<UniqueFd> listeners;
  listeners.push_back(std::move(fd));
  std::unique_ptr<ControlSocketServer> server(new ControlSocketServer(path, st.st_ino));
  auto started = linux_io::OneShotServer::start(std::move(listeners), std::move(protocol));
  if (!started) {
    ::unlink(path.c_str());
    return started.error();
  }
  server->server_ = std::move(*started);
  return server;
}

ControlSocketServer::ControlSocketServer(std::string path, ino_t inode)
    : path_(std::move(path)), inode_(inode) {}

ControlSocketServer::~ControlSocketServer() {
  server_.reset();
  // Only our own file: another instance may have replaced a socket it judged stale.
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == inode_) {
    ::unlink(path_.c_str());
  }
}

Result<std::string> requestControl(const std::string& path, const std::string& request,
                                   Duration timeout) {
  if (request.find('\n') != std::string::npos) {
    return makeError(ErrorCode::kInvalidArgument, "a control request is one line");
  }
  auto address = unixAddress(path);
  if (!address) return address.error();
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return systemError("cannot open a Unix socket", errno);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof *address) != 0) {
    int err = errno;
    std::string what = "cannot connect to " + path;
    switch (err) {
      case ENOENT:
        return makeError(ErrorCode::kUnavailable, what + ": no such file (is kube-vip running?)");
      case ECONNREFUSED:
        return makeError(ErrorCode::kUnavailable,
                         what + ": connection refused (is kube-vip running?)");
      case EACCES:
      case EPERM:
        return makeError(ErrorCode::kPermission,
                         what + ": permission denied (only root and the daemon's user may use it)");
      case EAGAIN:
        return makeError(ErrorCode::kUnavailable, what + ": the daemon is busy; try again");
      default:
        return systemError(what, err);
    }
  }
  Clock::time_point deadline = Clock::now() + timeout;
  auto waitFor = [&](short events) -> Status {
    while (true) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        return makeError(
            ErrorCode::kTimeout,
            "no answer from " + path + " within " +
                std::to_string(std::chrono::ceil<std::chrono::milliseconds>(timeout).count()) +
                " ms");
      }
      pollfd p{fd.get(), events, 0};
      int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 60'000)));
      if (ready > 0) return okStatus();
      if (ready < 0 && errno != EINTR) return systemError("cannot wait for " + path, errno);
    }
  };
  std::string line = request + "\n";
  size_t sent = 0;
  while (sent < line.size()) {
    if (auto waited = waitFor(POLLOUT); !waited) return waited.error();
    ssize_t n = ::send(fd.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return systemError("cannot send the request to " + path, errno);
    }
    sent += static_cast<size_t>(n);
  }
  std::string answer;
  char buffer[16384];
  while (true) {
    if (auto waited = waitFor(POLLIN); !waited) return waited.error();
    ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return systemError("cannot read the answer from " + path, errno);
    }
    answer.append(buffer, static_cast<size_t>(n));
    if (answer.size() > kMaxControlAnswer) {
      return makeError(ErrorCode::kInvalidArgument,
                       "the answer from " + path + " is larger than 16 MiB");
    }
  }
  if (answer.empty()) {
    return makeError(ErrorCode::kUnavailable, path + " closed the connection without an answer");
  }
  return answer;
}

}  // namespace kubevip::ops

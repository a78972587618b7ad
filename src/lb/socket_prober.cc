#include "lb/socket_prober.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <string_view>

#include "common/unique_fd.h"
#include "lb/socket_util.h"

namespace kubevip::lb {
namespace {

constexpr std::size_t kMaxStatusLine = 1024;

class SocketProbe final : public ProbeHandle {
 public:
  SocketProbe(std::string request, std::function<void(bool)> done)
      : request_(std::move(request)), done_(std::move(done)) {}

  Status begin(EventLoop& loop, const Endpoint& backend) {
    auto fd = connectNonblocking(backend);
    if (!fd) return fd.error();
    fd_ = std::move(*fd);
    auto w = FdWatcher::create(loop, fd_.get(), FdWatcher::kWritable,
                               [this](int events) { onEvent(events); });
    if (!w) return w.error();
    watcher_ = std::move(*w);
    return {};
  }

 private:
  void onEvent(int events) {
    if (!connected_) {
      int err = 0;
      socklen_t len = sizeof(err);
      ::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) return complete(false);
      connected_ = true;
      if (request_.empty()) return complete(true);
      // The request is tiny: one send fits in any socket buffer.
      if (::send(fd_.get(), request_.data(), request_.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(request_.size())) {
        return complete(false);
      }
      (void)watcher_->setEvents(FdWatcher::kReadable);
      return;
    }
    if ((events & FdWatcher::kReadable) == 0) return;
    char buf[512];
    ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) return complete(httpStatusHealthy(response_));
    response_.append(buf, static_cast<std::size_t>(n));
    if (response_.find("\r\n") != std::string::npos || response_.size() > kMaxStatusLine) {
      complete(httpStatusHealthy(response_));
    }
  }

  void complete(bool ok) {
    if (!done_) return;
    // Stop watching at once: a level-triggered writable socket would otherwise spin the loop
    // until the checker frees this probe. The socket stays open until the watcher is gone: libuv
    // unregisters the descriptor by number when the handle closes, and a number reused by a newer
    // probe must not lose its registration.
    (void)watcher_->setEvents(0);
    auto done = std::move(done_);
    done_ = nullptr;
    done(ok);  // may free this probe later, never now (see HealthChecker)
  }

  std::string request_;
  std::function<void(bool)> done_;
  UniqueFd fd_;
  std::unique_ptr<FdWatcher> watcher_;
  bool connected_ = false;
  std::string response_;
};

// A probe whose connect failed at once (refused on the spot, no socket): the checker's deadline
// counts it as failed.
class FailedProbe final : public ProbeHandle {};

}  // namespace

bool httpStatusHealthy(std::string_view response) {
  // "HTTP/1.1 200 OK": the code is the three digits after the first space.
  if (response.substr(0, 5) != "HTTP/") return false;
  auto sp = response.find(' ');
  if (sp == std::string_view::npos || response.size() < sp + 4) return false;
  char c = response[sp + 1];
  for (int k = 1; k <= 3; ++k) {
    if (response[sp + k] < '0' || response[sp + k] > '9') return false;
  }
  return c == '2' || c == '3';
}

SocketProber::SocketProber(EventLoop& loop, std::string http_path)
    : loop_(loop), http_path_(std::move(http_path)) {}

std::unique_ptr<ProbeHandle> SocketProber::start(const Endpoint& backend,
                                                 std::function<void(bool ok)> done) {
  std::string request;
  if (!http_path_.empty()) {
    request = "GET " + http_path_ + " HTTP/1.0\r\nHost: " + backend.toString() +
              "\r\nUser-Agent: kube-vip-health\r\nConnection: close\r\n\r\n";
  }
  auto probe = std::make_unique<SocketProbe>(std::move(request), std::move(done));
  if (!probe->begin(loop_, backend)) {
    return std::make_unique<FailedProbe>();
  }
  return probe;
}

}  // namespace kubevip::lb

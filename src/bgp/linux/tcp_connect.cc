#include "bgp/linux/tcp_connect.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "bgp/linux/socket_address.h"
#include "bgp/linux/socket_options.h"
#include "bgp/linux/tcp_connection.h"

namespace kubevip::bgp::linux_tcp {

std::unique_ptr<TcpPendingConnect> TcpPendingConnect::start(EventLoop& loop,
                                                            const ConnectRequest& request,
                                                            ConnectDone done) {
  std::unique_ptr<TcpPendingConnect> pending(new TcpPendingConnect(loop, request, std::move(done)));
  if (auto st = pending->begin(); !st) {
    pending->watcher_.reset();
    pending->fd_.reset();
    pending->deferred_->start(Duration::zero(),
                              [raw = pending.get(), error = st.error()] { raw->finish(error); });
  }
  return pending;
}

TcpPendingConnect::TcpPendingConnect(EventLoop& loop, const ConnectRequest& request,
                                     ConnectDone done)
    : loop_(loop),
      peer_{request.peer, request.port},
      request_(request),
      done_(std::move(done)),
      deferred_(loop.time().createTimer()) {}

TcpPendingConnect::~TcpPendingConnect() {
  watcher_.reset();
  fd_.reset();
}

Status TcpPendingConnect::begin() {
  const std::string what = "connect to " + peer_.toString();
  if (auto st = checkMd5Password(request_.md5_password, request_.peer); !st) return st;
  if (auto st = checkTtl(request_.ttl, request_.peer); !st) return st;
  if (request_.source && request_.source->family() != request_.peer.family()) {
    return makeError(ErrorCode::kInvalidArgument, what + ": the source address " +
                                                      request_.source->toString() +
                                                      " is not of the peer's address family");
  }
  const int family = socketFamilyFor(request_.peer);
  fd_.reset(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd_.valid()) return systemError(what + ": socket", errno);
  if (!request_.bind_interface.empty()) {
    if (auto st = bindToDevice(fd_.get(), request_.bind_interface,
                               "the connection to " + peer_.toString());
        !st)
      return st;
  }
  if (request_.source) {
    sockaddr_storage source{};
    socklen_t length = toSockaddr(Endpoint{*request_.source, 0}, family, source);
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&source), length) != 0) {
      return systemError(what + ": bind to the source address " + request_.source->toString(),
                         errno);
    }
  }
  if (!request_.md5_password.empty()) {
    if (auto st = setMd5Key(fd_.get(), family, request_.peer, request_.md5_password); !st) {
      return st;
    }
  }
  if (auto st = setTtl(fd_.get(), request_.peer, request_.ttl); !st) return st;
  if (auto st = setNoDelay(fd_.get()); !st) return st;

  sockaddr_storage address{};
  socklen_t length = toSockaddr(peer_, family, address);
  if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 &&
      errno != EINPROGRESS) {
    return systemError(what, errno);
  }
  // Writability, even if connect() already succeeded: the result then comes from the loop too.
  auto watcher =
      FdWatcher::create(loop_, fd_.get(), FdWatcher::kWritable, [this](int) { onWritable(); });
  if (!watcher) return watcher.error();
  watcher_ = std::move(*watcher);
  return {};
}

void TcpPendingConnect::onWritable() {
  int so_error = 0;
  socklen_t length = sizeof(so_error);
  if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &so_error, &length) != 0) so_error = errno;
  if (so_error != 0) {
    finish(systemError("connect to " + peer_.toString(), so_error));
    return;
  }
  // The connection's watcher replaces ours (libuv allows one watch per descriptor).
  watcher_.reset();
  auto connection = TcpConnection::create(loop_, std::move(fd_));
  if (!connection) {
    finish(makeError(connection.error().code,
                     "connect to " + peer_.toString() + ": " + connection.error().describe()));
    return;
  }
  finish(std::unique_ptr<Connection>(std::move(*connection)));
}

void TcpPendingConnect::finish(Result<std::unique_ptr<Connection>> result) {
  watcher_.reset();
  fd_.reset();
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) done(std::move(result));  // may destroy this attempt
}

}  // namespace kubevip::bgp::linux_tcp

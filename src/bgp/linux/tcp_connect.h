// An outgoing BGP connection attempt on a non-blocking socket (bgp::PendingConnect).
//
// The socket is prepared in the order the kernel needs: interface binding and source address
// before connect() (they choose the route and the SYN's source), the MD5 key before connect()
// (RFC 2385: the SYN is already signed), TTL and TCP_NODELAY. connect() returns EINPROGRESS; the
// socket turns writable when the handshake ends and SO_ERROR tells how. The result is delivered
// exactly once, always from the loop: an error found while preparing is deferred with a zero
// timer, so the caller never sees its callback run inside connect(). Destroying the attempt
// closes the socket and cancels the callback.
#pragma once

#include <memory>

#include "bgp/transport.h"
#include "common/unique_fd.h"

namespace kubevip::bgp::linux_tcp {

class TcpPendingConnect final : public PendingConnect {
 public:
  static std::unique_ptr<TcpPendingConnect> start(EventLoop& loop, const ConnectRequest& request,
                                                  ConnectDone done);
  ~TcpPendingConnect() override;

 private:
  TcpPendingConnect(EventLoop& loop, const ConnectRequest& request, ConnectDone done);
  // Makes the socket and starts connect(); an error is returned for deferred delivery.
  Status begin();
  void onWritable();
  void finish(Result<std::unique_ptr<Connection>> result);

  EventLoop& loop_;
  Endpoint peer_;
  ConnectRequest request_;
  ConnectDone done_;
  UniqueFd fd_;  // declared before the watcher: the watcher is destroyed first
  std::unique_ptr<FdWatcher> watcher_;
  std::unique_ptr<Timer> deferred_;
};

}  // namespace kubevip::bgp::linux_tcp

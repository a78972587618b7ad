// The BGP listening socket (bgp::Listener): accepts connections from configured peers only.
//
// Without an address it listens on [::] with IPV6_V6ONLY off, so IPv4 peers arrive as
// IPv4-mapped addresses on the same socket (turned back into IPv4 before comparing), and falls
// back to 0.0.0.0 when the host has no IPv6. Each peer with a password gets its TCP MD5 key on
// the listening socket before listen(), so that the kernel checks the SYN (RFC 2385 §2: unsigned
// or badly signed segments are dropped) and the accepted socket inherits the key. A connection
// from an address that is not a configured peer is closed at once; a peer's TTL is applied to
// its accepted socket before the speaker sees it.
#pragma once

#include <functional>
#include <memory>

#include "bgp/transport.h"
#include "common/unique_fd.h"

namespace kubevip::bgp::linux_tcp {

class TcpListener final : public Listener {
 public:
  using Accepted = std::function<void(std::unique_ptr<Connection>)>;
  static Result<std::unique_ptr<TcpListener>> create(EventLoop& loop, const ListenRequest& request,
                                                     Accepted accepted);
  ~TcpListener() override;

 private:
  TcpListener(EventLoop& loop, ListenRequest request, Accepted accepted);
  Status open();
  Status openOn(const IpAddress& address);
  void onReadable();
  // Returns false when the listener was destroyed by accepted().
  bool handleAccepted(UniqueFd fd);
  void pauseAccepting();

  EventLoop& loop_;
  ListenRequest request_;
  Accepted accepted_;
  UniqueFd fd_;  // declared before the watcher: the watcher is destroyed first
  std::unique_ptr<FdWatcher> watcher_;
  std::unique_ptr<Timer> resume_timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kubevip::bgp::linux_tcp

// createTcpTransport: bgp::Transport over Linux TCP sockets (see tcp_connect.h, tcp_listener.h
// and tcp_connection.h for how each part works).
#include "bgp/linux/tcp_connect.h"
#include "bgp/linux/tcp_listener.h"
#include "bgp/transport.h"

namespace kubevip::bgp {
namespace {

class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(EventLoop& loop) : loop_(loop) {}

  std::unique_ptr<PendingConnect> connect(const ConnectRequest& request,
                                          ConnectDone done) override {
    return linux_tcp::TcpPendingConnect::start(loop_, request, std::move(done));
  }

  Result<std::unique_ptr<Listener>> listen(
      const ListenRequest& request,
      std::function<void(std::unique_ptr<Connection>)> accepted) override {
    auto listener = linux_tcp::TcpListener::create(loop_, request, std::move(accepted));
    if (!listener) return listener.error();
    return std::unique_ptr<Listener>(std::move(*listener));
  }

 private:
  EventLoop& loop_;
};

}  // namespace

Result<std::unique_ptr<Transport>> createTcpTransport(EventLoop& loop) {
  return std::unique_ptr<Transport>(std::make_unique<TcpTransport>(loop));
}

}  // namespace kubevip::bgp

// Ipv6AddressWatch over a non-blocking rtnetlink socket (libmnl) and the netlink_codec.h decoder.
#include "net/linux/ipv6_address_watch.h"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <system_error>
#include <vector>

#include "common/log.h"
#include "net/linux/netlink_codec.h"

namespace kubevip::net {
namespace {

constexpr size_t kReceiveBufferSize = size_t{64} * 1024;

struct MnlSocketCloser {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};

class Ipv6AddressWatchImpl final : public Ipv6AddressWatch {
 public:
  Ipv6AddressWatchImpl(std::function<void(const AddressEvent&)> changed, std::function<void()> lost)
      : changed_(std::move(changed)), lost_(std::move(lost)) {}

  Status start(EventLoop& loop) {
    socket_.reset(mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!socket_) return systemError("netlink socket", errno);
    if (mnl_socket_bind(socket_.get(), RTMGRP_IPV6_IFADDR, MNL_SOCKET_AUTOPID) < 0) {
      return systemError("netlink bind", errno);
    }
    auto watcher = FdWatcher::create(loop, mnl_socket_get_fd(socket_.get()), FdWatcher::kReadable,
                                     [this](int) { readEvents(); });
    if (!watcher) return watcher.error();
    watcher_ = std::move(*watcher);
    return {};
  }

 private:
  void readEvents() {
    std::vector<uint8_t> buf(kReceiveBufferSize);
    for (;;) {
      ssize_t n = mnl_socket_recvfrom(socket_.get(), buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == ENOBUFS) {
          lost_();
          continue;
        }
        spdlog::warn("IPv6 address events: receive failed: {}",
                     std::generic_category().message(errno));
        lost_();
        return;
      }
      auto messages = netlink::splitMessages({buf.data(), static_cast<size_t>(n)});
      if (!messages) {
        lost_();
        continue;
      }
      for (const auto& m : *messages) {
        if (!netlink::isAddressMessage(m)) continue;
        auto record = netlink::decodeAddressMessage(m);
        if (!record) {
          lost_();
          continue;
        }
        if (*record) changed_((*record)->event);
      }
    }
  }

  std::function<void(const AddressEvent&)> changed_;
  std::function<void()> lost_;
  std::unique_ptr<mnl_socket, MnlSocketCloser> socket_;
  std::unique_ptr<FdWatcher> watcher_;  // declared last: stops watching before the socket closes
};

}  // namespace

Result<std::unique_ptr<Ipv6AddressWatch>> Ipv6AddressWatch::create(
    EventLoop& loop, std::function<void(const AddressEvent&)> changed, std::function<void()> lost) {
  auto watch = std::make_unique<Ipv6AddressWatchImpl>(std::move(changed), std::move(lost));
  if (auto st = watch->start(loop); !st) return st.error();
  return std::unique_ptr<Ipv6AddressWatch>(std::move(watch));
}

}  // namespace kubevip::net

// AddressManager over rtnetlink (libmnl sockets, netlink_codec.h messages).
//
// Requests (add, remove, dump) go through a NetlinkRequester: the loop waits for an answer at most
// request_bound (50 ms by default; the argument for that figure is in vip_controller.h) and gets
// kTimeout beyond it. Events arrive on a second, non-blocking socket subscribed to the IPv4 and
// IPv6 address groups and watched by an FdWatcher; reading it never takes the RTNL lock. A mirror
// of every address seen lets us recover from ENOBUFS (the kernel dropped events because we were
// slow): re-dump and report the difference.
#include "net/linux/netlink_address_manager.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <map>
#include <memory>
#include <system_error>
#include <tuple>

#include "common/log.h"
#include "net/linux/netlink_codec.h"
#include "net/linux/netlink_requester.h"

namespace kubevip::net {
namespace {

constexpr size_t kReceiveBufferSize = size_t{64} * 1024;
using Requester = NetlinkRequester;

struct MnlSocketCloser {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};
using MnlSocket = std::unique_ptr<mnl_socket, MnlSocketCloser>;

Result<MnlSocket> openSocket(int flags, unsigned groups) {
  MnlSocket s(mnl_socket_open2(NETLINK_ROUTE, flags | SOCK_CLOEXEC));
  if (!s) return systemError("netlink socket", errno);
  if (mnl_socket_bind(s.get(), groups, MNL_SOCKET_AUTOPID) < 0) {
    return systemError("netlink bind", errno);
  }
  return s;
}

// The key under which the mirror remembers an address.
using AddressKey = std::tuple<int, IpFamily, std::array<uint8_t, 16>, int>;
AddressKey keyOf(const AddressEvent& e) {
  return {e.ifindex, e.address.family(), e.address.raw(), e.prefix_length};
}

class NetlinkAddressManagerImpl final : public NetlinkAddressManager {
 public:
  static Result<std::unique_ptr<NetlinkAddressManager>> create(
      EventLoop& loop, const NetlinkAddressManagerOptions& options) {
    std::unique_ptr<NetlinkAddressManagerImpl> m(new NetlinkAddressManagerImpl());
    m->options_ = options;
    auto requester = NetlinkRequester::create();
    if (!requester) return requester.error();
    m->requester_ = std::move(*requester);
    auto events = openSocket(SOCK_NONBLOCK, RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR);
    if (!events) return events.error();
    m->events_ = std::move(*events);
    if (options.event_receive_buffer > 0 &&
        setsockopt(mnl_socket_get_fd(m->events_.get()), SOL_SOCKET, SO_RCVBUF,
                   &options.event_receive_buffer, sizeof(options.event_receive_buffer)) != 0) {
      return systemError("setsockopt(SO_RCVBUF)", errno);
    }
    // Subscribe first, then dump: a change racing the dump is also seen as an event.
    auto dump = m->dumpAll(options.start_up_dump_bound);
    if (!dump) return dump.error();
    for (const auto& e : *dump) m->mirror_[keyOf(e)] = e;
    NetlinkAddressManagerImpl* self = m.get();
    auto watcher = FdWatcher::create(loop, mnl_socket_get_fd(m->events_.get()),
                                     FdWatcher::kReadable, [self](int) { self->readEvents(); });
    if (!watcher) return watcher.error();
    m->watcher_ = std::move(*watcher);
    return std::unique_ptr<NetlinkAddressManager>(std::move(m));
  }

  uint64_t overflowCount() const override { return overflows_; }

  Status addOrRenew(int ifindex, const IpAddress& address, int prefix_length,
                    AddressLifetime lifetime) override {
    auto msg = netlink::encodeAddRequest(0, ifindex, address, prefix_length, lifetime);
    if (!msg) return msg.error();
    // An addition whose caller gave up is not sent late: the caller may have lost its right to it.
    auto reply = requester_->transact(std::move(*msg), Requester::Kind::kAck,
                                      Requester::IfAbandoned::kSkip, options_.request_bound);
    if (!reply) return reply.error();
    if (const int err = reply->error; err != 0) {
      return systemError("adding " + address.toString() + "/" + std::to_string(prefix_length) +
                             " to interface " + std::to_string(ifindex),
                         err);
    }
    return {};
  }

  Status remove(int ifindex, const IpAddress& address, int prefix_length) override {
    auto msg = netlink::encodeRemoveRequest(0, ifindex, address, prefix_length);
    if (!msg) return msg.error();
    // A removal is always wanted, however late.
    auto reply = requester_->transact(std::move(*msg), Requester::Kind::kAck,
                                      Requester::IfAbandoned::kRun, options_.request_bound);
    if (!reply) return reply.error();
    const int err = reply->error;
    // The kernel answers EADDRNOTAVAIL for an address that is not there: already removed.
    if (err != 0 && err != EADDRNOTAVAIL) {
      return systemError("removing " + address.toString() + "/" + std::to_string(prefix_length) +
                             " from interface " + std::to_string(ifindex),
                         err);
    }
    return {};
  }

  Result<bool> has(int ifindex, const IpAddress& address) override {
    auto dump = dumpAll(options_.start_up_dump_bound);
    if (!dump) return dump.error();
    for (const auto& e : *dump) {
      if (e.ifindex == ifindex && e.address == address) return true;
    }
    return false;
  }

  void setEventHandler(std::function<void(const AddressEvent&)> handler) override {
    handler_ = std::move(handler);
  }

 public:
  ~NetlinkAddressManagerImpl() override { *alive_ = false; }

 private:
  NetlinkAddressManagerImpl() = default;

  // A dump the kernel marks NLM_F_DUMP_INTR saw addresses change under it and may be
  // inconsistent: ask again (a few times; then the last answer is used).
  Result<std::vector<AddressEvent>> dumpAll(Duration bound) {
    Result<Requester::Reply> reply = Requester::Reply{};
    for (int attempt = 0; attempt < 3; ++attempt) {
      reply = requester_->transact(netlink::encodeDumpRequest(0), Requester::Kind::kDump,
                                   Requester::IfAbandoned::kSkip, bound);
      if (!reply) return reply.error();
      if (!reply->interrupted) break;
    }
    return std::move(reply->records);
  }

  void readEvents() {
    // The handler may destroy us; stop touching members then.
    std::shared_ptr<bool> alive = alive_;
    std::vector<uint8_t> buf(kReceiveBufferSize);
    for (;;) {
      ssize_t n = mnl_socket_recvfrom(events_.get(), buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == ENOBUFS) {
          ++overflows_;
          spdlog::warn("netlink address events overflowed; re-reading all addresses");
          resync();
          if (!*alive) return;
          continue;
        }
        spdlog::error("netlink address events: receive failed: {}",
                      std::generic_category().message(errno));
        return;
      }
      auto messages = netlink::splitMessages({buf.data(), static_cast<size_t>(n)});
      if (!messages) {
        spdlog::warn("netlink address events: {}", messages.error().describe());
        continue;
      }
      for (const auto& m : *messages) {
        if (!netlink::isAddressMessage(m)) continue;
        auto record = netlink::decodeAddressMessage(m);
        if (!record) {
          spdlog::warn("netlink address events: {}", record.error().describe());
          continue;
        }
        if (!*record) continue;
        deliver((*record)->event);
        if (!*alive) return;
      }
    }
  }

  void deliver(const AddressEvent& e) {
    if (e.kind == AddressEvent::Kind::kAdded) {
      mirror_[keyOf(e)] = e;
    } else {
      mirror_.erase(keyOf(e));
    }
    if (handler_) handler_(e);
  }

  void resync() {
    auto dump = dumpAll(options_.request_bound);
    if (!dump) {
      spdlog::error("netlink address re-read failed: {}", dump.error().describe());
      return;
    }
    std::map<AddressKey, AddressEvent> now;
    for (const auto& e : *dump) now[keyOf(e)] = e;
    std::vector<AddressEvent> changes;
    for (const auto& [key, e] : mirror_) {
      if (!now.contains(key))
        changes.push_back({AddressEvent::Kind::kRemoved, e.ifindex, e.address, e.prefix_length});
    }
    for (const auto& [key, e] : now) {
      if (!mirror_.contains(key)) changes.push_back(e);
    }
    std::shared_ptr<bool> alive = alive_;
    for (const auto& e : changes) {
      deliver(e);
      if (!*alive) return;
    }
  }

  NetlinkAddressManagerOptions options_;
  std::unique_ptr<NetlinkRequester> requester_;
  MnlSocket events_;
  uint64_t overflows_ = 0;
  std::map<AddressKey, AddressEvent> mirror_;
  std::function<void(const AddressEvent&)> handler_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::unique_ptr<FdWatcher> watcher_;  // declared last: stops watching before the socket closes
};

}  // namespace

Result<std::unique_ptr<NetlinkAddressManager>> createNetlinkAddressManager(
    EventLoop& loop, const NetlinkAddressManagerOptions& options) {
  return NetlinkAddressManagerImpl::create(loop, options);
}

Result<std::unique_ptr<AddressManager>> createNetlinkAddressManager(EventLoop& loop) {
  auto m = NetlinkAddressManagerImpl::create(loop, {});
  if (!m) return m.error();
  return std::unique_ptr<AddressManager>(std::move(*m));
}

}  // namespace kubevip::net

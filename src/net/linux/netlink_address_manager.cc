// AddressManager over rtnetlink (libmnl sockets, netlink_codec.h messages).
//
// Requests go over a blocking socket with a receive timeout: send, then read until the ack (or
// NLMSG_DONE for a dump) carrying our sequence number; replies to an earlier, timed-out request
// are skipped. Events arrive on a second, non-blocking socket subscribed to the IPv4 and IPv6
// address groups and watched by an FdWatcher. A mirror of every address seen lets us recover from
// ENOBUFS (the kernel dropped events because we were slow): re-dump and report the difference.
#include "net/linux/netlink_address_manager.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <map>
#include <memory>
#include <system_error>
#include <tuple>

#include "common/log.h"
#include "net/linux/netlink_codec.h"

namespace kubevip::net {
namespace {

constexpr size_t kReceiveBufferSize = size_t{64} * 1024;
constexpr int kRequestTimeoutSeconds = 5;

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
    auto request = openSocket(0, 0);
    if (!request) return request.error();
    m->request_ = std::move(*request);
    timeval tv{kRequestTimeoutSeconds, 0};
    if (setsockopt(mnl_socket_get_fd(m->request_.get()), SOL_SOCKET, SO_RCVTIMEO, &tv,
                   sizeof(tv)) != 0) {
      return systemError("setsockopt(SO_RCVTIMEO)", errno);
    }
    auto events = openSocket(SOCK_NONBLOCK, RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR);
    if (!events) return events.error();
    m->events_ = std::move(*events);
    if (options.event_receive_buffer > 0 &&
        setsockopt(mnl_socket_get_fd(m->events_.get()), SOL_SOCKET, SO_RCVBUF,
                   &options.event_receive_buffer, sizeof(options.event_receive_buffer)) != 0) {
      return systemError("setsockopt(SO_RCVBUF)", errno);
    }
    // Subscribe first, then dump: a change racing the dump is also seen as an event.
    auto dump = m->dumpAll();
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
    auto msg = netlink::encodeAddRequest(++seq_, ifindex, address, prefix_length, lifetime);
    if (!msg) return msg.error();
    int err = 0;
    if (auto st = transact(*msg, nullptr, &err); !st) return st;
    if (err != 0) {
      return systemError("adding " + address.toString() + "/" + std::to_string(prefix_length) +
                             " to interface " + std::to_string(ifindex),
                         err);
    }
    return {};
  }

  Status remove(int ifindex, const IpAddress& address, int prefix_length) override {
    auto msg = netlink::encodeRemoveRequest(++seq_, ifindex, address, prefix_length);
    if (!msg) return msg.error();
    int err = 0;
    if (auto st = transact(*msg, nullptr, &err); !st) return st;
    // The kernel answers EADDRNOTAVAIL for an address that is not there: already removed.
    if (err != 0 && err != EADDRNOTAVAIL) {
      return systemError("removing " + address.toString() + "/" + std::to_string(prefix_length) +
                             " from interface " + std::to_string(ifindex),
                         err);
    }
    return {};
  }

  Result<bool> has(int ifindex, const IpAddress& address) override {
    auto dump = dumpAll();
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

  // Sends `request` and reads replies with its sequence number until the ack (err_out set to the
  // kernel's errno, 0 for success) or, for a dump, NLMSG_DONE (records appended to dump_out).
  Status transact(const std::vector<uint8_t>& request, std::vector<AddressEvent>* dump_out,
                  int* err_out) {
    uint32_t seq = seq_;
    if (mnl_socket_sendto(request_.get(), request.data(), request.size()) < 0) {
      return systemError("netlink send", errno);
    }
    const unsigned port = mnl_socket_get_portid(request_.get());
    std::vector<uint8_t> buf(kReceiveBufferSize);
    for (;;) {
      ssize_t n = mnl_socket_recvfrom(request_.get(), buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          return makeError(ErrorCode::kTimeout, "no netlink answer from the kernel in " +
                                                    std::to_string(kRequestTimeoutSeconds) + " s");
        }
        return systemError("netlink receive", errno);
      }
      auto messages = netlink::splitMessages({buf.data(), static_cast<size_t>(n)});
      if (!messages) return messages.error();
      for (const auto& m : *messages) {
        if (m.seq != seq || m.port != port) continue;  // an answer to an abandoned request
        if (netlink::isError(m)) {
          auto err = netlink::decodeErrorCode(m);
          if (!err) return err.error();
          if (err_out != nullptr) *err_out = *err;
          if (*err != 0 && err_out == nullptr) return systemError("netlink request", *err);
          return {};
        }
        if (m.flags & NLM_F_DUMP_INTR) dump_interrupted_ = true;
        if (netlink::isDone(m)) return {};
        if (dump_out != nullptr && netlink::isAddressMessage(m)) {
          auto record = netlink::decodeAddressMessage(m);
          if (!record) return record.error();
          if (*record) dump_out->push_back((*record)->event);
        }
      }
    }
  }

  // A dump the kernel marks NLM_F_DUMP_INTR saw addresses change under it and may be
  // inconsistent: ask again (a few times; then the last answer is used).
  Result<std::vector<AddressEvent>> dumpAll() {
    std::vector<AddressEvent> out;
    for (int attempt = 0; attempt < 3; ++attempt) {
      out.clear();
      dump_interrupted_ = false;
      if (auto st = transact(netlink::encodeDumpRequest(++seq_), &out, nullptr); !st) {
        return st.error();
      }
      if (!dump_interrupted_) break;
    }
    return out;
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
    auto dump = dumpAll();
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

  MnlSocket request_;
  MnlSocket events_;
  uint32_t seq_ = 0;
  uint64_t overflows_ = 0;
  bool dump_interrupted_ = false;
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

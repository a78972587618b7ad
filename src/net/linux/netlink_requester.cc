// NetlinkRequester: one blocking rtnetlink socket driven by a worker thread (see the header for
// why), and a queue of jobs the caller waits on with a bound.
#include "net/linux/netlink_requester.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "net/linux/netlink_codec.h"

namespace kubevip::net {
namespace {

constexpr size_t kReceiveBufferSize = size_t{64} * 1024;
// Backstop for the worker itself: an answer the kernel never sends (it was lost, or the request
// asked for none) frees the worker after this long. The caller's bound is much shorter.
constexpr int kWorkerReceiveTimeoutSeconds = 1;

}  // namespace

struct NetlinkRequester::Job {
  std::vector<uint8_t> request;
  uint32_t seq = 0;
  Kind kind = Kind::kAck;
  IfAbandoned if_abandoned = IfAbandoned::kSkip;
  SteadyTime give_up_at;  // enqueue time + the caller's bound, on the requester's clock
  // Guarded by the requester's mutex.
  bool abandoned = false;
  bool started = false;
  std::optional<Result<Reply>> answer;
};

class NetlinkRequester::Socket {
 public:
  struct MnlSocketCloser {
    void operator()(mnl_socket* s) const { mnl_socket_close(s); }
  };

  static Result<std::unique_ptr<Socket>> open() {
    std::unique_ptr<mnl_socket, MnlSocketCloser> s(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
    if (!s) return systemError("netlink socket", errno);
    if (mnl_socket_bind(s.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
      return systemError("netlink bind", errno);
    }
    timeval tv{kWorkerReceiveTimeoutSeconds, 0};
    if (setsockopt(mnl_socket_get_fd(s.get()), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
      return systemError("setsockopt(SO_RCVTIMEO)", errno);
    }
    auto socket = std::make_unique<Socket>();
    socket->socket_ = std::move(s);
    return socket;
  }

  // Sends the job's request and reads answers carrying its sequence number until the ack or, for
  // a dump, NLMSG_DONE; answers to earlier, abandoned requests are skipped.
  Result<Reply> exchange(const Job& job) {
    if (mnl_socket_sendto(socket_.get(), job.request.data(), job.request.size()) < 0) {
      return systemError("netlink send", errno);
    }
    const unsigned port = mnl_socket_get_portid(socket_.get());
    std::vector<uint8_t> buf(kReceiveBufferSize);
    Reply reply;
    for (;;) {
      ssize_t n = mnl_socket_recvfrom(socket_.get(), buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          return makeError(ErrorCode::kTimeout, "no netlink answer from the kernel in " +
                                                    std::to_string(kWorkerReceiveTimeoutSeconds) +
                                                    " s");
        }
        return systemError("netlink receive", errno);
      }
      auto messages = netlink::splitMessages({buf.data(), static_cast<size_t>(n)});
      if (!messages) return messages.error();
      for (const auto& m : *messages) {
        if (m.seq != job.seq || m.port != port) continue;
        if (netlink::isError(m)) {
          auto err = netlink::decodeErrorCode(m);
          if (!err) return err.error();
          if (job.kind == Kind::kDump && *err != 0) return systemError("netlink dump", *err);
          reply.error = *err;
          return reply;
        }
        if (m.flags & NLM_F_DUMP_INTR) reply.interrupted = true;
        if (netlink::isDone(m)) return reply;
        if (job.kind == Kind::kDump && netlink::isAddressMessage(m)) {
          auto record = netlink::decodeAddressMessage(m);
          if (!record) return record.error();
          if (*record) reply.records.push_back((*record)->event);
        }
      }
    }
  }

 private:
  std::unique_ptr<mnl_socket, MnlSocketCloser> socket_;
};

Result<std::unique_ptr<NetlinkRequester>> NetlinkRequester::create(Clock clock) {
  auto socket = Socket::open();
  if (!socket) return socket.error();
  if (!clock) clock = [] { return std::chrono::steady_clock::now(); };
  return std::unique_ptr<NetlinkRequester>(
      new NetlinkRequester(std::move(*socket), std::move(clock)));
}

NetlinkRequester::NetlinkRequester(std::unique_ptr<Socket> socket, Clock clock)
    : socket_(std::move(socket)), clock_(std::move(clock)), worker_([this] { workerMain(); }) {}

NetlinkRequester::~NetlinkRequester() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_one();
  // Waits for a request the kernel is still working on (RTNL held elsewhere) and for queued
  // removals; a daemon that stops must not leave them undone.
  worker_.join();
}

Result<NetlinkRequester::Reply> NetlinkRequester::transact(std::vector<uint8_t> request, Kind kind,
                                                           IfAbandoned if_abandoned,
                                                           Duration bound) {
  if (request.size() < sizeof(nlmsghdr)) {
    return makeError(ErrorCode::kInvalidArgument, "netlink request shorter than its header");
  }
  auto job = std::make_shared<Job>();
  job->seq = ++seq_;
  std::memcpy(request.data() + offsetof(nlmsghdr, nlmsg_seq), &job->seq, sizeof(job->seq));
  job->request = std::move(request);
  job->kind = kind;
  job->if_abandoned = if_abandoned;
  job->give_up_at = clock_() + bound;

  std::unique_lock lock(mutex_);
  queue_.push_back(job);
  queued_.notify_one();
  if (answered_.wait_for(lock, bound, [&] { return job->answer.has_value(); })) {
    return std::move(*job->answer);
  }
  job->abandoned = true;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(bound).count();
  if (!job->started) {
    return makeError(ErrorCode::kTimeout,
                     "netlink request not sent within " + std::to_string(ms) +
                         " ms: an earlier request is still waiting for the kernel" +
                         (if_abandoned == IfAbandoned::kSkip ? "; it will not be sent"
                                                             : "; it will be sent after it"));
  }
  return makeError(ErrorCode::kTimeout,
                   "no netlink answer within " + std::to_string(ms) +
                       " ms (the kernel may be waiting for the RTNL lock another process "
                       "holds); the request may still take effect");
}

void NetlinkRequester::workerMain() {
  std::unique_lock lock(mutex_);
  for (;;) {
    queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left to run
    std::shared_ptr<Job> job = std::move(queue_.front());
    queue_.pop_front();
    if (job->if_abandoned == IfAbandoned::kSkip) {
      if (job->abandoned) continue;
      // The caller may not have woken yet to give up (the process was frozen); its bound decides.
      if (clock_() >= job->give_up_at) {
        job->answer = makeError(ErrorCode::kTimeout,
                                "netlink request not sent: its caller's bound ran out while it "
                                "was queued (was the process frozen?); it will not be sent");
        answered_.notify_all();
        continue;
      }
    }
    job->started = true;
    lock.unlock();
    Result<Reply> answer = socket_->exchange(*job);
    lock.lock();
    job->answer = std::move(answer);
    answered_.notify_all();
  }
}

}  // namespace kubevip::net

// rtnetlink requests that keep the event loop waiting for a bounded time only.
//
// Why a thread. For NETLINK_ROUTE the kernel handles a request inside sendmsg(2), holding the
// RTNL mutex, and queues the answer before sendmsg returns. So the wait is not in the receive,
// where SO_RCVTIMEO or a non-blocking socket could bound it, but in sendmsg itself whenever
// another process holds RTNL (creating or deleting interfaces, large route changes, a slow
// driver): no socket option or MSG_DONTWAIT bounds that. The requester therefore sends and
// receives on a worker thread of its own and the caller waits for the answer at most `bound`.
//
// What a timeout means. The caller gets kTimeout and goes on; the request stays queued or in the
// kernel and may still take effect later. Requests run one at a time in the order they were made,
// so a removal made after a timed-out addition is applied after it, never before. A request marked
// IfAbandoned::kSkip that the worker has not started by the time its caller's bound has run out
// is dropped (a late addition of the VIP is never wanted); kRun ones (removals) still run.
//
// Why the worker reads the clock itself rather than waiting to be told the caller gave up: when
// the whole process is frozen (SIGSTOP, a VM paused) with a request queued, on resumption the
// worker may run before the caller has woken to mark it abandoned. A renewal queued before the
// freeze would then be sent after it, re-adding a VIP whose lifetime the kernel had already ended
// while another node took it over. Comparing the clock with enqueue time + bound right before the
// send closes that: the monotonic clock keeps counting while the process is frozen. What remains
// is a freeze landing in the microseconds between that comparison and the send itself.
//
// Threading: transact() and the destructor are called from one thread (the event loop); the
// destructor lets the worker finish the requests it must still run, then joins it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/result.h"
#include "common/time_source.h"
#include "net/address_manager.h"

namespace kubevip::net {

class NetlinkRequester {
 public:
  enum class Kind { kAck, kDump };
  enum class IfAbandoned { kSkip, kRun };
  struct Reply {
    int error = 0;                      // kAck: the errno the kernel answered, 0 for success
    std::vector<AddressEvent> records;  // kDump: the addresses listed
    bool interrupted = false;           // kDump: NLM_F_DUMP_INTR (changed while listed)
  };

  using Clock = std::function<SteadyTime()>;
  // `clock` is the monotonic clock by default; tests pass one that jumps, to stand for a freeze.
  static Result<std::unique_ptr<NetlinkRequester>> create(Clock clock = {});
  ~NetlinkRequester();
  NetlinkRequester(const NetlinkRequester&) = delete;
  NetlinkRequester& operator=(const NetlinkRequester&) = delete;

  // Sends `request` (its sequence number is replaced by a fresh one) and returns the kernel's
  // answer, or kTimeout once `bound` has passed without one.
  Result<Reply> transact(std::vector<uint8_t> request, Kind kind, IfAbandoned if_abandoned,
                         Duration bound);

 private:
  struct Job;
  class Socket;
  NetlinkRequester(std::unique_ptr<Socket> socket, Clock clock);
  void workerMain();

  std::unique_ptr<Socket> socket_;  // used by the worker only
  Clock clock_;
  uint32_t seq_ = 0;  // caller thread only
  std::mutex mutex_;
  std::condition_variable queued_;
  std::condition_variable answered_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stopping_ = false;
  std::thread worker_;  // declared last: started after, joined before the members above go
};

}  // namespace kubevip::net

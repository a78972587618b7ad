// The raft_io wrappers through which RaftElector watches libraft 0.15, which has no state-change
// callback: every tick and every received message runs checkLease() before libraft and observe()
// after it; every AppendEntries/InstallSnapshot send is recorded for the leader lease, and a send
// that fails is withdrawn from it. libraft sets io->data to the struct raft in raft_init(), and
// raft->data points to our Core.
#include <unordered_map>

#include "election/raft_core.h"

namespace kubevip::election {
namespace {

struct PendingSend {
  RaftElector::Core* core;
  raft_io_send_cb cb;
  uint64_t member;
  uint64_t sequence;
};

// Send requests in flight, by request. Callbacks arrive on the loop's thread, so one map per
// thread needs no lock even when several loops run in one process.
thread_local std::unordered_map<struct raft_io_send*, PendingSend> pending_sends;

}  // namespace

struct HookAccess {
  static RaftElector::Core* coreOf(struct raft_io* io) {
    auto* r = static_cast<struct raft*>(io->data);
    return static_cast<RaftElector::Core*>(r->data);
  }

  static void tick(struct raft_io* io) {
    auto* core = coreOf(io);
    core->checkLease();
    // A follower's tick only checks its election timer; withholding it keeps a restarted node from
    // campaigning (and so from voting for itself) until the embargo ends. A candidate (after a
    // TimeoutNow) and a leader keep ticking.
    if (!(core->votingEmbargoed() && raft_state(&core->raft_) == RAFT_FOLLOWER)) {
      core->raft_tick_(io);
    }
    core->observe();
  }

  static void recv(struct raft_io* io, struct raft_message* message) {
    auto* core = coreOf(io);
    core->checkLease();
    if (message->type == RAFT_IO_REQUEST_VOTE && core->votingEmbargoed()) {
      // Dropped unanswered, as if lost: a RequestVote carries no heap data to release.
      core->voteRequestDropped(message);
      core->observe();
      return;
    }
    core->beforeReceive(message);
    core->raft_recv_(io, message);
    core->observe();
  }

  static int start(struct raft_io* io, unsigned msecs, raft_io_tick_cb tick_cb,
                   raft_io_recv_cb recv_cb) {
    auto* core = coreOf(io);
    core->raft_tick_ = tick_cb;
    core->raft_recv_ = recv_cb;
    return core->uv_start_(io, msecs, &HookAccess::tick, &HookAccess::recv);
  }

  static void sendDone(struct raft_io_send* req, int status) {
    auto it = pending_sends.find(req);
    if (it == pending_sends.end()) return;  // cannot happen: every hooked send is registered
    PendingSend p = it->second;
    pending_sends.erase(it);
    // A failed send never reached the peer whole, so it will get no reply (raft_io_hooks.cc).
    if (status != 0) p.core->lease_.sendFailed(p.member, p.sequence);
    p.cb(req, status);  // may free req
  }

  static int send(struct raft_io* io, struct raft_io_send* req, const struct raft_message* message,
                  raft_io_send_cb cb) {
    auto* core = coreOf(io);
    const bool tracked =
        message->type == RAFT_IO_APPEND_ENTRIES || message->type == RAFT_IO_INSTALL_SNAPSHOT;
    if (!tracked) return core->uv_send_(io, req, message, cb);
    const uint64_t sequence = core->recordSend(message);
    pending_sends[req] = PendingSend{core, cb, message->server_id, sequence};
    int rv = core->uv_send_(io, req, message, &HookAccess::sendDone);
    if (rv != 0) {
      // Not queued: no callback will come and the peer gets nothing.
      pending_sends.erase(req);
      core->lease_.sendFailed(message->server_id, sequence);
    }
    return rv;
  }
};

void RaftElector::Core::installHooks() {
  uv_start_ = io_.start;
  uv_send_ = io_.send;
  io_.start = &HookAccess::start;
  io_.send = &HookAccess::send;
}

}  // namespace kubevip::election

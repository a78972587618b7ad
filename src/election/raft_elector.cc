#include "election/raft_elector.h"

#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <set>

#include "common/log.h"
#include "config/loader.h"
#include "config/stop_timing.h"
#include "election/raft_core.h"

namespace kubevip::election {
namespace {

using std::chrono::milliseconds;

// Nothing is appended after the bootstrap; should anything be, snapshot long before it matters.
constexpr unsigned kSnapshotThreshold = 128;
constexpr unsigned kSnapshotTrailing = 32;
// Open segments are pre-allocated; libraft's default of 8 MiB (times three) is wasted on us.
constexpr size_t kSegmentSize = size_t{256} * 1024;

void ignoreSigpipeOnce() {
  // A peer closing its socket must not kill the daemon; libuv's writes report EPIPE instead.
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

Status ensureDataDir(const std::string& dir) {
  if (dir.empty()) return makeError(ErrorCode::kInvalidArgument, "no Raft data directory");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return systemError("create Raft data directory " + dir, ec.value());
  if (::chmod(dir.c_str(), 0700) != 0) return systemError("chmod 0700 " + dir, errno);
  return okStatus();
}

Error raftError(const std::string& what, int rv, const char* detail) {
  std::string message = what + ": " + raft_strerror(rv);
  if (detail != nullptr && detail[0] != '\0') message += std::string(" (") + detail + ")";
  return makeError(ErrorCode::kSystem, message);
}

// libraft requires an FSM. We replicate nothing, so it applies nothing and snapshots a marker.
int fsmApply(struct raft_fsm*, const struct raft_buffer*, void** result) {
  *result = nullptr;
  return 0;
}

int fsmSnapshot(struct raft_fsm*, struct raft_buffer* bufs[], unsigned* n_bufs) {
  constexpr char kMarker[] = "kubevip";
  *bufs = static_cast<struct raft_buffer*>(raft_malloc(sizeof(struct raft_buffer)));
  if (*bufs == nullptr) return RAFT_NOMEM;
  (*bufs)[0].base = raft_malloc(sizeof kMarker);
  if ((*bufs)[0].base == nullptr) {
    raft_free(*bufs);
    return RAFT_NOMEM;
  }
  std::copy(kMarker, kMarker + sizeof kMarker, static_cast<char*>((*bufs)[0].base));
  (*bufs)[0].len = sizeof kMarker;
  *n_bufs = 1;
  return 0;
}

int fsmRestore(struct raft_fsm*, struct raft_buffer* buf) {
  raft_free(buf->base);
  return 0;
}

}  // namespace

Result<RaftElectorOptions> raftOptionsFromConfig(const config::Config& config) {
  if (!config.local_peer) {
    return makeError(ErrorCode::kInvalidArgument, "Raft election needs localPeer");
  }
  RaftElectorOptions o;
  o.local = *config.local_peer;
  o.members.push_back(*config.local_peer);
  for (const auto& p : config.remote_peers) o.members.push_back(p);
  o.data_dir = config.data_dir;
  o.start_as_leader = config.start_as_leader;
  o.election_timeout = config.election.election_timeout;
  o.heartbeat_interval = config.election.heartbeat_interval;
  o.leader_lease = config.election.leader_lease;
  auto key = config::readClusterKey(config);
  if (!key) return key.error();
  o.cluster_key = *key;
  return o;
}

// ---------------------------------------------------------------------------------------------
// RaftElector

Result<std::unique_ptr<RaftElector>> RaftElector::create(EventLoop& loop,
                                                         const RaftElectorOptions& options) {
  if (options.heartbeat_interval <= milliseconds(0) ||
      options.heartbeat_interval >= options.leader_lease ||
      options.leader_lease >= options.election_timeout) {
    return makeError(ErrorCode::kInvalidArgument,
                     "Raft timing must satisfy 0 < heartbeat (" +
                         std::to_string(options.heartbeat_interval.count()) + " ms) < lease (" +
                         std::to_string(options.leader_lease.count()) +
                         " ms) < election timeout (" +
                         std::to_string(options.election_timeout.count()) + " ms)");
  }
  auto members = resolveMembers(options.members);
  if (!members) return members.error();
  const uint64_t self_id = raftIdOf(options.local.id);
  auto self = std::find_if(members->begin(), members->end(),
                           [&](const RaftMember& m) { return m.raft_id == self_id; });
  if (self == members->end()) {
    return makeError(ErrorCode::kInvalidArgument,
                     "local member " + options.local.id + " is not among the Raft members");
  }
  auto local_address = raftAddressOf(options.local);
  if (!local_address) return local_address.error();
  if (*local_address != self->address) {
    return makeError(ErrorCode::kInvalidArgument,
                     "local member " + options.local.id + " is listed with two addresses");
  }
  if (auto st = ensureDataDir(options.data_dir); !st) return st.error();
  ignoreSigpipeOnce();

  RaftMember self_member = *self;
  auto* core = new Core(loop, options, std::move(*members), std::move(self_member));
  if (auto st = Core::initOrDispose(core); !st) return st.error();
  return std::unique_ptr<RaftElector>(new RaftElector(core, options.members));
}

RaftElector::~RaftElector() { core_->detach(); }

Status RaftElector::start(ElectorCallbacks callbacks) { return core_->start(std::move(callbacks)); }
void RaftElector::stop(std::function<void()> done) { core_->stop(std::move(done)); }
bool RaftElector::isLeader() const { return core_->isLeader(); }
SteadyTime RaftElector::leadershipValidUntil() const { return core_->validUntil(); }
std::string RaftElector::leaderId() const { return core_->leaderId(); }
std::string RaftElector::raftStateName() const { return core_->stateName(); }
uint64_t RaftElector::term() const { return core_->term(); }
RaftTransportStats RaftElector::transportStats() const { return core_->transportStats(); }

ElectorStatus RaftElector::status() const {
  ElectorStatus status;
  status.backend = "raft";
  status.election_name = "raft";
  status.role = raftStateName();
  status.term = term();
  for (const config::Peer& peer : members_) {
    const std::string host = peer.address.toString();
    status.peers.push_back({peer.id, (peer.address.isV4() ? host : "[" + host + "]") + ":" +
                                         std::to_string(peer.port)});
  }
  if (leaderId().empty()) {
    status.backend_reachable = false;
    status.unreachable_reason = "no Raft leader known (" + status.role + ", term " +
                                std::to_string(*status.term) + "): no quorum seen";
  }
  return status;
}

// ---------------------------------------------------------------------------------------------
// Core: set-up and shut-down

RaftElector::Core::Core(EventLoop& loop, RaftElectorOptions options,
                        std::vector<RaftMember> members, RaftMember self)
    : loop_(loop),
      options_(std::move(options)),
      members_(std::move(members)),
      self_(std::move(self)),
      lease_(
          [&] {
            std::vector<LeaderLease::MemberId> ids;
            for (const auto& m : members_) ids.push_back(m.raft_id);
            return ids;
          }(),
          self_.raft_id, options_.leader_lease) {}

Status RaftElector::Core::initOrDispose(Core* core) {
  Core& c = *core;
  RaftTransportOptions transport;
  transport.members = c.members_;
  transport.self_id = c.self_.raft_id;
  transport.cluster_key = c.options_.cluster_key;
  if (auto st = raftTransportInit(&c.transport_, c.loop_.raw(), std::move(transport)); !st) {
    delete core;
    return st;
  }
  int rv = raft_uv_init(&c.io_, c.loop_.raw(), c.options_.data_dir.c_str(), &c.transport_);
  if (rv != 0) {
    Error e = raftError("raft_uv_init " + c.options_.data_dir, rv, c.io_.errmsg);
    raftTransportDestroy(&c.transport_);
    delete core;
    return e;
  }
  raft_uv_set_segment_size(&c.io_, kSegmentSize);
  raft_uv_set_connect_retry_delay(&c.io_,
                                  static_cast<unsigned>(c.options_.heartbeat_interval.count()));
  c.installHooks();

  c.fsm_.version = 1;
  c.fsm_.data = core;
  c.fsm_.apply = &fsmApply;
  c.fsm_.snapshot = &fsmSnapshot;
  c.fsm_.restore = &fsmRestore;

  rv = raft_init(&c.raft_, &c.io_, &c.fsm_, c.self_.raft_id, c.self_.address.c_str());
  if (rv != 0) {
    Error e = raftError("raft_init", rv, c.raft_.errmsg);
    raft_uv_close(&c.io_);
    raftTransportDestroy(&c.transport_);
    delete core;
    return e;
  }
  c.raft_.data = core;
  c.raft_initialized_ = true;
  raft_set_election_timeout(&c.raft_, static_cast<unsigned>(c.options_.election_timeout.count()));
  raft_set_heartbeat_timeout(&c.raft_,
                             static_cast<unsigned>(c.options_.heartbeat_interval.count()));
  raft_set_pre_vote(&c.raft_, true);
  raft_set_snapshot_threshold(&c.raft_, kSnapshotThreshold);
  raft_set_snapshot_trailing(&c.raft_, kSnapshotTrailing);

  struct raft_configuration conf;
  raft_configuration_init(&conf);
  for (const auto& m : c.members_) {
    rv = raft_configuration_add(&conf, m.raft_id, m.address.c_str(), RAFT_VOTER);
    if (rv != 0) break;
  }
  if (rv == 0) rv = raft_bootstrap(&c.raft_, &conf);
  raft_configuration_close(&conf);
  if (rv == 0) {
    spdlog::info("raft: bootstrapped a new cluster of {} members in {}", c.members_.size(),
                 c.options_.data_dir);
    c.fast_first_election_ = c.options_.start_as_leader;
  } else if (rv == RAFT_CANTBOOTSTRAP) {
    spdlog::info("raft: {} holds an existing cluster state; rejoining", c.options_.data_dir);
    c.rejoining_ = true;
  } else {
    Error e = raftError("raft_bootstrap", rv, c.raft_.errmsg);
    c.detached_ = true;
    c.beginClose();  // frees the Core once libraft has closed
    return e;
  }
  return okStatus();
}

Status RaftElector::Core::start(ElectorCallbacks callbacks) {
  if (started_ || closing_) return makeError(ErrorCode::kInternal, "RaftElector started twice");
  callbacks_ = std::move(callbacks);
  if (fast_first_election_) {
    // start_as_leader: time out first, well before anyone else (raft_elector.h).
    raft_set_election_timeout(&raft_, static_cast<unsigned>(options_.heartbeat_interval.count()));
  }
  if (rejoining_) {
    // Restarted nodes (raft_elector.h): libraft randomizes the election timeout in [1x, 2x), so
    // every member that acked a leader before we crashed may still be refusing votes for up to
    // 2 x election_timeout; we wait as long, counted from before we can receive anything.
    voting_embargo_until_ = now() + 2 * options_.election_timeout;
  }
  int rv = raft_start(&raft_);
  if (rv != 0) {
    const char* detail = raft_errmsg(&raft_);
    if (detail == nullptr || detail[0] == '\0') detail = io_.errmsg;
    return raftError("raft_start " + self_.address, rv, detail);
  }
  if (auto st = checkStoredConfiguration(); !st) {
    beginClose();  // before the loop runs again, so this node never takes part
    return st;
  }
  started_ = true;
  if (!options_.cluster_key) {
    spdlog::warn(
        "raft: no cluster key configured: the Raft port {} is unauthenticated, anyone who can "
        "reach it from a peer's address can claim to be that peer (set clusterKeyFile)",
        self_.address);
  }
  backstop_ = loop_.time().createTimer();
  lease_timer_ = loop_.time().createTimer();
  armBackstop();
  spdlog::info("raft: member {} (raft id {:#x}) listening on {}, term {}", self_.id, self_.raft_id,
               self_.address, raft_.current_term);
  observe();
  return okStatus();
}

Status RaftElector::Core::checkStoredConfiguration() const {
  std::set<std::pair<uint64_t, std::string>> stored;
  bool all_voters = true;
  for (unsigned i = 0; i < raft_.configuration.n; ++i) {
    const auto& s = raft_.configuration.servers[i];
    stored.emplace(s.id, s.address);
    all_voters = all_voters && s.role == RAFT_VOTER;
  }
  std::set<std::pair<uint64_t, std::string>> configured;
  for (const auto& m : members_) configured.emplace(m.raft_id, m.address);
  if (stored == configured && all_voters) return okStatus();
  std::string have;
  for (const auto& [id, address] : stored) have += " " + memberName(id) + "@" + address;
  return makeError(ErrorCode::kInvalidArgument,
                   "the Raft state in " + options_.data_dir +
                       " was created for other members (stored:" + have +
                       "); every member must list the same members, and a changed list needs "
                       "the data directory cleared on every member");
}

void RaftElector::Core::stop(std::function<void()> done) {
  if (closed_) {
    if (done) done();
    return;
  }
  done_ = std::move(done);
  if (stopping_) return;
  stopping_ = true;
  if (!started_) {
    beginClose();
    return;
  }
  checkLease();
  if (!raftIsLeader()) {
    beginClose();
    return;
  }
  // Step down before handing over: the target starts its election without waiting for its
  // timer (TimeoutNow sets disrupt_leader), so our lease argument no longer holds from here on.
  const LeaderLease::MemberId target = lease_.freshestFollower();
  lease_.end();
  transferring_ = true;
  if (reported_leading_) {
    reported_leading_ = false;
    spdlog::info("raft: stepping down to hand leadership over");
    if (callbacks_.stopped_leading) callbacks_.stopped_leading();
  }
  transfer_.data = this;
  int rv = raft_transfer(&raft_, &transfer_, target, [](struct raft_transfer* req) {
    static_cast<Core*>(req->data)->onTransferDone();
  });
  if (rv != 0) {
    spdlog::warn("raft: leadership transfer to {} not possible: {}", memberName(target),
                 raft_strerror(rv));
    transferring_ = false;
    beginClose();
    return;
  }
  stop_timer_ = loop_.time().createTimer();
  stop_timer_->start(config::raftTransferTimeout(options_.election_timeout), [this] {
    spdlog::warn("raft: leadership transfer did not finish in time; closing anyway");
    beginClose();
  });
}

void RaftElector::Core::logTransferOutcome(std::string_view otherwise) {
  raft_id id = 0;
  const char* address = nullptr;
  raft_leader(&raft_, &id, &address);
  if (id != 0 && id != self_.raft_id) {
    spdlog::info("raft: leadership handed over to {}", memberName(id));
  } else {
    spdlog::warn("raft: leadership transfer ended without a new leader{}", otherwise);
  }
}

void RaftElector::Core::onTransferDone() {
  if (!transferring_) return;
  transferring_ = false;
  logTransferOutcome("");
  beginClose();
}

void RaftElector::Core::beginClose() {
  if (closing_) return;
  closing_ = true;
  if (stop_timer_) stop_timer_->stop();
  if (backstop_) backstop_->stop();
  if (lease_timer_) lease_timer_->stop();
  if (reported_leading_) {
    reported_leading_ = false;
    if (callbacks_.stopped_leading) callbacks_.stopped_leading();
  }
  lease_.end();
  raft_close(&raft_, [](struct raft* r) {
    auto* core = static_cast<Core*>(r->data);
    raft_uv_close(&core->io_);
    raftTransportDestroy(&core->transport_);
    core->onClosed();
  });
}

void RaftElector::Core::onClosed() {
  closed_ = true;
  stop_timer_.reset();
  backstop_.reset();
  lease_timer_.reset();
  if (detached_) {
    delete this;
    return;
  }
  spdlog::info("raft: member {} closed", self_.id);
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) done();
}

void RaftElector::Core::detach() {
  detached_ = true;
  callbacks_ = {};
  done_ = nullptr;
  if (closed_) {
    delete this;
    return;
  }
  beginClose();  // onClosed() frees us
}

// ---------------------------------------------------------------------------------------------
// Core: leadership bookkeeping

bool RaftElector::Core::raftIsLeader() const {
  return raft_state(const_cast<struct raft*>(&raft_)) == RAFT_LEADER;
}

bool RaftElector::Core::leaseFresh(SteadyTime at) const {
  auto until = lease_.validUntil();
  return until && at < *until;
}

void RaftElector::Core::syncLeaseTerm() {
  if (raftIsLeader() && !stopping_ && raft_.current_term != abandoned_term_) {
    if (!lease_.active() || lease_.term() != raft_.current_term) lease_.begin(raft_.current_term);
  } else if (lease_.active()) {
    lease_.end();
  }
}

uint64_t RaftElector::Core::recordSend(const struct raft_message* message) {
  syncLeaseTerm();  // libraft sends its first AppendEntries inside the callback that elected us
  return lease_.recordSend(message->server_id, now());
}

void RaftElector::Core::beforeReceive(const struct raft_message* message) {
  if (message->type != RAFT_IO_APPEND_ENTRIES_RESULT) return;
  const auto& result = message->append_entries_result;
  lease_.recordResult(message->server_id, result.term, result.rejected == 0);
}

bool RaftElector::Core::votingEmbargoed() {
  if (voting_embargo_until_ == SteadyTime{}) return false;
  if (now() < voting_embargo_until_) return true;
  voting_embargo_until_ = SteadyTime{};
  spdlog::info("raft: {} may vote and campaign again ({} vote requests dropped after the restart)",
               self_.id, embargoed_vote_requests_);
  return false;
}

void RaftElector::Core::voteRequestDropped(const struct raft_message* message) {
  ++embargoed_vote_requests_;
  if (embargo_logged_) return;
  embargo_logged_ = true;
  spdlog::info(
      "raft: ignoring a {}vote request from {}: restarted {} ms ago from stored state, this node "
      "votes only after 2 x election timeout",
      message->request_vote.pre_vote ? "pre-" : "", memberName(message->server_id),
      std::chrono::duration_cast<milliseconds>(
          now() - (voting_embargo_until_ - 2 * options_.election_timeout))
          .count());
}

void RaftElector::Core::checkLease() {
  if (!reported_leading_ || leaseFresh(now())) return;
  reported_leading_ = false;
  spdlog::warn("raft: leader lease of {} expired; no longer leading", self_.id);
  if (callbacks_.stopped_leading) callbacks_.stopped_leading();
}

void RaftElector::Core::observe() {
  if (!started_ || closing_) return;
  checkLease();
  syncLeaseTerm();
  raft_id leader_raft_id = 0;
  const char* leader_address = nullptr;
  raft_leader(&raft_, &leader_raft_id, &leader_address);
  if (fast_first_election_ && leader_raft_id != 0) {
    // A leader exists: from now on the ordinary timeout, on which the lease argument rests.
    fast_first_election_ = false;
    raft_set_election_timeout(&raft_, static_cast<unsigned>(options_.election_timeout.count()));
  }

  const SteadyTime t = now();
  handOverUnrenewableTerm(t);
  const bool leading = raftIsLeader() && !stopping_ && leaseFresh(t);
  bool started = false;
  bool stopped = false;
  if (leading && !reported_leading_) {
    reported_leading_ = started = true;
    leading_since_ = t;
  } else if (!leading && reported_leading_) {
    reported_leading_ = false;
    stopped = true;
  }
  const std::string leader = leader_raft_id == 0 ? "" : memberName(leader_raft_id);
  const bool leader_changed = leader != reported_leader_;
  reported_leader_ = leader;
  armLeaseTimer();

  // State is settled; callbacks last, since they may call back into us.
  if (stopped) {
    spdlog::info("raft: {} no longer leads (state {}, term {})", self_.id, stateName(),
                 raft_.current_term);
    if (callbacks_.stopped_leading) callbacks_.stopped_leading();
  }
  if (leader_changed && leader != self_.id) {
    spdlog::info("raft: leader is now {}", leader.empty() ? "unknown" : leader);
    if (callbacks_.new_leader) callbacks_.new_leader(leader);
  }
  if (started) {
    spdlog::info("raft: {} leads (term {})", self_.id, raft_.current_term);
    if (callbacks_.started_leading) callbacks_.started_leading();
  }
}

void RaftElector::Core::handOverUnrenewableTerm(SteadyTime t) {
  const bool unrenewable = raftIsLeader() && !stopping_ && !transferring_ && !handing_over_ &&
                           (raft_.current_term == abandoned_term_ || !leaseFresh(t));
  if (!unrenewable) {
    unrenewable_since_.reset();
    return;
  }
  if (!unrenewable_since_) {
    unrenewable_since_ = t;
    return;
  }
  const Duration waited = t - *unrenewable_since_;
  if (waited < kUnrenewableLeaseTimeouts * options_.election_timeout) return;
  unrenewable_since_ = t;  // the next attempt, should this one not end the term
  if (raft_.current_term != abandoned_term_) {
    abandoned_term_ = raft_.current_term;
    lease_.end();
    spdlog::warn(
        "raft: {} has led term {} for {} ms without a majority's acknowledgement matching a recent "
        "request (requests lost on broken connections); giving the term up and handing leadership "
        "over",
        self_.id, raft_.current_term, std::chrono::duration_cast<milliseconds>(waited).count());
  }
  transfer_.data = this;
  handing_over_ = true;
  const int rv = raft_transfer(&raft_, &transfer_, 0, [](struct raft_transfer* req) {
    static_cast<Core*>(req->data)->onHandOverDone();
  });
  if (rv != 0) {
    handing_over_ = false;
    spdlog::warn("raft: leadership transfer not possible now ({}); trying again in {} ms",
                 raft_strerror(rv),
                 (kUnrenewableLeaseTimeouts * options_.election_timeout).count());
  }
}

void RaftElector::Core::onHandOverDone() {
  if (!handing_over_) return;
  handing_over_ = false;
  logTransferOutcome("; trying again");
  if (stopping_ && transferring_) return;  // stop() took over the transfer slot
  observe();
}

void RaftElector::Core::armLeaseTimer() {
  if (!lease_timer_) return;
  auto until = lease_.validUntil();
  if (!reported_leading_ || !until || *until == SteadyTime::max()) {
    lease_timer_->stop();
    return;
  }
  // +1 ms: libuv timers count whole milliseconds of a cached clock and may fire a hair early.
  lease_timer_->start(*until - now() + milliseconds(1), [this] {
    checkLease();
    observe();
  });
}

void RaftElector::Core::armBackstop() {
  backstop_->start(options_.heartbeat_interval, [this] {
    observe();
    if (!closing_) armBackstop();
  });
}

// ---------------------------------------------------------------------------------------------
// Core: queries

bool RaftElector::Core::isLeader() const { return reported_leading_ && leaseFresh(now()); }

SteadyTime RaftElector::Core::validUntil() const {
  if (!reported_leading_) return SteadyTime{};
  auto until = lease_.validUntil();
  return until ? *until : SteadyTime{};
}

std::string RaftElector::Core::leaderId() const {
  if (!started_ || closing_) return "";
  raft_id id = 0;
  const char* address = nullptr;
  raft_leader(const_cast<struct raft*>(&raft_), &id, &address);
  return id == 0 ? "" : memberName(id);
}

std::string RaftElector::Core::stateName() const {
  switch (raft_state(const_cast<struct raft*>(&raft_))) {
    case RAFT_FOLLOWER:
      return "follower";
    case RAFT_CANDIDATE:
      return "candidate";
    case RAFT_LEADER:
      return "leader";
    default:
      return "unavailable";
  }
}

std::string RaftElector::Core::memberName(uint64_t raft_id) const {
  for (const auto& m : members_) {
    if (m.raft_id == raft_id) return m.id;
  }
  return "raft-" + std::to_string(raft_id);
}

}  // namespace kubevip::election

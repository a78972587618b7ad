// A data-plane worker: one thread, one epoll loop, its own listeners and connections.
//
// Every worker holds one SO_REUSEPORT listener per balancer address, so the kernel spreads new
// connections over workers and no state is shared on the data path except each balancer's
// atomics. Sockets are registered edge-triggered for input and output once, so forwarding needs
// no epoll_ctl calls. Other threads talk to a worker only through runSync(), which runs a function
// on the worker's thread (woken by an eventfd) and waits for it.
//
// Listeners are level-triggered. When accept() fails for lack of descriptors or memory, the
// listener is disarmed for a back-off (accept_backoff.h) and re-armed by the loop, which wakes at
// least every 100 ms; connections are admitted against maxConnections and the process-wide
// descriptor budget (descriptor_budget.h) and closed at once over either.
//
// Timeouts (connect, idle, HTTP request/response) are checked by a tick every 100 ms that visits
// each session; deadlines are therefore precise to 100 ms.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/result.h"
#include "common/time_source.h"
#include "common/unique_fd.h"
#include "lb/balancer.h"

namespace kubevip::lb {

class Worker;

// Anything registered with the worker's epoll. `side` tells which of its sockets is ready.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual void onEvent(int side, uint32_t events) = 0;
  bool dead = false;  // retired this round: events still queued for it are dropped
};

struct EpollRef {
  Handler* handler;
  int side;
};

// A proxied client connection (TCP or HTTP). Owned by its worker.
class Session : public Handler {
 public:
  // `balancer`: the generation the session runs under until it ends.
  Session(Worker& worker, std::shared_ptr<Balancer> balancer, int group);
  ~Session() override;
  // Checks deadlines; may retire the session.
  virtual void onTick(SteadyTime now) = 0;
  // Ends the session: its sockets are closed now (so a caller of closeGroup() knows the
  // connections are gone when it returns), the object is freed after the current round.
  void close();
  int group() const { return group_; }

 protected:
  // Closes the session's sockets; called once, by close().
  virtual void closeSockets() = 0;

  // The generation the session runs under. An HTTP session moves to the newest one between
  // requests (adoptNewestGeneration); whichever it holds, the counters are the same.
  Balancer& balancer() const { return *generation_; }
  // Between backend connections only: the pool indices the session holds belong to its
  // generation.
  void adoptNewestGeneration();

  Worker& worker_;

 private:
  friend class Worker;
  std::shared_ptr<Balancer> generation_;
  int group_;
  Session* prev_ = nullptr;
  Session* next_ = nullptr;
};

class Worker {
 public:
  static Result<std::unique_ptr<Worker>> create(int index);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  // Closes every listener and session and joins the thread.
  void stop();
  // Runs `fn` on the worker thread and returns when it has run (directly if not started).
  void runSync(const std::function<void()>& fn);

  // Worker thread only. `group` ties listeners and the sessions they accepted together, so that
  // closeGroup() can drop everything bound to one address (the VIP).
  Status addListener(UniqueFd fd, std::shared_ptr<Balancer> balancer, int group);
  // The listeners of `group` hand their next connections to `balancer` (a new generation);
  // sessions already running keep theirs.
  void setBalancer(int group, const std::shared_ptr<Balancer>& balancer);
  void closeGroup(int group);
  // The generation the listeners of `group` hand to new connections; nullptr when none listens.
  std::shared_ptr<Balancer> newestBalancer(int group) const;

  // For sessions, on the worker thread.
  Status watch(int fd, EpollRef* ref);
  SteadyTime now() const { return now_; }
  char* scratch() { return scratch_.get(); }
  static constexpr std::size_t kScratchSize = 16384;
  void retire(Session* s);
  int index() const { return index_; }

 private:
  class Listener;
  friend class Session;
  explicit Worker(int index);
  void loop();
  void drainCommands();
  void tick();
  void link(Session* s);
  void unlink(Session* s);

  int index_;
  UniqueFd epoll_;
  UniqueFd wakeup_;  // eventfd
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::mutex mu_;
  std::vector<std::function<void()>> commands_;  // guarded by mu_
  SteadyTime now_{};
  SteadyTime next_tick_{};
  std::unique_ptr<char[]> scratch_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<Listener>> retired_listeners_;
  Session* sessions_ = nullptr;  // intrusive list of live sessions
  std::vector<Session*> graveyard_;
  EpollRef wakeup_ref_{nullptr, 0};
};

}  // namespace kubevip::lb

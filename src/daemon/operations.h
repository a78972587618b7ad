// The daemon's operations endpoints: /metrics (prometheusServer), /livez and /readyz
// (healthCheckPort) and the control socket of `kube-vip status` and `kube-vip reload`
// (statusSocket). Each server runs on a thread of its own (src/ops), so /livez answers, and says
// so, when the control loop is stuck.
//
// What the servers need from the control loop crosses over in two ways. The loop pushes: every
// tick it reports that it turned (HealthState) and whether the election backend answers; the
// metrics are atomics or copied in by the loop (control_plane_metrics.h). The control socket
// pulls: its request is handed to the loop, and its thread waits for the answer at most
// kLoopAnswerBound, so that a stuck loop gives a clear error instead of a hung command.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/event_loop.h"
#include "common/result.h"
#include "config/config.h"
#include "metrics/registry.h"
#include "ops/control_protocol.h"
#include "ops/control_socket.h"
#include "ops/health.h"
#include "ops/http_server.h"

namespace kubevip::daemon {

// How long a control request waits for the loop before it is answered with an error.
inline constexpr Duration kLoopAnswerBound = seconds(2);

struct OperationsHooks {
  std::function<std::string()> status_json;                           // on the loop
  std::function<ops::ReloadOutcome()> reload;                         // on the loop
  std::function<std::string(const std::vector<std::string>&)> debug;  // on the loop; may be empty
};

class Operations {
 public:
  // Opens every configured endpoint; an address in use is an error naming the setting.
  static Result<std::unique_ptr<Operations>> create(EventLoop& loop, const config::Config& config,
                                                    OperationsHooks hooks);
  ~Operations();
  Operations(const Operations&) = delete;
  Operations& operator=(const Operations&) = delete;

  metrics::Registry& registry() { return registry_; }
  ops::HealthState& health() { return health_; }
  // Closes the servers (joining their threads); the destructor does it too.
  void stop();

 private:
  struct PendingCall;
  explicit Operations(OperationsHooks hooks) : hooks_(std::move(hooks)) {}
  Status open(EventLoop& loop, const config::Config& config);
  // On a server thread: runs `call` on the loop and returns its document, or an error document
  // once kLoopAnswerBound has passed.
  std::string onLoop(std::function<std::string()> call);
  std::string handleControl(const std::string& line);
  void runPendingCalls();

  OperationsHooks hooks_;
  metrics::Registry registry_;
  ops::HealthState health_;
  std::mutex mutex_;
  std::deque<std::shared_ptr<PendingCall>> pending_;
  std::unique_ptr<CrossThreadWakeup> wakeup_;
  std::vector<std::unique_ptr<ops::OpsHttpServer>> http_;
  std::unique_ptr<ops::ControlSocketServer> control_;
};

}  // namespace kubevip::daemon

#include "daemon/operations.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <optional>

#include "common/listen_address.h"
#include "metrics/text_encoder.h"
#include "ops/health_routes.h"

namespace kubevip::daemon {
namespace {

ops::Routes metricsRoutes(const metrics::Registry& registry) {
  ops::Routes routes;
  routes["/metrics"] = [&registry] {
    auto body = metrics::encodeText(registry.collect());
    if (!body)
      return ops::HttpAnswer{500, "text/plain; charset=utf-8", body.error().message + "\n"};
    return ops::HttpAnswer{200, std::string(metrics::kTextContentType), std::move(*body)};
  };
  return routes;
}

}  // namespace

// One control request handed to the loop; shared, so that a waiter that gave up and the loop
// that answers late both hold it safely.
struct Operations::PendingCall {
  std::function<std::string()> call;
  std::mutex mutex;
  std::condition_variable answered;
  std::optional<std::string> answer;
};

Result<std::unique_ptr<Operations>> Operations::create(EventLoop& loop,
                                                       const config::Config& config,
                                                       OperationsHooks hooks) {
  std::unique_ptr<Operations> ops(new Operations(std::move(hooks)));
  if (auto st = ops->open(loop, config); !st) return st.error();
  return ops;
}

Status Operations::open(EventLoop& loop, const config::Config& config) {
  auto wakeup = CrossThreadWakeup::create(loop, [this] { runPendingCalls(); });
  if (!wakeup) return wakeup.error();
  wakeup_ = std::move(*wakeup);

  auto now = [] { return std::chrono::steady_clock::now(); };
  const bool metrics_on = !config.prometheus_server.empty();
  const bool health_on = config.health_check_port != 0;
  const std::string health_listen = ":" + std::to_string(config.health_check_port);
  bool shared = false;
  if (metrics_on && health_on) {
    auto metrics_at = parseListenAddress("prometheusServer", config.prometheus_server);
    if (!metrics_at) return metrics_at.error();
    auto health_at = parseListenAddress("healthCheckPort", health_listen);
    if (!health_at) return health_at.error();
    shared = ops::listenersCollide(*metrics_at, *health_at);
  }
  if (shared) {
    // One server for both, on the wider of the two addresses (health is on every address).
    ops::Routes routes = metricsRoutes(registry_);
    if (auto st = ops::mergeRoutes(routes, ops::healthRoutes(health_, now)); !st) return st;
    auto server = ops::OpsHttpServer::create(health_listen, std::move(routes), {},
                                             "prometheusServer and healthCheckPort");
    if (!server) return server.error();
    http_.push_back(std::move(*server));
    spdlog::info("operations: /metrics, /livez and /readyz on {}", health_listen);
  } else {
    if (metrics_on) {
      auto server = ops::OpsHttpServer::create(config.prometheus_server, metricsRoutes(registry_),
                                               {}, "prometheusServer");
      if (!server) return server.error();
      http_.push_back(std::move(*server));
      spdlog::info("operations: /metrics on {}", config.prometheus_server);
    }
    if (health_on) {
      auto server = ops::OpsHttpServer::create(health_listen, ops::healthRoutes(health_, now), {},
                                               "healthCheckPort");
      if (!server) return server.error();
      http_.push_back(std::move(*server));
      spdlog::info("operations: /livez and /readyz on {}", health_listen);
    }
  }
  if (!config.status_socket.empty()) {
    auto control = ops::ControlSocketServer::create(
        config.status_socket, [this](const std::string& line) { return handleControl(line); });
    if (!control) {
      const Error& e = control.error();
      return Error{e.code, e.sys_errno, "statusSocket: " + e.message};
    }
    control_ = std::move(*control);
    spdlog::info("operations: `kube-vip status` and `kube-vip reload` on {}", config.status_socket);
  }
  return okStatus();
}

Operations::~Operations() { stop(); }

void Operations::stop() {
  // Servers first: their threads may be waiting in onLoop(), which gives up by itself.
  control_.reset();
  http_.clear();
}

std::string Operations::handleControl(const std::string& line) {
  auto request = ops::parseControlRequest(line);
  if (!request) return ops::controlErrorDocument(request.error().message);
  switch (request->kind) {
    case ops::ControlRequestKind::kStatus:
      return onLoop(hooks_.status_json);
    case ops::ControlRequestKind::kReload:
      return onLoop([this] { return ops::reloadOutcomeJson(hooks_.reload()); });
    case ops::ControlRequestKind::kDebug:
      if (!hooks_.debug) {
        return ops::controlErrorDocument(
            "debug commands are off (start kube-vip with KUBEVIP_DEBUG_COMMANDS=1)");
      }
      return onLoop([this, words = request->words] { return hooks_.debug(words); });
  }
  return ops::controlErrorDocument("unknown request");
}

std::string Operations::onLoop(std::function<std::string()> call) {
  auto pending = std::make_shared<PendingCall>();
  pending->call = std::move(call);
  {
    std::lock_guard lock(mutex_);
    pending_.push_back(pending);
  }
  wakeup_->notify();
  std::unique_lock lock(pending->mutex);
  if (!pending->answered.wait_for(lock, kLoopAnswerBound,
                                  [&] { return pending->answer.has_value(); })) {
    return ops::controlErrorDocument(
        "the control loop did not answer within " +
        std::to_string(std::chrono::duration_cast<milliseconds>(kLoopAnswerBound).count()) +
        " ms (it is stuck or stopping; /livez says since when)");
  }
  return *pending->answer;
}

void Operations::runPendingCalls() {
  std::deque<std::shared_ptr<PendingCall>> calls;
  {
    std::lock_guard lock(mutex_);
    calls.swap(pending_);
  }
  for (const auto& pending : calls) {
    std::string answer = pending->call();
    std::lock_guard lock(pending->mutex);
    pending->answer = std::move(answer);
    pending->answered.notify_all();
  }
}

}  // namespace kubevip::daemon

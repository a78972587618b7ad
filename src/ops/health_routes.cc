#include "ops/health_routes.h"

namespace kubevip::ops {
namespace {

HttpAnswer probeAnswer(const Answer& answer) {
  return HttpAnswer{answer.ok ? 200 : 503, "text/plain; charset=utf-8", answer.body + "\n"};
}

}  // namespace

Routes healthRoutes(const HealthState& health, const std::function<SteadyTime()>& now) {
  Routes routes;
  routes["/livez"] = [&health, now] { return probeAnswer(health.liveness(now())); };
  routes["/readyz"] = [&health] { return probeAnswer(health.readiness()); };
  return routes;
}

Status mergeRoutes(Routes& routes, Routes more) {
  for (const auto& [path, handler] : more) {
    if (routes.contains(path)) {
      return makeError(ErrorCode::kConflict, "two handlers for the path " + path);
    }
  }
  routes.merge(more);
  return okStatus();
}

bool listenersCollide(const ListenAddress& a, const ListenAddress& b) {
  if (a.port == 0 || b.port == 0 || a.port != b.port) return false;
  return !a.host || !b.host || *a.host == *b.host;
}

}  // namespace kubevip::ops

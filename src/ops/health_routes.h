// The HTTP face of HealthState and the joining of route sets: what the daemon hands to
// OpsHttpServer. /livez and /readyz answer 200 or 503 with HealthState's one-line body.
//
// When metrics and health are configured on colliding addresses (listenersCollide), the daemon
// creates one server with mergeRoutes(metrics, health) on the wider address, since a second
// server on a port in use fails.
#pragma once

#include <functional>

#include "common/listen_address.h"
#include "common/result.h"
#include "ops/health.h"
#include "ops/http_exchange.h"

namespace kubevip::ops {

// `health` must outlive the routes; `now` is called on the server's thread (the steady clock).
Routes healthRoutes(const HealthState& health, const std::function<SteadyTime()>& now);

// Adds `more` to `routes`; an error naming the path when both serve it.
Status mergeRoutes(Routes& routes, Routes more);

// True when two listeners cannot both bind: the same fixed port, and the same host or one of them
// on every address.
bool listenersCollide(const ListenAddress& a, const ListenAddress& b);

}  // namespace kubevip::ops

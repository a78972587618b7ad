// TCP mode: one accepted client connection forwarded byte for byte to one backend.
//
// Flow: connect to a backend (retrying others after a refused or timed-out connect), then pump
// both directions. Each direction reads into the worker's scratch buffer and writes straight on;
// only what the destination cannot take yet is kept, in a per-direction buffer allocated then,
// and reading that direction pauses until it drains (back-pressure without idle memory). End of
// stream in one direction becomes shutdown(SHUT_WR) on the other socket once everything before it
// was delivered (half-close); the session ends when both directions have ended, on any socket
// error, or after idle_timeout without traffic.
#pragma once

#include <memory>

#include "common/unique_fd.h"
#include "lb/balancer.h"

namespace kubevip::lb {

class Worker;

// Creates the session on `worker` (which owns it). Closes the client at once when no backend can
// be tried.
void startTcpSession(Worker& worker, std::shared_ptr<Balancer> balancer, int group,
                     UniqueFd client);

}  // namespace kubevip::lb

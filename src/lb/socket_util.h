// Small socket helpers for the data plane and the health checks (address conversion is
// common/socket_address.h): a nonblocking connect, and SO_REUSEPORT listeners (one per worker, so
// the kernel spreads accepted connections over workers without a shared accept queue).
#pragma once

#include <sys/socket.h>

#include "common/ip_address.h"
#include "common/result.h"
#include "common/socket_address.h"
#include "common/unique_fd.h"

namespace kubevip::lb {

// A nonblocking socket with TCP_NODELAY whose connect is in progress (or already done).
Result<UniqueFd> connectNonblocking(const Endpoint& backend);

// A nonblocking listening socket with SO_REUSEADDR, SO_REUSEPORT and TCP_NODELAY.
Result<UniqueFd> listenReusePort(const Endpoint& ep, int backlog);

// The local address a socket is bound to (to learn an ephemeral port).
Result<Endpoint> localEndpoint(int fd);

void setNoDelay(int fd);

// Errors that mean "this process or host is out of descriptors or memory" (EMFILE, ENFILE,
// ENOBUFS, ENOMEM), not "this peer or connection is bad": retrying at once cannot succeed.
bool isResourceExhaustion(int err);

}  // namespace kubevip::lb

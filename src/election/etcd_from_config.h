// Builds the EtcdElector from config::EtcdElection: an HTTP client of etcd's JSON gateway
// (etcd/http_client.h) on the daemon's loop, with the request timeout the elector's timings ask
// for (etcdTimings, etcd_elector.h). Called by makeElector (make_elector.h) only.
#pragma once

#include <memory>

#include "common/event_loop.h"
#include "common/result.h"
#include "config/config.h"
#include "election/elector.h"
#include "etcd/client.h"
#include "etcd/http_client.h"

namespace kubevip::election {

Result<std::unique_ptr<Elector>> makeEtcdElector(EventLoop& loop,
                                                 const config::EtcdElection& settings);

// The parts, for tests: the client's options, and an elector with the settings' identity, key and
// TTL over any EtcdClient.
etcd::HttpClientOptions etcdClientOptions(const config::EtcdElection& settings);
Result<std::unique_ptr<Elector>> makeEtcdElector(TimeSource& time,
                                                 const config::EtcdElection& settings,
                                                 std::unique_ptr<etcd::EtcdClient> client);

}  // namespace kubevip::election

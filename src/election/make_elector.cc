#include "election/make_elector.h"

#include "election/etcd_from_config.h"
#include "election/lease_from_config.h"
#include "election/raft_elector.h"
#include "election/single_node_elector.h"

namespace kubevip::election {

Result<std::unique_ptr<Elector>> makeElector(EventLoop& loop, const config::Config& config) {
  if (config.single_node) {
    const std::string id = config.local_peer ? config.local_peer->id : std::string("local");
    return std::unique_ptr<Elector>(std::make_unique<SingleNodeElector>(loop.time(), id));
  }
  // etcd before the Lease: in `manager` both are set; the control-plane VIP is elected through
  // etcd, and the Lease settings serve the Services' own elections.
  if (config.etcd) {
    return makeEtcdElector(loop, *config.etcd);
  }
  if (config.kubernetes) {
    return makeLeaseElector(loop, *config.kubernetes);
  }
  auto options = raftOptionsFromConfig(config);
  if (!options) return options.error();
  auto raft = RaftElector::create(loop, *options);
  if (!raft) return raft.error();
  return std::unique_ptr<Elector>(std::move(*raft));
}

}  // namespace kubevip::election

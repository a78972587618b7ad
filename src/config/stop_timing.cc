#include "config/stop_timing.h"

#include <algorithm>

namespace kubevip::config {

Duration raftTransferTimeout(milliseconds election_timeout) { return 2 * election_timeout; }

milliseconds leaseRequestTimeout(std::chrono::seconds retry_period) {
  return std::max<milliseconds>(retry_period, milliseconds(1000));
}

milliseconds etcdRequestTimeout(std::chrono::seconds ttl) {
  return std::min<milliseconds>(std::chrono::duration_cast<milliseconds>(ttl) / 4,
                                milliseconds(5000));
}

Duration etcdStopBound(std::chrono::seconds ttl) {
  return 2 * etcdRequestTimeout(ttl) + kEtcdAnswerSlack;
}

Duration electorStopBound(const Config& config) {
  // The same choice of elector as election::makeElector: etcd wins over a Lease (in `manager`
  // both are set: the Services keep their Leases) and over Raft.
  if (config.etcd) return etcdStopBound(config.etcd->ttl);
  if (config.single_node) return Duration::zero();
  if (config.kubernetes) return 2 * leaseRequestTimeout(config.kubernetes->retry_period);
  return raftTransferTimeout(config.election.election_timeout);
}

Duration daemonStopDeadline(const Config& config) {
  return electorStopBound(config) + kStopCloseMargin;
}

Duration processStopBound(const Config& config) {
  return daemonStopDeadline(config) + (config.bgp ? Duration(kBgpStopBound) : Duration::zero());
}

}  // namespace kubevip::config

#include "election/etcd_from_config.h"

#include "config/stop_timing.h"
#include "election/etcd_elector.h"
#include "election/random_owning_elector.h"

namespace kubevip::election {
namespace {

EtcdElectorOptions electorOptions(const config::EtcdElection& settings) {
  EtcdElectorOptions options;
  options.identity = settings.identity;
  options.key = settings.key;
  options.ttl = settings.ttl;
  return options;
}

}  // namespace

etcd::HttpClientOptions etcdClientOptions(const config::EtcdElection& settings) {
  etcd::HttpClientOptions options;
  options.endpoints = settings.endpoints;
  options.ca_file = settings.ca_file;
  options.cert_file = settings.cert_file;
  options.key_file = settings.key_file;
  options.request_timeout = config::etcdRequestTimeout(settings.ttl);
  return options;
}

Result<std::unique_ptr<Elector>> makeEtcdElector(TimeSource& time,
                                                 const config::EtcdElection& settings,
                                                 std::unique_ptr<etcd::EtcdClient> client) {
  auto random = std::make_unique<StdRandomSource>();
  auto elector = EtcdElector::create(time, *random, std::move(client), electorOptions(settings));
  if (!elector) return elector.error();
  return std::unique_ptr<Elector>(
      std::make_unique<RandomOwningElector>(std::move(random), std::move(*elector)));
}

Result<std::unique_ptr<Elector>> makeEtcdElector(EventLoop& loop,
                                                 const config::EtcdElection& settings) {
  // The settings first: a bad TTL or key is reported as such, before any certificate is read.
  if (auto valid = validateEtcdOptions(electorOptions(settings)); !valid) return valid.error();
  auto client = etcd::makeHttpEtcdClient(loop, etcdClientOptions(settings));
  if (!client) return client.error();
  return makeEtcdElector(loop.time(), settings, std::move(*client));
}

}  // namespace kubevip::election

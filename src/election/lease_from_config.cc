#include "election/lease_from_config.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "config/stop_timing.h"
#include "election/lease_elector.h"
#include "election/random_owning_elector.h"
#include "k8s/apiserver_route.h"
#include "k8s/cluster_access.h"
#include "k8s/lease_client.h"

namespace kubevip::election {

Result<k8s::ClusterAccess> clusterAccessFor(const config::KubernetesLease& settings) {
  Result<k8s::ClusterAccess> access =
      settings.kubeconfig_path.empty()
          ? k8s::loadInCluster([](const std::string& name) -> std::optional<std::string> {
              // Runs while the daemon is set up, on the main thread; nothing in the process
              // modifies the environment.
              const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
              if (v == nullptr) return std::nullopt;
              return std::string(v);
            })
          : k8s::loadKubeconfig(settings.kubeconfig_path);
  if (!access) return access.error();
  const k8s::ApiServerChoice choice{!settings.kubeconfig_path.empty(),
                                    settings.use_kubeconfig_server, settings.apiserver_port};
  access = k8s::chooseApiServer(std::move(*access), choice);
  if (!access) return access.error();
  spdlog::info("{}", k8s::describeApiServer(*access, choice));
  return access;
}

Result<std::unique_ptr<Elector>> makeLeaseElector(TimeSource& time,
                                                  const config::KubernetesLease& settings,
                                                  std::unique_ptr<k8s::LeaseClient> client,
                                                  Duration follower_poll_while_watching) {
  LeaseElectorOptions options;
  options.follower_poll_while_watching = follower_poll_while_watching;
  options.identity = settings.identity;
  options.lease_duration = settings.lease_duration;
  options.renew_deadline = settings.renew_deadline;
  options.retry_period = settings.retry_period;
  if (auto valid = validateLeaseOptions(options); !valid) return valid.error();
  auto random = std::make_unique<StdRandomSource>();
  auto elector = LeaseElector::create(time, *random, std::move(client), std::move(options));
  if (!elector) return elector.error();
  return std::unique_ptr<Elector>(
      std::make_unique<RandomOwningElector>(std::move(random), std::move(*elector)));
}

Result<std::unique_ptr<Elector>> makeLeaseElector(EventLoop& loop,
                                                  const config::KubernetesLease& settings) {
  auto access = clusterAccessFor(settings);
  if (!access) return access.error();
  // A retry period, at least 1 s; the daemon's stop deadline leaves room for two of them.
  const auto timeout = config::leaseRequestTimeout(settings.retry_period);
  auto client = k8s::ApiLeaseClient::create(loop, std::move(*access), settings.lease_namespace,
                                            settings.lease_name, timeout);
  if (!client) return client.error();
  return makeLeaseElector(loop.time(), settings, std::move(*client));
}

}  // namespace kubevip::election

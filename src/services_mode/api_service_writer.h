// ServiceWriter over the API server: JSON merge patches (RFC 7386) through k8s::ObjectWriter.
//
//   addresses  PATCH /api/v1/namespaces/<ns>/services/<name>         the loadbalancerIPs
//              annotation, with metadata.resourceVersion as a precondition (409 if it changed)
//   status     PATCH /api/v1/namespaces/<ns>/services/<name>/status  status.loadBalancer.ingress
//   vipHost    PATCH /api/v1/namespaces/<ns>/services/<name>         the vipHost annotation
// Requests run in order on the writer's thread; callbacks run on the loop thread.
#pragma once

#include <memory>

#include "common/event_loop.h"
#include "k8s/cluster_access.h"
#include "k8s/object_writer.h"
#include "services_mode/services_controller.h"

namespace kubevip::services_mode {

class ApiServiceWriter final : public ServiceWriter {
 public:
  static Result<std::unique_ptr<ApiServiceWriter>> create(EventLoop& loop,
                                                          k8s::ClusterAccess access,
                                                          std::chrono::milliseconds timeout);

  void writeAddresses(const k8s::Service& service, const std::vector<IpAddress>& addresses,
                      Done done) override;
  void writeStatus(const k8s::Service& service,
                   const std::vector<k8s::LoadBalancerIngress>& ingress, Done done) override;
  void writeVipHost(const k8s::Service& service, const std::string& node_name, Done done) override;

 private:
  explicit ApiServiceWriter(std::unique_ptr<k8s::ObjectWriter> writer)
      : writer_(std::move(writer)) {}
  void patch(std::string path, std::string body, Done done);

  std::unique_ptr<k8s::ObjectWriter> writer_;
};

}  // namespace kubevip::services_mode

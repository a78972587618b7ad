#include "services_mode/api_service_writer.h"

#include "services/service_policy.h"

namespace kubevip::services_mode {
namespace {

std::string servicePath(const k8s::Service& service) {
  return "/api/v1/namespaces/" + service.meta.object_namespace + "/services/" + service.meta.name;
}

}  // namespace

Result<std::unique_ptr<ApiServiceWriter>> ApiServiceWriter::create(
    EventLoop& loop, k8s::ClusterAccess access, std::chrono::milliseconds timeout) {
  auto writer = k8s::ObjectWriter::create(loop, std::move(access), timeout);
  if (!writer) return writer.error();
  return std::unique_ptr<ApiServiceWriter>(new ApiServiceWriter(std::move(*writer)));
}

void ApiServiceWriter::patch(std::string path, std::string body, Done done) {
  writer_->mergePatch(std::move(path), std::move(body),
                      [done = std::move(done)](Result<std::string> result) {
                        if (!result) return done(result.error());
                        done(okStatus());
                      });
}

void ApiServiceWriter::writeAddresses(const k8s::Service& service,
                                      const std::vector<IpAddress>& addresses, Done done) {
  std::string list;
  for (const auto& a : addresses) list += (list.empty() ? "" : ",") + a.toString();
  patch(servicePath(service),
        k8s::annotationPatchJson(services::kLoadBalancerIpsAnnotation, list,
                                 service.meta.resource_version),
        std::move(done));
}

void ApiServiceWriter::writeStatus(const k8s::Service& service,
                                   const std::vector<k8s::LoadBalancerIngress>& ingress,
                                   Done done) {
  patch(servicePath(service) + "/status", k8s::serviceStatusPatchJson(ingress), std::move(done));
}

void ApiServiceWriter::writeVipHost(const k8s::Service& service, const std::string& node_name,
                                    Done done) {
  patch(servicePath(service), k8s::annotationPatchJson(services::kVipHostAnnotation, node_name),
        std::move(done));
}

}  // namespace kubevip::services_mode

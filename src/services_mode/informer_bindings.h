// Keeps the Services controller's ClusterView in step with the API server: one Informer per kind
// (k8s/informer.h), each object decoded on arrival.
//
// Watched: Services (every namespace, or svc_namespace), EndpointSlices (or Endpoints with
// enable_endpoints) in the same scope, this node's Node (by name) and the address pools'
// ConfigMap (by name). An object that does not decode is logged with its key and what is wrong,
// and counts as absent: a Service that cannot be read is not announced, which is safe; it comes
// back with its next valid version. Every change ends in ServicesController::changed().
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/event_loop.h"
#include "config/config.h"
#include "k8s/cluster_access.h"
#include "k8s/informer.h"
#include "services_mode/services_controller.h"

namespace kubevip::services_mode {

class InformerBindings {
 public:
  static Result<std::unique_ptr<InformerBindings>> create(EventLoop& loop,
                                                          const k8s::ClusterAccess& access,
                                                          const config::ServicesMode& mode,
                                                          const std::string& node_name,
                                                          ServicesController& controller);
  ~InformerBindings();

  void start();
  // True once every informer delivered its first list.
  bool synced() const;

 private:
  explicit InformerBindings(ServicesController& controller);
  struct Binding;
  // The informer's list and event callbacks.
  Status add(EventLoop& loop, const k8s::ClusterAccess& access, k8s::InformerOptions options,
             std::pair<std::function<void(const std::vector<k8s::WatchedObject>&)>,
                       std::function<void(k8s::InformerEventType, const k8s::WatchedObject&)>>
                 callbacks);

  ServicesController& controller_;
  std::vector<std::unique_ptr<Binding>> bindings_;
};

}  // namespace kubevip::services_mode

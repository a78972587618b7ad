#include "services_mode/informer_bindings.h"

#include <spdlog/spdlog.h>

namespace kubevip::services_mode {
namespace {

std::string scoped(const std::string& group_version_path, const std::string& namespace_filter,
                   const std::string& resource) {
  if (namespace_filter.empty()) return group_version_path + "/" + resource;
  return group_version_path + "/namespaces/" + namespace_filter + "/" + resource;
}

// Decodes one watched object; nullopt (logged) when it does not decode.
template <typename T>
std::optional<T> decode(Result<T> (*decoder)(std::string_view), const k8s::WatchedObject& object,
                        const char* kind) {
  auto value = decoder(object.json);
  if (!value) {
    spdlog::warn("services: {} {} ignored: {}", kind, object.key, value.error().message);
    return std::nullopt;
  }
  return std::move(*value);
}

template <typename T>
std::vector<T> decodeAll(Result<T> (*decoder)(std::string_view),
                         const std::vector<k8s::WatchedObject>& objects, const char* kind) {
  std::vector<T> out;
  out.reserve(objects.size());
  for (const auto& object : objects) {
    if (auto value = decode(decoder, object, kind)) out.push_back(std::move(*value));
  }
  return out;
}

// "namespace/name" -> the pair.
std::pair<std::string, std::string> splitKey(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

using ReplaceFn = std::function<void(const std::vector<k8s::WatchedObject>&)>;
using EventFn = std::function<void(k8s::InformerEventType, const k8s::WatchedObject&)>;

// How one kind of namespaced object enters the view.
template <typename T>
struct KeyedKind {
  Result<T> (*decoder)(std::string_view);
  const char* kind;
  std::function<void(std::vector<T>)> replace;
  std::function<void(T)> set;
  std::function<void(const std::string& object_namespace, const std::string& name)> remove;
};

// The informer callbacks for a kind: a list replaces the view's objects of that kind; an event
// sets or removes one (an object that does not decode is removed: see the header).
template <typename T>
std::pair<ReplaceFn, EventFn> keyed(KeyedKind<T> kind) {
  auto k = std::make_shared<KeyedKind<T>>(std::move(kind));
  ReplaceFn replace = [k](const std::vector<k8s::WatchedObject>& objects) {
    k->replace(decodeAll(k->decoder, objects, k->kind));
  };
  EventFn event = [k](k8s::InformerEventType type, const k8s::WatchedObject& object) {
    if (type != k8s::InformerEventType::kDeleted) {
      if (auto value = decode(k->decoder, object, k->kind)) return k->set(std::move(*value));
    }
    auto [ns, name] = splitKey(object.key);
    k->remove(ns, name);
  };
  return {std::move(replace), std::move(event)};
}

}  // namespace

struct InformerBindings::Binding {
  std::unique_ptr<k8s::Informer> informer;
  k8s::InformerCallbacks callbacks;
  bool synced = false;
  std::string last_error;
};

InformerBindings::InformerBindings(ServicesController& controller) : controller_(controller) {}

InformerBindings::~InformerBindings() = default;

Status InformerBindings::add(
    EventLoop& loop, const k8s::ClusterAccess& access, k8s::InformerOptions options,
    std::pair<std::function<void(const std::vector<k8s::WatchedObject>&)>,
              std::function<void(k8s::InformerEventType, const k8s::WatchedObject&)>>
        callbacks) {
  auto [replace, event] = std::move(callbacks);
  auto binding = std::make_unique<Binding>();
  Binding* raw = binding.get();
  const std::string what = options.description;
  auto informer = k8s::Informer::create(loop, access, std::move(options));
  if (!informer) return informer.error();
  binding->informer = std::move(*informer);
  binding->callbacks.on_replace = [this, raw, replace,
                                   what](std::vector<k8s::WatchedObject> objects) {
    if (!raw->synced || !raw->last_error.empty()) {
      spdlog::info("services: {} listed ({} objects)", what, objects.size());
    }
    raw->synced = true;
    raw->last_error.clear();
    replace(objects);
    if (synced()) controller_.setViewComplete();
    controller_.changed();
  };
  binding->callbacks.on_event = [this, raw, event](k8s::InformerEventType type,
                                                   k8s::WatchedObject object) {
    raw->last_error.clear();
    event(type, object);
    controller_.changed();
  };
  binding->callbacks.on_error = [raw, what](const Error& error) {
    // Repeated identical failures are logged once; the informer retries by itself.
    if (raw->last_error == error.message) return;
    raw->last_error = error.message;
    spdlog::warn("services: watching {} failed (retrying): {}", what, error.describe());
  };
  bindings_.push_back(std::move(binding));
  return {};
}

Result<std::unique_ptr<InformerBindings>> InformerBindings::create(EventLoop& loop,
                                                                   const k8s::ClusterAccess& access,
                                                                   const config::ServicesMode& mode,
                                                                   const std::string& node_name,
                                                                   ServicesController& controller) {
  std::unique_ptr<InformerBindings> b(new InformerBindings(controller));
  ClusterView& view = controller.view();
  using Type = k8s::InformerEventType;

  k8s::InformerOptions services;
  services.description = "Services";
  services.collection_path = scoped("/api/v1", mode.namespace_filter, "services");
  auto st = b->add(loop, access, services,
                   keyed<k8s::Service>({&k8s::serviceFromJson, "Service",
                                        [&view](auto all) { view.replaceServices(std::move(all)); },
                                        [&view](auto one) { view.setService(std::move(one)); },
                                        [&view](const std::string& ns, const std::string& name) {
                                          view.removeService({ns, name});
                                        }}));
  if (!st) return st.error();

  k8s::InformerOptions endpoints;
  if (mode.use_endpoints) {
    endpoints.description = "Endpoints";
    endpoints.collection_path = scoped("/api/v1", mode.namespace_filter, "endpoints");
    st = b->add(loop, access, endpoints,
                keyed<k8s::Endpoints>({&k8s::endpointsFromJson, "Endpoints",
                                       [&view](auto all) { view.replaceEndpoints(std::move(all)); },
                                       [&view](auto one) { view.setEndpoints(std::move(one)); },
                                       [&view](const std::string& ns, const std::string& name) {
                                         view.removeEndpoints({ns, name});
                                       }}));
  } else {
    endpoints.description = "EndpointSlices";
    endpoints.collection_path =
        scoped("/apis/discovery.k8s.io/v1", mode.namespace_filter, "endpointslices");
    st = b->add(loop, access, endpoints,
                keyed<k8s::EndpointSlice>(
                    {&k8s::endpointSliceFromJson, "EndpointSlice",
                     [&view](auto all) { view.replaceEndpointSlices(std::move(all)); },
                     [&view](auto one) { view.setEndpointSlice(std::move(one)); },
                     [&view](const std::string& ns, const std::string& name) {
                       view.removeEndpointSlice(ns, name);
                     }}));
  }
  if (!st) return st.error();

  k8s::InformerOptions node;
  node.description = "Node " + node_name;
  node.collection_path = "/api/v1/nodes";
  node.field_selector = "metadata.name=" + node_name;
  st = b->add(
      loop, access, node,
      {[&view](const std::vector<k8s::WatchedObject>& objects) {
         auto nodes = decodeAll(&k8s::nodeFromJson, objects, "Node");
         view.setNode(nodes.empty() ? std::nullopt : std::optional<k8s::Node>(nodes.front()));
       },
       [&view](Type type, const k8s::WatchedObject& object) {
         if (type == Type::kDeleted) return view.setNode(std::nullopt);
         view.setNode(decode(&k8s::nodeFromJson, object, "Node"));
       }});
  if (!st) return st.error();

  if (mode.address_management) {
    k8s::InformerOptions pools;
    pools.description =
        "ConfigMap " + mode.ipam_configmap_namespace + "/" + mode.ipam_configmap_name;
    pools.collection_path = "/api/v1/namespaces/" + mode.ipam_configmap_namespace + "/configmaps";
    pools.field_selector = "metadata.name=" + mode.ipam_configmap_name;
    st = b->add(loop, access, pools,
                {[&view](const std::vector<k8s::WatchedObject>& objects) {
                   auto maps = decodeAll(&k8s::configMapFromJson, objects, "ConfigMap");
                   view.setAddressPools(maps.empty() ? std::nullopt
                                                     : std::optional<k8s::ConfigMap>(maps.front()));
                 },
                 [&view](Type type, const k8s::WatchedObject& object) {
                   if (type == Type::kDeleted) return view.setAddressPools(std::nullopt);
                   view.setAddressPools(decode(&k8s::configMapFromJson, object, "ConfigMap"));
                 }});
    if (!st) return st.error();
  }
  return b;
}

void InformerBindings::start() {
  for (auto& binding : bindings_) binding->informer->start(binding->callbacks);
}

bool InformerBindings::synced() const {
  for (const auto& binding : bindings_) {
    if (!binding->synced) return false;
  }
  return true;
}

}  // namespace kubevip::services_mode

#include "k8s/apiserver_route.h"

#include <fmt/format.h>

namespace kubevip::k8s {

Result<std::string> serverHost(std::string_view server) {
  std::string_view rest = server;
  if (const auto scheme = rest.find("://"); scheme != std::string_view::npos) {
    rest.remove_prefix(scheme + 3);
  }
  rest = rest.substr(0, rest.find('/'));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  std::string_view host;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close != std::string_view::npos) host = rest.substr(1, close - 1);
  } else {
    host = rest.substr(0, rest.find(':'));
  }
  if (host.empty()) {
    return makeError(ErrorCode::kInvalidArgument,
                     fmt::format("API server address \"{}\" has no host", server));
  }
  return std::string(host);
}

Result<ClusterAccess> chooseApiServer(ClusterAccess access, const ApiServerChoice& choice) {
  auto host = serverHost(access.server);
  if (!host) return host.error();
  if (!choice.from_kubeconfig || choice.use_kubeconfig_server) return access;
  access.connect_to = fmt::format("{}:{}", kLocalApiServerAddress, choice.local_port);
  return access;
}

std::string describeApiServer(const ClusterAccess& chosen, const ApiServerChoice& choice) {
  if (!choice.from_kubeconfig) {
    return fmt::format(
        "API server: connecting to {} (in-cluster service account, KUBERNETES_SERVICE_HOST/PORT)",
        chosen.server);
  }
  const auto host = serverHost(chosen.server);
  const std::string tls =
      chosen.insecure_skip_tls_verify
          ? std::string("not verifying TLS (the kubeconfig sets insecure-skip-tls-verify)")
          : fmt::format("verifying TLS as {}", host ? *host : chosen.server);
  if (chosen.connect_to.empty()) {
    return fmt::format(
        "API server: connecting to the kubeconfig server {}, {} (k8s_use_kubeconfig_server=true)",
        chosen.server, tls);
  }
  return fmt::format(
      "API server: connecting to this node's own API server at {}, {} (kubeconfig server {}); set "
      "k8s_use_kubeconfig_server=true (--k8sUseKubeconfigServer) to use the kubeconfig server "
      "directly",
      chosen.connect_to, tls, chosen.server);
}

}  // namespace kubevip::k8s

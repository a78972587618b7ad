// Where the API server is and how to authenticate to it: from a kubeconfig file or from the
// in-cluster service account.
//
// In cluster, a pod finds the API server through KUBERNETES_SERVICE_HOST/PORT and authenticates
// with the projected service-account token under /var/run/secrets/kubernetes.io/serviceaccount
// (token, ca.crt, namespace). The kubelet rotates that token, so the file is named here and re-read
// by the transport whenever it changes. Out of cluster (a static pod on a control-plane node)
// kube-vip uses a kubeconfig, typically /etc/kubernetes/admin.conf; its current-context selects the
// cluster and user. Parsing is pure (text in, value out) and unit-tested; only the load* functions
// read files.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kubevip::k8s {

inline constexpr std::string_view kServiceAccountDir =
    "/var/run/secrets/kubernetes.io/serviceaccount";

struct ClusterAccess {
  std::string server;           // "https://host:port", no trailing slash
  std::string ca_pem;           // trusted CAs (PEM); empty: the system's store
  std::string client_cert_pem;  // client certificate authentication, both or neither
  std::string client_key_pem;
  std::string token;       // a fixed bearer token
  std::string token_file;  // a bearer token read from this file, re-read when it changes
  bool insecure_skip_tls_verify = false;
  std::string default_namespace;  // the service account's namespace, or the context's
  // "127.0.0.1:6443": connect here instead of to the server URL's host and port, still verifying
  // TLS against the URL's host (see apiserver_route.h). Empty: connect to the URL's host.
  std::string connect_to;
};

// Parses kubeconfig text. Relative file paths are resolved against `base_dir` (the directory of
// the file), and referenced files are read.
Result<ClusterAccess> parseKubeconfig(std::string_view text, const std::string& base_dir);
Result<ClusterAccess> loadKubeconfig(const std::string& path);

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
// The in-cluster configuration; `dir` holds token, ca.crt and namespace.
Result<ClusterAccess> loadInCluster(const EnvLookup& env,
                                    const std::string& dir = std::string(kServiceAccountDir));

// Decodes standard base64 (as in certificate-authority-data), ignoring whitespace.
Result<std::string> decodeBase64(std::string_view text);
Result<std::string> readFile(const std::string& path);

}  // namespace kubevip::k8s

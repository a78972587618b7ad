// Which API server kube-vip talks to, and which name it verifies TLS against.
//
// On a kubeadm cluster created with `--control-plane-endpoint VIP:6443`, the server of
// /etc/kubernetes/admin.conf is the VIP itself. kube-vip is what puts the VIP on a node, so
// talking to that server would be circular: before any node holds the VIP no node can reach the
// API server, nobody takes the Lease and the VIP never comes up (the cluster cannot bootstrap);
// after the holder steps down nobody can take it back. So with a kubeconfig (a static pod on a
// control-plane node) kube-vip talks to this node's own API server at 127.0.0.1:<port>, as the Go
// kube-vip does with `kubernetes:<port>` and a host alias to 127.0.0.1. It keeps the kubeconfig's
// CA and credentials and still verifies the certificate against the host the kubeconfig names:
// kubeadm writes the control-plane endpoint into the API server certificate's subjectAltNames.
// The redirection happens inside the HTTP client (ClusterAccess::connect_to, libcurl's
// CONNECT_TO), so no /etc/hosts entry is needed and an IP address host is verified against the
// certificate's IP SANs like any other.
//
// The consequence is the right one: a node whose own API server is down cannot renew the Lease,
// so it never holds the VIP that fronts that very API server.
//
// Clusters whose API servers do not run on the control-plane nodes set use_kubeconfig_server and
// talk to the kubeconfig's server as written. In-cluster service-account access (no kubeconfig:
// KUBERNETES_SERVICE_HOST/PORT) goes to the `kubernetes` Service as it is. Pure: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "k8s/cluster_access.h"

namespace kubevip::k8s {

inline constexpr std::string_view kLocalApiServerAddress = "127.0.0.1";

struct ApiServerChoice {
  bool from_kubeconfig = true;  // false: the in-cluster service account
  bool use_kubeconfig_server = false;
  uint16_t local_port = 6443;  // this node's API server port (kube-vip's `port`)
};

// The access to use: `access` as loaded, or, for a kubeconfig unless use_kubeconfig_server,
// the same access connected to 127.0.0.1:local_port. Fails on a server URL without a host.
Result<ClusterAccess> chooseApiServer(ClusterAccess access, const ApiServerChoice& choice);

// One line for the start-up log: where kube-vip connects, which name TLS verifies and how to
// change it.
std::string describeApiServer(const ClusterAccess& chosen, const ApiServerChoice& choice);

// The host of a server URL ("https://[fd00::1]:6443/prefix" -> "fd00::1").
Result<std::string> serverHost(std::string_view server);

}  // namespace kubevip::k8s

#include "k8s/cluster_access.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace kubevip::k8s {
namespace {

Error invalid(std::string message) {
  return makeError(ErrorCode::kInvalidArgument, std::move(message));
}

// The entry of `list` (clusters, users, contexts) whose name is `name`.
YAML::Node findNamed(const YAML::Node& list, const std::string& name) {
  if (!list || !list.IsSequence()) return {};
  for (const auto& entry : list) {
    if (entry["name"] && entry["name"].as<std::string>() == name) return entry;
  }
  return {};
}

std::string scalar(const YAML::Node& node, const char* key) {
  if (!node || !node[key] || !node[key].IsScalar()) return "";
  return node[key].as<std::string>();
}

std::string resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

// A PEM value given inline (`<key>-data`, base64) or as a file (`<key>`).
Result<std::string> pemFrom(const YAML::Node& node, const std::string& key,
                            const std::string& base_dir) {
  const std::string data = scalar(node, (key + "-data").c_str());
  if (!data.empty()) {
    auto decoded = decodeBase64(data);
    if (!decoded) return invalid(fmt::format("{}-data is not valid base64", key));
    return decoded;
  }
  const std::string file = scalar(node, key.c_str());
  if (file.empty()) return std::string();
  return readFile(resolve(base_dir, file));
}

}  // namespace

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return systemError(fmt::format("cannot read {}", path), errno);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Result<std::string> decodeBase64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  bool padding = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    const int v = value(c);
    if (v < 0 || padding) return invalid("invalid base64");
    bits = (bits << 6) | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  if (count >= 6) return invalid("invalid base64 length");
  return out;
}

Result<ClusterAccess> parseKubeconfig(std::string_view text, const std::string& base_dir) {
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return invalid(fmt::format("kubeconfig is not valid YAML: {}", e.what()));
  }
  try {
    const std::string context_name = scalar(doc, "current-context");
    if (context_name.empty()) return invalid("kubeconfig has no current-context");
    YAML::Node context = findNamed(doc["contexts"], context_name)["context"];
    if (!context) {
      return invalid(fmt::format("kubeconfig has no context named \"{}\"", context_name));
    }
    const std::string cluster_name = scalar(context, "cluster");
    const std::string user_name = scalar(context, "user");
    YAML::Node cluster = findNamed(doc["clusters"], cluster_name)["cluster"];
    if (!cluster) {
      return invalid(
          fmt::format(R"(kubeconfig context "{}" names cluster "{}", which is not defined)",
                      context_name, cluster_name));
    }
    ClusterAccess access;
    access.server = scalar(cluster, "server");
    while (!access.server.empty() && access.server.back() == '/') access.server.pop_back();
    if (access.server.empty()) {
      return invalid(fmt::format("kubeconfig cluster \"{}\" has no server", cluster_name));
    }
    access.insecure_skip_tls_verify =
        cluster["insecure-skip-tls-verify"] && cluster["insecure-skip-tls-verify"].as<bool>();
    auto ca = pemFrom(cluster, "certificate-authority", base_dir);
    if (!ca) return ca.error();
    access.ca_pem = std::move(*ca);
    access.default_namespace = scalar(context, "namespace");

    YAML::Node user = findNamed(doc["users"], user_name)["user"];
    if (!user_name.empty() && !user) {
      return invalid(fmt::format(R"(kubeconfig context "{}" names user "{}", which is not defined)",
                                 context_name, user_name));
    }
    if (user) {
      auto cert = pemFrom(user, "client-certificate", base_dir);
      if (!cert) return cert.error();
      auto key = pemFrom(user, "client-key", base_dir);
      if (!key) return key.error();
      if (cert->empty() != key->empty()) {
        return invalid(fmt::format(
            "kubeconfig user \"{}\" has a client certificate without a key, or a key without one",
            user_name));
      }
      access.client_cert_pem = std::move(*cert);
      access.client_key_pem = std::move(*key);
      access.token = scalar(user, "token");
      const std::string token_file = scalar(user, "tokenFile");
      if (!token_file.empty()) access.token_file = resolve(base_dir, token_file);
      if (user["exec"] || user["auth-provider"]) {
        return invalid(fmt::format(
            "kubeconfig user \"{}\" uses an exec or auth-provider plugin, which kube-vip does not "
            "run; use a token or a client certificate",
            user_name));
      }
    }
    return access;
  } catch (const YAML::Exception& e) {
    return invalid(fmt::format("malformed kubeconfig: {}", e.what()));
  }
}

Result<ClusterAccess> loadKubeconfig(const std::string& path) {
  auto text = readFile(path);
  if (!text) {
    Error e = text.error();
    e.message = "kubeconfig: " + e.message;
    return e;
  }
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  auto access = parseKubeconfig(*text, dir);
  if (!access) {
    Error e = access.error();
    e.message = path + ": " + e.message;
    return e;
  }
  return access;
}

Result<ClusterAccess> loadInCluster(const EnvLookup& env, const std::string& dir) {
  const auto host = env("KUBERNETES_SERVICE_HOST");
  const auto port = env("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    return invalid(
        "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set "
        "(give a kubeconfig with k8s_config_file / --k8sConfigPath instead)");
  }
  ClusterAccess access;
  const bool ipv6 = host->find(':') != std::string::npos;
  access.server = fmt::format("https://{}{}{}:{}", ipv6 ? "[" : "", *host, ipv6 ? "]" : "", *port);
  access.token_file = dir + "/token";
  auto token = readFile(access.token_file);
  if (!token) return token.error();
  auto ca = readFile(dir + "/ca.crt");
  if (!ca) return ca.error();
  access.ca_pem = std::move(*ca);
  auto ns = readFile(dir + "/namespace");
  if (ns) access.default_namespace = *ns;
  while (!access.default_namespace.empty() && isspace(access.default_namespace.back())) {
    access.default_namespace.pop_back();
  }
  return access;
}

}  // namespace kubevip::k8s

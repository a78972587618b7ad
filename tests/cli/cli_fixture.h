// Runs the command line with captured streams, a fake environment and a fake daemon.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"

namespace kubevip::cli::testing {

// A configuration file that is removed when the test ends.
class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    char path[] = "/tmp/kubevip-cli-test-XXXXXX";
    int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = path;
    std::ofstream(path_) << contents;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct CliRun {
  int status = -1;
  std::string out;
  std::string err;
};

class CliHarness {
 public:
  std::map<std::string, std::string> environment;
  std::optional<config::Config> daemon_config;  // what the fake daemon was started with
  config::ConfigSource daemon_reread;           // how it would build its configuration again
  int daemon_status = 0;

  CliRun run(const std::vector<std::string>& args) {
    std::ostringstream out;
    std::ostringstream err;
    CliEnvironment env;
    env.out = &out;
    env.err = &err;
    env.getenv = [this](const char* name) -> std::optional<std::string> {
      auto it = environment.find(name);
      if (it == environment.end()) return std::nullopt;
      return it->second;
    };
    env.interface_exists = [](const std::string& name) { return name == "eth0" || name == "lo"; };
    env.run_daemon = [this](const config::Config& config, config::ConfigSource reread) {
      daemon_config = config;
      daemon_reread = std::move(reread);
      return daemon_status;
    };
    CliRun result;
    result.status = runCli(args, env);
    result.out = out.str();
    result.err = err.str();
    return result;
  }
};

// "kube-vip: ...\n" and nothing else.
inline ::testing::AssertionResult isOneErrorLine(const std::string& err) {
  if (err.rfind("kube-vip: ", 0) != 0) return ::testing::AssertionFailure() << "stderr: " << err;
  if (err.empty() || err.back() != '\n' || err.find('\n') != err.size() - 1) {
    return ::testing::AssertionFailure() << "not one line: " << err;
  }
  return ::testing::AssertionSuccess();
}

// The environment of a manifest's container: name -> value, "(valueFrom)" for a value the
// cluster fills in (the node's name, a Secret).
using EnvValues = std::map<std::string, std::string>;

inline EnvValues containerEnv(const YAML::Node& container) {
  EnvValues env;
  for (const auto& e : container["env"]) {
    env[e["name"].as<std::string>()] = e["value"] ? e["value"].as<std::string>() : "(valueFrom)";
  }
  return env;
}

// The kube-vip container of `manifest daemonset` / `manifest pod` output.
inline YAML::Node daemonSetContainer(const CliRun& r) {
  return YAML::Load(r.out)["spec"]["template"]["spec"]["containers"][0];
}
inline YAML::Node podContainer(const CliRun& r) {
  return YAML::Load(r.out)["spec"]["containers"][0];
}

}  // namespace kubevip::cli::testing

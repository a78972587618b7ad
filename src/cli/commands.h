// One function per command adds it to the app; app.cc calls each once. A command reports through
// its CommandContext: output on env.out, errors with fail(), the exit status in exit_status.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/app.h"
#include "common/result.h"

namespace kubevip::cli {

struct CommandContext {
  const CliEnvironment& env;
  int exit_status = 0;

  // Prints "kube-vip: <message>" as one line and sets the exit status (exitStatusFor(error)).
  void fail(const Error& error);
};

// `version`: prints "kube-vip <version>".
void addVersionCommand(CLI::App& app, CommandContext& context);
// `sample config`: prints a complete configuration built from flags.
void addSampleCommand(CLI::App& app, CommandContext& context);
// `start -c FILE` runs the daemon; `check -c FILE` stops after validation.
void addStartCommands(CLI::App& app, CommandContext& context);
// `manager`: the in-cluster mode (Lease election), configured by kube-vip's environment variables.
void addManagerCommand(CLI::App& app, CommandContext& context);
// `manifest pod|daemonset|rbac`: prints Kubernetes manifests.
void addManifestCommand(CLI::App& app, CommandContext& context);
// `status [--socket PATH] [--output text|json]`: the running daemon's status document.
void addStatusCommand(CLI::App& app, CommandContext& context);
// `reload [--socket PATH]`: the running daemon re-reads its configuration file.
void addReloadCommand(CLI::App& app, CommandContext& context);

}  // namespace kubevip::cli

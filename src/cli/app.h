// The command line: `kube-vip <command> [flags]`.
//
// runCli builds one CLI11 app, lets each command register itself (commands.h) and parses. Every
// configuration or flag error ends the process with exit status 2 and one line on stderr,
// "kube-vip: <message>"; a failure of the environment (unreadable file, kernel error) with status 1
// (exitStatusFor); `start` returns the daemon's own exit status. What the process touches
// (streams, environment, interfaces, the daemon) is passed in a CliEnvironment so that tests can
// run the real parsing without a daemon or real interfaces.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/loader.h"

namespace kubevip::cli {

// Exit status of every configuration and command-line error: something the operator must change.
inline constexpr int kExitUsage = 2;
// Exit status of a failure at run time (a file that cannot be read, the kernel refusing, a server
// that cannot be reached): the same command may work when the environment is repaired.
inline constexpr int kExitFailure = 1;

// kExitUsage for errors in what was asked (invalid input, something named that does not exist),
// kExitFailure for everything the environment did.
int exitStatusFor(const Error& error);

struct CliEnvironment {
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  config::Getenv getenv;
  std::function<bool(const std::string&)> interface_exists;
  // Runs the daemon in the foreground and returns the process exit status; the ConfigSource
  // builds the configuration again on a reload (empty: nothing to re-read).
  std::function<int(const config::Config&, config::ConfigSource)> run_daemon;
};

// The process: std::cout, std::cerr, ::getenv, if_nametoindex and daemon::run.
int runCli(int argc, char** argv);

// args excludes the program name.
int runCli(const std::vector<std::string>& args, const CliEnvironment& env);

}  // namespace kubevip::cli

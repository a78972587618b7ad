// The real process behind runCli(argc, argv): kept apart from app.cc so that tests link the command
// line without the daemon.
#include <net/if.h>

#include <cstdlib>
#include <iostream>

#include "cli/app.h"
#include "daemon/daemon.h"

namespace kubevip::cli {

int runCli(int argc, char** argv) {
  CliEnvironment env;
  env.out = &std::cout;
  env.err = &std::cerr;
  env.getenv = [](const char* name) -> std::optional<std::string> {
    // Called while the command line is turned into a Config and again on a reload (on the
    // daemon's loop thread); nothing in the process modifies the environment, so reads from any
    // thread see the same values.
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read at start-up only
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  env.interface_exists = [](const std::string& name) { return if_nametoindex(name.c_str()) != 0; };
  env.run_daemon = [](const config::Config& config, config::ConfigSource reread) {
    return daemon::run(config, std::move(reread));
  };
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return runCli(args, env);
}

}  // namespace kubevip::cli

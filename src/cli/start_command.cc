// `start` and `check`: the same configuration steps; start then runs the daemon.
#include <memory>
#include <ostream>

#include "cli/commands.h"
#include "cli/start_options.h"
#include "common/log.h"

namespace kubevip::cli {
namespace {

CLI::App* addConfigCommand(CLI::App& app, const std::string& name, const std::string& description,
                           StartOptions& options) {
  CLI::App* cmd = app.add_subcommand(name, description);
  addStartOptions(*cmd, options);
  return cmd;
}

}  // namespace

void addStartCommands(CLI::App& app, CommandContext& context) {
  auto start_options = std::make_shared<StartOptions>();
  CLI::App* start = addConfigCommand(
      app, "start", "Run the daemon in the foreground with a configuration file", *start_options);
  start->callback([&context, start_options] {
    auto config =
        buildStartConfig(*start_options, context.env.getenv, context.env.interface_exists);
    if (!config.ok()) return context.fail(config.error());
    if (auto s = initLogging(config->log_level, start_options->log_format); !s.ok()) {
      return context.fail(s.error());
    }
    // A reload reads the file again, under the same environment and flags.
    config::ConfigSource reread = [options = *start_options, env = context.env] {
      return buildStartConfig(options, env.getenv, env.interface_exists);
    };
    context.exit_status = context.env.run_daemon(*config, std::move(reread));
  });

  auto check_options = std::make_shared<StartOptions>();
  CLI::App* check = addConfigCommand(
      app, "check", "Check a configuration as start would, then exit (0 when it is valid)",
      *check_options);
  check->callback([&context, check_options] {
    auto config =
        buildStartConfig(*check_options, context.env.getenv, context.env.interface_exists);
    if (!config.ok()) return context.fail(config.error());
    *context.env.out << "configuration ok\n";
    context.exit_status = 0;
  });
}

}  // namespace kubevip::cli

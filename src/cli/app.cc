#include "cli/app.h"

#include <ostream>

#include "cli/commands.h"

namespace kubevip::cli {
namespace {

std::string oneLine(std::string text) {
  for (size_t pos = text.find('\n'); pos != std::string::npos; pos = text.find('\n', pos)) {
    text.replace(pos, 1, pos + 1 == text.size() ? "" : "; ");
  }
  return text;
}

std::string commandNames(CLI::App& app) {
  std::string names;
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    names += (names.empty() ? "" : ", ") + sub->get_name();
  }
  return names;
}

}  // namespace

int exitStatusFor(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
      return kExitUsage;
    case ErrorCode::kSystem:
    case ErrorCode::kTimeout:
    case ErrorCode::kUnavailable:
    case ErrorCode::kConflict:
    case ErrorCode::kPermission:
    case ErrorCode::kInternal:
      return kExitFailure;
  }
  return kExitFailure;
}

void CommandContext::fail(const Error& error) {
  *env.err << "kube-vip: " << oneLine(error.describe()) << "\n";
  exit_status = exitStatusFor(error);
}

int runCli(const std::vector<std::string>& args, const CliEnvironment& env) {
  CommandContext context{env};
  CLI::App app{
      "kube-vip: a highly available virtual IP, elected with Raft, with TCP/HTTP load "
      "balancing",
      "kube-vip"};
  app.require_subcommand(1);
  // Commands register themselves; add one line per command.
  addVersionCommand(app, context);
  addSampleCommand(app, context);
  addStartCommands(app, context);
  addManagerCommand(app, context);
  addManifestCommand(app, context);
  addStatusCommand(app, context);
  addReloadCommand(app, context);

  // CLI11 would report an unknown command as a missing one; name it instead.
  if (!args.empty() && !args[0].starts_with("-")) {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      known = known || sub->check_name(args[0]);
    }
    if (!known) {
      context.fail(makeError(ErrorCode::kInvalidArgument,
                             "unknown command '" + args[0] + "'; commands are " +
                                 commandNames(app) + " (see kube-vip --help)"));
      return context.exit_status;
    }
  }
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e, *env.out, *env.err);  // --help
    std::string message = e.what();
    if (message == "A subcommand is required") message += " (see kube-vip --help)";
    context.fail(makeError(ErrorCode::kInvalidArgument, message));
  } catch (const std::exception& e) {
    // CLI11 lets some conversion errors escape as standard exceptions; they are still bad flags.
    context.fail(makeError(ErrorCode::kInvalidArgument, e.what()));
  }
  return context.exit_status;
}

}  // namespace kubevip::cli

// `reload`: asks the running daemon to re-read its configuration file, as SIGHUP does, and prints
// its answer. Exit status 0 when the daemon applied it, 1 when it refused (the message says why,
// e.g. a setting that cannot change while it runs) or could not be reached.
#include <memory>
#include <ostream>
#include <string>

#include "cli/commands.h"
#include "ops/control_socket.h"

namespace kubevip::cli {
namespace {

// Re-reading and applying a configuration may wait on the kernel and the election backend.
constexpr Duration kReloadTimeout = seconds(15);

struct ReloadOptions {
  std::string socket = ops::kDefaultControlSocketPath;
};

void reload(const ReloadOptions& options, CommandContext& context) {
  auto answer = ops::requestControl(options.socket, "reload", kReloadTimeout);
  if (!answer) return context.fail(answer.error());
  if (auto refused = ops::controlErrorIn(*answer)) {
    return context.fail(makeError(ErrorCode::kUnavailable,
                                  "the daemon at " + options.socket + " refused: " + *refused));
  }
  auto outcome = ops::parseReloadOutcome(*answer);
  if (!outcome) {
    return context.fail(makeError(ErrorCode::kInternal,
                                  "the daemon at " + options.socket +
                                      " sent an unreadable answer: " + outcome.error().message));
  }
  if (!outcome->ok) {
    return context.fail(makeError(ErrorCode::kConflict, "reload refused: " + outcome->message));
  }
  *context.env.out << outcome->message << "\n";
}

}  // namespace

void addReloadCommand(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<ReloadOptions>();
  CLI::App* command = app.add_subcommand(
      "reload", "Ask the running daemon to re-read its configuration file (as SIGHUP does)");
  command->add_option("--socket", options->socket, "The daemon's control socket")
      ->capture_default_str();
  command->callback([options, &context] { reload(*options, context); });
}

}  // namespace kubevip::cli

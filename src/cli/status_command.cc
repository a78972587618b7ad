// `status`: asks the running daemon over its control socket (ops/control_socket.h) who leads,
// where each VIP is and how the balancers' backends are, and prints it for people (text) or as
// the daemon's JSON document, indented.
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "cli/commands.h"
#include "ops/control_socket.h"
#include "ops/status.h"

namespace kubevip::cli {
namespace {

// The daemon answers from its loop, which it waits for at most a few seconds itself.
constexpr Duration kStatusTimeout = seconds(5);

struct StatusOptions {
  std::string socket = ops::kDefaultControlSocketPath;
  std::string output = "text";
};

void printStatus(const StatusOptions& options, CommandContext& context) {
  auto answer = ops::requestControl(options.socket, "status", kStatusTimeout);
  if (!answer) return context.fail(answer.error());
  if (auto refused = ops::controlErrorIn(*answer)) {
    return context.fail(makeError(ErrorCode::kUnavailable,
                                  "the daemon at " + options.socket + " refused: " + *refused));
  }
  // An answer we cannot read is the daemon's fault, not the operator's: exit status 1.
  auto broken = [&](const std::string& why) {
    context.fail(makeError(ErrorCode::kInternal, "the daemon at " + options.socket +
                                                     " sent an unreadable status: " + why));
  };
  if (options.output == "json") {
    // As received (a newer daemon's fields included), only indented.
    auto doc = nlohmann::json::parse(*answer, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return broken("not a JSON object");
    *context.env.out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  auto status = ops::statusFromJson(*answer);
  if (!status) return broken(status.error().message);
  *context.env.out << ops::renderStatusText(*status);
}

}  // namespace

void addStatusCommand(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<StatusOptions>();
  CLI::App* command = app.add_subcommand(
      "status",
      "Show what the running daemon knows: the leader, each VIP's holder, the Raft term and "
      "peers or the Lease, the balancers' backends");
  command->add_option("--socket", options->socket, "The daemon's control socket")
      ->capture_default_str();
  command->add_option("--output,-o", options->output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  command->callback([options, &context] { printStatus(*options, context); });
}

}  // namespace kubevip::cli

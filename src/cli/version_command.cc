#include <ostream>

#include "cli/commands.h"

namespace kubevip::cli {

void addVersionCommand(CLI::App& app, CommandContext& context) {
  app.add_subcommand("version", "Print the version and exit")->callback([&context] {
    *context.env.out << "kube-vip " << KUBEVIP_VERSION << "\n";
    context.exit_status = 0;
  });
}

}  // namespace kubevip::cli

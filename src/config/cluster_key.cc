// readClusterKey: the Raft cluster key from the environment or from the file the configuration
// names.
#include <fstream>
#include <sstream>

#include "config/loader.h"
#include "config/values.h"

namespace kubevip::config {

Result<std::optional<std::array<uint8_t, 32>>> readClusterKey(const Config& config) {
  if (!config.cluster_key.empty()) {
    auto key = parseClusterKey(config.cluster_key);
    if (!key.ok()) {
      return makeError(ErrorCode::kInvalidArgument,
                       "environment variable vip_clusterkey: " + key.error().message);
    }
    return std::optional<std::array<uint8_t, 32>>(*key);
  }
  if (config.cluster_key_file.empty()) return std::optional<std::array<uint8_t, 32>>();
  std::string where = config.origins.find("clusterKeyFile");
  where = (where.empty() ? "" : where + ": ") + "clusterKeyFile " + config.cluster_key_file + ": ";
  std::ifstream in(config.cluster_key_file);
  if (!in) {
    return makeError(ErrorCode::kNotFound,
                     where + "cannot be read (" + std::generic_category().message(errno) + ")");
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto key = parseClusterKey(text.str());
  if (!key.ok()) return makeError(ErrorCode::kInvalidArgument, where + key.error().message);
  return std::optional<std::array<uint8_t, 32>>(*key);
}

}  // namespace kubevip::config

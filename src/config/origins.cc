#include "config/config.h"

namespace kubevip::config {
namespace {

bool isBelow(std::string_view key, std::string_view parent) {
  if (parent.empty()) return true;
  if (!key.starts_with(parent)) return false;
  return key.size() == parent.size() || key[parent.size()] == '.' || key[parent.size()] == '[';
}

}  // namespace

void ValueOrigins::set(const std::string& key_path, std::string origin) {
  origins_[key_path] = std::move(origin);
}

void ValueOrigins::eraseBelow(std::string_view key_path) {
  for (auto it = origins_.lower_bound(key_path); it != origins_.end();) {
    if (!it->first.starts_with(key_path)) break;  // the map is sorted: no later key is below
    it = isBelow(it->first, key_path) ? origins_.erase(it) : std::next(it);
  }
}

std::optional<std::string> ValueOrigins::findExact(std::string_view key_path) const {
  if (auto it = origins_.find(key_path); it != origins_.end()) return it->second;
  return std::nullopt;
}

std::string ValueOrigins::find(std::string_view key_path) const {
  while (true) {
    if (auto it = origins_.find(key_path); it != origins_.end()) return it->second;
    if (key_path.empty()) return "";
    size_t cut = key_path.find_last_of(".[");
    key_path = cut == std::string_view::npos ? std::string_view() : key_path.substr(0, cut);
  }
}

}  // namespace kubevip::config

#include "k8s/watch_lines.h"

#include <fmt/format.h>

namespace kubevip::k8s {

Status WatchLineSplitter::feed(std::string_view chunk,
                               const std::function<Status(std::string_view)>& on_line) {
  const auto too_long = [&]() -> Status {
    partial_.clear();
    partial_.shrink_to_fit();
    return makeError(
        ErrorCode::kInvalidArgument,
        fmt::format("a watch event line from the API server exceeds the {} MiB cap ({} bytes)",
                    kMaxWatchLineBytes >> 20, kMaxWatchLineBytes));
  };
  for (;;) {
    const size_t newline = chunk.find('\n');
    if (newline == std::string_view::npos) break;
    if (partial_.size() + newline > kMaxWatchLineBytes) return too_long();
    partial_.append(chunk.substr(0, newline));
    chunk.remove_prefix(newline + 1);
    std::string_view line = partial_;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    Status status = line.empty() ? okStatus() : on_line(line);
    partial_.clear();
    if (!status) return status;
  }
  if (partial_.size() + chunk.size() > kMaxWatchLineBytes) return too_long();
  partial_.append(chunk);
  return okStatus();
}

}  // namespace kubevip::k8s

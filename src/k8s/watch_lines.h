// Splitting a Kubernetes watch stream into its lines, with a cap on the length of one line.
//
// A watch answers with one JSON event per line, and chunks of the stream arrive cut anywhere, so
// WatchLineSplitter keeps the unfinished line between them, up to kMaxWatchLineBytes: one line is
// one event carrying one object, and no object the API server stores exceeds etcd's 1.5 MiB
// request limit, so a longer line is a broken or hostile server, and keeping it would let it grow
// memory without bound. Used by every watch: the Lease watch (lease_watch.h) and the Informer
// (informer.h, through watch_event.h).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kubevip::k8s {

inline constexpr size_t kMaxWatchLineBytes = size_t{2} << 20;

class WatchLineSplitter {
 public:
  // Calls `on_line` for each line completed by `chunk`, in stream order, without its line end;
  // blank lines are skipped. Stops at the first error `on_line` returns and returns it. A line
  // longer than kMaxWatchLineBytes is an error naming the cap; the splitter keeps nothing of it and
  // the stream must be abandoned.
  Status feed(std::string_view chunk, const std::function<Status(std::string_view)>& on_line);
  // Bytes of an unfinished line kept for the next chunk.
  size_t pending() const { return partial_.size(); }

 private:
  std::string partial_;
};

}  // namespace kubevip::k8s

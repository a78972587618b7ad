// The Kubernetes watch protocol for one Lease, as pure functions.
//
// A watch is a GET on the leases collection with watch=true, filtered to one name by
// fieldSelector=metadata.name=NAME and starting after a resourceVersion. The answer is a stream
// of JSON watch events, one per line: {"type":"ADDED|MODIFIED|DELETED|ERROR","object":{...}};
// an ERROR's object is a meta/v1 Status (410 Gone when the resourceVersion is too old). Lines are
// split, and capped at kMaxWatchLineBytes, by the WatchLineSplitter every watch shares
// (watch_lines.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "k8s/lease.h"
#include "k8s/watch_lines.h"

namespace kubevip::k8s {

struct LeaseWatchEvent {
  enum class Type { kAdded, kModified, kDeleted };
  Type type = Type::kModified;
  Lease lease;
};

// The request path, e.g. /apis/coordination.k8s.io/v1/namespaces/kube-system/leases?watch=true&
// fieldSelector=metadata.name%3Dplndr-cp-lock&resourceVersion=1234&timeoutSeconds=290.
std::string leaseWatchPath(const std::string& lease_namespace, const std::string& lease_name,
                           const std::string& resource_version, int timeout_seconds);

// One line of the stream. An ERROR event becomes the Error its Status describes, except that
// 410 Gone becomes kNotFound: that resourceVersion is gone, start over from a fresh read.
Result<LeaseWatchEvent> parseLeaseWatchEvent(std::string_view line);

class WatchStreamParser {
 public:
  // The events completed by `chunk`, in stream order; blank lines are skipped. A line longer than
  // kMaxWatchLineBytes ends the list with an error naming the cap; the parser keeps nothing of it
  // and the stream must be abandoned.
  std::vector<Result<LeaseWatchEvent>> feed(std::string_view chunk);
  // Bytes of an unfinished line kept for the next chunk.
  size_t pending() const { return lines_.pending(); }

 private:
  WatchLineSplitter lines_;
};

}  // namespace kubevip::k8s

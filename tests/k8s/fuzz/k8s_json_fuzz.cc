// libFuzzer target over what the API server sends: every object decoder (Lease, Service,
// EndpointSlice, Endpoints, Node, ConfigMap), a list page, an error Status, and the watch stream
// (the bytes cut into lines by WatchLineSplitter, a few bytes per chunk, each line parsed as a
// watch event of any kind and as a Lease watch event). Every decoder gets every input, so one
// corpus of real objects serves all of them. Beyond "no crash, no exception escaping, no
// out-of-bounds read" (ASan/UBSan): a refusal carries a message, a Lease that decodes encodes to
// JSON that decodes to the same spec, and the splitter never hands over a line with a line end
// nor keeps more than its cap.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "k8s/api_error.h"
#include "k8s/collection_query.h"
#include "k8s/config_map.h"
#include "k8s/endpoint_slice.h"
#include "k8s/endpoints.h"
#include "k8s/lease.h"
#include "k8s/lease_watch.h"
#include "k8s/node.h"
#include "k8s/service.h"
#include "k8s/watch_event.h"
#include "k8s/watch_lines.h"

namespace {

using namespace kubevip::k8s;
using kubevip::Status;

void check(bool condition) {
  if (!condition) std::abort();
}

template <typename R>
void checkRefusalSaysWhy(const R& result) {
  check(result.ok() || !result.error().message.empty());
}

constexpr size_t kChunk = 7;

void leaseRoundTrip(std::string_view json) {
  auto lease = leaseFromJson(json);
  checkRefusalSaysWhy(lease);
  if (!lease) return;
  auto again = leaseFromJson(leaseToJson(*lease));
  check(again.ok());
  check(again->spec == lease->spec);
  check(again->name == lease->name && again->lease_namespace == lease->lease_namespace);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  leaseRoundTrip(text);
  checkRefusalSaysWhy(parseMicroTime(text));
  checkRefusalSaysWhy(serviceFromJson(text));
  checkRefusalSaysWhy(endpointSliceFromJson(text));
  checkRefusalSaysWhy(endpointsFromJson(text));
  checkRefusalSaysWhy(nodeFromJson(text));
  checkRefusalSaysWhy(configMapFromJson(text));
  checkRefusalSaysWhy(parseListPage(text, "services"));
  check(!errorFromResponse(500, text, "listing services").message.empty());

  WatchLineSplitter splitter;
  auto on_line = [](std::string_view line) -> Status {
    check(!line.empty() && line.find('\n') == std::string_view::npos);
    checkRefusalSaysWhy(parseWatchEvent(line, "services"));
    checkRefusalSaysWhy(parseLeaseWatchEvent(line));
    return {};
  };
  for (size_t at = 0; at < text.size(); at += kChunk) {
    if (!splitter.feed(text.substr(at, kChunk), on_line).ok()) break;
    check(splitter.pending() <= kMaxWatchLineBytes);
  }
  return 0;
}

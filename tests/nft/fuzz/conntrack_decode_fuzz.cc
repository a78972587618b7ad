// libFuzzer target over ctnetlink dump answers: decodeDumpDatagram, then for each entry that
// decodes the delete request deleteFlows() would send for it and matchesFlow() against it. Beyond
// "no crash, no out-of-bounds read" (ASan/UBSan): an entry's tuples each hold one address family,
// so its delete request encodes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "nft/conntrack.h"

namespace {

using namespace kubevip::nft;

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto messages = decodeDumpDatagram(std::span(data, size));
  if (!messages) {
    check(!messages.error().message.empty());
    return 0;
  }
  for (const DumpMessage& m : *messages) {
    if (m.kind == DumpMessageKind::kError) check(m.error >= 0);
    if (m.kind != DumpMessageKind::kEntry || !m.entry) continue;
    const ConntrackEntry& entry = *m.entry;
    check(entry.original.source.family() == entry.original.destination.family());
    check(entry.reply.source.family() == entry.reply.destination.family());
    check(encodeDeleteRequest(1, entry.original, entry.zone).ok());
    FlowMatch match{entry.original.protocol == 6 ? Protocol::kTcp : Protocol::kUdp,
                    entry.original.destination, entry.original.destination_port, entry.reply.source,
                    entry.reply.source_port};
    (void)matchesFlow(match, entry);
  }
  return 0;
}

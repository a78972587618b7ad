#include "net/link_local_source.h"

#include <utility>

#include "common/log.h"

namespace kubevip::net {
namespace {

// fe80::/10, RFC 4291 §2.5.6.
bool isLinkLocal(const IpAddress& a) {
  const auto& b = a.raw();
  return a.isV6() && b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
}

}  // namespace

LinkLocalSource::LinkLocalSource(int ifindex, std::optional<IpAddress> known, Lookup lookup)
    : ifindex_(ifindex),
      address_(known),
      lookup_(std::move(lookup)),
      // An address that exists may appear later; one already known stays until an event says so.
      stale_(!address_) {}

IpAddress LinkLocalSource::sourceOr(const IpAddress& fallback) {
  if (stale_) {
    ++lookups_;
    auto fresh = lookup_();
    if (!fresh) {
      spdlog::warn("looking up the link-local address of interface {}: {}", ifindex_,
                   fresh.error().describe());
      address_.reset();  // stays stale: the next announcement asks again
    } else {
      stale_ = false;
      // The same name may belong to a new interface now; its addresses are not ours to use.
      address_ = fresh->index == ifindex_ ? fresh->link_local_v6 : std::nullopt;
    }
  }
  return address_.value_or(fallback);
}

void LinkLocalSource::onAddressEvent(const AddressEvent& event) {
  if (event.ifindex == ifindex_ && isLinkLocal(event.address)) stale_ = true;
}

}  // namespace kubevip::net

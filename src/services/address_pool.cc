#include "services/address_pool.h"

#include <algorithm>
#include <charconv>

namespace kubevip::services {
namespace {

std::string_view trim(std::string_view text) {
  const auto not_space = [](char c) { return c != ' ' && c != '\t' && c != '\n' && c != '\r'; };
  const auto begin = std::find_if(text.begin(), text.end(), not_space);
  const auto end = std::find_if(text.rbegin(), text.rend(), not_space).base();
  return begin < end ? std::string_view(begin, end) : std::string_view();
}

Error itemError(std::string_view key, std::string_view item, std::string_view why) {
  return makeError(ErrorCode::kInvalidArgument,
                   std::string(key) + ": \"" + std::string(item) + "\": " + std::string(why));
}

int familyBits(IpFamily family) { return family == IpFamily::kV4 ? 32 : 128; }

const char* familyName(IpFamily family) { return family == IpFamily::kV4 ? "IPv4" : "IPv6"; }

// All ones in the low `bits` bits (bits in 0..128).
AddressValue lowMask(int bits) {
  if (bits <= 0) return 0;
  if (bits >= 128) return ~AddressValue{0};
  return (AddressValue{1} << bits) - 1;
}

Result<AddressRange> parseCidr(std::string_view key, std::string_view item, IpFamily& family) {
  const auto slash = item.find('/');
  if (slash == std::string_view::npos) return itemError(key, item, "expected ADDRESS/PREFIX");
  auto address = IpAddress::parse(item.substr(0, slash));
  if (!address) return itemError(key, item, "not an IPv4 or IPv6 address before '/'");
  family = address->family();
  const std::string_view length_text = item.substr(slash + 1);
  int length = -1;
  const auto [end, ec] =
      std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
  const int max_length = familyBits(family);
  if (length_text.empty() || ec != std::errc() || end != length_text.data() + length_text.size() ||
      length < 0 || length > max_length) {
    return itemError(key, item,
                     std::string("prefix length must be 0..") + std::to_string(max_length) +
                         " for " + familyName(family));
  }
  if (family == IpFamily::kV4 && length == 32 && address->isUnspecified()) {
    return itemError(key, item, "0.0.0.0/32 asks for DHCP, which address pools do not offer");
  }
  const AddressValue host_mask = lowMask(max_length - length);
  const AddressValue network = addressValue(*address) & ~host_mask;
  AddressRange range{network, network | host_mask};
  // IPv4 CIDRs of /30 and shorter lose their network and broadcast addresses; /31 (RFC 3021) and
  // /32 keep all. See the header.
  if (family == IpFamily::kV4 && length <= 30) {
    ++range.first;
    --range.last;
  }
  return range;
}

Result<AddressRange> parseRange(std::string_view key, std::string_view item, IpFamily& family) {
  const auto dash = item.find('-');
  if (dash == std::string_view::npos || item.find('-', dash + 1) != std::string_view::npos) {
    return itemError(key, item, "expected FIRST-LAST");
  }
  auto first = IpAddress::parse(trim(item.substr(0, dash)));
  auto last = IpAddress::parse(trim(item.substr(dash + 1)));
  if (!first) return itemError(key, item, "the first address is not an IPv4 or IPv6 address");
  if (!last) return itemError(key, item, "the last address is not an IPv4 or IPv6 address");
  if (first->family() != last->family()) {
    return itemError(key, item, "the first and last addresses are of different families");
  }
  family = first->family();
  const AddressRange range{addressValue(*first), addressValue(*last)};
  if (range.first > range.last) return itemError(key, item, "the first address is above the last");
  return range;
}

}  // namespace

AddressValue addressValue(const IpAddress& address) {
  AddressValue value = 0;
  for (std::size_t i = 0; i < address.size(); ++i) value = (value << 8) | address.data()[i];
  return value;
}

IpAddress addressFromValue(IpFamily family, AddressValue value) {
  if (family == IpFamily::kV4) {
    std::array<uint8_t, 4> bytes{};
    for (int i = 3; i >= 0; --i, value >>= 8) bytes[i] = static_cast<uint8_t>(value & 0xff);
    return IpAddress::v4(bytes);
  }
  std::array<uint8_t, 16> bytes{};
  for (int i = 15; i >= 0; --i, value >>= 8) bytes[i] = static_cast<uint8_t>(value & 0xff);
  return IpAddress::v6(bytes);
}

void FamilyPool::add(AddressRange range) {
  // Insert in order, then merge the neighbours that overlap or touch. Pools have a handful of
  // ranges, so the linear insert is fine.
  auto at = std::lower_bound(
      ranges_.begin(), ranges_.end(), range,
      [](const AddressRange& a, const AddressRange& b) { return a.first < b.first; });
  ranges_.insert(at, range);
  std::vector<AddressRange> merged;
  merged.reserve(ranges_.size());
  for (const AddressRange& r : ranges_) {
    // "touches": r starts right after the previous one ends (careful at the top of the space).
    if (!merged.empty() &&
        (r.first <= merged.back().last ||
         (merged.back().last != ~AddressValue{0} && r.first == merged.back().last + 1))) {
      merged.back().last = std::max(merged.back().last, r.last);
    } else {
      merged.push_back(r);
    }
  }
  ranges_ = std::move(merged);
}

bool FamilyPool::contains(AddressValue value) const {
  auto after = std::upper_bound(ranges_.begin(), ranges_.end(), value,
                                [](AddressValue v, const AddressRange& r) { return v < r.first; });
  return after != ranges_.begin() && value <= std::prev(after)->last;
}

std::string AddressPool::describe() const {
  std::string joined;
  for (const std::string& key : source_keys) {
    if (!joined.empty()) joined += ',';
    joined += key;
  }
  return joined;
}

Status addToPool(std::string_view key, std::string_view value, PoolSyntax syntax,
                 AddressPool& pool) {
  std::vector<std::pair<IpFamily, AddressRange>> parsed;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = value.find(',', start);
    const std::string_view item =
        trim(value.substr(start, comma == std::string_view::npos ? value.npos : comma - start));
    if (item.empty()) {
      return makeError(ErrorCode::kInvalidArgument,
                       std::string(key) + ": empty item in \"" + std::string(value) + "\"");
    }
    IpFamily family = IpFamily::kV4;
    auto range = syntax == PoolSyntax::kCidrList ? parseCidr(key, item, family)
                                                 : parseRange(key, item, family);
    if (!range) return range.error();
    parsed.emplace_back(family, *range);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  // All items parsed: only now change the pool, so that a bad value leaves it as it was.
  for (const auto& [family, range] : parsed) pool.family(family).add(range);
  pool.source_keys.emplace_back(key);
  return okStatus();
}

}  // namespace kubevip::services

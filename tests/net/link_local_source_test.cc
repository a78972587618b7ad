#include "net/link_local_source.h"

#include <gtest/gtest.h>

#include "support/addresses.h"

namespace kubevip::net {
namespace {

constexpr int kIfindex = 4;
using test::ip;

class LinkLocalSourceTest : public ::testing::Test {
 protected:
  LinkLocalSource make(std::optional<IpAddress> known) {
    return {kIfindex, known, [this]() -> Result<InterfaceInfo> {
              ++lookups_;
              if (fail_) return makeError(ErrorCode::kSystem, "injected failure");
              InterfaceInfo info;
              info.index = index_;
              info.name = "eth0";
              info.link_local_v6 = current_;
              return info;
            }};
  }
  AddressEvent event(AddressEvent::Kind kind, int ifindex, const char* address) {
    return AddressEvent{kind, ifindex, ip(address), 64};
  }

  int lookups_ = 0;
  bool fail_ = false;
  int index_ = kIfindex;
  std::optional<IpAddress> current_;
  const IpAddress vip_ = ip("2001:db8::1");
};

TEST_F(LinkLocalSourceTest, KnownAddressIsUsedWithoutLookingUp) {
  auto source = make(ip("fe80::1"));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(source.sourceOr(vip_), ip("fe80::1"));
  EXPECT_EQ(lookups_, 0);
}

// No link-local address yet: one lookup, not one per announcement; the VIP is the source.
TEST_F(LinkLocalSourceTest, MissingAddressIsLookedUpOnceNotPerAnnouncement) {
  auto source = make(std::nullopt);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(source.sourceOr(vip_), vip_);
  EXPECT_EQ(lookups_, 1);
}

TEST_F(LinkLocalSourceTest, LinkLocalEventOnOurInterfaceRefreshes) {
  auto source = make(std::nullopt);
  EXPECT_EQ(source.sourceOr(vip_), vip_);
  current_ = ip("fe80::2");
  source.onAddressEvent(event(AddressEvent::Kind::kAdded, kIfindex + 1, "fe80::2"));
  source.onAddressEvent(event(AddressEvent::Kind::kAdded, kIfindex, "2001:db8::5"));
  EXPECT_EQ(source.sourceOr(vip_), vip_) << "other interfaces and global addresses do not matter";
  EXPECT_EQ(lookups_, 1);
  source.onAddressEvent(event(AddressEvent::Kind::kAdded, kIfindex, "fe80::2"));
  EXPECT_EQ(source.sourceOr(vip_), ip("fe80::2"));
  EXPECT_EQ(source.sourceOr(vip_), ip("fe80::2"));
  EXPECT_EQ(lookups_, 2);
  current_.reset();
  source.onAddressEvent(event(AddressEvent::Kind::kRemoved, kIfindex, "fe80::2"));
  EXPECT_EQ(source.sourceOr(vip_), vip_) << "a removed address is not used";
}

TEST_F(LinkLocalSourceTest, LostEventsOrAFailedSendRefresh) {
  auto source = make(ip("fe80::1"));
  current_ = ip("fe80::3");
  source.markStale();
  EXPECT_EQ(source.sourceOr(vip_), ip("fe80::3"));
  EXPECT_EQ(lookups_, 1);
}

TEST_F(LinkLocalSourceTest, FailedLookupFallsBackAndIsRetried) {
  auto source = make(std::nullopt);
  fail_ = true;
  EXPECT_EQ(source.sourceOr(vip_), vip_);
  fail_ = false;
  current_ = ip("fe80::4");
  EXPECT_EQ(source.sourceOr(vip_), ip("fe80::4"));
  EXPECT_EQ(lookups_, 2);
}

TEST_F(LinkLocalSourceTest, AddressOfAnotherInterfaceWithTheSameNameIsNotUsed) {
  auto source = make(std::nullopt);
  index_ = kIfindex + 7;  // the interface was deleted and a new one got its name
  current_ = ip("fe80::5");
  EXPECT_EQ(source.sourceOr(vip_), vip_);
}

}  // namespace
}  // namespace kubevip::net

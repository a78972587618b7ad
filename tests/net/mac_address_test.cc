#include "net/mac_address.h"

#include <gtest/gtest.h>

namespace kubevip::net {
namespace {

TEST(MacAddressTest, FormatsLowerCaseWithColons) {
  MacAddress mac{{0x02, 0xAB, 0x00, 0x0c, 0xff, 0x1}};
  EXPECT_EQ(mac.toString(), "02:ab:00:0c:ff:01");
}

TEST(MacAddressTest, ParsesEitherCaseAndRoundTrips) {
  auto mac = MacAddress::parse("02:AB:00:0c:FF:01");
  ASSERT_TRUE(mac.ok()) << mac.error().describe();
  EXPECT_EQ(*mac, (MacAddress{{0x02, 0xab, 0x00, 0x0c, 0xff, 0x01}}));
  EXPECT_EQ(MacAddress::parse(mac->toString()).value(), *mac);
}

TEST(MacAddressTest, RejectsMalformedText) {
  for (const char* bad : {"", "02:ab:00:0c:ff", "02:ab:00:0c:ff:01:02", "02-ab-00-0c-ff-01",
                          "02:ab:00:0c:ff:0g", "2:ab:00:0c:ff:011", "02:ab:00:0c:ff:01 "}) {
    auto mac = MacAddress::parse(bad);
    ASSERT_FALSE(mac.ok()) << bad;
    EXPECT_EQ(mac.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(MacAddressTest, BroadcastAndZero) {
  EXPECT_EQ(MacAddress::broadcast().toString(), "ff:ff:ff:ff:ff:ff");
  EXPECT_TRUE(MacAddress{}.isZero());
  EXPECT_FALSE(MacAddress::broadcast().isZero());
}

}  // namespace
}  // namespace kubevip::net

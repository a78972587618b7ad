#include "common/ip_address.h"

#include <gtest/gtest.h>

namespace kubevip {
namespace {

TEST(IpAddressTest, ParsesBothFamilies) {
  auto v4 = IpAddress::parse("192.168.0.1");
  ASSERT_TRUE(v4.ok());
  EXPECT_TRUE(v4->isV4());
  EXPECT_EQ(v4->toString(), "192.168.0.1");
  EXPECT_EQ(v4->hostPrefixLength(), 32);
  auto v6 = IpAddress::parse("fd00::10");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->isV6());
  EXPECT_EQ(v6->toString(), "fd00::10");
  EXPECT_EQ(v6->hostPrefixLength(), 128);
}

TEST(IpAddressTest, RejectsMalformed) {
  for (const char* bad : {"", "1.2.3", "1.2.3.256", "host.example", "10.0.0.1/32", "::g"}) {
    auto r = IpAddress::parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
}

TEST(IpAddressTest, EndpointFormatsIpv6InBrackets) {
  EXPECT_EQ((Endpoint{*IpAddress::parse("fd00::1"), 80}).toString(), "[fd00::1]:80");
  EXPECT_EQ((Endpoint{*IpAddress::parse("10.0.0.1"), 80}).toString(), "10.0.0.1:80");
}

}  // namespace
}  // namespace kubevip

#include "services/addresses_in_use.h"

#include <gtest/gtest.h>

namespace kubevip::services {
namespace {

AddressValue v4(const char* text) { return addressValue(*IpAddress::parse(text)); }

void use(AddressesInUse& in_use, const char* text, std::string ns = "a",
         std::vector<ServicePort> ports = {{80, "TCP"}}) {
  in_use.add(*IpAddress::parse(text), {std::move(ns), std::move(ports)});
}

std::optional<AddressValue> unused(const AddressesInUse& in_use, const char* first,
                                   const char* last) {
  return in_use.lowestUnused(IpFamily::kV4, {v4(first), v4(last)});
}

TEST(AddressesInUseTest, RunsOfUsedAddressesMergeWhicheverOrderTheyArrive) {
  AddressesInUse in_use;
  use(in_use, "10.0.0.3");
  use(in_use, "10.0.0.1");
  EXPECT_EQ(unused(in_use, "10.0.0.1", "10.0.0.9"), v4("10.0.0.2"));
  use(in_use, "10.0.0.2");  // bridges the runs 1..1 and 3..3
  EXPECT_EQ(unused(in_use, "10.0.0.1", "10.0.0.9"), v4("10.0.0.4"));
  EXPECT_EQ(unused(in_use, "10.0.0.2", "10.0.0.9"), v4("10.0.0.4"));
  use(in_use, "10.0.0.5");
  use(in_use, "10.0.0.4");  // joins the run below and the one above
  EXPECT_EQ(unused(in_use, "10.0.0.1", "10.0.0.9"), v4("10.0.0.6"));
  EXPECT_EQ(unused(in_use, "10.0.0.1", "10.0.0.5"), std::nullopt);
  EXPECT_EQ(unused(in_use, "10.0.0.0", "10.0.0.5"), v4("10.0.0.0"));
  EXPECT_EQ(unused(in_use, "10.0.0.7", "10.0.0.9"), v4("10.0.0.7"));
  use(in_use, "10.0.0.5", "b");  // a second holder changes no run
  EXPECT_EQ(unused(in_use, "10.0.0.1", "10.0.0.9"), v4("10.0.0.6"));
  EXPECT_EQ(in_use.size(), 5u);
  EXPECT_EQ(in_use.holders(*IpAddress::parse("10.0.0.5")).size(), 2u);
  EXPECT_TRUE(in_use.holders(*IpAddress::parse("10.0.0.6")).empty());
}

TEST(AddressesInUseTest, RunsAtTheEdgesOfTheAddressSpace) {
  AddressesInUse in_use;
  use(in_use, "0.0.0.0");
  use(in_use, "255.255.255.255");
  in_use.add(*IpAddress::parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), {"a", {}});
  in_use.add(*IpAddress::parse("::"), {"a", {}});
  EXPECT_EQ(unused(in_use, "0.0.0.0", "0.0.0.1"), v4("0.0.0.1"));
  EXPECT_EQ(unused(in_use, "255.255.255.255", "255.255.255.255"), std::nullopt);
  const AddressValue top = ~AddressValue{0};
  EXPECT_EQ(in_use.lowestUnused(IpFamily::kV6, {top, top}), std::nullopt);
  EXPECT_EQ(in_use.lowestUnused(IpFamily::kV6, {0, 1}), AddressValue{1});
}

TEST(AddressesInUseTest, AnAddressHeldFromTwoNamespacesCanNoLongerBeJoined) {
  AddressesInUse in_use;
  use(in_use, "10.0.0.1", "a", {{80, "TCP"}});
  const AddressRange range{v4("10.0.0.0"), v4("10.0.0.9")};
  EXPECT_EQ(in_use.lowestJoinable(IpFamily::kV4, range, "a", {{443, "TCP"}}), v4("10.0.0.1"));
  EXPECT_EQ(in_use.lowestJoinable(IpFamily::kV4, range, "b", {{443, "TCP"}}), std::nullopt);
  use(in_use, "10.0.0.1", "b", {{8080, "TCP"}});
  EXPECT_EQ(in_use.lowestJoinable(IpFamily::kV4, range, "a", {{443, "TCP"}}), std::nullopt);
  EXPECT_EQ(in_use.lowestJoinable(IpFamily::kV4, range, "b", {{443, "TCP"}}), std::nullopt);
}

TEST(AddressesInUseTest, PortsOverlapOnSameNumberAndProtocol) {
  EXPECT_TRUE(portsOverlap({{80, "TCP"}}, {{80, "TCP"}}));
  EXPECT_TRUE(portsOverlap({{80, ""}}, {{80, "TCP"}}));
  EXPECT_FALSE(portsOverlap({{80, "TCP"}}, {{80, "UDP"}}));
  EXPECT_FALSE(portsOverlap({{80, "TCP"}, {53, "UDP"}}, {{443, "TCP"}, {53, "TCP"}}));
  EXPECT_TRUE(portsOverlap({}, {{443, "TCP"}}));
  EXPECT_TRUE(portsOverlap({{443, "TCP"}}, {}));
}

}  // namespace
}  // namespace kubevip::services

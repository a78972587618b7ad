#include "services/ipam.h"

#include <gtest/gtest.h>

#include <string>

#include "support/addresses.h"

namespace kubevip::services {
namespace {

using test::ip;

IpamConfig config(const std::map<std::string, std::string>& data) {
  auto parsed = parseIpamConfig(data);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().describe());
  return parsed.ok() ? *parsed : IpamConfig{};
}

std::string parseError(const std::map<std::string, std::string>& data) {
  auto parsed = parseIpamConfig(data);
  EXPECT_FALSE(parsed.ok());
  return parsed.ok() ? "" : parsed.error().message;
}

AllocationRequest request(std::string ns, std::vector<ServicePort> ports = {{80, "TCP"}},
                          IpFamilyPolicy policy = IpFamilyPolicy::kSingleStack,
                          std::vector<IpFamily> families = {}) {
  return AllocationRequest{std::move(ns), policy, std::move(families), std::move(ports)};
}

std::string allocated(const IpamConfig& cfg, const AllocationRequest& req,
                      const AddressesInUse& in_use = {}) {
  auto result = allocateAddresses(cfg, req, in_use);
  if (!result) return "error: " + result.error().message;
  std::string out;
  for (const IpAddress& a : *result) out += (out.empty() ? "" : ",") + a.toString();
  return out;
}

std::vector<std::pair<std::string, std::string>> ranges(const FamilyPool& pool, IpFamily family) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const AddressRange& r : pool.ranges()) {
    out.emplace_back(addressFromValue(family, r.first).toString(),
                     addressFromValue(family, r.last).toString());
  }
  return out;
}

using Ranges = std::vector<std::pair<std::string, std::string>>;

// --- Parsing -------------------------------------------------------------------------------------

TEST(IpamConfigTest, Ipv4CidrLosesNetworkAndBroadcastUpToSlash30) {
  auto cfg = config({{"cidr-global", "10.0.0.0/24, 10.0.1.0/30"}});
  EXPECT_EQ(ranges(cfg.global.v4, IpFamily::kV4),
            (Ranges{{"10.0.0.1", "10.0.0.254"}, {"10.0.1.1", "10.0.1.2"}}));
}

TEST(IpamConfigTest, Ipv4Slash31AndSlash32KeepEveryAddress) {
  auto cfg = config({{"cidr-global", "10.0.0.0/31,10.0.0.9/32"}});
  EXPECT_EQ(ranges(cfg.global.v4, IpFamily::kV4),
            (Ranges{{"10.0.0.0", "10.0.0.1"}, {"10.0.0.9", "10.0.0.9"}}));
}

TEST(IpamConfigTest, Ipv6CidrKeepsEveryAddressAndHostBitsAreMasked) {
  auto cfg = config({{"cidr-global", "fd00::5/120"}, {"cidr-a", "10.0.0.77/24"}});
  EXPECT_EQ(ranges(cfg.global.v6, IpFamily::kV6), (Ranges{{"fd00::", "fd00::ff"}}));
  EXPECT_EQ(ranges(cfg.namespaces["a"].v4, IpFamily::kV4), (Ranges{{"10.0.0.1", "10.0.0.254"}}));
}

TEST(IpamConfigTest, RangesOfBothFamiliesAreSortedAndMerged) {
  auto cfg = config({{"range-global",
                      " 10.0.0.20-10.0.0.30 ,fd00::1-fd00::9, 10.0.0.10 - 10.0.0.20,"
                      "10.0.0.31-10.0.0.31,\t10.0.0.50-10.0.0.60"}});
  EXPECT_EQ(ranges(cfg.global.v4, IpFamily::kV4),
            (Ranges{{"10.0.0.10", "10.0.0.31"}, {"10.0.0.50", "10.0.0.60"}}));
  EXPECT_EQ(ranges(cfg.global.v6, IpFamily::kV6), (Ranges{{"fd00::1", "fd00::9"}}));
}

TEST(IpamConfigTest, CidrAndRangeOfOneNamespaceFormOnePool) {
  auto cfg = config({{"cidr-a", "10.0.0.0/30"}, {"range-a", "10.0.0.8-10.0.0.9"}});
  EXPECT_EQ(ranges(cfg.namespaces["a"].v4, IpFamily::kV4),
            (Ranges{{"10.0.0.1", "10.0.0.2"}, {"10.0.0.8", "10.0.0.9"}}));
  EXPECT_EQ(cfg.namespaces["a"].describe(), "cidr-a,range-a");
}

TEST(IpamConfigTest, AllowShareIsReadPerNamespaceWithGlobalDefault) {
  auto cfg = config({{"allow-share-a", " True"},
                     {"allow-share-b", "false"},
                     {"allow-share-global", "true"},
                     {"interface-a", "eth1"}});
  EXPECT_TRUE(cfg.sharingAllowed("a"));
  EXPECT_FALSE(cfg.sharingAllowed("b"));
  EXPECT_TRUE(cfg.sharingAllowed("c"));
  EXPECT_FALSE(config({}).sharingAllowed("a"));
}

TEST(IpamConfigTest, ErrorsNameTheKeyAndTheItem) {
  EXPECT_EQ(parseError({{"cidr-a", "10.0.0.0/24,10.0.0.0/33"}}),
            "cidr-a: \"10.0.0.0/33\": prefix length must be 0..32 for IPv4");
  EXPECT_EQ(parseError({{"cidr-a", "fd00::/129"}}),
            "cidr-a: \"fd00::/129\": prefix length must be 0..128 for IPv6");
  EXPECT_EQ(parseError({{"cidr-a", "10.0.0.0"}}), "cidr-a: \"10.0.0.0\": expected ADDRESS/PREFIX");
  EXPECT_EQ(parseError({{"cidr-a", "10.0.0/24"}}),
            "cidr-a: \"10.0.0/24\": not an IPv4 or IPv6 address before '/'");
  EXPECT_EQ(parseError({{"cidr-a", "10.0.0.0/2x"}}),
            "cidr-a: \"10.0.0.0/2x\": prefix length must be 0..32 for IPv4");
  EXPECT_EQ(parseError({{"cidr-a", "0.0.0.0/32"}}),
            "cidr-a: \"0.0.0.0/32\": 0.0.0.0/32 asks for DHCP, which address pools do not offer");
  EXPECT_EQ(parseError({{"range-global", "10.0.0.9-10.0.0.1"}}),
            "range-global: \"10.0.0.9-10.0.0.1\": the first address is above the last");
  EXPECT_EQ(parseError({{"range-global", "10.0.0.1-fd00::1"}}),
            "range-global: \"10.0.0.1-fd00::1\": the first and last addresses are of different "
            "families");
  EXPECT_EQ(parseError({{"range-global", "10.0.0.1"}}),
            "range-global: \"10.0.0.1\": expected FIRST-LAST");
  EXPECT_EQ(parseError({{"range-global", "10.0.0.1-x"}}),
            "range-global: \"10.0.0.1-x\": the last address is not an IPv4 or IPv6 address");
  EXPECT_EQ(parseError({{"range-b", "10.0.0.1-10.0.0.2,"}}),
            "range-b: empty item in \"10.0.0.1-10.0.0.2,\"");
  EXPECT_EQ(parseError({{"allow-share-a", "yes"}}),
            "allow-share-a: \"yes\": expected \"true\" or \"false\"");
  EXPECT_EQ(parseError({{"cidr-", "10.0.0.0/24"}}), "cidr-: no namespace after the prefix");
}

// --- Pool choice and lowest free address ---------------------------------------------------------

TEST(IpamAllocateTest, TakesTheLowestFreeAddress) {
  auto cfg = config({{"range-global", "10.0.0.5-10.0.0.9,10.0.0.1-10.0.0.2"}});
  AddressesInUse in_use;
  in_use.add(ip("10.0.0.1"), {"x", {{80, "TCP"}}});
  in_use.add(ip("10.0.0.5"), {"x", {{80, "TCP"}}});
  in_use.add(ip("10.0.0.99"), {"x", {{80, "TCP"}}});  // outside the pool: irrelevant
  EXPECT_EQ(allocated(cfg, request("a"), in_use), "10.0.0.2");
  in_use.add(ip("10.0.0.2"), {"x", {{80, "TCP"}}});
  EXPECT_EQ(allocated(cfg, request("a"), in_use), "10.0.0.6");
}

TEST(IpamAllocateTest, NamespacePoolFirstGlobalOnlyForAFamilyTheNamespaceLacks) {
  auto cfg = config({{"cidr-global", "10.9.0.0/24,fd09::/64"}, {"range-a", "10.1.0.5-10.1.0.6"}});
  // Namespace a has IPv4 of its own, no IPv6: IPv6 comes from the global pool.
  EXPECT_EQ(allocated(cfg, request("a", {{80, "TCP"}}, IpFamilyPolicy::kRequireDualStack)),
            "10.1.0.5,fd09::");
  // Namespace b has no pool: the global one.
  EXPECT_EQ(allocated(cfg, request("b")), "10.9.0.1");
}

TEST(IpamAllocateTest, ExhaustedNamespacePoolDoesNotFallBackToGlobal) {
  auto cfg = config({{"cidr-global", "10.9.0.0/24"}, {"range-a", "10.1.0.5-10.1.0.5"}});
  AddressesInUse in_use;
  in_use.add(ip("10.1.0.5"), {"a", {{80, "TCP"}}});
  EXPECT_EQ(allocated(cfg, request("a"), in_use),
            "error: namespace a: no free IPv4 address in pool range-a");
}

TEST(IpamAllocateTest, ExhaustionErrorNamesThePoolAndIsAConflict) {
  auto cfg = config({{"cidr-global", "10.0.0.0/30"}});
  AddressesInUse in_use;
  in_use.add(ip("10.0.0.1"), {"x", {}});
  in_use.add(ip("10.0.0.2"), {"x", {}});
  auto result = allocateAddresses(cfg, request("a"), in_use);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kConflict);
  EXPECT_EQ(result.error().message, "namespace a: no free IPv4 address in pool cidr-global");
}

TEST(IpamAllocateTest, RangeEndingAtTheTopOfTheAddressSpaceIsExhaustedCleanly) {
  auto cfg = config({{"range-global", "255.255.255.254-255.255.255.255,ffff::fffe-ffff::ffff"},
                     {"cidr-top", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"}});
  AddressesInUse in_use;
  in_use.add(ip("255.255.255.254"), {"x", {}});
  EXPECT_EQ(allocated(cfg, request("a"), in_use), "255.255.255.255");
  in_use.add(ip("255.255.255.255"), {"x", {}});
  EXPECT_EQ(allocated(cfg, request("a"), in_use),
            "error: namespace a: no free IPv4 address in pool range-global");
  in_use.add(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), {"x", {}});
  in_use.add(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), {"x", {}});
  EXPECT_EQ(
      allocated(cfg, request("top", {}, IpFamilyPolicy::kSingleStack, {IpFamily::kV6}), in_use),
      "error: namespace top: no free IPv6 address in pool cidr-top");
}

TEST(IpamAllocateTest, HugeIpv6PoolIsSearchedWithoutEnumeratingIt) {
  // A /64 and even ::/0: the search costs what the used addresses cost, not what the pool holds.
  auto cfg = config({{"cidr-global", "fd00::/64"}, {"cidr-all", "::/0"}});
  AddressesInUse in_use;
  for (int i = 0; i < 1000; ++i) {
    in_use.add(addressFromValue(IpFamily::kV6, addressValue(ip("fd00::")) + i), {"x", {}});
  }
  EXPECT_EQ(allocated(cfg, request("a", {}, IpFamilyPolicy::kSingleStack, {IpFamily::kV6}), in_use),
            "fd00::3e8");
  EXPECT_EQ(allocated(cfg, request("all", {}, IpFamilyPolicy::kSingleStack, {IpFamily::kV6})),
            "::");
}

// --- Sharing -------------------------------------------------------------------------------------

TEST(IpamAllocateTest, NoSharingWithoutAllowShare) {
  auto cfg = config({{"range-a", "10.0.0.1-10.0.0.2"}});
  AddressesInUse in_use;
  in_use.add(ip("10.0.0.1"), {"a", {{443, "TCP"}}});
  EXPECT_EQ(allocated(cfg, request("a", {{80, "TCP"}}), in_use), "10.0.0.2");
}

TEST(IpamAllocateTest, SharesWhenAllowedSameNamespaceAndPortsDisjoint) {
  auto cfg = config({{"range-a", "10.0.0.1-10.0.0.3"}, {"allow-share-a", "true"}});
  AddressesInUse in_use;
  in_use.add(ip("10.0.0.1"), {"a", {{80, "TCP"}}});
  in_use.add(ip("10.0.0.1"), {"a", {{443, "TCP"}}});
  // Same number, other protocol: no overlap.
  EXPECT_EQ(allocated(cfg, request("a", {{80, "UDP"}, {53, "UDP"}}), in_use), "10.0.0.1");
  // Port 443/TCP overlaps the second holder: the next address.
  EXPECT_EQ(allocated(cfg, request("a", {{8080, "TCP"}, {443, "TCP"}}), in_use), "10.0.0.2");
  // An empty protocol is TCP.
  EXPECT_EQ(allocated(cfg, request("a", {{80, ""}}), in_use), "10.0.0.2");
}

TEST(IpamAllocateTest, NoSharingAcrossNamespacesEvenWhenAllowed) {
  auto cfg = config({{"range-global", "10.0.0.1-10.0.0.3"}, {"allow-share-global", "true"}});
  AddressesInUse in_use;
  in_use.add(ip("10.0.0.1"), {"b", {{80, "TCP"}}});
  EXPECT_EQ(allocated(cfg, request("a", {{443, "TCP"}}), in_use), "10.0.0.2");
  EXPECT_EQ(allocated(cfg, request("b", {{443, "TCP"}}), in_use), "10.0.0.1");
  // Held from two namespaces already (written by hand): neither may add a third Service.
  in_use.add(ip("10.0.0.1"), {"a", {{8080, "TCP"}}});
  EXPECT_EQ(allocated(cfg, request("a", {{443, "TCP"}}), in_use), "10.0.0.2");
  EXPECT_EQ(allocated(cfg, request("b", {{443, "TCP"}}), in_use), "10.0.0.2");
}

TEST(IpamAllocateTest, ServiceWithoutPortsNeitherJoinsNorAdmits) {
  auto cfg = config({{"range-a", "10.0.0.1-10.0.0.3"}, {"allow-share-a", "true"}});
  AddressesInUse in_use;
  in_use.add(ip("10.0.0.1"), {"a", {}});
  in_use.add(ip("10.0.0.2"), {"a", {{80, "TCP"}}});
  EXPECT_EQ(allocated(cfg, request("a", {{443, "TCP"}}), in_use), "10.0.0.2");
  EXPECT_EQ(allocated(cfg, request("a", {}), in_use), "10.0.0.3");
}

TEST(IpamAllocateTest, SharingAppliesToIpv6Too) {
  auto cfg = config({{"cidr-a", "fd00::/126"}, {"allow-share-a", "true"}});
  AddressesInUse in_use;
  in_use.add(ip("fd00::"), {"a", {{80, "TCP"}}});
  EXPECT_EQ(allocated(cfg, request("a", {{443, "TCP"}})), "fd00::");
  EXPECT_EQ(allocated(cfg, request("a", {{443, "TCP"}}), in_use), "fd00::");
  EXPECT_EQ(allocated(cfg, request("a", {{80, "TCP"}}), in_use), "fd00::1");
}

// --- Families ------------------------------------------------------------------------------------

TEST(IpamAllocateTest, SingleStackTakesTheFirstFamilyOrIpv4ThenIpv6) {
  auto both = config({{"cidr-global", "10.0.0.0/24,fd00::/120"}});
  auto v6_only = config({{"cidr-global", "fd00::/120"}});
  EXPECT_EQ(allocated(both, request("a")), "10.0.0.1");
  EXPECT_EQ(allocated(both, request("a", {}, IpFamilyPolicy::kSingleStack,
                                    {IpFamily::kV6, IpFamily::kV4})),
            "fd00::");
  EXPECT_EQ(allocated(v6_only, request("a")), "fd00::");
  EXPECT_EQ(allocated(v6_only, request("a", {}, IpFamilyPolicy::kSingleStack, {IpFamily::kV4})),
            "error: namespace a: no IPv4 address pool (the Service requires IPv4)");
}

TEST(IpamAllocateTest, PreferDualStackTakesBothOrTheOneThere) {
  auto both = config({{"cidr-global", "10.0.0.0/24,fd00::/120"}});
  auto v4_only = config({{"cidr-global", "10.0.0.0/24"}});
  EXPECT_EQ(allocated(both, request("a", {}, IpFamilyPolicy::kPreferDualStack)), "10.0.0.1,fd00::");
  EXPECT_EQ(allocated(both, request("a", {}, IpFamilyPolicy::kPreferDualStack,
                                    {IpFamily::kV6, IpFamily::kV4})),
            "fd00::,10.0.0.1");
  EXPECT_EQ(allocated(v4_only, request("a", {}, IpFamilyPolicy::kPreferDualStack,
                                       {IpFamily::kV6, IpFamily::kV4})),
            "10.0.0.1");
  EXPECT_EQ(allocated(config({}), request("a", {}, IpFamilyPolicy::kPreferDualStack)),
            "error: namespace a: no IPv4 or IPv6 address pool");
}

TEST(IpamAllocateTest, PreferDualStackWithOneExhaustedPoolGetsTheOther) {
  auto cfg = config({{"cidr-global", "10.0.0.0/31,fd00::/127"}});
  AddressesInUse in_use;
  in_use.add(ip("10.0.0.0"), {"x", {}});
  in_use.add(ip("10.0.0.1"), {"x", {}});
  EXPECT_EQ(allocated(cfg, request("a", {}, IpFamilyPolicy::kPreferDualStack), in_use), "fd00::");
  in_use.add(ip("fd00::"), {"x", {}});
  in_use.add(ip("fd00::1"), {"x", {}});
  EXPECT_EQ(allocated(cfg, request("a", {}, IpFamilyPolicy::kPreferDualStack), in_use),
            "error: namespace a: no free IPv4 address in pool cidr-global; namespace a: no free "
            "IPv6 address in pool cidr-global");
}

TEST(IpamAllocateTest, RequireDualStackFailsUnlessBothFamiliesAreServed) {
  auto v4_only = config({{"cidr-global", "10.0.0.0/24"}});
  EXPECT_EQ(allocated(v4_only, request("a", {}, IpFamilyPolicy::kRequireDualStack)),
            "error: namespace a: no IPv6 address pool (the Service requires IPv6)");
  auto both = config({{"cidr-global", "10.0.0.0/24,fd00::/127"}});
  AddressesInUse in_use;
  in_use.add(ip("fd00::"), {"x", {}});
  in_use.add(ip("fd00::1"), {"x", {}});
  auto result =
      allocateAddresses(both, request("a", {}, IpFamilyPolicy::kRequireDualStack), in_use);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kConflict);
  EXPECT_EQ(result.error().message, "namespace a: no free IPv6 address in pool cidr-global");
}

// --- Determinism and scale -----------------------------------------------------------------------

TEST(IpamAllocateTest, SameInputsGiveTheSameAnswerWhateverTheInsertionOrder) {
  auto cfg = config({{"cidr-global", "10.0.0.0/24"}, {"allow-share-global", "true"}});
  AddressesInUse forward;
  AddressesInUse backward;
  for (int i = 1; i <= 20; ++i) {
    forward.add(addressFromValue(IpFamily::kV4, addressValue(ip("10.0.0.0")) + i), {"a", {}});
  }
  for (int i = 20; i >= 1; --i) {
    backward.add(addressFromValue(IpFamily::kV4, addressValue(ip("10.0.0.0")) + i), {"a", {}});
  }
  EXPECT_EQ(allocated(cfg, request("a"), forward), "10.0.0.21");
  EXPECT_EQ(allocated(cfg, request("a"), backward), "10.0.0.21");
}

TEST(IpamAllocateTest, FiveThousandServicesOneAfterAnotherInASlash16) {
  // 10,000 addresses already in use (every other one of the first 20,000), then 5,000 Services
  // allocated one after another, each seeing the ones before it. Expected answers are computed
  // independently: the free addresses in ascending order.
  auto cfg = config({{"cidr-global", "10.1.0.0/16"}});
  AddressesInUse in_use;
  const AddressValue base = addressValue(ip("10.1.0.0"));
  for (int i = 0; i < 10000; ++i) {
    in_use.add(addressFromValue(IpFamily::kV4, base + 2 + 2 * i), {"x", {{80, "TCP"}}});
  }
  for (int n = 0; n < 5000; ++n) {
    auto result = allocateAddresses(cfg, request("a"), in_use);
    ASSERT_TRUE(result.ok()) << result.error().message;
    ASSERT_EQ(result->size(), 1u);
    // Free addresses, ascending: .1, .3, .5, ... (odd offsets) up to 20,001.
    const AddressValue expected = base + 1 + 2 * n;
    ASSERT_EQ(addressValue((*result)[0]), expected) << "allocation " << n;
    in_use.add((*result)[0], {"a", {{80, "TCP"}}});
  }
  EXPECT_EQ(in_use.size(), 15000u);
}

TEST(IpamAllocateTest, FiveThousandSharingServicesOneAfterAnotherInASlash16) {
  // Sharing allowed and every Service on port 80: no address can be shared, and each search looks
  // at the namespace's addresses below the lowest unused one (the costly case of sharing).
  auto cfg = config({{"cidr-a", "10.1.0.0/16"}, {"allow-share-a", "true"}});
  AddressesInUse in_use;
  const AddressValue base = addressValue(ip("10.1.0.0"));
  for (int i = 0; i < 10000; ++i) {
    in_use.add(addressFromValue(IpFamily::kV4, base + 2 + 2 * i), {"a", {{80, "TCP"}}});
  }
  for (int n = 0; n < 5000; ++n) {
    auto result = allocateAddresses(cfg, request("a", {{80, "TCP"}}), in_use);
    ASSERT_TRUE(result.ok()) << result.error().message;
    ASSERT_EQ(addressValue((*result)[0]), base + 1 + 2 * n) << "allocation " << n;
    in_use.add((*result)[0], {"a", {{80, "TCP"}}});
  }
  // With other ports, the lowest address is shared at once.
  EXPECT_EQ(allocated(cfg, request("a", {{443, "TCP"}}), in_use), "10.1.0.1");
}

}  // namespace
}  // namespace kubevip::services

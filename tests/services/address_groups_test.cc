#include "services/address_groups.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "support/addresses.h"

namespace kubevip::services {
namespace {

using test::ip;

ServiceAddresses svc(const char* ns, const char* name, std::vector<IpAddress> addresses,
                     const char* lease_annotation = "") {
  return ServiceAddresses{ServiceRef{ns, name}, std::move(addresses), lease_annotation};
}

TEST(AddressLabelTest, ValidDnsLabelsUniquePerAddress) {
  EXPECT_EQ(addressLabel(ip("192.168.10.50")), "192-168-10-50");
  EXPECT_EQ(addressLabel(ip("fd00:10::50")), "fd00-0010-0000-0000-0000-0000-0000-0050");
  EXPECT_EQ(addressLabel(ip("::")), "0000-0000-0000-0000-0000-0000-0000-0000");
}

TEST(GroupByAddressTest, ASingleServiceKeepsTheGoKubeVipLeaseName) {
  const auto groups = groupByAddress({svc("shop", "web", {ip("192.168.10.50")})}, {});
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].addresses, std::vector<IpAddress>{ip("192.168.10.50")});
  EXPECT_EQ(groups[0].services, (std::vector<ServiceRef>{{"shop", "web"}}));
  EXPECT_EQ(groups[0].lease_name, "kubevip-web");
  EXPECT_EQ(groups[0].lease_namespace, "shop");
}

TEST(GroupByAddressTest, LeaseNameAnnotationNamesASingleServicesLease) {
  const auto groups =
      groupByAddress({svc("shop", "web", {ip("192.168.10.50")}, "web-vip-lock")}, {});
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].lease_name, "web-vip-lock");
  EXPECT_EQ(groups[0].lease_namespace, "shop");
}

TEST(GroupByAddressTest, ADualStackServiceIsOneGroupWithBothAddresses) {
  const auto groups =
      groupByAddress({svc("shop", "web", {ip("fd00:10::50"), ip("192.168.10.50")})}, {});
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].addresses, (std::vector<IpAddress>{ip("192.168.10.50"), ip("fd00:10::50")}));
  EXPECT_EQ(groups[0].lease_name, "kubevip-web");
}

TEST(GroupByAddressTest, ServicesSharingAnAddressShareOneElection) {
  GroupingOptions options;
  options.shared_lease_namespace = "kube-vip";
  const auto groups = groupByAddress(
      {
          svc("shop", "web-https", {ip("192.168.10.50")}),
          svc("shop", "web-http", {ip("192.168.10.50")}),
          svc("billing", "api", {ip("192.168.10.60")}),
          svc("shop", "pending", {}),  // no address yet: waits, in no group
      },
      options);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].addresses, std::vector<IpAddress>{ip("192.168.10.50")});
  EXPECT_EQ(groups[0].services,
            (std::vector<ServiceRef>{{"shop", "web-http"}, {"shop", "web-https"}}));
  EXPECT_EQ(groups[0].lease_name, "kubevip-shared-192-168-10-50");
  EXPECT_EQ(groups[0].lease_namespace, "kube-vip");
  EXPECT_EQ(groups[1].lease_name, "kubevip-api");
  EXPECT_EQ(groups[1].lease_namespace, "billing");
}

TEST(GroupByAddressTest, SharingLinksEveryAddressOfTheMembers) {
  // web is dual-stack and shares its IPv4 address with dns: both addresses must be announced by
  // the one node that announces the shared address, so they form one group.
  const auto groups = groupByAddress(
      {
          svc("shop", "web", {ip("192.168.10.50"), ip("fd00:10::50")}),
          svc("shop", "dns", {ip("192.168.10.50")}),
      },
      {});
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].addresses, (std::vector<IpAddress>{ip("192.168.10.50"), ip("fd00:10::50")}));
  EXPECT_EQ(groups[0].lease_name, "kubevip-shared-192-168-10-50");
  EXPECT_EQ(groups[0].lease_namespace, "kube-system");
}

TEST(GroupByAddressTest, SharedLeaseNameDoesNotDependOnWhichServiceCameFirst) {
  std::vector<ServiceAddresses> services = {
      svc("shop", "a", {ip("fd00:10::50")}),
      svc("shop", "b", {ip("fd00:10::50")}),
      svc("shop", "c", {ip("fd00:10::50")}),
      svc("billing", "d", {ip("10.0.0.1")}),
  };
  const auto expected = groupByAddress(services, {});
  ASSERT_EQ(expected.size(), 2u);
  EXPECT_EQ(expected[0].lease_name, "kubevip-d");
  EXPECT_EQ(expected[1].lease_name, "kubevip-shared-fd00-0010-0000-0000-0000-0000-0000-0050");
  std::sort(services.begin(), services.end(),
            [](const auto& x, const auto& y) { return x.service > y.service; });
  do {
    EXPECT_EQ(groupByAddress(services, {}), expected);
  } while (
      std::next_permutation(services.begin(), services.end(),
                            [](const auto& x, const auto& y) { return x.service > y.service; }));

  // Removing the member that sorts first leaves the shared name as it was.
  services.erase(std::find_if(services.begin(), services.end(),
                              [](const auto& s) { return s.service.name == "a"; }));
  const auto after = groupByAddress(services, {});
  EXPECT_EQ(after[1].lease_name, expected[1].lease_name);
}

}  // namespace
}  // namespace kubevip::services

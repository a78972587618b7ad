// A Service's BGP attributes from its annotations over the configured ones.
#include "services_mode/bgp_annotations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kubevip::services_mode {
namespace {

using ::testing::ElementsAre;

bgp::RoutePolicy configured() {
  bgp::RoutePolicy p;
  p.communities = {65000u << 16 | 1};
  p.large_communities = {{1, 2, 3}};
  p.local_pref = 100;
  p.med = 5;
  return p;
}

TEST(ServiceRoutePolicy, WithoutAnnotationsTheConfiguredOnes) {
  auto out = serviceRoutePolicy(configured(), {{"other", "x"}}, "ns/web");
  EXPECT_EQ(out.policy, configured());
  EXPECT_TRUE(out.warnings.empty());
}

TEST(ServiceRoutePolicy, EachAnnotationReplacesItsAttribute) {
  auto out = serviceRoutePolicy(configured(),
                                {{"kube-vip.io/bgp-communities", "65001:10, 65001:20"},
                                 {"kube-vip.io/bgp-large-communities", "4200000000:7:8"},
                                 {"kube-vip.io/bgp-local-pref", "300"},
                                 {"kube-vip.io/bgp-med", "0"}},
                                "ns/web");
  EXPECT_TRUE(out.warnings.empty());
  EXPECT_THAT(out.policy.communities, ElementsAre(65001u << 16 | 10, 65001u << 16 | 20));
  ASSERT_EQ(out.policy.large_communities.size(), 1u);
  EXPECT_EQ(out.policy.large_communities[0].global_administrator, 4200000000u);
  EXPECT_EQ(out.policy.local_pref, 300u);
  EXPECT_EQ(out.policy.med, 0u);
}

TEST(ServiceRoutePolicy, ABadValueIsLeftOutWithAWarningNamingServiceAndAnnotation) {
  auto out = serviceRoutePolicy(configured(),
                                {{"kube-vip.io/bgp-communities", "65001:10,70000:1"},
                                 {"kube-vip.io/bgp-large-communities", "1:2"},
                                 {"kube-vip.io/bgp-local-pref", "high"},
                                 {"kube-vip.io/bgp-med", "-1"}},
                                "ns/web");
  EXPECT_EQ(out.policy, configured()) << "every attribute keeps its configured value";
  ASSERT_EQ(out.warnings.size(), 4u);
  EXPECT_EQ(out.warnings[0],
            "Service ns/web: annotation kube-vip.io/bgp-communities: '70000:1' is not a "
            "community; expected AS:value, each 0-65535 (RFC 1997); announced without it (the "
            "configured value stays)");
  EXPECT_THAT(out.warnings[1],
              ::testing::StartsWith("Service ns/web: annotation kube-vip.io/bgp-large-communities: "
                                    "'1:2'"));
  EXPECT_THAT(out.warnings[2], ::testing::StartsWith("Service ns/web: annotation "
                                                     "kube-vip.io/bgp-local-pref: 'high' is not a "
                                                     "number (0-4294967295)"));
  EXPECT_THAT(out.warnings[3],
              ::testing::HasSubstr("kube-vip.io/bgp-med: '-1' is not a number (0-4294967295)"));
}

}  // namespace
}  // namespace kubevip::services_mode

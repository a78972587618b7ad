#include "lb/descriptor_budget.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kubevip::lb {
namespace {

using ::testing::HasSubstr;

config::LoadBalancer budgetedBalancer(const std::string& name, int max_connections, bool checks) {
  config::LoadBalancer lb;
  lb.name = name;
  lb.max_connections = max_connections;
  lb.health_check.enabled = checks;
  lb.backends = {config::Backend{IpAddress::v4({10, 0, 0, 1}), 80},
                 config::Backend{IpAddress::v4({10, 0, 0, 2}), 80}};
  return lb;
}

TEST(DescriptorBudgetTest, ASessionHoldsClientAndBackendOrTwoPipesMoreWhenSplicing) {
  EXPECT_EQ(descriptorsPerSession(Forwarding::kCopy), 2);
  EXPECT_EQ(descriptorsPerSession(Forwarding::kSplice), 6);
}

TEST(DescriptorBudgetTest, PlanKeepsTheReserveAndCountsTheWorkers) {
  // 2 workers x (epoll + eventfd + accepted socket + 2 listeners) + health thread 4 + 2 checked
  // backends = 16.
  const std::vector<config::LoadBalancer> lbs = {budgetedBalancer("a", 50, true),
                                                 budgetedBalancer("b", 30, false)};
  const auto plan = planDescriptors(lbs, Forwarding::kCopy, 2, 256);
  EXPECT_EQ(plan.reserve, kControlPlaneReserve);
  EXPECT_EQ(plan.fixed, 16u);
  EXPECT_EQ(plan.for_sessions, 256u - 64u - 16u);
  EXPECT_EQ(plan.wanted, 160u);
  EXPECT_TRUE(plan.fits());
  EXPECT_TRUE(plan.usable());
}

TEST(DescriptorBudgetTest, TooManyConnectionsAreNamedWithTheNumbers) {
  const std::vector<config::LoadBalancer> lbs = {budgetedBalancer("web", 10000, false)};
  const auto plan = planDescriptors(lbs, Forwarding::kCopy, 2, 20000);
  EXPECT_FALSE(plan.fits());
  EXPECT_TRUE(plan.usable());
  const std::string text = plan.describe(lbs);
  EXPECT_THAT(text, HasSubstr("10000 (web)"));
  EXPECT_THAT(text, HasSubstr("need 20000 descriptors"));
  EXPECT_THAT(text, HasSubstr("limit 20000 minus 64 reserved"));
  EXPECT_THAT(text, HasSubstr("room for 9962 connections"));
}

TEST(DescriptorBudgetTest, KernelForwardedConnectionsNeedNoDescriptor) {
  std::vector<config::LoadBalancer> lbs = {budgetedBalancer("web", 10000, false),
                                           budgetedBalancer("dns", 10000, true)};
  lbs[0].forwarding = config::ForwardingMode::kKernel;
  lbs[1].forwarding = config::ForwardingMode::kKernel;
  const auto plan = planDescriptors(lbs, Forwarding::kCopy, 2, 1024);
  EXPECT_EQ(plan.wanted, 0u);
  EXPECT_TRUE(plan.fits());
}

TEST(DescriptorBudgetTest, ALimitBelowTheReserveLeavesNothing) {
  const std::vector<config::LoadBalancer> lbs = {budgetedBalancer("web", 1, false)};
  const auto plan = planDescriptors(lbs, Forwarding::kCopy, 1, 60);
  EXPECT_EQ(plan.for_sessions, 0u);
  EXPECT_FALSE(plan.usable());
}

TEST(DescriptorBudgetTest, AdmissionStopsAtTheCapacityAndResumesOnRelease) {
  DescriptorBudget budget(5);
  EXPECT_TRUE(budget.tryAcquire(2));
  EXPECT_TRUE(budget.tryAcquire(2));
  EXPECT_FALSE(budget.tryAcquire(2));  // 1 left
  budget.release(2);
  EXPECT_TRUE(budget.tryAcquire(2));
  EXPECT_FALSE(budget.tryAcquire(2));
}

}  // namespace
}  // namespace kubevip::lb

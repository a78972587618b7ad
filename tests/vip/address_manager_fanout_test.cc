#include "net/address_manager_fanout.h"

#include <gtest/gtest.h>

#include "fakes.h"

namespace kubevip::vip::testing {
namespace {

const IpAddress kFirst = *IpAddress::parse("192.0.2.10");
const IpAddress kSecond = *IpAddress::parse("192.0.2.11");

TEST(AddressManagerFanoutTest, EveryViewHearsEveryEventAndRequestsReachTheSharedManager) {
  auto shared = std::make_unique<FakeAddressManager>();
  FakeAddressManager& kernel = *shared;
  net::AddressManagerFanout fanout(std::move(shared));
  auto a = fanout.subscriber();
  auto b = fanout.subscriber();
  int heard_a = 0;
  int heard_b = 0;
  a->setEventHandler([&](const net::AddressEvent&) { ++heard_a; });
  b->setEventHandler([&](const net::AddressEvent&) { ++heard_b; });
  ASSERT_TRUE(a->addOrRenew(3, kFirst, 32, {std::chrono::seconds(1), {}, false}).ok());
  ASSERT_TRUE(b->addOrRenew(3, kSecond, 32, {std::chrono::seconds(1), {}, false}).ok());
  EXPECT_EQ(kernel.entries.size(), 2u);
  EXPECT_TRUE(*b->has(3, kFirst));
  kernel.externalRemove(3, kFirst, 32);
  EXPECT_EQ(heard_a, 1);
  EXPECT_EQ(heard_b, 1);
  EXPECT_FALSE(*a->has(3, kFirst));
  ASSERT_TRUE(b->remove(3, kSecond, 32).ok());
  EXPECT_TRUE(kernel.entries.empty());
}

TEST(AddressManagerFanoutTest, ADestroyedViewHearsNothingEvenWhenAnotherHandlerDestroysIt) {
  auto shared = std::make_unique<FakeAddressManager>();
  FakeAddressManager& kernel = *shared;
  net::AddressManagerFanout fanout(std::move(shared));
  auto first = fanout.subscriber();
  auto second = fanout.subscriber();
  int heard_second = 0;
  // The first handler destroys the second view, as a controller releasing another address would.
  first->setEventHandler([&](const net::AddressEvent&) { second.reset(); });
  second->setEventHandler([&](const net::AddressEvent&) { ++heard_second; });
  kernel.externalRemove(3, kFirst, 32);
  EXPECT_EQ(heard_second, 0);
  EXPECT_EQ(fanout.subscribers(), 1u);
  first->setEventHandler(nullptr);
  EXPECT_EQ(fanout.subscribers(), 0u);
}

}  // namespace
}  // namespace kubevip::vip::testing

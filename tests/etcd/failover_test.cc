#include "etcd/failover.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kubevip::etcd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::vector<std::string> kEndpoints = {"https://a:2379", "https://b:2379", "https://c:2379"};

TEST(EtcdFailover, StartsAtThePreferredEndpointAndStopsAtTheFirstAnswer) {
  std::vector<size_t> tried;
  auto answered =
      sendWithFailover<int>("/v3/kv/range", kEndpoints, 1, [&](size_t i) -> Result<int> {
        tried.push_back(i);
        return static_cast<int>(i) * 10;
      });
  ASSERT_TRUE(answered.ok());
  EXPECT_EQ(answered->endpoint, 1u);
  EXPECT_EQ(answered->answer, 10);
  EXPECT_THAT(tried, ElementsAre(1));
}

TEST(EtcdFailover, TriesEachOtherEndpointOnceWrappingAround) {
  std::vector<size_t> tried;
  auto answered =
      sendWithFailover<int>("/v3/kv/range", kEndpoints, 2, [&](size_t i) -> Result<int> {
        tried.push_back(i);
        if (i != 1) return makeError(ErrorCode::kUnavailable, "refused");
        return 7;
      });
  ASSERT_TRUE(answered.ok());
  EXPECT_EQ(answered->endpoint, 1u);
  EXPECT_THAT(tried, ElementsAre(2, 0, 1));
}

TEST(EtcdFailover, WhenAllFailTheErrorNamesEachEndpointAndWhy) {
  int calls = 0;
  auto answered =
      sendWithFailover<int>("/v3/lease/keepalive", kEndpoints, 0, [&](size_t i) -> Result<int> {
        ++calls;
        return makeError(i == 1 ? ErrorCode::kTimeout : ErrorCode::kUnavailable,
                         "failure " + std::to_string(i));
      });
  ASSERT_FALSE(answered.ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(answered.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(answered.error().message,
            "etcd /v3/lease/keepalive: no endpoint answered (3 tried): https://a:2379: failure 0; "
            "https://b:2379: failure 1; https://c:2379: failure 2");
}

TEST(EtcdFailover, AgreeingFailuresKeepTheirCode) {
  auto answered = sendWithFailover<int>("/v3/kv/txn", kEndpoints, 0, [&](size_t) -> Result<int> {
    return makeError(ErrorCode::kPermission, "TLS");
  });
  ASSERT_FALSE(answered.ok());
  EXPECT_EQ(answered.error().code, ErrorCode::kPermission);
}

}  // namespace
}  // namespace kubevip::etcd

#include "common/result.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace kubevip {
namespace {

Result<int> half(int x) {
  if (x % 2 != 0) return makeError(ErrorCode::kInvalidArgument, "odd");
  return x / 2;
}

TEST(ResultTest, CarriesValueOrError) {
  auto good = half(4);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 2);
  auto bad = half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().describe(), "odd");
}

TEST(ResultTest, SystemErrorNamesErrno) {
  Status st = systemError("bind 10.0.0.1:80", EADDRINUSE);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().describe(), "bind 10.0.0.1:80: Address already in use");
}

}  // namespace
}  // namespace kubevip

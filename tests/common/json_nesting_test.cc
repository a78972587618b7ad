#include "common/json_nesting.h"

#include <gtest/gtest.h>

#include <string>

namespace kubevip {
namespace {

std::string nested(int levels) {
  return std::string(static_cast<size_t>(levels), '[') +
         std::string(static_cast<size_t>(levels), ']');
}

TEST(JsonNestingTest, CountsObjectsAndArraysTogether) {
  EXPECT_FALSE(jsonNestsDeeperThan(R"({"a":[{"b":1}]})", 3));
  EXPECT_TRUE(jsonNestsDeeperThan(R"({"a":[{"b":{}}]})", 3));
}

TEST(JsonNestingTest, TheLimitItselfIsAllowed) {
  EXPECT_FALSE(jsonNestsDeeperThan(nested(64), 64));
  EXPECT_TRUE(jsonNestsDeeperThan(nested(65), 64));
}

TEST(JsonNestingTest, SiblingsDoNotAddUp) {
  EXPECT_FALSE(jsonNestsDeeperThan("[[],[],[],[],[],[]]", 2));
}

TEST(JsonNestingTest, BracketsInsideStringsDoNotCount) {
  EXPECT_FALSE(jsonNestsDeeperThan(R"({"k":"[[[[[[{{{{"})", 1));
  // An escaped quote does not end the string.
  EXPECT_FALSE(jsonNestsDeeperThan(R"({"k":"\"[[[["})", 1));
  EXPECT_TRUE(jsonNestsDeeperThan(R"({"k":"\\",[[[]]]})", 2));
}

TEST(JsonNestingTest, AHalfMegabyteOfBracketsIsSeenWithoutRecursion) {
  EXPECT_TRUE(jsonNestsDeeperThan(std::string(500000, '['), 64));
}

}  // namespace
}  // namespace kubevip

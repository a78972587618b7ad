#include "election/raft_members.h"

#include <gtest/gtest.h>

namespace kubevip::election {
namespace {

config::Peer peer(std::string id, const char* address, uint16_t port) {
  return config::Peer{std::move(id), *IpAddress::parse(address), port};
}

TEST(RaftMembersTest, IdsDependOnTheIdStringOnly) {
  EXPECT_EQ(raftIdOf("node-a"), raftIdOf("node-a"));
  EXPECT_NE(raftIdOf("node-a"), raftIdOf("node-b"));
  EXPECT_NE(raftIdOf("node-a"), 0u);
  auto one = resolveMembers({peer("a", "10.0.0.1", 1), peer("b", "10.0.0.2", 1)});
  auto two = resolveMembers({peer("b", "10.0.0.2", 1), peer("a", "10.0.0.1", 1)});
  ASSERT_TRUE(one && two);
  ASSERT_EQ(one->size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*one)[i].id, (*two)[i].id);
    EXPECT_EQ((*one)[i].raft_id, (*two)[i].raft_id);
  }
}

TEST(RaftMembersTest, AddressesAreIpv4HostPort) {
  auto address = raftAddressOf(peer("a", "192.0.2.7", 10000));
  ASSERT_TRUE(address);
  EXPECT_EQ(*address, "192.0.2.7:10000");
  auto v6 = raftAddressOf(peer("a", "2001:db8::1", 10000));
  ASSERT_FALSE(v6);
  EXPECT_EQ(v6.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(raftAddressOf(peer("a", "192.0.2.7", 0)));
}

TEST(RaftMembersTest, RejectsDuplicatesAndEmptyLists) {
  EXPECT_FALSE(resolveMembers({}));
  EXPECT_FALSE(resolveMembers({peer("a", "10.0.0.1", 1), peer("a", "10.0.0.2", 1)}));
  EXPECT_FALSE(resolveMembers({peer("a", "10.0.0.1", 1), peer("b", "10.0.0.1", 1)}));
  EXPECT_FALSE(resolveMembers({peer("", "10.0.0.1", 1)}));
  EXPECT_TRUE(resolveMembers({peer("a", "10.0.0.1", 1), peer("b", "10.0.0.1", 2)}));
}

}  // namespace
}  // namespace kubevip::election

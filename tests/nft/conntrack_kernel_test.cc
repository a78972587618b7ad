// deleteFlows() against a real kernel's conntrack table. Needs root and nf_tables with NAT: the
// process moves into a private network namespace (unshare(CLONE_NEWNET)), which vanishes with it;
// ctest runs each test in its own process, so each starts from an empty table. Without root, or
// on a kernel without NAT, every test is skipped and says why.
//
// Flows are made over loopback: a nat output chain DNATs datagrams for a VIP:port to a "backend"
// on another loopback address (no one listens there: the entry exists, unreplied, all the same),
// each source port pinned by its own rule, so the test knows which entry goes where. The kernel's
// own listing, /proc/net/nf_conntrack, is the independent witness of what is left.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include "common/unique_fd.h"
#include "nft/conntrack.h"
#include "support/addresses.h"

namespace kubevip::nft {
namespace {

int sh(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()); }

std::string conntrackListing() {
  std::ifstream in("/proc/net/nf_conntrack");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Loads a ruleset with `nft -f -`; its exit status.
int nftFile(const std::string& ruleset) {
  FILE* pipe = popen("nft -f -", "w");
  if (pipe == nullptr) return -1;
  std::fputs(ruleset.c_str(), pipe);
  return pclose(pipe);
}

bool listed(const std::string& needle) {
  return conntrackListing().find(needle) != std::string::npos;
}

class PrivateNamespace : public ::testing::Environment {
 public:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (a network namespace, conntrack)";
    ASSERT_EQ(unshare(CLONE_NEWNET), 0)
        << "unshare(CLONE_NEWNET): " << std::generic_category().message(errno);
    ASSERT_EQ(sh("ip link set lo up && ip -6 addr add fd00::2/128 dev lo nodad"), 0);
    // Each source port is sent to its backend by a rule of its own; port 30003 is in zone 5.
    const int nat = nftFile(
        "table inet t {\n"
        "  chain raw { type filter hook output priority -300; udp sport 30003 ct zone set 5; }\n"
        "  chain out {\n"
        "    type nat hook output priority -100;\n"
        "    udp sport 30000 ip daddr 127.0.0.100 dnat ip to 127.0.0.2:5353\n"
        "    udp sport 30001 ip daddr 127.0.0.100 dnat ip to 127.0.0.3:5353\n"
        "    udp sport 30002 ip daddr 127.0.0.100 dnat ip to 127.0.0.2:5353\n"
        "    udp sport 30003 ip daddr 127.0.0.100 dnat ip to 127.0.0.2:5353\n"
        "    tcp sport 30004 ip daddr 127.0.0.100 dnat ip to 127.0.0.2:5353\n"
        "    udp sport 30000 ip6 daddr ::1 dnat ip6 to [fd00::2]:5353\n"
        "  }\n"
        "}\n");
    if (nat != 0) GTEST_SKIP() << "this kernel has no usable nftables NAT or conntrack zones";
  }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new PrivateNamespace);

// One datagram from 127.0.0.1:source_port (or [::1]) to destination:port.
void sendFrom(uint16_t source_port, const char* destination, uint16_t port) {
  const bool v6 = std::string(destination).find(':') != std::string::npos;
  UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(fd.valid());
  sockaddr_storage local{};
  sockaddr_storage remote{};
  socklen_t length = 0;
  if (v6) {
    auto* l = reinterpret_cast<sockaddr_in6*>(&local);
    auto* r = reinterpret_cast<sockaddr_in6*>(&remote);
    l->sin6_family = r->sin6_family = AF_INET6;
    l->sin6_addr = in6addr_loopback;
    l->sin6_port = htons(source_port);
    ASSERT_EQ(inet_pton(AF_INET6, destination, &r->sin6_addr), 1);
    r->sin6_port = htons(port);
    length = sizeof(sockaddr_in6);
  } else {
    auto* l = reinterpret_cast<sockaddr_in*>(&local);
    auto* r = reinterpret_cast<sockaddr_in*>(&remote);
    l->sin_family = r->sin_family = AF_INET;
    l->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l->sin_port = htons(source_port);
    ASSERT_EQ(inet_pton(AF_INET, destination, &r->sin_addr), 1);
    r->sin_port = htons(port);
    length = sizeof(sockaddr_in);
  }
  ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), length), 0) << errno;
  ASSERT_EQ(::sendto(fd.get(), "x", 1, 0, reinterpret_cast<sockaddr*>(&remote), length), 1)
      << errno;
}

using test::ip;

TEST(ConntrackKernel, OnlyTheFlowsOfTheBackendThatLeftAreDeleted) {
  sendFrom(30000, "127.0.0.100", 53);  // to backend .2: goes
  sendFrom(30001, "127.0.0.100", 53);  // to backend .3: stays
  sendFrom(30002, "127.0.0.100", 54);  // to backend .2, but another service port: stays
  sendFrom(30003, "127.0.0.100", 53);  // to backend .2 in zone 5: goes
  ASSERT_TRUE(listed("sport=30000 dport=53 [UNREPLIED] src=127.0.0.2")) << conntrackListing();
  ASSERT_TRUE(listed("zone=5")) << conntrackListing();

  auto before = listFlows(IpFamily::kV4);
  ASSERT_TRUE(before) << before.error().describe();
  EXPECT_EQ(before->size(), 4u);

  const FlowMatch match{Protocol::kUdp, ip("127.0.0.100"), 53, ip("127.0.0.2"), 5353};
  // A match that names no flow, in the same call.
  const FlowMatch no_flow{Protocol::kUdp, ip("127.0.0.100"), 53, ip("127.0.0.9"), 5353};
  auto deleted = deleteFlows({match, no_flow});
  ASSERT_TRUE(deleted) << deleted.error().describe();
  EXPECT_EQ(*deleted, (std::vector<int>{2, 0}));
  const std::string after = conntrackListing();
  EXPECT_EQ(after.find("sport=30000"), std::string::npos) << after;
  EXPECT_EQ(after.find("sport=30003"), std::string::npos) << after;
  EXPECT_NE(after.find("sport=30001 dport=53"), std::string::npos) << after;
  EXPECT_NE(after.find("sport=30002 dport=54"), std::string::npos) << after;

  deleted = deleteFlows({match});
  ASSERT_TRUE(deleted) << deleted.error().describe();
  EXPECT_EQ(*deleted, std::vector<int>{0}) << "nothing left to delete";
}

TEST(ConntrackKernel, TcpFlowsAreLeftAlone) {
  // An established connection to a backend that listens (a refused one's entry ends with the RST).
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(listener.valid());
  sockaddr_in backend{};
  backend.sin_family = AF_INET;
  backend.sin_port = htons(5353);
  ASSERT_EQ(inet_pton(AF_INET, "127.0.0.2", &backend.sin_addr), 1);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&backend), sizeof(backend)), 0);
  ASSERT_EQ(::listen(listener.get(), 1), 0);
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(fd.valid());
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  local.sin_port = htons(30004);
  ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)), 0) << errno;
  sockaddr_in vip{};
  vip.sin_family = AF_INET;
  vip.sin_port = htons(53);
  ASSERT_EQ(inet_pton(AF_INET, "127.0.0.100", &vip.sin_addr), 1);
  ASSERT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&vip), sizeof(vip)), 0) << errno;
  ASSERT_TRUE(listed("sport=30004 dport=53 src=127.0.0.2")) << conntrackListing();
  auto deleted = deleteFlows({{Protocol::kUdp, ip("127.0.0.100"), 53, ip("127.0.0.2"), 5353}});
  ASSERT_TRUE(deleted) << deleted.error().describe();
  EXPECT_EQ(*deleted, std::vector<int>{0});
  EXPECT_TRUE(listed("sport=30004")) << conntrackListing();
}

TEST(ConntrackKernel, Ipv6FlowsAreDeletedFromTheIpv6Table) {
  sendFrom(30000, "::1", 53);
  sendFrom(30000, "127.0.0.100", 53);
  ASSERT_TRUE(listed("src=fd00:0000:0000:0000:0000:0000:0000:0002")) << conntrackListing();
  auto v6 = listFlows(IpFamily::kV6);
  ASSERT_TRUE(v6) << v6.error().describe();
  ASSERT_EQ(v6->size(), 1u);
  EXPECT_EQ((*v6)[0].reply.source, ip("fd00::2"));
  EXPECT_EQ((*v6)[0].original.destination_port, 53);

  // With an IPv4 match in the same call: each family's table is dumped for its own matches.
  auto deleted = deleteFlows({{Protocol::kUdp, ip("::1"), 53, ip("fd00::2"), 5353},
                              {Protocol::kUdp, ip("127.0.0.100"), 53, ip("127.0.0.9"), 5353}});
  ASSERT_TRUE(deleted) << deleted.error().describe();
  EXPECT_EQ(*deleted, (std::vector<int>{1, 0}));
  EXPECT_FALSE(listed("ipv6")) << conntrackListing();
  EXPECT_TRUE(listed("sport=30000 dport=53")) << "the IPv4 flow stays: " << conntrackListing();
}

}  // namespace
}  // namespace kubevip::nft

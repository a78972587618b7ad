// openNftables() against a real kernel. Needs root and nf_tables: at start the process moves into
// a private network namespace (unshare(CLONE_NEWNET)), which vanishes with it; ctest runs each test
// in its own process, so each test starts from an empty ruleset. Without root, or on a kernel
// without nf_tables, every test is skipped and says why. The `nft` program only reads back what
// the library wrote (the daemon never runs it).
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <system_error>

#include "nft/golden_cases.h"
#include "nft/nftables.h"

namespace kubevip::nft {
namespace {

using testing::goldenCases;
using testing::webService;

// Runs a shell command in our namespace; its exit status and what it printed (both streams).
struct Shell {
  int status = -1;
  std::string output;
};
Shell sh(const std::string& command) {
  Shell result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  result.status = pclose(pipe);
  return result;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string goldenListing(const std::string& name) {
  return readFile(std::string(KUBEVIP_NFT_GOLDEN_DIR) + "/" + name + ".nft");
}

std::string listing() { return sh("nft list table inet kube_vip").output; }

class PrivateNamespace : public ::testing::Environment {
 public:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (a network namespace, nf_tables)";
    ASSERT_EQ(unshare(CLONE_NEWNET), 0)
        << "unshare(CLONE_NEWNET): " << std::generic_category().message(errno);
    // The kernel facility itself, without the code under test: a table made and deleted by nft.
    Shell probe = sh("nft add table inet kube_vip_probe && nft delete table inet kube_vip_probe");
    if (probe.status != 0) GTEST_SKIP() << "this kernel has no usable nf_tables: " << probe.output;
  }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new PrivateNamespace);

std::unique_ptr<Nftables> open() {
  auto nftables = openNftables();
  EXPECT_TRUE(nftables.ok()) << nftables.error().message;
  return nftables.ok() ? std::move(*nftables) : nullptr;
}

bool present(Nftables& nftables) {
  auto present = nftables.tablePresent();
  EXPECT_TRUE(present.ok()) << present.error().message;
  return present.ok() && *present;
}

TEST(NftKernel, EveryGoldenRulesetLoadsAndListsAsWritten) {
  auto nftables = open();
  ASSERT_NE(nftables, nullptr);
  EXPECT_FALSE(present(*nftables));
  // One after the other: the first replaces no table, every later one replaces the previous.
  for (const auto& golden : goldenCases()) {
    SCOPED_TRACE(golden.name);
    Status replaced = nftables->replace(golden.services);
    ASSERT_TRUE(replaced.ok()) << replaced.error().message;
    EXPECT_EQ(listing(), goldenListing(golden.name));
    // nft 1.0.6 crashes listing some maps as JSON (a named `typeof jhash` map): ours list.
    Shell json = sh("nft -j list table inet kube_vip");
    ASSERT_EQ(json.status, 0) << json.output;
    EXPECT_TRUE(nlohmann::json::accept(json.output)) << json.output;
    EXPECT_TRUE(present(*nftables));
  }
  Status removed = nftables->remove();
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_FALSE(present(*nftables));
  EXPECT_NE(sh("nft list table inet kube_vip").status, 0);
  // Absent already: still no error.
  removed = nftables->remove();
  EXPECT_TRUE(removed.ok()) << removed.error().message;
}

TEST(NftKernel, ReplacingTwiceGivesTheSameTable) {
  auto nftables = open();
  ASSERT_NE(nftables, nullptr);
  ASSERT_TRUE(nftables->replace({webService()}).ok());
  ASSERT_TRUE(nftables->replace({webService()}).ok());
  EXPECT_EQ(listing(), goldenListing("tcp_round_robin"));
}

TEST(NftKernel, OtherTablesAreLeftAlone) {
  ASSERT_EQ(sh("nft add table inet other && nft add table ip kube_vip").status, 0);
  auto nftables = open();
  ASSERT_NE(nftables, nullptr);
  ASSERT_TRUE(nftables->replace({webService()}).ok());
  ASSERT_TRUE(nftables->remove().ok());
  const std::string tables = sh("nft list tables").output;
  EXPECT_EQ(tables, "table inet other\ntable ip kube_vip\n");
  // `ip kube_vip` is another family's table: not ours.
  EXPECT_FALSE(present(*nftables));
}

// The daemon's start-up check, which does not load libnftables, agrees with it; other families'
// tables of the same name are not ours.
TEST(NftKernel, TheBareNetlinkCheckSeesWhatLibnftablesSees) {
  auto bare = [] {
    auto present = tablePresentWithoutLibrary();
    EXPECT_TRUE(present.ok()) << present.error().message;
    return present.ok() && *present;
  };
  ASSERT_EQ(sh("nft add table ip kube_vip && nft add table inet kube_vip_other").status, 0);
  EXPECT_FALSE(bare());
  auto nftables = open();
  ASSERT_NE(nftables, nullptr);
  ASSERT_TRUE(nftables->replace({webService()}).ok());
  EXPECT_TRUE(bare());
  ASSERT_TRUE(nftables->remove().ok());
  EXPECT_FALSE(bare());
  ASSERT_EQ(sh("nft delete table ip kube_vip && nft delete table inet kube_vip_other").status, 0);
}

TEST(NftKernel, InvalidServicesAreRefusedBeforeTheKernelSeesThem) {
  auto nftables = open();
  ASSERT_NE(nftables, nullptr);
  ASSERT_TRUE(nftables->replace({webService()}).ok());
  Service broken = webService();
  broken.destinations[0].weight = 0;
  Status refused = nftables->replace({broken});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("table inet kube_vip"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(listing(), goldenListing("tcp_round_robin"));
}

// Clears or restores CAP_NET_ADMIN in this thread's effective set (the permitted set keeps it).
bool setNetAdmin(bool on) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  const unsigned bit = 1U << CAP_NET_ADMIN;
  data[0].effective = on ? (data[0].effective | bit) : (data[0].effective & ~bit);
  return ::syscall(SYS_capset, &header, data) == 0;
}

TEST(NftKernel, AKernelRefusalNamesTheTableCarriesNftsReasonAndChangesNothing) {
  auto nftables = open();
  ASSERT_NE(nftables, nullptr);
  ASSERT_TRUE(nftables->replace({webService()}).ok());
  ASSERT_TRUE(setNetAdmin(false));
  Service other = webService();
  other.port = 8080;
  Status refused = nftables->replace({other});
  Status not_removed = nftables->remove();
  ASSERT_TRUE(setNetAdmin(true));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("replacing table inet kube_vip failed"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("Operation not permitted"), std::string::npos)
      << refused.error().message;
  ASSERT_FALSE(not_removed.ok());
  EXPECT_NE(not_removed.error().message.find("deleting table inet kube_vip failed"),
            std::string::npos)
      << not_removed.error().message;
  EXPECT_EQ(listing(), goldenListing("tcp_round_robin"));
}

TEST(NftKernel, ForwardingIsTurnedOnOnceForEachFamily) {
  for (const auto& [family, file] :
       {std::pair{IpFamily::kV4, "/proc/sys/net/ipv4/ip_forward"},
        std::pair{IpFamily::kV6, "/proc/sys/net/ipv6/conf/all/forwarding"}}) {
    SCOPED_TRACE(file);
    ASSERT_EQ(sh(std::string("echo 0 > ") + file).status, 0);
    auto changed = enableForwarding(family);
    ASSERT_TRUE(changed.ok()) << changed.error().describe();
    EXPECT_TRUE(*changed);
    EXPECT_EQ(readFile(file), "1\n");
    changed = enableForwarding(family);
    ASSERT_TRUE(changed.ok()) << changed.error().describe();
    EXPECT_FALSE(*changed);
  }
}

}  // namespace
}  // namespace kubevip::nft

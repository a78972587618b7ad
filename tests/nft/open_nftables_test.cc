// openNftables() where the kernel side cannot be reached. libnftables 1.0.6 answers a netlink
// socket it cannot open with exit(); the daemon must get an Error instead and stay up (holding or
// releasing its VIP as it decides, not vanishing).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "nft/libnftables_library.h"
#include "nft/nftables.h"

namespace kubevip::nft {
namespace {

// In the death test's child: takes every descriptor under a lowered limit, so that the next
// socket() fails with EMFILE, then opens; exit status 0 for an Error (printed), 1 for a context.
[[noreturn]] void openWithoutDescriptors() {
  const rlimit limit{64, 64};
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) std::_Exit(2);
  while (::open("/dev/null", O_RDONLY | O_CLOEXEC) >= 0) {
  }
  auto nftables = openNftables();
  std::fprintf(stderr, "%s\n", nftables.ok() ? "opened" : nftables.error().describe().c_str());
  std::_Exit(nftables.ok() ? 1 : 0);
}

TEST(OpenNftablesDeathTest, NoNetlinkSocketLeftIsAnErrorNotAnExit) {
  // Loaded while descriptors are left (dlopen needs some): what is tested is the context.
  ASSERT_TRUE(nftablesLibrary().ok()) << nftablesLibrary().error().message;
  EXPECT_EXIT(openWithoutDescriptors(), ::testing::ExitedWithCode(0),
              "cannot open a netfilter netlink socket");
}

}  // namespace
}  // namespace kubevip::nft

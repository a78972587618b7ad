#include "nft/libnftables_library.h"

#include <gtest/gtest.h>

namespace kubevip::nft {
namespace {

TEST(NftablesLibraryTest, LoadsEveryFunctionLibNftablesCalls) {
  auto lib = nftablesLibrary();
  ASSERT_TRUE(lib.ok()) << lib.error().message;
  EXPECT_NE((*lib)->ctx_new, nullptr);
  EXPECT_NE((*lib)->run_cmd_from_buffer, nullptr);
  // Loaded once: a second call hands out the same table.
  auto again = nftablesLibrary();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *lib);
}

TEST(NftablesLibraryTest, AMissingLibraryIsAnErrorNamingIt) {
  auto lib = loadNftablesLibrary("libnftables-that-does-not-exist.so.1");
  ASSERT_FALSE(lib.ok());
  EXPECT_NE(lib.error().message.find("cannot load libnftables-that-does-not-exist.so.1"),
            std::string::npos)
      << lib.error().message;
  EXPECT_NE(lib.error().message.find("libnftables1"), std::string::npos) << lib.error().message;
}

TEST(NftablesLibraryTest, ALibraryWithoutNftablesIsAnErrorNamingTheMissingFunction) {
  // libc is loaded in every process and has none of libnftables' functions.
  auto lib = loadNftablesLibrary("libc.so.6");
  ASSERT_FALSE(lib.ok());
  EXPECT_NE(lib.error().message.find("libc.so.6 has no nft_ctx_new"), std::string::npos)
      << lib.error().message;
}

}  // namespace
}  // namespace kubevip::nft

#include "k8s/curl_library.h"

#include <gtest/gtest.h>

namespace kubevip::k8s {
namespace {

TEST(CurlLibraryTest, LoadsEveryFunctionHttpTransportCalls) {
  auto lib = curlLibrary();
  ASSERT_TRUE(lib.ok()) << lib.error().message;
  EXPECT_NE((*lib)->easy_init, nullptr);
  EXPECT_NE((*lib)->multi_wakeup, nullptr);
  EXPECT_STREQ((*lib)->easy_strerror(CURLE_OK), "No error");
  // Loaded once: a second call hands out the same table.
  auto again = curlLibrary();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *lib);
}

TEST(CurlLibraryTest, AMissingLibraryIsAnErrorNamingIt) {
  auto lib = loadCurlLibrary("libcurl-that-does-not-exist.so.4");
  ASSERT_FALSE(lib.ok());
  EXPECT_NE(lib.error().message.find("cannot load libcurl-that-does-not-exist.so.4"),
            std::string::npos)
      << lib.error().message;
  EXPECT_NE(lib.error().message.find("libcurl4"), std::string::npos) << lib.error().message;
}

TEST(CurlLibraryTest, ALibraryWithoutCurlIsAnErrorNamingTheMissingFunction) {
  // libc is loaded in every process and has none of libcurl's functions.
  auto lib = loadCurlLibrary("libc.so.6");
  ASSERT_FALSE(lib.ok());
  EXPECT_NE(lib.error().message.find("libc.so.6 has no curl_global_init"), std::string::npos)
      << lib.error().message;
}

}  // namespace
}  // namespace kubevip::k8s

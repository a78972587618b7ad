// parseListenAddress: Go's "host:port" forms, and errors that name the setting and the value.
#include "common/listen_address.h"

#include <gtest/gtest.h>

namespace kubevip {
namespace {

TEST(ListenAddress, EmptyHostIsEveryAddress) {
  auto parsed = parseListenAddress("prometheus_server", ":2112");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_FALSE(parsed->host.has_value());
  EXPECT_EQ(parsed->port, 2112);
}

TEST(ListenAddress, Ipv4AndBracketedIpv6) {
  auto v4 = parseListenAddress("x", "127.0.0.1:2112");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host->toString(), "127.0.0.1");
  auto v6 = parseListenAddress("x", "[::1]:0");
  ASSERT_TRUE(v6.ok()) << v6.error().message;
  EXPECT_EQ(v6->host->toString(), "::1");
  EXPECT_EQ(v6->port, 0);
}

struct BadCase {
  const char* value;
  const char* message;
};

TEST(ListenAddress, ErrorsNameTheSettingTheValueAndWhatIsWrong) {
  const BadCase cases[] = {
      {":99999", "prometheus_server \":99999\": port out of range"},
      {":99999999999999999999999",
       "prometheus_server \":99999999999999999999999\": port out of range"},
      {"2112", "prometheus_server \"2112\": missing ':port' (e.g. \":2112\")"},
      {":", "prometheus_server \":\": missing port after ':'"},
      {":http", "prometheus_server \":http\": port 'http' is not a number"},
      {":-1", "prometheus_server \":-1\": port '-1' is not a number"},
      {"localhost:2112", "prometheus_server \"localhost:2112\": 'localhost' is not an IP address"},
      {"::1:2112",
       "prometheus_server \"::1:2112\": an IPv6 address must be in brackets (e.g. \"[::1]:2112\")"},
      {"[::1:2112", "prometheus_server \"[::1:2112\": '[' without a closing ']'"},
      {"[::1]2112",
       "prometheus_server \"[::1]2112\": missing ':port' after the address (e.g. \"[::1]:2112\")"},
      {"[127.0.0.1]:80",
       "prometheus_server \"[127.0.0.1]:80\": only an IPv6 address goes in brackets"},
  };
  for (const BadCase& c : cases) {
    auto parsed = parseListenAddress("prometheus_server", c.value);
    ASSERT_FALSE(parsed.ok()) << c.value;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(parsed.error().message, c.message);
  }
}

}  // namespace
}  // namespace kubevip

#include "config/values.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kubevip::config {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

TEST(ParsePort, AcceptsTheWholeRange) {
  EXPECT_EQ(*parsePort("1"), 1);
  EXPECT_EQ(*parsePort("65535"), 65535);
}

TEST(ParsePort, RejectsOutOfRangeAndNonNumbers) {
  EXPECT_THAT(parsePort("0").error().message, HasSubstr("0 is out of range (1-65535)"));
  EXPECT_THAT(parsePort("70000").error().message, HasSubstr("70000 is out of range (1-65535)"));
  EXPECT_THAT(parsePort("-1").error().message, HasSubstr("-1 is out of range (1-65535)"));
  EXPECT_THAT(parsePort("99999999999999999999999").error().message, HasSubstr("out of range"));
  EXPECT_THAT(parsePort("abc").error().message, HasSubstr("'abc' is not a port number"));
  EXPECT_FALSE(parsePort("").ok());
  EXPECT_FALSE(parsePort("80x").ok());
  EXPECT_FALSE(parsePort(" 80").ok());
}

TEST(ParsePeer, IPv4) {
  auto peer = parsePeer("server1:192.168.0.1:10000");
  ASSERT_TRUE(peer.ok()) << peer.error().message;
  EXPECT_EQ(peer->id, "server1");
  EXPECT_EQ(peer->address, *IpAddress::parse("192.168.0.1"));
  EXPECT_EQ(peer->port, 10000);
}

TEST(ParsePeer, BracketedIPv6) {
  auto peer = parsePeer("n-2:[fd00::1]:7000");
  ASSERT_TRUE(peer.ok()) << peer.error().message;
  EXPECT_EQ(peer->id, "n-2");
  EXPECT_EQ(peer->address, *IpAddress::parse("fd00::1"));
  EXPECT_EQ(peer->port, 7000);
}

TEST(ParsePeer, Errors) {
  EXPECT_THAT(parsePeer("server1").error().message, HasSubstr("expected id:address:port"));
  EXPECT_THAT(parsePeer("s:fd00::1:80").error().message, HasSubstr("must be bracketed"));
  EXPECT_THAT(parsePeer("s:[fd00::1:80").error().message, HasSubstr("[address]:port"));
  EXPECT_THAT(parsePeer("s:1.2.3:80").error().message, HasSubstr("not an IPv4 or IPv6 address"));
  EXPECT_THAT(parsePeer("s:1.2.3.4:0").error().message, HasSubstr("0 is out of range"));
  EXPECT_THAT(parsePeer("s:1.2.3.4:abc").error().message, HasSubstr("'abc' is not a port"));
  EXPECT_THAT(parsePeer(":1.2.3.4:80").error().message, HasSubstr("must not be empty"));
  EXPECT_THAT(parsePeer("a/b:1.2.3.4:80").error().message, HasSubstr("may only contain"));
  EXPECT_THAT(parsePeer("s:0.0.0.0:80").error().message, HasSubstr("unspecified"));
  EXPECT_THAT(parsePeer("s:host.example:80").error().message, HasSubstr("host.example"));
}

TEST(ParsePeerList, CommaSeparatedWithSpaces) {
  auto peers = parsePeerList("a:10.0.0.1:1, b:[fd00::2]:2");
  ASSERT_TRUE(peers.ok()) << peers.error().message;
  ASSERT_EQ(peers->size(), 2u);
  EXPECT_EQ((*peers)[1].id, "b");
  EXPECT_EQ((*peers)[1].port, 2);
  EXPECT_TRUE(parsePeerList("")->empty());
  EXPECT_THAT(parsePeerList("a:10.0.0.1:1,,b:10.0.0.2:2").error().message,
              HasSubstr("empty entry"));
  EXPECT_THAT(parsePeerList("a:10.0.0.1:1,b:10.0.0.2:70000").error().message,
              HasSubstr("70000 is out of range"));
}

TEST(ParseBackend, Forms) {
  auto v4 = parseBackend("192.168.0.1:8080");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->port, 8080);
  auto v6 = parseBackend("[fd00::5]:80");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->address.isV6());
  EXPECT_FALSE(parseBackend("192.168.0.1").ok());
  EXPECT_FALSE(parseBackend("fd00::5:80").ok());
  EXPECT_FALSE(parseBackend("1.2.3.4:65536").ok());
  auto list = parseBackendList("192.168.0.1:8080,192.168.0.2:8080");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
}

TEST(ParseDuration, UnitsAndPlainMilliseconds) {
  EXPECT_EQ(*parseDuration("300ms"), milliseconds(300));
  EXPECT_EQ(*parseDuration("2s"), milliseconds(2000));
  EXPECT_EQ(*parseDuration("1m"), milliseconds(60000));
  EXPECT_EQ(*parseDuration("1h"), milliseconds(3600000));
  EXPECT_EQ(*parseDuration("1m30s"), milliseconds(90000));
  EXPECT_EQ(*parseDuration("1.5s"), milliseconds(1500));
  EXPECT_EQ(*parseDuration("250"), milliseconds(250));
  EXPECT_EQ(*parseDuration("0"), milliseconds(0));
}

TEST(ParseDuration, Errors) {
  EXPECT_THAT(parseDuration("fast").error().message, HasSubstr("'fast' is not a duration"));
  EXPECT_THAT(parseDuration("10 s").error().message, HasSubstr("not a duration"));
  EXPECT_THAT(parseDuration("5d").error().message, HasSubstr("not a duration"));
  EXPECT_THAT(parseDuration("-1s").error().message, HasSubstr("negative"));
  EXPECT_THAT(parseDuration("1.5ms").error().message, HasSubstr("finer than a millisecond"));
  EXPECT_THAT(parseDuration("99999999999h").error().message, HasSubstr("too long"));
  EXPECT_FALSE(parseDuration("").ok());
  EXPECT_FALSE(parseDuration("s").ok());
  EXPECT_FALSE(parseDuration(".s").ok());
}

TEST(FormatDuration, ReadsBackToTheSameValue) {
  EXPECT_EQ(formatDuration(milliseconds(300)), "300ms");
  EXPECT_EQ(formatDuration(milliseconds(2000)), "2s");
  EXPECT_EQ(formatDuration(milliseconds(300000)), "5m");
  EXPECT_EQ(formatDuration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(formatDuration(milliseconds(0)), "0ms");
  for (int64_t v : {0, 1, 999, 1000, 1001, 59000, 60000, 61000, 3600000, 7260000}) {
    EXPECT_EQ(*parseDuration(formatDuration(milliseconds(v))), milliseconds(v)) << v;
  }
}

TEST(ParseBool, OnlyTrueFalseOneZero) {
  EXPECT_TRUE(*parseBool("true"));
  EXPECT_TRUE(*parseBool("1"));
  EXPECT_TRUE(*parseBool("TRUE"));
  EXPECT_FALSE(*parseBool("false"));
  EXPECT_FALSE(*parseBool("0"));
  EXPECT_THAT(parseBool("yes please").error().message, HasSubstr("'yes please' is not a boolean"));
  EXPECT_FALSE(parseBool("").ok());
}

TEST(ParseOptionalPort, ZeroMeansOff) {
  EXPECT_EQ(*parseOptionalPort("0"), 0);
  EXPECT_EQ(*parseOptionalPort("8080"), 8080);
  EXPECT_THAT(parseOptionalPort("-1").error().message,
              HasSubstr("'-1' is not a port number (0 for off, 1-65535)"));
  EXPECT_FALSE(parseOptionalPort("70000").ok());
}

}  // namespace
}  // namespace kubevip::config

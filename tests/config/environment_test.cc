// applyEnvironment: the original variable names over the file, with located errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "config/loader.h"

namespace kubevip::config {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

Getenv fakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Config fileConfig() {
  auto parsed = parseConfigYaml(
      "vip: 10.0.0.100\ninterface: eth0\nlocalPeer: {id: a, address: 10.0.0.1, port: 1}\n"
      "remotePeers: [{id: b, address: 10.0.0.2, port: 1}]\n",
      "config.yaml");
  EXPECT_TRUE(parsed.ok());
  return *parsed;
}

TEST(ApplyEnvironment, NothingSetChangesNothing) {
  Config c = fileConfig();
  ASSERT_TRUE(applyEnvironment(c, fakeEnv({})).ok());
  EXPECT_EQ(c, fileConfig());
}

TEST(ApplyEnvironment, EveryVariableOverridesTheFile) {
  Config c = fileConfig();
  Status s = applyEnvironment(c, fakeEnv({{"vip_interface", "eth1"},
                                          {"vip_address", "fd00::100"},
                                          {"vip_arp", "false"},
                                          {"vip_singlenode", "1"},
                                          {"vip_startleader", "true"},
                                          {"vip_localpeer", "x:[fd00::1]:7000"},
                                          {"vip_peers", "y:[fd00::2]:7000,z:[fd00::3]:7000"},
                                          {"vip_loglevel", "debug"}}));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(c.interface, "eth1");
  EXPECT_EQ(c.vip, *IpAddress::parse("fd00::100"));
  EXPECT_FALSE(c.gratuitous_arp);
  EXPECT_TRUE(c.single_node);
  EXPECT_TRUE(c.start_as_leader);
  EXPECT_EQ(c.local_peer->id, "x");
  EXPECT_EQ(c.local_peer->port, 7000);
  ASSERT_EQ(c.remote_peers.size(), 2u);
  EXPECT_EQ(c.remote_peers[1].id, "z");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.origins.find("remotePeers[1].port"), "environment variable vip_peers");
  EXPECT_EQ(c.origins.find("localPeer.id"), "environment variable vip_localpeer");
  EXPECT_EQ(c.origins.find("vip"), "environment variable vip_address");
}

TEST(ApplyEnvironment, EmptyVariablesAreIgnored) {
  Config c = fileConfig();
  ASSERT_TRUE(applyEnvironment(c, fakeEnv({{"vip_address", ""}, {"vip_arp", ""}})).ok());
  EXPECT_EQ(c.vip, *IpAddress::parse("10.0.0.100"));
}

TEST(ApplyEnvironment, ErrorsNameTheVariable) {
  struct Case {
    const char* name;
    const char* value;
    const char* text;
  };
  for (const Case& k :
       {Case{"vip_arp", "maybe", "'maybe' is not a boolean (use true, false, 1 or 0)"},
        Case{"vip_singlenode", "yes", "'yes' is not a boolean"},
        Case{"vip_startleader", "2", "'2' is not a boolean"},
        Case{"vip_address", "10.0.0", "'10.0.0' is not an IPv4 or IPv6 address"},
        Case{"vip_localpeer", "a:10.0.0.1", "not a peer"},
        Case{"vip_peers", "b:10.0.0.2:1,c:10.0.0.3:70000", "70000 is out of range"}}) {
    Config c = fileConfig();
    Status s = applyEnvironment(c, fakeEnv({{k.name, k.value}}));
    ASSERT_FALSE(s.ok()) << k.name;
    EXPECT_THAT(s.error().message,
                StartsWith(std::string("environment variable ") + k.name + ": "));
    EXPECT_THAT(s.error().message, HasSubstr(k.text));
  }
}

TEST(ApplyEnvironment, ValidationBlamesTheVariable) {
  Config c = fileConfig();
  ASSERT_TRUE(applyEnvironment(c, fakeEnv({{"vip_peers", "b:10.0.0.2:1,a:10.0.0.9:1"}})).ok());
  Status s = validateConfig(c, [](const std::string&) { return true; });
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message,
              StartsWith("environment variable vip_peers: remotePeers[1]: duplicate peer id 'a'"));
}

TEST(ApplyEnvironment, OperationsVariables) {
  Config c = fileConfig();
  ASSERT_TRUE(applyEnvironment(c, fakeEnv({{"prometheus_server", "127.0.0.1:9100"},
                                           {"health_check_port", "8081"},
                                           {"vip_statussocket", "/run/kv.sock"}}))
                  .ok());
  EXPECT_EQ(c.prometheus_server, "127.0.0.1:9100");
  EXPECT_EQ(c.health_check_port, 8081);
  EXPECT_EQ(c.status_socket, "/run/kv.sock");
  // Set but empty turns the endpoint off (the Go kube-vip's prometheus_server="").
  Config off = fileConfig();
  ASSERT_TRUE(
      applyEnvironment(off, fakeEnv({{"prometheus_server", ""}, {"vip_statussocket", ""}})).ok());
  EXPECT_EQ(off.prometheus_server, "");
  EXPECT_EQ(off.status_socket, "");
  Config bad = fileConfig();
  EXPECT_THAT(applyEnvironment(bad, fakeEnv({{"health_check_port", "http"}})).error().message,
              HasSubstr("environment variable health_check_port: 'http' is not a port number"));
}

}  // namespace
}  // namespace kubevip::config

// buildStartConfig: flags > environment > file, located errors, the data dir.
#include "cli/start_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli_fixture.h"

namespace kubevip::cli {
namespace {

using ::testing::StartsWith;
using testing::TempFile;

constexpr const char* kFile =
    "vip: 10.0.0.1\n"
    "interface: eth0\n"
    "singleNode: true\n"
    "gratuitousARP: true\n"
    "localPeer: {id: file, address: 10.0.0.11, port: 1}\n"
    "remotePeers: [{id: filepeer, address: 10.0.0.12, port: 1}]\n";

config::Getenv envOf(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

bool anyInterface(const std::string&) { return true; }

// Parses flags as the start command does.
StartOptions parseFlags(std::vector<std::string> args) {
  StartOptions options;
  CLI::App app;
  addStartOptions(app, options);
  std::reverse(args.begin(), args.end());
  app.parse(args);
  return options;
}

TEST(BuildStartConfig, FileAlone) {
  TempFile file(kFile);
  auto c = buildStartConfig(parseFlags({"-c", file.path()}), envOf({}), anyInterface);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->vip, *IpAddress::parse("10.0.0.1"));
  EXPECT_TRUE(c->single_node);
  EXPECT_EQ(c->local_peer->id, "file");
  EXPECT_EQ(c->log_level, "info");
  EXPECT_EQ(c->data_dir, "/var/lib/kube-vip/file");
}

TEST(BuildStartConfig, EnvironmentOverridesFile) {
  TempFile file(kFile);
  auto c = buildStartConfig(parseFlags({"-c", file.path()}),
                            envOf({{"vip_address", "10.0.0.2"},
                                   {"vip_singlenode", "false"},
                                   {"vip_interface", "eth1"},
                                   {"vip_localpeer", "env:10.0.0.21:2"},
                                   {"vip_peers", "envpeer:10.0.0.22:2"},
                                   {"vip_loglevel", "debug"}}),
                            anyInterface);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->vip, *IpAddress::parse("10.0.0.2"));
  EXPECT_FALSE(c->single_node);
  EXPECT_EQ(c->interface, "eth1");
  EXPECT_EQ(c->local_peer->id, "env");
  EXPECT_EQ(c->remote_peers.at(0).id, "envpeer");
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->data_dir, "/var/lib/kube-vip/env");
}

TEST(BuildStartConfig, FlagsOverrideEnvironmentAndFile) {
  TempFile file(kFile);
  auto options = parseFlags({"-c", file.path(), "--vip", "10.0.0.3", "--singleNode=true",
                             "--no-arp", "--interface", "eth2", "--localPeer", "flag:10.0.0.31:3",
                             "--remotePeers", "f1:10.0.0.32:3,f2:[fd00::33]:3", "--startAsLeader",
                             "--log", "error", "--data-dir", "/tmp/kv"});
  auto c = buildStartConfig(options,
                            envOf({{"vip_address", "10.0.0.2"},
                                   {"vip_singlenode", "false"},
                                   {"vip_arp", "true"},
                                   {"vip_interface", "eth1"},
                                   {"vip_localpeer", "env:10.0.0.21:2"},
                                   {"vip_peers", "envpeer:10.0.0.22:2"},
                                   {"vip_loglevel", "debug"}}),
                            anyInterface);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->vip, *IpAddress::parse("10.0.0.3"));
  EXPECT_TRUE(c->single_node);
  EXPECT_FALSE(c->gratuitous_arp);
  EXPECT_TRUE(c->start_as_leader);
  EXPECT_EQ(c->interface, "eth2");
  EXPECT_EQ(c->local_peer->id, "flag");
  ASSERT_EQ(c->remote_peers.size(), 2u);
  EXPECT_TRUE(c->remote_peers[1].address.isV6());
  EXPECT_EQ(c->log_level, "error");
  EXPECT_EQ(c->data_dir, "/tmp/kv");
}

TEST(BuildStartConfig, AbsentFlagsLeaveValuesAlone) {
  TempFile file(kFile);
  auto options = parseFlags({"-c", file.path()});
  EXPECT_FALSE(options.single_node);
  EXPECT_FALSE(options.gratuitous_arp);
  EXPECT_FALSE(options.vip);
  auto negated = parseFlags({"-c", file.path(), "--singleNode=false", "--arp"});
  EXPECT_EQ(negated.single_node, false);
  EXPECT_EQ(negated.gratuitous_arp, true);
}

TEST(BuildStartConfig, ValidationBlamesTheFlag) {
  TempFile file(kFile);
  auto c = buildStartConfig(parseFlags({"-c", file.path(), "--remotePeers", "x:10.0.0.11:1"}),
                            envOf({}), anyInterface);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message,
              StartsWith("flag --remotePeers: remotePeers[0]: duplicate peer address 10.0.0.11:1"));
}

TEST(BuildStartConfig, InterfaceIsChecked) {
  TempFile file(kFile);
  auto c = buildStartConfig(parseFlags({"-c", file.path()}), envOf({}),
                            [](const std::string& name) { return name == "lo"; });
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message, StartsWith(file.path() + ":2:12: interface: "));
}

TEST(BuildStartConfig, EnvironmentErrorNamesTheVariable) {
  TempFile file(kFile);
  auto c = buildStartConfig(parseFlags({"-c", file.path()}), envOf({{"vip_arp", "sometimes"}}),
                            anyInterface);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message, StartsWith("environment variable vip_arp: 'sometimes'"));
}

}  // namespace
}  // namespace kubevip::cli

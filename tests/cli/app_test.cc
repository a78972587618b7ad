// runCli: commands, exit statuses and error lines, without a daemon.
#include "cli/app.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <fstream>

#include "cli_fixture.h"
#include "config/loader.h"

namespace kubevip::cli {
namespace {

using testing::CliHarness;
using ::testing::HasSubstr;
using testing::isOneErrorLine;
using ::testing::StartsWith;
using testing::TempFile;

constexpr const char* kValid =
    "vip: 10.0.0.100\n"
    "interface: eth0\n"
    "localPeer: {id: server1, address: 10.0.0.1, port: 10000}\n"
    "remotePeers: [{id: server2, address: 10.0.0.2, port: 10000}]\n";

TEST(Version, PrintsTheVersion) {
  CliHarness cli;
  auto r = cli.run({"version"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, std::string("kube-vip ") + KUBEVIP_VERSION + "\n");
  EXPECT_EQ(r.err, "");
}

TEST(SampleConfig, DefaultsAreAValidCompleteConfig) {
  CliHarness cli;
  auto r = cli.run({"sample", "config"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto parsed = config::parseConfigYaml(r.out, "sample");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const config::Config& c = *parsed;
  EXPECT_EQ(c.interface, "eth0");
  EXPECT_EQ(c.vip, *IpAddress::parse("192.168.0.1"));
  EXPECT_EQ(c.local_peer->id, "server1");
  EXPECT_EQ(c.local_peer->port, 10000);
  ASSERT_EQ(c.remote_peers.size(), 2u);
  EXPECT_EQ(c.remote_peers[1].id, "server3");
  EXPECT_FALSE(c.single_node);
  EXPECT_FALSE(c.start_as_leader);
  EXPECT_TRUE(c.gratuitous_arp);
  ASSERT_EQ(c.load_balancers.size(), 1u);
  EXPECT_EQ(c.load_balancers[0].name, "Example Load Balancer");
  EXPECT_EQ(c.load_balancers[0].type, config::LoadBalancerType::kTcp);
  EXPECT_EQ(c.load_balancers[0].port, 8080);
  EXPECT_TRUE(c.load_balancers[0].bind_to_vip);
  ASSERT_EQ(c.load_balancers[0].backends.size(), 2u);
  EXPECT_EQ(c.load_balancers[0].backends[1].address, *IpAddress::parse("192.168.0.2"));
  EXPECT_TRUE(config::validateConfig(c, [](const std::string&) { return true; }).ok());
  EXPECT_EQ(config::renderConfigYaml(c), r.out);
  EXPECT_THAT(r.out, HasSubstr("leaderLease: 250ms"));
}

TEST(SampleConfig, FlagsOverrideTheDefaults) {
  CliHarness cli;
  auto r = cli.run({"sample",        "config",           "--interface",  "lo",
                    "--vip",         "fd00::100",        "--localPeer",  "a:[fd00::1]:7000",
                    "--remotePeers", "b:[fd00::2]:7000", "--singleNode", "--startAsLeader",
                    "--arp=false",   "--lbName",         "api",          "--lbType",
                    "http",          "--lbPort",         "443",          "--no-lbBindToVip",
                    "--lbBackends",  "[fd00::9]:80"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto c = config::parseConfigYaml(r.out, "sample");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->interface, "lo");
  EXPECT_EQ(c->vip, *IpAddress::parse("fd00::100"));
  EXPECT_EQ(c->local_peer->address, *IpAddress::parse("fd00::1"));
  EXPECT_EQ(c->remote_peers.size(), 1u);
  EXPECT_TRUE(c->single_node);
  EXPECT_TRUE(c->start_as_leader);
  EXPECT_FALSE(c->gratuitous_arp);
  EXPECT_EQ(c->load_balancers[0].name, "api");
  EXPECT_EQ(c->load_balancers[0].type, config::LoadBalancerType::kHttp);
  EXPECT_EQ(c->load_balancers[0].port, 443);
  EXPECT_FALSE(c->load_balancers[0].bind_to_vip);
  EXPECT_EQ(c->load_balancers[0].backends[0].port, 80);
}

TEST(SampleConfig, BadFlagsAreOneLineErrors) {
  CliHarness cli;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"sample", "config", "--lbType", "sctp"},
           {"sample", "config", "--lbPort", "70000"},
           {"sample", "config", "--vip", "10.0.0"},
           {"sample", "config", "--remotePeers", "server1:10.0.0.9:1"},
           {"sample"}}) {
    auto r = cli.run(args);
    EXPECT_EQ(r.status, kExitUsage) << args.back();
    EXPECT_TRUE(isOneErrorLine(r.err));
    EXPECT_EQ(r.out, "");
  }
  EXPECT_THAT(cli.run({"sample", "config", "--lbType", "sctp"}).err,
              HasSubstr("flag --lbType: 'sctp' is not a load balancer type"));
  EXPECT_THAT(cli.run({"sample", "config", "--remotePeers", "server1:10.0.0.9:1"}).err,
              HasSubstr("duplicate peer id 'server1'"));
}

TEST(Check, ValidFileIsOk) {
  TempFile file(kValid);
  CliHarness cli;
  auto r = cli.run({"check", "-c", file.path()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "configuration ok\n");
  EXPECT_FALSE(cli.daemon_config);
}

TEST(Check, ErrorsAreOneLineWithLocation) {
  TempFile file(std::string(kValid) + "election:\n  leaderLease: 1s\n");
  CliHarness cli;
  auto r = cli.run({"check", "-c", file.path()});
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_TRUE(isOneErrorLine(r.err));
  EXPECT_THAT(r.err, StartsWith("kube-vip: " + file.path() + ":6:16: election.leaderLease: "));
  EXPECT_EQ(r.out, "");
}

// A file that exists but cannot be read is the machine's failure, not a usage error: status 1.
// (/proc/self/mem opens, and reading its offset 0, which no process maps, fails with EIO.)
TEST(Check, UnreadableFileIsARuntimeFailure) {
  CliHarness cli;
  auto r = cli.run({"check", "-c", "/proc/self/mem"});
  EXPECT_EQ(r.status, kExitFailure) << r.err;
  EXPECT_TRUE(isOneErrorLine(r.err));
  EXPECT_THAT(r.err, StartsWith("kube-vip: cannot read configuration file /proc/self/mem: "));
}

TEST(Check, MissingFile) {
  CliHarness cli;
  auto r = cli.run({"check", "-c", "/nonexistent/config.yaml"});
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_EQ(r.err,
            "kube-vip: cannot open configuration file /nonexistent/config.yaml: No such file or "
            "directory\n");
}

TEST(Start, RunsTheDaemonWithTheMergedConfigAndReturnsItsStatus) {
  TempFile file(kValid);
  CliHarness cli;
  cli.daemon_status = 7;
  cli.environment["vip_loglevel"] = "warn";
  auto r = cli.run({"start", "-c", file.path(), "--vip", "10.0.0.200"});
  EXPECT_EQ(r.status, 7);
  ASSERT_TRUE(cli.daemon_config);
  EXPECT_EQ(cli.daemon_config->vip, *IpAddress::parse("10.0.0.200"));
  EXPECT_EQ(cli.daemon_config->log_level, "warn");
  EXPECT_EQ(cli.daemon_config->data_dir, "/var/lib/kube-vip/server1");
}

// A reload builds the configuration as start did: the file read again, under the same
// environment and flags.
TEST(Start, AReloadReadsTheFileAgainUnderTheSameFlags) {
  TempFile file(kValid);
  CliHarness cli;
  cli.environment["vip_loglevel"] = "warn";
  auto r = cli.run({"start", "-c", file.path(), "--vip", "10.0.0.200"});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(cli.daemon_reread);
  std::ofstream(file.path()) << kValid << "logLevel: debug\nhealthCheckPort: 8081\n";
  auto again = cli.daemon_reread();
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(again->vip, *IpAddress::parse("10.0.0.200"));
  EXPECT_EQ(again->log_level, "warn") << "the environment stays above the file";
  EXPECT_EQ(again->health_check_port, 8081);
  std::ofstream(file.path()) << "vip: [\n";
  EXPECT_FALSE(cli.daemon_reread().ok());
}

TEST(Start, LogFormatJsonMakesTheProcessLoggerWriteJsonLines) {
  TempFile file(kValid);
  CliHarness cli;
  auto r = cli.run({"start", "-c", file.path(), "--log-format", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  ::testing::internal::CaptureStderr();
  spdlog::info("probe");
  const std::string json_line = ::testing::internal::GetCapturedStderr();
  r = cli.run({"start", "-c", file.path()});  // back to the default, text
  ASSERT_EQ(r.status, 0) << r.err;
  ::testing::internal::CaptureStderr();
  spdlog::info("probe");
  const std::string text_line = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(json_line, StartsWith("{\"time\":\""));
  EXPECT_THAT(json_line, HasSubstr("\"level\":\"info\",\"msg\":\"probe\"}\n"));
  EXPECT_THAT(text_line, HasSubstr("Z info  probe\n"));
}

TEST(Start, ConfigErrorDoesNotStartTheDaemon) {
  TempFile file(kValid);
  CliHarness cli;
  auto r = cli.run({"start", "-c", file.path(), "--interface", "eth9"});
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_FALSE(cli.daemon_config);
  EXPECT_EQ(r.err,
            "kube-vip: flag --interface: interface: there is no network interface named "
            "'eth9' on this host (see `ip link`)\n");
}

TEST(Manager, BgpFlagsAreRead) {
  CliHarness cli;
  cli.environment = {{"vip_interface", "eth0"},
                     {"address", "192.0.2.100"},
                     {"cp_enable", "true"},
                     {"vip_leaderelection", "true"}};
  // --bgp and --multihop are Go-style booleans: given alone they mean true.
  auto r = cli.run({"manager", "--bgp", "--bgpRouterID", "192.0.2.10", "--peerAddress", "192.0.2.1",
                    "--peerAS", "65001", "--multihop", "--bgpListenPort", "1179",
                    "--bgpGracefulRestartTime", "60"});
  EXPECT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(cli.daemon_config);
  ASSERT_TRUE(cli.daemon_config->bgp);
  EXPECT_EQ(cli.daemon_config->bgp->peers.at(0).as, 65001u);
  EXPECT_EQ(cli.daemon_config->bgp->listen_port, 1179);
  EXPECT_EQ(cli.daemon_config->bgp->graceful_restart_time, std::chrono::seconds(60));
  // With ARP as well: one line saying to choose.
  r = cli.run(
      {"manager", "--bgp", "--arp", "--bgpRouterID", "192.0.2.10", "--peerAddress", "192.0.2.1"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "kube-vip: flag --arp: gratuitousARP: announce either by ARP or by BGP: set "
            "gratuitousARP: false (vip_arp=false) with bgp (bgp_enable=true)\n");
  // A mistake is reported first.
  r = cli.run({"manager", "--bgp", "--bgpRouterID", "192.0.2.10", "--bgppeers", "192.0.2.1"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "kube-vip: flag --bgppeers: entry 1 '192.0.2.1': the AS is missing; expected "
            "address:AS[:password[:multihop[:port]]]\n");
}

TEST(CommandLineErrors, AreOneLineWithStatusTwo) {
  TempFile file(kValid);
  CliHarness cli;
  struct Case {
    std::vector<std::string> args;
    const char* text;
  };
  for (const Case& k : std::vector<Case>{
           {{}, "A subcommand is required"},
           {{"frobnicate"},
            "unknown command 'frobnicate'; commands are version, sample, start, check"},
           {{"start"}, "--config is required"},
           {{"start", "-c"}, "--config"},
           {{"check", "-c", file.path(), "--bogus"}, "--bogus"},
           {{"check", "-c", file.path(), "--vip"}, "--vip"},
           {{"check", "-c", file.path(), "--singleNode=maybe"}, "--singleNode"},
           {{"check", "-c", file.path(), "--log", "loud"}, "flag --log: logLevel: 'loud'"},
           {{"check", "-c", file.path(), "--localPeer", "x"},
            "flag --localPeer: 'x' is not a peer"},
           {{"check", "-c", file.path(), "--data-dir", ""}, "flag --data-dir: must not be empty"},
           {{"check", "-c", file.path(), "--log-format", "xml"},
            "flag --log-format: log format 'xml' is not one of text, json"},
           {{"start", "-c", file.path(), "--log-format", ""},
            "flag --log-format: log format '' is not one of text, json"},
           {{"version", "extra"}, "extra"}}) {
    auto r = cli.run(k.args);
    EXPECT_EQ(r.status, kExitUsage) << r.err;
    EXPECT_TRUE(isOneErrorLine(r.err));
    EXPECT_THAT(r.err, HasSubstr(k.text));
  }
}

TEST(Help, PrintsUsageAndSucceeds) {
  CliHarness cli;
  auto r = cli.run({"--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_THAT(r.out, HasSubstr("start"));
  EXPECT_THAT(r.out, HasSubstr("check"));
  auto start = cli.run({"start", "--help"});
  EXPECT_EQ(start.status, 0);
  EXPECT_THAT(start.out, HasSubstr("--data-dir"));
  EXPECT_FALSE(cli.daemon_config);
}

}  // namespace
}  // namespace kubevip::cli

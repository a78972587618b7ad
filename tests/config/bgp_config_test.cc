// The BGP configuration: single values, the YAML `bgp:` section, the in-cluster variables, the
// validator's checks, and the reload rule.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "config/bgp_values.h"
#include "config/incluster_env.h"
#include "config/loader.h"
#include "config/reload_plan.h"
#include "support/addresses.h"

namespace kubevip::config {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using test::ip;

std::string peerError(const char* text) {
  auto peer = parseBgpPeer(text);
  EXPECT_FALSE(peer.ok()) << "accepted " << text;
  return peer.ok() ? "" : peer.error().message;
}

// ---- bgp_peers entries ----

TEST(BgpPeerText, Ipv4WithEveryField) {
  auto peer = parseBgpPeer("192.0.2.1:65001:s3cret:true:1179");
  ASSERT_TRUE(peer.ok()) << peer.error().message;
  EXPECT_EQ(peer->address, ip("192.0.2.1"));
  EXPECT_EQ(peer->as, 65001u);
  EXPECT_EQ(peer->password, "s3cret");
  EXPECT_EQ(peer->multihop_ttl, kMultihopTtl);
  EXPECT_EQ(peer->port, 1179);
}

TEST(BgpPeerText, Ipv4WithOnlyTheAs) {
  auto peer = parseBgpPeer("192.0.2.1:65001");
  ASSERT_TRUE(peer.ok()) << peer.error().message;
  EXPECT_EQ(peer->as, 65001u);
  EXPECT_EQ(peer->password, "");
  EXPECT_EQ(peer->multihop_ttl, 0);
  EXPECT_EQ(peer->port, 179);
  EXPECT_FALSE(peer->passive);
}

TEST(BgpPeerText, EmptyOptionalFieldsTakeTheirDefaults) {
  auto peer = parseBgpPeer("192.0.2.1:65001:::");
  ASSERT_TRUE(peer.ok()) << peer.error().message;
  EXPECT_EQ(peer->password, "");
  EXPECT_EQ(peer->multihop_ttl, 0);
  EXPECT_EQ(peer->port, 179);
  auto with_port = parseBgpPeer("192.0.2.1:65001:::180");
  ASSERT_TRUE(with_port.ok()) << with_port.error().message;
  EXPECT_EQ(with_port->port, 180);
}

TEST(BgpPeerText, BracketedIpv6) {
  auto peer = parseBgpPeer("[fd00::1]:4200000000");
  ASSERT_TRUE(peer.ok()) << peer.error().message;
  EXPECT_EQ(peer->address, ip("fd00::1"));
  EXPECT_EQ(peer->as, 4200000000u);
  EXPECT_EQ(peer->port, 179);
  auto full = parseBgpPeer("[fd00::2]:65002:pw:false:1790");
  ASSERT_TRUE(full.ok()) << full.error().message;
  EXPECT_EQ(full->password, "pw");
  EXPECT_EQ(full->multihop_ttl, 0);
  EXPECT_EQ(full->port, 1790);
}

TEST(BgpPeerText, ListOfBothFamiliesSkippingEmptyEntries) {
  auto peers = parseBgpPeerList("192.0.2.1:65001, [fd00::1]:65002::true,,");
  ASSERT_TRUE(peers.ok()) << peers.error().message;
  ASSERT_EQ(peers->size(), 2u);
  EXPECT_EQ((*peers)[1].address, ip("fd00::1"));
  EXPECT_EQ((*peers)[1].multihop_ttl, kMultihopTtl);
}

TEST(BgpPeerText, BadEntriesSayWhatIsWrong) {
  EXPECT_THAT(peerError("192.0.2.1"), HasSubstr("the AS is missing"));
  EXPECT_THAT(peerError("192.0.2.1:0"), HasSubstr("not an AS number (1-4294967295)"));
  EXPECT_THAT(peerError("192.0.2.1:4294967296"), HasSubstr("not an AS number"));
  EXPECT_THAT(peerError("192.0.2.1:23456"), HasSubstr("AS_TRANS"));
  EXPECT_THAT(peerError("192.0.2.1:-1"), HasSubstr("not an AS number"));
  EXPECT_THAT(peerError("router1:65000"), HasSubstr("'router1' is not an IP address"));
  EXPECT_THAT(peerError("fd00::1:65000"), HasSubstr("bracketed"));
  EXPECT_THAT(peerError("[fd00::1:65000"), HasSubstr("no ']'"));
  EXPECT_THAT(peerError("[fd00::1]65000"), HasSubstr("after the address"));
  EXPECT_THAT(peerError("192.0.2.1:65000:pw:maybe"), HasSubstr("multihop 'maybe'"));
  EXPECT_THAT(peerError("192.0.2.1:65000:pw:true:0"), HasSubstr("0 is out of range (1-65535)"));
  EXPECT_THAT(peerError("192.0.2.1:65000:pw:true:70000"), HasSubstr("70000"));
  EXPECT_THAT(peerError("192.0.2.1:65000:pw:true:179:x"), HasSubstr("too many fields"));
  EXPECT_THAT(peerError("0.0.0.0:65000"), HasSubstr("unspecified"));
}

TEST(BgpPeerText, ListErrorsNameTheEntry) {
  auto peers = parseBgpPeerList("192.0.2.1:65001,192.0.2.2");
  ASSERT_FALSE(peers.ok());
  EXPECT_THAT(peers.error().message, StartsWith("entry 2 '192.0.2.2'"));
}

// ---- communities and the next-hop mode ----

TEST(BgpCommunityText, SixteenBitPairs) {
  auto c = parseBgpCommunity("65000:100");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->as, 65000);
  EXPECT_EQ(c->value, 100);
  EXPECT_EQ(formatBgpCommunity(*c), "65000:100");
  for (const char* bad : {"65536:1", "1:65536", "1", "1:2:3", "a:b", ":1", "1:", "-1:2"}) {
    auto r = parseBgpCommunity(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.error().message, HasSubstr("AS:value, each 0-65535")) << bad;
  }
}

TEST(BgpCommunityText, LargeCommunitiesAreThirtyTwoBitTriples) {
  auto c = parseBgpLargeCommunity("4200000000:1:4294967295");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->global, 4200000000u);
  EXPECT_EQ(c->local2, 4294967295u);
  EXPECT_EQ(formatBgpLargeCommunity(*c), "4200000000:1:4294967295");
  for (const char* bad : {"4294967296:1:1", "1:2", "1:2:3:4", "1::3", "x:1:1"}) {
    auto r = parseBgpLargeCommunity(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.error().message, HasSubstr("global:local1:local2")) << bad;
  }
}

TEST(BgpNextHopText, TheThreeModes) {
  EXPECT_EQ(*parseMpBgpNextHop("auto_sourceif"), MpBgpNextHop::kAutoSourceInterface);
  EXPECT_EQ(*parseMpBgpNextHop("auto_sourceip"), MpBgpNextHop::kAutoSourceIp);
  EXPECT_EQ(*parseMpBgpNextHop("fixed"), MpBgpNextHop::kFixed);
  auto bad = parseMpBgpNextHop("auto");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("auto_sourceif, auto_sourceip or fixed"));
}

// ---- the YAML section ----

constexpr const char* kBgpTestBase =
    "vip: 10.0.0.100\n"
    "interface: eth0\n"
    "localPeer: {id: a, address: 10.0.0.1, port: 10000}\n";

constexpr const char* kBgpSection =
    "bgp:\n"
    "  routerID: 10.0.0.1\n"
    "  as: 65010\n"
    "  holdTime: 9s\n"
    "  keepaliveInterval: 3s\n"
    "  peers:\n"
    "    - {address: 10.0.0.254, as: 65000, password: pw, multihop: true, port: 1179}\n"
    "    - address: fd00::fe\n"
    "      multihop: 4\n"
    "      holdTime: 0s\n"
    "      passive: true\n"
    "  sourceIP: 10.0.0.1\n"
    "  sourceInterface: eth0\n"
    "  mpbgpNexthop: fixed\n"
    "  mpbgpIPv4: 10.0.0.1\n"
    "  mpbgpIPv6: fd00::1\n"
    "  communities: ['65010:1', '0:65535']\n"
    "  largeCommunities: ['65010:1:2']\n"
    "  localPref: 200\n"
    "  med: 10\n";

bool hostInterfaces(const std::string& name) { return name == "eth0" || name == "lo"; }

Result<Config> parseBgpTestConfig(const std::string& yaml) {
  return parseConfigYaml(yaml, "config.yaml");
}

std::string parseError(const std::string& yaml) {
  auto c = parseBgpTestConfig(yaml);
  EXPECT_FALSE(c.ok()) << "accepted:\n" << yaml;
  return c.ok() ? "" : c.error().message;
}

// BGP replaces ARP: the validation tests' files say so at their end (after the lines their
// messages point into).
constexpr const char* kNoArp = "gratuitousARP: false\n";

bool validates(const std::string& yaml) {
  auto c = parseBgpTestConfig(yaml + kNoArp);
  EXPECT_TRUE(c.ok()) << c.error().message;
  if (!c.ok()) return false;
  Status s = validateConfig(*c, hostInterfaces);
  EXPECT_TRUE(s.ok()) << s.error().message << "\n" << yaml;
  return s.ok();
}

std::string validationError(const std::string& yaml, bool arp = false) {
  auto c = parseBgpTestConfig(arp ? yaml : yaml + kNoArp);
  EXPECT_TRUE(c.ok()) << c.error().message;
  if (!c.ok()) return "";
  Status s = validateConfig(*c, hostInterfaces);
  EXPECT_FALSE(s.ok()) << "accepted:\n" << yaml;
  if (s.ok()) return "";
  EXPECT_EQ(s.error().message.find('\n'), std::string::npos);
  return s.error().message;
}

TEST(BgpYaml, EveryKeyIsRead) {
  auto c = parseBgpTestConfig(std::string(kBgpTestBase) + kBgpSection);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->bgp);
  const BgpConfig& b = *c->bgp;
  EXPECT_EQ(b.router_id, ip("10.0.0.1"));
  EXPECT_EQ(b.as, 65010u);
  EXPECT_EQ(b.hold_time, seconds(9));
  EXPECT_EQ(b.keepalive_interval, seconds(3));
  ASSERT_EQ(b.peers.size(), 2u);
  EXPECT_EQ(b.peers[0].address, ip("10.0.0.254"));
  EXPECT_EQ(b.peers[0].as, 65000u);
  EXPECT_EQ(b.peers[0].password, "pw");
  EXPECT_EQ(b.peers[0].multihop_ttl, kMultihopTtl);
  EXPECT_EQ(b.peers[0].port, 1179);
  EXPECT_FALSE(b.peers[0].hold_time);
  EXPECT_EQ(b.peers[1].address, ip("fd00::fe"));
  EXPECT_EQ(b.peers[1].as, 65000u);  // the default
  EXPECT_EQ(b.peers[1].multihop_ttl, 4);
  EXPECT_EQ(b.peers[1].hold_time, seconds(0));
  EXPECT_TRUE(b.peers[1].passive);
  EXPECT_EQ(b.source_ip, ip("10.0.0.1"));
  EXPECT_EQ(b.source_interface, "eth0");
  EXPECT_EQ(b.mpbgp_nexthop, MpBgpNextHop::kFixed);
  EXPECT_EQ(b.mpbgp_ipv6, ip("fd00::1"));
  EXPECT_EQ(b.communities, (std::vector<BgpCommunity>{{65010, 1}, {0, 65535}}));
  EXPECT_EQ(b.large_communities, (std::vector<BgpLargeCommunity>{{65010, 1, 2}}));
  EXPECT_EQ(b.local_pref, 200u);
  EXPECT_EQ(b.med, 10u);
}

TEST(BgpYaml, AbsentMeansNoBgpAndDefaultsAreTheGoOnes) {
  auto none = parseBgpTestConfig(kBgpTestBase);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->bgp);
  auto c =
      parseBgpTestConfig(std::string(kBgpTestBase) + "bgp:\n  peers: [{address: 10.0.0.254}]\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->bgp);
  EXPECT_EQ(c->bgp->as, 65000u);
  EXPECT_EQ(c->bgp->hold_time, seconds(30));
  EXPECT_EQ(c->bgp->keepalive_interval, seconds(10));
  EXPECT_EQ(c->bgp->peers[0].port, 179);
}

TEST(BgpYaml, SyntaxErrorsPointAtTheValue) {
  const std::string base = kBgpTestBase;
  EXPECT_EQ(parseError(base + "bgp:\n  as: 0\n"),
            "config.yaml:5:7: bgp.as: '0' is not an AS number (1-4294967295)");
  EXPECT_THAT(parseError(base + "bgp:\n  communities: ['1:2', '65536:1']\n"),
              StartsWith("config.yaml:5:24: bgp.communities[1]: '65536:1' is not a community"));
  EXPECT_THAT(parseError(base + "bgp:\n  largeCommunities: ['1:2']\n"),
              StartsWith("config.yaml:5:22: bgp.largeCommunities[0]: '1:2' is not a large"));
  EXPECT_THAT(parseError(base + "bgp:\n  holdTime: 30\n"),
              StartsWith("config.yaml:5:13: bgp.holdTime: '30' is 30ms, not a whole number of "
                         "seconds"));
  EXPECT_THAT(parseError(base + "bgp:\n  holdTime: 70000s\n"),
              HasSubstr("bgp.holdTime: 70000s is more than 65535s"));
  EXPECT_THAT(parseError(base + "bgp:\n  peers: [{address: 10.0.0.254, multihop: 300}]\n"),
              HasSubstr("bgp.peers[0].multihop: '300' is neither a boolean nor a TTL (1-255)"));
  EXPECT_THAT(parseError(base + "bgp:\n  peers: [{as: 65000}]\n"),
              HasSubstr("bgp.peers[0]: missing key 'address'"));
  EXPECT_THAT(parseError(base + "bgp:\n  router: 10.0.0.1\n"),
              HasSubstr("bgp.router: unknown key; allowed here: routerID, routerInterface, as"));
  EXPECT_THAT(parseError(base + "bgp:\n  mpbgpNexthop: auto\n"),
              HasSubstr("bgp.mpbgpNexthop: 'auto' is not an MP-BGP next hop mode"));
  EXPECT_THAT(parseError(base + "bgp: [1]\n"), HasSubstr("bgp: expected a mapping"));
  EXPECT_THAT(parseError(base + "bgp:\n  localPref: -1\n"),
              HasSubstr("bgp.localPref: '-1' is not a number (0-4294967295)"));
}

TEST(BgpYaml, RendersAndReadsBack) {
  auto c = parseBgpTestConfig(std::string(kBgpTestBase) + kBgpSection);
  ASSERT_TRUE(c.ok()) << c.error().message;
  const std::string yaml = renderConfigYaml(*c);
  auto again = parseBgpTestConfig(yaml);
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << yaml;
  EXPECT_EQ(*again, *c) << yaml;
  EXPECT_EQ(renderConfigYaml(*again), yaml);
}

// ---- validation ----

// A BGP section that passes every check.
constexpr const char* kGoodBgp =
    "bgp:\n"
    "  routerID: 10.0.0.1\n"
    "  peers: [{address: 10.0.0.254}]\n";

TEST(BgpValidation, ACorrectSectionIsAccepted) {
  EXPECT_TRUE(validates(std::string(kBgpTestBase) + kGoodBgp));
  EXPECT_TRUE(validates(std::string(kBgpTestBase) + kBgpSection));
}

TEST(BgpValidation, ArpAndBgpTogetherAreRefusedInOneLine) {
  // gratuitousARP is true by default: a file with bgp must turn it off.
  EXPECT_EQ(validationError(std::string(kBgpTestBase) + kGoodBgp, /*arp=*/true),
            "config.yaml:5:3: gratuitousARP: announce either by ARP or by BGP: set "
            "gratuitousARP: false (vip_arp=false) with bgp (bgp_enable=true)");
  EXPECT_THAT(validationError("gratuitousARP: true\n" + std::string(kBgpTestBase) + kGoodBgp, true),
              StartsWith("config.yaml:1:16: gratuitousARP: announce either by ARP or by BGP"));
}

TEST(BgpValidation, NewSettings) {
  auto c = parseBgpTestConfig(std::string(kBgpTestBase) + kGoodBgp);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->bgp->vip_interface, "lo");
  EXPECT_EQ(c->bgp->listen_port, 179);
  EXPECT_EQ(c->bgp->graceful_restart_time, seconds(0));
  auto set = parseBgpTestConfig(
      std::string(kBgpTestBase) + kGoodBgp +
      "  vipInterface: eth0\n  listenPort: 1179\n  gracefulRestartTime: 4095s\n");
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->bgp->vip_interface, "eth0");
  EXPECT_EQ(set->bgp->listen_port, 1179);
  EXPECT_EQ(set->bgp->graceful_restart_time, seconds(4095));
  EXPECT_TRUE(validates(std::string(kBgpTestBase) + kGoodBgp + "  gracefulRestartTime: 0s\n"));
  EXPECT_THAT(
      validationError(std::string(kBgpTestBase) + kGoodBgp + "  gracefulRestartTime: 4096s\n"),
      StartsWith("config.yaml:7:24: bgp.gracefulRestartTime: 4096s is more than 4095s, "
                 "the longest Restart Time the capability can carry (12 bits, RFC 4724 "
                 "§3)"));
  EXPECT_THAT(parseError(std::string(kBgpTestBase) + kGoodBgp + "  gracefulRestartTime: 120\n"),
              HasSubstr("bgp.gracefulRestartTime: '120' is 120ms, not a whole number of seconds"));
  EXPECT_THAT(validationError(std::string(kBgpTestBase) + kGoodBgp + "  vipInterface: dummy0\n"),
              StartsWith("config.yaml:7:17: bgp.vipInterface: there is no network interface "
                         "named 'dummy0' on this host"));
  EXPECT_THAT(parseError(std::string(kBgpTestBase) + kGoodBgp + "  listenPort: 0\n"),
              HasSubstr("bgp.listenPort: "));
}

TEST(BgpValidation, WithoutBgpNothingChanges) {
  auto c = parseBgpTestConfig(kBgpTestBase);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(validateConfig(*c, hostInterfaces).ok());
}

TEST(BgpValidation, RouterId) {
  const std::string base = kBgpTestBase;
  EXPECT_THAT(validationError(base + "bgp:\n  routerID: fd00::1\n  peers: [{address: 10.0.0.9}]\n"),
              StartsWith("config.yaml:5:13: bgp.routerID: fd00::1 is not an IPv4 address"));
  // Neither given: taken from `interface` at start.
  EXPECT_TRUE(validates(base + "bgp:\n  peers: [{address: 10.0.0.9}]\n"));
  EXPECT_THAT(
      validationError(base + "bgp:\n  routerInterface: eth9\n  peers: [{address: 10.0.0.9}]\n"),
      StartsWith("config.yaml:5:20: bgp.routerInterface: there is no network interface named "
                 "'eth9'"));
  EXPECT_THAT(
      validationError(base + "bgp:\n  routerID: 10.0.0.1\n  routerInterface: eth0\n  peers: "
                             "[{address: 10.0.0.9}]\n"),
      HasSubstr("bgp.routerInterface: give either bgp.routerID or bgp.routerInterface"));
  EXPECT_TRUE(validates(base + "bgp:\n  routerInterface: eth0\n  peers: [{address: 10.0.0.9}]\n"));
}

TEST(BgpValidation, HoldTimeIsZeroOrAtLeastThreeSeconds) {
  const std::string yaml = std::string(kBgpTestBase) + kGoodBgp;
  EXPECT_THAT(validationError(yaml + "  holdTime: 2s\n"),
              StartsWith("config.yaml:7:13: bgp.holdTime: 2s is not a BGP hold time: 0 (no "
                         "keepalives) or 3s-65535s (RFC 4271 §4.2)"));
  // No keepalives at all: the interval does not matter.
  EXPECT_TRUE(validates(yaml + "  holdTime: 0s\n  keepaliveInterval: 1m\n"));
  EXPECT_TRUE(validates(yaml + "  holdTime: 3s\n  keepaliveInterval: 1s\n"));
}

TEST(BgpValidation, KeepaliveIsAtMostAThirdOfTheHoldTime) {
  const std::string yaml = std::string(kBgpTestBase) + kGoodBgp;
  EXPECT_THAT(validationError(yaml + "  keepaliveInterval: 11s\n"),
              StartsWith("config.yaml:7:22: bgp.keepaliveInterval: 11s is more than a third of "
                         "bgp.holdTime (30s)"));
  EXPECT_THAT(validationError(yaml + "  keepaliveInterval: 0s\n"),
              HasSubstr("bgp.keepaliveInterval: must be at least 1s"));
  // A peer's own hold time is checked against the keepalive that applies to it.
  EXPECT_THAT(validationError(std::string(kBgpTestBase) +
                              "bgp:\n  routerID: 10.0.0.1\n  peers: [{address: 10.0.0.9, "
                              "holdTime: 9s}]\n"),
              HasSubstr("bgp.keepaliveInterval: 10s is more than a third of "
                        "bgp.peers[0].holdTime (9s)"));
  EXPECT_THAT(validationError(std::string(kBgpTestBase) +
                              "bgp:\n  routerID: 10.0.0.1\n  peers: [{address: 10.0.0.9, "
                              "holdTime: 1s}]\n"),
              HasSubstr("bgp.peers[0].holdTime: 1s is not a BGP hold time"));
}

TEST(BgpValidation, Peers) {
  const std::string base = std::string(kBgpTestBase) + "bgp:\n  routerID: 10.0.0.1\n";
  EXPECT_THAT(validationError(base),
              StartsWith("config.yaml:5:3: bgp.peers: empty; list at least one peer"));
  EXPECT_THAT(validationError(base + "  peers: []\n"), HasSubstr("bgp.peers: empty"));
  EXPECT_THAT(validationError(base + "  peers: [{address: 10.0.0.9}, {address: 10.0.0.9}]\n"),
              HasSubstr("bgp.peers[1]: peer 10.0.0.9:179 is listed twice (also bgp.peers[0])"));
  // The same router on two ports is two peers.
  EXPECT_TRUE(validates(base + "  peers: [{address: 10.0.0.9}, {address: 10.0.0.9, port: 180}]\n"));
  EXPECT_THAT(validationError(base + "  peers: [{address: 10.0.0.9, password: " +
                              std::string(81, 'x') + "}]\n"),
              HasSubstr("bgp.peers[0].password: is 81 bytes long; a TCP MD5 key holds at most 80"));
}

TEST(BgpValidation, SourceAndNextHop) {
  const std::string base = std::string(kBgpTestBase) + kGoodBgp;
  EXPECT_THAT(validationError(base + "  sourceInterface: eth7\n"),
              HasSubstr("bgp.sourceInterface: there is no network interface named 'eth7'"));
  EXPECT_THAT(validationError(base + "  mpbgpNexthop: fixed\n"),
              HasSubstr("bgp.mpbgpNexthop: fixed needs the next hops"));
  EXPECT_THAT(validationError(base + "  mpbgpNexthop: auto_sourceif\n"),
              HasSubstr("bgp.mpbgpNexthop: auto_sourceif takes the next hop from "
                        "bgp.sourceInterface"));
  EXPECT_THAT(validationError(base + "  mpbgpNexthop: auto_sourceip\n"),
              HasSubstr("auto_sourceip takes the next hop from bgp.sourceIP"));
  EXPECT_THAT(validationError(base + "  mpbgpNexthop: fixed\n  mpbgpIPv4: fd00::1\n"),
              HasSubstr("bgp.mpbgpIPv4: fd00::1 is not an IPv4 address"));
  EXPECT_THAT(validationError(base + "  mpbgpNexthop: fixed\n  mpbgpIPv6: 10.0.0.1\n"),
              HasSubstr("bgp.mpbgpIPv6: 10.0.0.1 is not an IPv6 address"));
  EXPECT_TRUE(validates(base + "  mpbgpNexthop: auto_sourceif\n  sourceInterface: eth0\n"));
}

// ---- reload ----

TEST(BgpReload, ChangingTheSectionNeedsARestart) {
  auto with_bgp = parseBgpTestConfig(std::string(kBgpTestBase) + kGoodBgp + kNoArp);
  auto without = parseBgpTestConfig(std::string(kBgpTestBase) + kNoArp);
  ASSERT_TRUE(with_bgp.ok() && without.ok());
  auto plan = planReload(*with_bgp, *without, hostInterfaces);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.error().message, HasSubstr("a reload cannot change bgp"));
  auto adding = planReload(*without, *with_bgp, hostInterfaces);
  ASSERT_FALSE(adding.ok());
  EXPECT_THAT(adding.error().message, HasSubstr("a reload cannot change bgp"));
}

// ---- in-cluster variables ----

class BgpInClusterTest : public ::testing::Test {
 protected:
  BgpInClusterTest() {
    env_ = {{"vip_interface", "eth0"},       {"address", "192.0.2.100"},
            {"cp_enable", "true"},           {"vip_leaderelection", "true"},
            {"bgp_enable", "true"},          {"bgp_routerid", "192.0.2.10"},
            {"bgp_peers", "192.0.2.1:65000"}};
  }
  Result<Config> build(const InClusterFlags& flags = {}) {
    Getenv getenv = [this](const char* name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    return inClusterConfig(Config{}, getenv, flags, "host-1");
  }
  std::string error() {
    auto c = build();
    EXPECT_FALSE(c.ok());
    return c.ok() ? "" : c.error().message;
  }
  std::string validationError() {
    auto c = build();
    EXPECT_TRUE(c.ok()) << c.error().message;
    if (!c.ok()) return "";
    Status s = validateConfig(*c, hostInterfaces);
    EXPECT_FALSE(s.ok());
    return s.ok() ? "" : s.error().message;
  }
  std::map<std::string, std::string> env_;
};

TEST_F(BgpInClusterTest, DefaultsAreTheGoOnes) {
  auto c = build();
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->bgp);
  EXPECT_EQ(c->bgp->as, 65000u);
  EXPECT_EQ(c->bgp->hold_time, seconds(30));
  EXPECT_EQ(c->bgp->keepalive_interval, seconds(10));
  EXPECT_EQ(c->bgp->router_id, ip("192.0.2.10"));
  ASSERT_EQ(c->bgp->peers.size(), 1u);
  EXPECT_EQ(c->bgp->peers[0].port, 179);
}

TEST_F(BgpInClusterTest, EveryVariableIsRead) {
  env_.erase("bgp_routerid");
  env_["bgp_routerinterface"] = "eth0";
  env_["bgp_as"] = "4200000001";
  env_["bgp_peers"] = "192.0.2.1:65001:pw1:true:1179,[fd00::1]:65002";
  env_["bgp_peeraddress"] = "192.0.2.3";
  env_["bgp_peeras"] = "65003";
  env_["bgp_peerpass"] = "pw3";
  env_["bgp_multihop"] = "true";
  env_["bgp_sourceif"] = "eth0";
  env_["bgp_sourceip"] = "192.0.2.10";
  env_["bgp_hold_time"] = "90";
  env_["bgp_keepalive_interval"] = "30";
  env_["mpbgp_nexthop"] = "fixed";
  env_["mpbgp_ipv4"] = "192.0.2.10";
  env_["mpbgp_ipv6"] = "fd00::10";
  auto c = build();
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->bgp);
  const BgpConfig& b = *c->bgp;
  EXPECT_FALSE(b.router_id);
  EXPECT_EQ(b.router_interface, "eth0");
  EXPECT_EQ(b.as, 4200000001u);
  ASSERT_EQ(b.peers.size(), 3u);
  EXPECT_EQ(b.peers[0].password, "pw1");
  EXPECT_EQ(b.peers[0].port, 1179);
  EXPECT_EQ(b.peers[1].address, ip("fd00::1"));
  EXPECT_EQ(b.peers[2].address, ip("192.0.2.3"));
  EXPECT_EQ(b.peers[2].as, 65003u);
  EXPECT_EQ(b.peers[2].password, "pw3");
  EXPECT_EQ(b.peers[2].multihop_ttl, kMultihopTtl);
  EXPECT_EQ(b.source_interface, "eth0");
  EXPECT_EQ(b.source_ip, ip("192.0.2.10"));
  EXPECT_EQ(b.hold_time, seconds(90));
  EXPECT_EQ(b.keepalive_interval, seconds(30));
  EXPECT_EQ(b.mpbgp_nexthop, MpBgpNextHop::kFixed);
  EXPECT_EQ(b.mpbgp_ipv4, ip("192.0.2.10"));
  EXPECT_EQ(b.mpbgp_ipv6, ip("fd00::10"));
  EXPECT_EQ(b.vip_interface, "lo");
  EXPECT_EQ(b.listen_port, 179);
  EXPECT_EQ(b.graceful_restart_time, seconds(0));
  Status s = validateConfig(*c, hostInterfaces);
  EXPECT_TRUE(s.ok()) << s.error().message;
}

TEST_F(BgpInClusterTest, RouteAttributesForEveryRoute) {
  env_["bgp_communities"] = "65001:100,, 65001:200";
  env_["bgp_large_communities"] = "65001:1:2";
  env_["bgp_local_pref"] = "200";
  env_["bgp_med"] = "10";
  auto c = build();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->bgp->communities, (std::vector<BgpCommunity>{{65001, 100}, {65001, 200}}));
  EXPECT_EQ(c->bgp->large_communities, (std::vector<BgpLargeCommunity>{{65001, 1, 2}}));
  EXPECT_EQ(c->bgp->local_pref, 200u);
  EXPECT_EQ(c->bgp->med, 10u);
  env_["bgp_communities"] = "65001:100,65001:70000";
  EXPECT_THAT(error(), StartsWith("environment variable bgp_communities: entry 2 '65001:70000'"));
  env_["bgp_communities"] = "";
  env_["bgp_med"] = "-1";
  EXPECT_THAT(error(), StartsWith("environment variable bgp_med: "));
}

TEST_F(BgpInClusterTest, NewVariables) {
  env_["bgp_vip_interface"] = "eth0";
  env_["bgp_listen_port"] = "1179";
  env_["bgp_graceful_restart_time"] = "60";
  auto c = build();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->bgp->vip_interface, "eth0");
  EXPECT_EQ(c->bgp->listen_port, 1179);
  EXPECT_EQ(c->bgp->graceful_restart_time, seconds(60));
  env_["bgp_graceful_restart_time"] = "5000";
  EXPECT_THAT(validationError(), StartsWith("environment variable bgp_graceful_restart_time: "
                                            "bgp.gracefulRestartTime: 5000s is more than 4095s"));
  env_["bgp_graceful_restart_time"] = "2m";
  EXPECT_THAT(error(), StartsWith("environment variable bgp_graceful_restart_time: '2m' is not "
                                  "a whole number of seconds"));
  env_["bgp_graceful_restart_time"] = "120";
  env_["bgp_listen_port"] = "0";
  EXPECT_THAT(error(),
              StartsWith("environment variable bgp_listen_port: '0' is not a port (1-65535)"));
  env_["bgp_listen_port"] = "179";
  env_["bgp_vip_interface"] = "dummy0";
  EXPECT_THAT(validationError(), StartsWith("environment variable bgp_vip_interface: "
                                            "bgp.vipInterface: there is no network interface"));
}

TEST_F(BgpInClusterTest, ArpAndBgpTogetherAreRefused) {
  env_["vip_arp"] = "true";
  EXPECT_EQ(validationError(),
            "environment variable vip_arp: gratuitousARP: announce either by ARP or by BGP: set "
            "gratuitousARP: false (vip_arp=false) with bgp (bgp_enable=true)");
}

TEST_F(BgpInClusterTest, FlagsUseTheGoNames) {
  env_.clear();
  env_ = {{"vip_interface", "eth0"},
          {"address", "192.0.2.100"},
          {"cp_enable", "true"},
          {"vip_leaderelection", "true"}};
  auto c = build({{"bgp_enable", "true"},
                  {"bgp_routerid", "192.0.2.10"},
                  {"bgp_as", "65100"},
                  {"bgp_peers", "192.0.2.1:65000"}});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->bgp->as, 65100u);
  std::map<std::string_view, std::string_view> flags;
  for (const auto& v : inClusterVariables()) flags[v.name] = v.flag;
  EXPECT_EQ(flags["bgp_enable"], "bgp");
  EXPECT_EQ(flags["bgp_routerid"], "bgpRouterID");
  EXPECT_EQ(flags["bgp_routerinterface"], "bgpRouterInterface");
  EXPECT_EQ(flags["bgp_as"], "localAS");
  EXPECT_EQ(flags["bgp_peeraddress"], "peerAddress");
  EXPECT_EQ(flags["bgp_peeras"], "peerAS");
  EXPECT_EQ(flags["bgp_peerpass"], "peerPass");
  EXPECT_EQ(flags["bgp_multihop"], "multihop");
  EXPECT_EQ(flags["bgp_peers"], "bgppeers");
  EXPECT_EQ(flags["bgp_sourceif"], "sourceIF");
  EXPECT_EQ(flags["bgp_sourceip"], "sourceIP");
  auto bad = build({{"bgp_enable", "true"}, {"bgp_as", "x"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, StartsWith("flag --localAS: 'x' is not an AS number"));
}

TEST_F(BgpInClusterTest, OffUnlessEnabled) {
  env_.erase("bgp_enable");
  auto c = build();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->bgp);
  env_["bgp_enable"] = "false";
  env_["bgp_as"] = "not read when off";
  c = build();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->bgp);
}

TEST_F(BgpInClusterTest, BadValuesNameTheVariable) {
  const std::map<std::string, std::pair<std::string, std::string>> cases = {
      {"bgp_enable",
       {"yes please",
        "environment variable bgp_enable: 'yes please' is not a "
        "boolean"}},
      {"bgp_routerid", {"router", "environment variable bgp_routerid: 'router' is not an IP"}},
      {"bgp_as", {"0", "environment variable bgp_as: '0' is not an AS number"}},
      {"bgp_peers",
       {"192.0.2.1:65000,192.0.2.2",
        "environment variable bgp_peers: entry 2 '192.0.2.2': the AS is missing"}},
      {"bgp_peeraddress", {"gw", "environment variable bgp_peeraddress: 'gw' is not an IP"}},
      {"bgp_sourceip", {"x", "environment variable bgp_sourceip: 'x' is not an IP address"}},
      {"bgp_hold_time",
       {"30s", "environment variable bgp_hold_time: '30s' is not a whole number of seconds"}},
      {"bgp_keepalive_interval",
       {"70000", "environment variable bgp_keepalive_interval: '70000' is not a whole number"}},
      {"mpbgp_nexthop", {"auto", "environment variable mpbgp_nexthop: 'auto' is not an MP-BGP"}},
      {"mpbgp_ipv6", {"v6", "environment variable mpbgp_ipv6: 'v6' is not an IP address"}},
  };
  for (const auto& [name, c] : cases) {
    auto saved = env_;
    env_[name] = c.first;
    EXPECT_THAT(error(), StartsWith(c.second)) << name;
    env_ = saved;
  }
  env_["bgp_peeraddress"] = "192.0.2.5";
  env_["bgp_peeras"] = "23456";
  EXPECT_THAT(error(), StartsWith("environment variable bgp_peeras: 23456 is AS_TRANS"));
  env_["bgp_peeras"] = "65000";
  env_["bgp_multihop"] = "maybe";
  EXPECT_THAT(error(), StartsWith("environment variable bgp_multihop: 'maybe' is not a boolean"));
}

TEST_F(BgpInClusterTest, ValidationNamesTheVariableThatSetTheValue) {
  // The keepalive is the default: the hold time that was set is what the line points at.
  env_["bgp_hold_time"] = "9";
  EXPECT_THAT(validationError(),
              StartsWith("environment variable bgp_hold_time: bgp.keepaliveInterval: 10s is "
                         "more than a third of bgp.holdTime (9s)"));
  env_["bgp_keepalive_interval"] = "4";
  EXPECT_THAT(validationError(),
              StartsWith("environment variable bgp_keepalive_interval: bgp.keepaliveInterval: "
                         "4s is more than a third of bgp.holdTime (9s)"));
  env_.erase("bgp_keepalive_interval");
  env_["bgp_hold_time"] = "2";
  EXPECT_THAT(validationError(),
              StartsWith("environment variable bgp_hold_time: bgp.holdTime: 2s is not a BGP "
                         "hold time"));
  env_["bgp_hold_time"] = "30";
  env_.erase("bgp_peers");
  EXPECT_THAT(validationError(), StartsWith("environment variable bgp_enable: bgp.peers: empty"));
  env_["bgp_peers"] = "192.0.2.1:65000,192.0.2.1:65001";
  EXPECT_THAT(validationError(),
              StartsWith("environment variable bgp_peers: bgp.peers[1]: peer 192.0.2.1:179 is "
                         "listed twice"));
}

}  // namespace
}  // namespace kubevip::config

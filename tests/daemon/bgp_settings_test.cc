// The speaker's settings from the configuration and the host's interfaces.
#include "daemon/bgp_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "support/addresses.h"

namespace kubevip::daemon {
namespace {

using ::testing::HasSubstr;

using test::ip;

class BgpSettingsTest : public ::testing::Test {
 protected:
  BgpSettingsTest() {
    interfaces_["eth0"] = {ip("127.0.0.2"), ip("169.254.1.1"), ip("fe80::1"),
                           ip("10.0.0.5"),  ip("10.0.0.6"),    ip("fd00::5")};
    interfaces_["eth1"] = {ip("192.0.2.7")};
    interfaces_["lo"] = {ip("127.0.0.1"), ip("::1")};
    bgp_.peers.push_back(config::BgpPeer{});
    bgp_.peers[0].address = ip("10.0.0.254");
  }
  InterfaceLookup lookup() {
    return [this](std::string_view name) -> Result<net::InterfaceInfo> {
      auto it = interfaces_.find(std::string(name));
      if (it == interfaces_.end()) {
        return makeError(ErrorCode::kNotFound,
                         "interface '" + std::string(name) + "' does not exist");
      }
      net::InterfaceInfo info;
      info.name = it->first;
      info.addresses = it->second;
      return info;
    };
  }
  bgp::SpeakerSettings settings(const std::string& vip_interface = "eth0") {
    auto s = speakerSettingsFrom(bgp_, vip_interface, lookup());
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? *s : bgp::SpeakerSettings{};
  }
  std::string error(const std::string& vip_interface) {
    auto s = speakerSettingsFrom(bgp_, vip_interface, lookup());
    EXPECT_FALSE(s.ok());
    return s.ok() ? "" : s.error().message;
  }

  std::map<std::string, std::vector<IpAddress>> interfaces_;
  config::BgpConfig bgp_;
};

TEST_F(BgpSettingsTest, RouterIdFromTheSettingThenTheRouterInterfaceThenTheVipInterface) {
  bgp_.router_id = ip("10.9.8.7");
  EXPECT_EQ(settings().router_id, 0x0a090807u);
  bgp_.router_id.reset();
  bgp_.router_interface = "eth1";
  EXPECT_EQ(settings().router_id, 0xc0000207u);
  bgp_.router_interface.clear();
  EXPECT_EQ(settings("eth0").router_id, 0x0a000005u) << "first IPv4 not loopback or link-local";
}

TEST_F(BgpSettingsTest, NoRouterIdIsAnErrorNamingTheSettings) {
  EXPECT_EQ(error("lo"),
            "bgp: no router id: interface 'lo' (named by interface (vip_interface), since neither "
            "bgp.routerID (bgp_routerid) nor bgp.routerInterface is set) has no IPv4 address "
            "other than loopback or link-local; set bgp.routerID (bgp_routerid)");
  bgp_.router_interface = "eth9";
  EXPECT_THAT(error("eth0"), HasSubstr("interface 'eth9' does not exist (named by "
                                       "bgp.routerInterface (bgp_routerinterface))"));
}

TEST_F(BgpSettingsTest, PeersTakeTheGlobalTimersUnlessTheirOwnAndTtlOneUnlessMultihop) {
  bgp_.as = 65010;
  bgp_.hold_time = std::chrono::seconds(90);
  bgp_.keepalive_interval = std::chrono::seconds(30);
  config::BgpPeer second;
  second.address = ip("fd00::fe");
  second.as = 65020;
  second.port = 1179;
  second.password = "pw";
  second.multihop_ttl = 4;
  second.passive = true;
  second.hold_time = std::chrono::seconds(9);
  second.keepalive_interval = std::chrono::seconds(3);
  bgp_.peers.push_back(second);
  bgp_.listen_port = 1790;
  bgp_.graceful_restart_time = std::chrono::seconds(0);
  bgp_.source_ip = ip("10.0.0.5");
  bgp_.source_interface = "eth0";
  const bgp::SpeakerSettings s = settings();
  EXPECT_EQ(s.local_as, 65010u);
  ASSERT_EQ(s.peers.size(), 2u);
  EXPECT_EQ(s.peers[0].ttl, 1);
  EXPECT_EQ(s.peers[0].hold_time, std::chrono::seconds(90));
  EXPECT_EQ(s.peers[0].keepalive_interval, std::chrono::seconds(30));
  EXPECT_EQ(s.peers[0].port, 179);
  EXPECT_FALSE(s.peers[0].passive);
  EXPECT_EQ(s.peers[1].address, ip("fd00::fe"));
  EXPECT_EQ(s.peers[1].as, 65020u);
  EXPECT_EQ(s.peers[1].port, 1179);
  EXPECT_EQ(s.peers[1].md5_password, "pw");
  EXPECT_EQ(s.peers[1].ttl, 4);
  EXPECT_TRUE(s.peers[1].passive);
  EXPECT_EQ(s.peers[1].hold_time, std::chrono::seconds(9));
  EXPECT_EQ(s.peers[1].keepalive_interval, std::chrono::seconds(3));
  EXPECT_EQ(s.listen_port, 1790);
  EXPECT_EQ(s.graceful_restart_time, std::chrono::seconds(0));
  EXPECT_EQ(s.source_ip, ip("10.0.0.5"));
  EXPECT_EQ(s.source_interface, "eth0");
}

TEST_F(BgpSettingsTest, CrossFamilyNextHop) {
  const IpAddress local4 = ip("10.0.0.5");
  // Unset: none.
  auto none = settings().cross_family_next_hop;
  ASSERT_TRUE(none);
  EXPECT_EQ(none(IpFamily::kV6, local4), std::nullopt);
  // fixed: the configured address of the route's family.
  bgp_.mpbgp_nexthop = config::MpBgpNextHop::kFixed;
  bgp_.mpbgp_ipv6 = ip("fd00::99");
  auto fixed = settings().cross_family_next_hop;
  EXPECT_EQ(fixed(IpFamily::kV6, local4), ip("fd00::99"));
  EXPECT_EQ(fixed(IpFamily::kV4, ip("fd00::5")), std::nullopt);
  // auto_sourceip: the source address when it is of the route's family.
  bgp_.mpbgp_nexthop = config::MpBgpNextHop::kAutoSourceIp;
  bgp_.source_ip = ip("fd00::5");
  auto source_ip = settings().cross_family_next_hop;
  EXPECT_EQ(source_ip(IpFamily::kV6, local4), ip("fd00::5"));
  EXPECT_EQ(source_ip(IpFamily::kV4, ip("fd00::5")), std::nullopt);
  // auto_sourceif: the first global address of the family, read when the route is sent.
  bgp_.mpbgp_nexthop = config::MpBgpNextHop::kAutoSourceInterface;
  bgp_.source_interface = "eth0";
  auto source_if = settings().cross_family_next_hop;
  EXPECT_EQ(source_if(IpFamily::kV6, local4), ip("fd00::5")) << "not fe80::1";
  EXPECT_EQ(source_if(IpFamily::kV4, ip("fd00::5")), ip("10.0.0.5"));
  interfaces_["eth0"] = {ip("fe80::1"), ip("fd00::77")};
  EXPECT_EQ(source_if(IpFamily::kV6, local4), ip("fd00::77"));
  interfaces_.erase("eth0");
  EXPECT_EQ(source_if(IpFamily::kV6, local4), std::nullopt);
}

TEST(SessionStateLabel, LowerCaseRfcNames) {
  EXPECT_EQ(sessionStateLabel(bgp::FsmState::kEstablished), "established");
  EXPECT_EQ(sessionStateLabel(bgp::FsmState::kOpenConfirm), "openconfirm");
}

}  // namespace
}  // namespace kubevip::daemon

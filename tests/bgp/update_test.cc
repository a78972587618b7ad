#include "bgp/update.h"

#include <gtest/gtest.h>

#include "bgp/hex.h"
#include "bgp/message.h"
#include "support/addresses.h"

namespace kubevip::bgp {
namespace {

using testing::fromHex;

const char kMarkerHex[] = "ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ";

using test::ip;

std::vector<uint8_t> encode(const UpdateMessage& u, bool four_octet_as = true) {
  auto bytes = encodeUpdate(u, four_octet_as);
  EXPECT_TRUE(bytes.ok()) << (bytes.ok() ? "" : bytes.error().describe());
  return bytes.ok() ? bytes.value() : std::vector<uint8_t>{};
}

RouteAttributes ebgp() {
  RouteAttributes r;
  r.local_as = 65001;
  r.external = true;
  r.next_hop = ip("10.0.0.1");
  r.multi_exit_disc = 50;
  r.communities = {0xfde90064};  // 65001:100
  r.large_communities = {{65001, 1, 2}};
  return r;
}

// ---- hand-checked encodings (RFC 4271 §4.3, §5; RFC 4760 §3-4; RFC 1997; RFC 8092) ----

TEST(BgpUpdateEncode, ExternalIpv4HostRouteWithCommunities) {
  auto u = announce(ebgp(), {Prefix::host(ip("192.0.2.10"))});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(
      encode(u.value()),
      fromHex(std::string(kMarkerHex) + "00 4d 02 00 00 00 31"
                                        " 40 01 01 00"                 // ORIGIN IGP
                                        " 40 02 06 02 01 00 00 fd e9"  // AS_PATH (65001)
                                        " 40 03 04 0a 00 00 01"        // NEXT_HOP
                                        " 80 04 04 00 00 00 32"        // MED 50
                                        " c0 08 04 fd e9 00 64"        // COMMUNITIES
                                        " c0 20 0c 00 00 fd e9 00 00 00 01 00 00 00 02"  // LARGE
                                        " 20 c0 00 02 0a"));  // 192.0.2.10/32
}

TEST(BgpUpdateEncode, InternalRouteHasEmptyAsPathAndLocalPref) {
  RouteAttributes r;
  r.local_as = 65001;
  r.external = false;
  r.local_pref = 100;
  r.next_hop = ip("10.0.0.1");
  auto u = announce(r, {Prefix::host(ip("192.0.2.10"))});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(encode(u.value()),
            fromHex(std::string(kMarkerHex) + "00 31 02 00 00 00 15"
                                              " 40 01 01 00 40 02 00 40 03 04 0a 00 00 01"
                                              " 40 05 04 00 00 00 64"
                                              " 20 c0 00 02 0a"));
}

TEST(BgpUpdateEncode, Ipv6HostRouteGoesInMpReachWithGlobalAndLinkLocalNextHop) {
  RouteAttributes r = ebgp();
  r.multi_exit_disc.reset();
  r.communities.clear();
  r.large_communities.clear();
  r.next_hop = ip("2001:db8:99::1");
  r.link_local_next_hop = ip("fe80::1");
  auto u = announce(r, {Prefix::host(ip("2001:db8::10"))});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(encode(u.value()),
            fromHex(std::string(kMarkerHex) +
                    "00 5e 02 00 00 00 47"
                    " 90 0e 00 36 00 02 01 20"  // MP_REACH_NLRI, IPv6 unicast, next hop 32
                    " 20 01 0d b8 00 99 00 00 00 00 00 00 00 00 00 01"
                    " fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00"
                    " 80 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 10"
                    " 40 01 01 00 40 02 06 02 01 00 00 fd e9"));
}

TEST(BgpUpdateEncode, Ipv4RouteWithIpv6NextHopGoesInMpReachOfIpv4) {
  RouteAttributes r = ebgp();
  r.next_hop = ip("2001:db8:99::1");
  auto u = announce(r, {Prefix::host(ip("192.0.2.10"))});
  ASSERT_TRUE(u.ok());
  ASSERT_TRUE(u->attributes.mp_reach.has_value());
  EXPECT_EQ(u->attributes.mp_reach->family, kIpv4Unicast);
  EXPECT_FALSE(u->attributes.next_hop.has_value());
  EXPECT_TRUE(u->nlri.empty());
  auto bytes = encode(u.value());
  auto decoded = decodeUpdate(testing::bodyOf(bytes), true);
  ASSERT_TRUE(decoded.ok()) << decoded.error().reason;
  EXPECT_EQ(decoded.value(), u.value());
}

TEST(BgpUpdateEncode, TwoOctetSessionWritesAsTransAndAs4Path) {
  RouteAttributes r = ebgp();
  r.local_as = 4200000001;
  r.multi_exit_disc.reset();
  r.communities.clear();
  r.large_communities.clear();
  auto u = announce(r, {Prefix::host(ip("192.0.2.10"))});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(encode(u.value(), false),
            fromHex(std::string(kMarkerHex) + "00 37 02 00 00 00 1b"
                                              " 40 01 01 00"
                                              " 40 02 04 02 01 5b a0"  // AS_TRANS
                                              " 40 03 04 0a 00 00 01"
                                              " c0 11 06 02 01 fa 56 ea 01"  // AS4_PATH
                                              " 20 c0 00 02 0a"));
}

TEST(BgpUpdateEncode, WithdrawalOfIpv4AndIpv6) {
  auto v4 = withdraw({Prefix::host(ip("192.0.2.10"))});
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(encode(v4.value()),
            fromHex(std::string(kMarkerHex) + "00 1c 02 00 05 20 c0 00 02 0a 00 00"));
  auto v6 = withdraw({Prefix::host(ip("2001:db8::10"))});
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(encode(v6.value()), fromHex(std::string(kMarkerHex) +
                                        "00 2e 02 00 00 00 17 80 0f 14 00 02 01"
                                        " 80 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 10"));
}

TEST(BgpUpdateEncode, EndOfRibIsEmptyForIpv4AndAnEmptyMpUnreachOtherwise) {
  // RFC 4724 §2.
  EXPECT_EQ(encode(endOfRib(kIpv4Unicast)),
            fromHex(std::string(kMarkerHex) + "00 17 02 00 00 00 00"));
  EXPECT_EQ(encode(endOfRib(kIpv6Unicast)),
            fromHex(std::string(kMarkerHex) + "00 1d 02 00 00 00 06 80 0f 03 00 02 01"));
  EXPECT_EQ(endOfRibFamily(endOfRib(kIpv4Unicast)), kIpv4Unicast);
  EXPECT_EQ(endOfRibFamily(endOfRib(kIpv6Unicast)), kIpv6Unicast);
  EXPECT_FALSE(endOfRibFamily(withdraw({Prefix::host(ip("2001:db8::1"))}).value()).has_value());
  EXPECT_FALSE(endOfRibFamily(announce(ebgp(), {Prefix::host(ip("192.0.2.1"))}).value()));
}

TEST(BgpUpdateEncode, MessageOver4096OctetsIsRefused) {
  std::vector<Prefix> many;
  for (int i = 0; i < 1000; ++i) {
    many.push_back(Prefix::host(
        IpAddress::v4({10, 1, static_cast<uint8_t>(i / 256), static_cast<uint8_t>(i % 256)})));
  }
  auto u = announce(ebgp(), many);
  ASSERT_TRUE(u.ok());
  auto bytes = encodeUpdate(u.value(), true);
  ASSERT_FALSE(bytes.ok());
  EXPECT_NE(bytes.error().message.find("4096"), std::string::npos);
}

TEST(BgpUpdateEncode, AnnounceRefusesMixedFamiliesAndMismatchedNextHop) {
  EXPECT_FALSE(announce(ebgp(), {}).ok());
  EXPECT_FALSE(
      announce(ebgp(), {Prefix::host(ip("192.0.2.1")), Prefix::host(ip("2001:db8::1"))}).ok());
  EXPECT_FALSE(announce(ebgp(), {Prefix::host(ip("2001:db8::1"))}).ok());  // IPv4 next hop
  RouteAttributes no_as = ebgp();
  no_as.local_as = 0;
  EXPECT_FALSE(announce(no_as, {Prefix::host(ip("192.0.2.1"))}).ok());
}

TEST(BgpUpdateDecode, RoundTripsWhatAnnounceBuilds) {
  RouteAttributes r = ebgp();
  auto u = announce(r, {Prefix::host(ip("192.0.2.10")), Prefix{ip("198.51.100.0"), 24}});
  ASSERT_TRUE(u.ok());
  auto decoded = decodeUpdate(testing::bodyOf(encode(u.value())), true);
  ASSERT_TRUE(decoded.ok()) << decoded.error().reason;
  EXPECT_EQ(decoded.value(), u.value());
}

// ---- RFC 4271 §6.3 and RFC 7606: UPDATE message errors ----

std::vector<uint8_t> updateBody(const std::string& withdrawn, const std::string& attributes,
                                const std::string& nlri) {
  auto w = fromHex(withdrawn);
  auto a = fromHex(attributes);
  auto n = fromHex(nlri);
  std::vector<uint8_t> body{static_cast<uint8_t>(w.size() >> 8), static_cast<uint8_t>(w.size())};
  body.insert(body.end(), w.begin(), w.end());
  body.push_back(static_cast<uint8_t>(a.size() >> 8));
  body.push_back(static_cast<uint8_t>(a.size()));
  body.insert(body.end(), a.begin(), a.end());
  body.insert(body.end(), n.begin(), n.end());
  return body;
}

const std::string kOrigin = "40 01 01 00 ";
const std::string kAsPath = "40 02 06 02 01 00 00 fd e9 ";
const std::string kNextHop = "40 03 04 0a 00 00 01 ";
const std::string kHostRoute = "20 c0 00 02 0a";

void expectError(const std::vector<uint8_t>& body, uint8_t subcode, ErrorAction action,
                 const std::vector<uint8_t>& data = {}) {
  auto u = decodeUpdate(body, true);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().notification.code, NotificationCode::kUpdateMessage) << u.error().reason;
  EXPECT_EQ(u.error().notification.subcode, subcode) << u.error().reason;
  EXPECT_EQ(u.error().action, action) << u.error().reason;
  EXPECT_EQ(u.error().notification.data, data) << u.error().reason;
}

TEST(BgpUpdateDecode, WellFormedHostRouteDecodes) {
  auto u = decodeUpdate(updateBody("", kOrigin + kAsPath + kNextHop, kHostRoute), true);
  ASSERT_TRUE(u.ok()) << u.error().reason;
  EXPECT_EQ(u->nlri, std::vector<Prefix>{Prefix::host(ip("192.0.2.10"))});
  EXPECT_EQ(u->attributes.next_hop, ip("10.0.0.1"));
}

TEST(BgpUpdateDecode, WithdrawnLengthPastTheMessageIsMalformedAttributeList) {
  expectError(fromHex("00 09 20 c0 00 02 0a 00 00"), update_error::kMalformedAttributeList,
              ErrorAction::kSessionReset);
}

TEST(BgpUpdateDecode, TotalAttributeLengthPastTheMessageIsMalformedAttributeList) {
  expectError(fromHex("00 00 00 05 40 01 01 00"), update_error::kMalformedAttributeList,
              ErrorAction::kSessionReset);
}

TEST(BgpUpdateDecode, AttributeLengthPastTheListIsMalformedAttributeList) {
  expectError(updateBody("", kOrigin + "40 02 09 02 01 00 00 fd e9", kHostRoute),
              update_error::kMalformedAttributeList, ErrorAction::kSessionReset);
  expectError(updateBody("", kOrigin + "50 02 00", kHostRoute),  // extended length cut short
              update_error::kMalformedAttributeList, ErrorAction::kSessionReset);
}

TEST(BgpUpdateDecode, PrefixLongerThan32IsInvalidNetworkField) {
  expectError(updateBody("", kOrigin + kAsPath + kNextHop, "21 c0 00 02 0a 00"),
              update_error::kInvalidNetworkField, ErrorAction::kSessionReset);
  expectError(updateBody("", kOrigin + kAsPath + kNextHop, "20 c0 00"),  // octets missing
              update_error::kInvalidNetworkField, ErrorAction::kSessionReset);
  expectError(updateBody("21 c0 00 02 0a 00", "", ""), update_error::kInvalidNetworkField,
              ErrorAction::kSessionReset);
}

TEST(BgpUpdateDecode, UndefinedOriginIsInvalidOriginAttributeCarryingTheAttribute) {
  expectError(updateBody("", "40 01 01 03 " + kAsPath + kNextHop, kHostRoute),
              update_error::kInvalidOriginAttribute, ErrorAction::kTreatAsWithdraw,
              fromHex("40 01 01 03"));
}

TEST(BgpUpdateDecode, WrongLengthOfAFixedSizeAttributeIsAttributeLengthError) {
  for (const char* attribute :
       {"40 01 02 00 00", "40 03 03 0a 00 00", "80 04 02 00 01", "40 05 05 00 00 00 00 64",
        "c0 08 03 fd e9 00", "c0 20 08 00 00 fd e9 00 00 00 01"}) {
    auto attrs = kOrigin + kAsPath + kNextHop;
    if (std::string(attribute).rfind("40 01", 0) == 0) attrs = kAsPath + kNextHop;
    if (std::string(attribute).rfind("40 03", 0) == 0) attrs = kOrigin + kAsPath;
    expectError(updateBody("", attrs + attribute, kHostRoute), update_error::kAttributeLengthError,
                ErrorAction::kTreatAsWithdraw, fromHex(attribute));
  }
}

TEST(BgpUpdateDecode, UnusableNextHopIsInvalidNextHopAttribute) {
  for (const char* next_hop :
       {"40 03 04 00 00 00 00", "40 03 04 e0 00 00 05", "40 03 04 ff ff ff ff"}) {
    expectError(updateBody("", kOrigin + kAsPath + next_hop, kHostRoute),
                update_error::kInvalidNextHopAttribute, ErrorAction::kTreatAsWithdraw,
                fromHex(next_hop));
  }
}

TEST(BgpUpdateDecode, MissingWellKnownAttributeCarriesItsTypeCode) {
  expectError(updateBody("", kAsPath + kNextHop, kHostRoute),
              update_error::kMissingWellKnownAttribute, ErrorAction::kTreatAsWithdraw, {1});
  expectError(updateBody("", kOrigin + kNextHop, kHostRoute),
              update_error::kMissingWellKnownAttribute, ErrorAction::kTreatAsWithdraw, {2});
  expectError(updateBody("", kOrigin + kAsPath, kHostRoute),
              update_error::kMissingWellKnownAttribute, ErrorAction::kTreatAsWithdraw, {3});
}

TEST(BgpUpdateDecode, NoNlriNeedsNoAttributes) {
  auto u = decodeUpdate(updateBody("20 c0 00 02 0a", "", ""), true);
  ASSERT_TRUE(u.ok()) << u.error().reason;
  EXPECT_EQ(u->withdrawn, std::vector<Prefix>{Prefix::host(ip("192.0.2.10"))});
}

TEST(BgpUpdateDecode, FlagsThatConflictWithTheTypeAreAttributeFlagsError) {
  // ORIGIN marked optional; MED marked transitive; COMMUNITIES marked non-transitive; LOCAL_PREF
  // with the Partial bit.
  for (const char* attribute :
       {"c0 01 01 00", "c0 04 04 00 00 00 01", "80 08 04 fd e9 00 64", "60 05 04 00 00 00 64"}) {
    auto attrs = std::string(attribute).substr(3, 2) == "01" ? kAsPath + kNextHop
                                                             : kOrigin + kAsPath + kNextHop;
    expectError(updateBody("", attrs + attribute, kHostRoute), update_error::kAttributeFlagsError,
                ErrorAction::kTreatAsWithdraw, fromHex(attribute));
  }
}

TEST(BgpUpdateDecode, UnknownWellKnownAttributeIsUnrecognizedWellKnownAttribute) {
  expectError(updateBody("", kOrigin + kAsPath + kNextHop + "40 63 01 00", kHostRoute),
              update_error::kUnrecognizedWellKnownAttribute, ErrorAction::kSessionReset,
              fromHex("40 63 01 00"));
}

TEST(BgpUpdateDecode, UnknownOptionalAttributeIsKeptRaw) {
  auto u =
      decodeUpdate(updateBody("", kOrigin + kAsPath + kNextHop + "e0 63 01 07", kHostRoute), true);
  ASSERT_TRUE(u.ok()) << u.error().reason;
  EXPECT_EQ(u->attributes.others, (std::vector<RawAttribute>{{0xe0, 0x63, {7}}}));
}

TEST(BgpUpdateDecode, BadAsPathSegmentIsMalformedAsPath) {
  for (const char* as_path : {"40 02 06 05 01 00 00 fd e9",  // segment type 5
                              "40 02 06 02 02 00 00 fd e9",  // two ASes in four octets
                              "40 02 02 02 00",              // empty segment (RFC 7606 §7.2)
                              "40 02 01 02"}) {              // segment header cut short
    expectError(updateBody("", kOrigin + as_path + " " + kNextHop, kHostRoute),
                update_error::kMalformedAsPath, ErrorAction::kTreatAsWithdraw, fromHex(as_path));
  }
}

TEST(BgpUpdateDecode, TwoOctetAsPathDependsOnTheSession) {
  auto u =
      decodeUpdate(updateBody("", kOrigin + "40 02 04 02 01 fd e9 " + kNextHop, kHostRoute), false);
  ASSERT_TRUE(u.ok()) << u.error().reason;
  EXPECT_EQ(u->attributes.as_path->front().asns, std::vector<uint32_t>{65001});
}

TEST(BgpUpdateDecode, RepeatedAttributeIsMalformedAttributeList) {
  expectError(updateBody("", kOrigin + kOrigin + kAsPath + kNextHop, kHostRoute),
              update_error::kMalformedAttributeList, ErrorAction::kTreatAsWithdraw);
  std::string unreach = "80 0f 03 00 02 01 ";
  expectError(updateBody("", unreach + unreach, ""), update_error::kMalformedAttributeList,
              ErrorAction::kSessionReset);
}

TEST(BgpUpdateDecode, MpReachWithBadNextHopLengthIsOptionalAttributeErrorAndResets) {
  std::string mp = "90 0e 00 0c 00 02 01 05 20 01 0d b8 00 00 00 00";
  expectError(updateBody("", mp + " " + kOrigin + kAsPath, ""),
              update_error::kOptionalAttributeError, ErrorAction::kSessionReset, fromHex(mp));
}

TEST(BgpUpdateDecode, MpReachPrefixTooLongIsOptionalAttributeError) {
  std::string mp = "80 0e 0f 00 01 01 04 0a 00 00 01 00 21 0a 00 00 01 00";  // IPv4 /33
  expectError(updateBody("", mp + " " + kOrigin + kAsPath, ""),
              update_error::kOptionalAttributeError, ErrorAction::kSessionReset, fromHex(mp));
}

TEST(BgpUpdateDecode, ResetErrorAfterATreatAsWithdrawErrorWins) {
  // RFC 7606 §3 j: the most severe handling applies.
  expectError(updateBody("", "40 01 01 03 " + kAsPath + kNextHop + "40 63 01 00", kHostRoute),
              update_error::kUnrecognizedWellKnownAttribute, ErrorAction::kSessionReset,
              fromHex("40 63 01 00"));
}

TEST(BgpUpdateDecode, BodyShorterThanItsLengthFieldsIsAnErrorNotARead) {
  expectError(fromHex("00"), update_error::kMalformedAttributeList, ErrorAction::kSessionReset);
  expectError(fromHex("00 00 00"), update_error::kMalformedAttributeList,
              ErrorAction::kSessionReset);
}

}  // namespace
}  // namespace kubevip::bgp

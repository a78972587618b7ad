#include "bgp/message.h"

#include <gtest/gtest.h>

#include "bgp/hex.h"

namespace kubevip::bgp {
namespace {

using testing::fromHex;
using testing::message;

const char kMarker[] = "ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff";

void expectNotification(const DecodeError& e, NotificationCode code, uint8_t subcode,
                        const std::vector<uint8_t>& data = {}) {
  EXPECT_EQ(e.notification.code, code) << e.reason;
  EXPECT_EQ(e.notification.subcode, subcode) << e.reason;
  EXPECT_EQ(e.notification.data, data) << e.reason;
  EXPECT_EQ(e.action, ErrorAction::kSessionReset);
}

// ---- hand-checked encodings (RFC 4271 §4.1-4.5, RFC 2918 §3, RFC 5492 §4) ----

TEST(BgpMessageEncode, KeepaliveIsAHeaderOf19Octets) {
  EXPECT_EQ(encodeKeepalive(), fromHex(std::string(kMarker) + " 00 13 04"));
}

TEST(BgpMessageEncode, OpenCarriesVersionAsHoldIdentifierAndOneCapabilitiesParameter) {
  Capabilities caps;
  caps.multiprotocol = {kIpv4Unicast};
  caps.route_refresh = true;
  OpenMessage open = OpenMessage::forLocalAs(65001, 90, 0x0a000001, caps);
  EXPECT_EQ(encodeOpen(open),
            fromHex(std::string(kMarker) + " 00 2d 01"        // length 45, OPEN
                                           " 04 fd e9 00 5a"  // version 4, AS 65001, hold 90
                                           " 0a 00 00 01 10"  // identifier, opt params length 16
                                           " 02 0e"           // Capabilities parameter, 14 octets
                                           " 01 04 00 01 00 01"  // MP IPv4 unicast
                                           " 02 00"              // route refresh
                                           " 41 04 00 00 fd e9"  // four-octet AS 65001
                    ));
}

TEST(BgpMessageEncode, OpenOfAFourOctetAsCarriesAsTransAndTheRealAsInTheCapability) {
  OpenMessage open = OpenMessage::forLocalAs(4200000001, 0, 1, {});
  EXPECT_EQ(open.my_as, kAsTrans);
  EXPECT_EQ(open.capabilities.four_octet_as, 4200000001u);
  EXPECT_EQ(open.speakerAs(), 4200000001u);
  auto bytes = encodeOpen(open);
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + 20, bytes.begin() + 22),
            fromHex("5b a0"));  // 23456
  EXPECT_EQ(std::vector<uint8_t>(bytes.end() - 4, bytes.end()), fromHex("fa 56 ea 01"));
}

TEST(BgpMessageEncode, NotificationCarriesCodeSubcodeAndData) {
  Notification n{NotificationCode::kOpenMessage, open_error::kUnsupportedVersion, {0, 4}};
  EXPECT_EQ(encodeNotification(n), fromHex(std::string(kMarker) + " 00 17 03 02 01 00 04"));
}

TEST(BgpMessageEncode, RouteRefreshCarriesAfiReservedSafi) {
  EXPECT_EQ(encodeRouteRefresh({kIpv6Unicast, 0}),
            fromHex(std::string(kMarker) + " 00 17 05 00 02 00 01"));
}

TEST(BgpMessageDecode, OpenRoundTripsWithEveryCapability) {
  Capabilities caps;
  caps.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  caps.route_refresh = true;
  caps.extended_next_hop = {ExtendedNextHop{kAfiIpv4, kSafiUnicast, kAfiIpv6}};
  caps.graceful_restart = GracefulRestart{true, true, 120, {{kIpv4Unicast, true}}};
  caps.others = {RawCapability{70, {}}, RawCapability{73, {1, 2, 3}}};
  OpenMessage open = OpenMessage::forLocalAs(65010, 180, 0x01020304, caps);
  auto bytes = encodeOpen(open);
  auto frame = findMessage(bytes);
  ASSERT_TRUE(frame.ok() && frame.value().has_value());
  auto decoded = decodeOpen(frame.value()->body);
  ASSERT_TRUE(decoded.ok()) << decoded.error().reason;
  EXPECT_EQ(decoded.value(), open);
}

TEST(BgpMessageDecode, OpenAcceptsOneCapabilityPerParameter) {
  // GoBGP's layout: each capability in its own optional parameter.
  auto body =
      fromHex("04 fd e9 00 5a 0a 00 00 02 10  02 06 01 04 00 02 00 01  02 06 41 04 00 00 fd e9");
  auto open = decodeOpen(body);
  ASSERT_TRUE(open.ok()) << open.error().reason;
  EXPECT_EQ(open->capabilities.multiprotocol, std::vector<AfiSafi>{kIpv6Unicast});
  EXPECT_EQ(open->capabilities.four_octet_as, 65001u);
}

// ---- RFC 4271 §6.1: message header errors ----

TEST(BgpFramer, WaitsForAWholeHeaderAndThenAWholeMessage) {
  auto bytes = encodeKeepalive();
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto frame = findMessage(std::span(bytes).first(n));
    ASSERT_TRUE(frame.ok());
    EXPECT_FALSE(frame.value().has_value()) << n;
  }
  auto frame = findMessage(bytes);
  ASSERT_TRUE(frame.ok() && frame.value().has_value());
  EXPECT_EQ(frame.value()->type, MessageType::kKeepalive);
  EXPECT_EQ(frame.value()->length, 19u);
}

TEST(BgpFramer, FindsConsecutiveMessagesInAStream) {
  auto stream = encodeKeepalive();
  auto refresh = encodeRouteRefresh({kIpv4Unicast, 0});
  stream.insert(stream.end(), refresh.begin(), refresh.end());
  stream.push_back(0xff);  // the start of a third
  auto first = findMessage(stream);
  ASSERT_TRUE(first.ok() && first.value());
  auto rest = std::span(stream).subspan(first.value()->length);
  auto second = findMessage(rest);
  ASSERT_TRUE(second.ok() && second.value());
  EXPECT_EQ(second.value()->type, MessageType::kRouteRefresh);
  EXPECT_EQ(second.value()->body.size(), 4u);
  auto third = findMessage(rest.subspan(second.value()->length));
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third.value().has_value());
}

TEST(BgpFramer, MarkerNotAllOnesIsConnectionNotSynchronized) {
  auto bytes = encodeKeepalive();
  bytes[7] = 0xfe;
  auto frame = findMessage(bytes);
  ASSERT_FALSE(frame.ok());
  expectNotification(frame.error(), NotificationCode::kMessageHeader,
                     header_error::kConnectionNotSynchronized);
}

TEST(BgpFramer, LengthBelow19IsBadMessageLengthWithTheLength) {
  auto bytes = fromHex(std::string(kMarker) + " 00 12 04");
  auto frame = findMessage(bytes);
  ASSERT_FALSE(frame.ok());
  expectNotification(frame.error(), NotificationCode::kMessageHeader,
                     header_error::kBadMessageLength, {0x00, 0x12});
}

TEST(BgpFramer, LengthAbove4096IsBadMessageLengthBeforeTheBodyArrives) {
  auto bytes = fromHex(std::string(kMarker) + " 10 01 02");  // 4097, only the header present
  auto frame = findMessage(bytes);
  ASSERT_FALSE(frame.ok());
  expectNotification(frame.error(), NotificationCode::kMessageHeader,
                     header_error::kBadMessageLength, {0x10, 0x01});
}

TEST(BgpFramer, KeepaliveLongerThan19IsBadMessageLength) {
  auto bytes = message(4, {0});
  auto frame = findMessage(bytes);
  ASSERT_FALSE(frame.ok());
  expectNotification(frame.error(), NotificationCode::kMessageHeader,
                     header_error::kBadMessageLength, {0x00, 0x14});
}

TEST(BgpFramer, TooShortForItsTypeIsBadMessageLength) {
  struct Case {
    uint8_t type;
    std::size_t body;
  };
  for (Case c : {Case{1, 9}, Case{2, 3}, Case{3, 1}}) {
    auto bytes = message(c.type, std::vector<uint8_t>(c.body, 0));
    auto frame = findMessage(bytes);
    ASSERT_FALSE(frame.ok()) << int(c.type);
    expectNotification(frame.error(), NotificationCode::kMessageHeader,
                       header_error::kBadMessageLength, {0x00, static_cast<uint8_t>(19 + c.body)});
  }
}

TEST(BgpFramer, UnknownTypeIsBadMessageTypeWithTheType) {
  for (uint8_t type : {0, 6, 255}) {
    auto bytes = message(type, {});
    auto frame = findMessage(bytes);
    ASSERT_FALSE(frame.ok());
    expectNotification(frame.error(), NotificationCode::kMessageHeader,
                       header_error::kBadMessageType, {type});
  }
}

// ---- RFC 4271 §6.2: OPEN message errors ----

// Version 4, AS 65001, hold 90, identifier 10.0.0.1, then `params`.
std::vector<uint8_t> openBody(const std::string& params_with_length) {
  return fromHex("04 fd e9 00 5a 0a 00 00 01 " + params_with_length);
}

TEST(BgpOpenDecode, VersionOtherThan4IsUnsupportedVersionNumberCarryingVersion4) {
  auto body = openBody("00");
  body[0] = 3;
  auto open = decodeOpen(body);
  ASSERT_FALSE(open.ok());
  expectNotification(open.error(), NotificationCode::kOpenMessage, open_error::kUnsupportedVersion,
                     {0x00, 0x04});
}

TEST(BgpOpenDecode, MyAsZeroIsBadPeerAs) {
  auto body = openBody("00");
  body[1] = body[2] = 0;
  auto open = decodeOpen(body);
  ASSERT_FALSE(open.ok());
  expectNotification(open.error(), NotificationCode::kOpenMessage, open_error::kBadPeerAs);
}

TEST(BgpOpenDecode, IdentifierZeroIsBadBgpIdentifier) {
  auto body = fromHex("04 fd e9 00 5a 00 00 00 00 00");
  auto open = decodeOpen(body);
  ASSERT_FALSE(open.ok());
  expectNotification(open.error(), NotificationCode::kOpenMessage, open_error::kBadBgpIdentifier);
}

TEST(BgpOpenDecode, OptionalParameterOtherThanCapabilitiesIsUnsupportedOptionalParameter) {
  auto open = decodeOpen(openBody("04 01 02 00 00"));  // type 1 (authentication, deprecated)
  ASSERT_FALSE(open.ok());
  expectNotification(open.error(), NotificationCode::kOpenMessage,
                     open_error::kUnsupportedOptionalParameter);
}

TEST(BgpOpenDecode, ParametersLengthThatDoesNotMatchIsUnspecificOpenError) {
  for (const char* params : {"05 02 02 02 00", "03 02 02 02 00", "01 02"}) {
    auto open = decodeOpen(openBody(params));
    ASSERT_FALSE(open.ok()) << params;
    expectNotification(open.error(), NotificationCode::kOpenMessage, open_error::kUnspecific);
  }
}

TEST(BgpOpenDecode, ParameterRunningPastTheMessageIsUnspecificOpenError) {
  auto open = decodeOpen(openBody("03 02 05 02"));
  ASSERT_FALSE(open.ok());
  expectNotification(open.error(), NotificationCode::kOpenMessage, open_error::kUnspecific);
}

TEST(BgpOpenDecode, MalformedKnownCapabilityIsUnspecificOpenError) {
  for (const char* params : {
           "07 02 05 01 03 00 01 00",  // MP capability of 3 octets
           "04 02 02 02 01",           // route refresh with a value, cut short
           "05 02 03 02 01 00",        // route refresh with a value
           "07 02 05 41 04 00 00 fd",  // four-octet AS running past its parameter
           "07 02 05 40 03 00 78 00",  // graceful restart of 3 octets
           "07 02 05 05 03 00 01 00",  // extended next hop not a multiple of 6
       }) {
    auto open = decodeOpen(openBody(params));
    ASSERT_FALSE(open.ok()) << params;
    expectNotification(open.error(), NotificationCode::kOpenMessage, open_error::kUnspecific);
  }
}

TEST(BgpOpenDecode, UnknownCapabilityIsKeptNotRefused) {
  auto open = decodeOpen(openBody("06 02 04 49 02 61 62"));
  ASSERT_TRUE(open.ok()) << open.error().reason;
  EXPECT_EQ(open->capabilities.others, (std::vector<RawCapability>{{73, {0x61, 0x62}}}));
}

TEST(BgpOpenDecode, ShorterThanItsFixedFieldsIsAnErrorNotARead) {
  auto open = decodeOpen(fromHex("04 fd e9"));
  ASSERT_FALSE(open.ok());
  expectNotification(open.error(), NotificationCode::kOpenMessage, open_error::kUnspecific);
}

// ---- NOTIFICATION and ROUTE-REFRESH ----

TEST(BgpNotificationDecode, RoundTripsCodeSubcodeAndData) {
  Notification n{NotificationCode::kCease, cease::kAdministrativeShutdown, {4, 'b', 'y', 'e', '!'}};
  auto bytes = encodeNotification(n);
  auto decoded = decodeNotification(testing::bodyOf(bytes));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value(), n);
}

TEST(BgpRouteRefreshDecode, RoundTripsFamily) {
  auto decoded = decodeRouteRefresh(testing::bodyOf(encodeRouteRefresh({kIpv6Unicast, 0})));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->family, kIpv6Unicast);
}

TEST(BgpRouteRefreshDecode, LengthOtherThan23IsInvalidMessageLengthCarryingTheMessage) {
  auto bytes = message(5, fromHex("00 01 00 01 00"));
  auto frame = findMessage(bytes);
  ASSERT_TRUE(frame.ok() && frame.value());
  auto decoded = decodeRouteRefresh(frame.value()->body);
  ASSERT_FALSE(decoded.ok());
  expectNotification(decoded.error(), NotificationCode::kRouteRefresh,
                     route_refresh_error::kInvalidMessageLength, bytes);
}

TEST(BgpRouteRefreshDecode, BodyLongerThanAnyMessageGivesDataOfAtMostOneMessage) {
  // A body handed over without the framer (found by bgp_decode_fuzz): the Data, a copy of the
  // message, must still be a message that fits in 4096 octets with its true length.
  std::vector<uint8_t> body(5000, 0x8b);
  auto decoded = decodeRouteRefresh(body);
  ASSERT_FALSE(decoded.ok());
  const auto& data = decoded.error().notification.data;
  ASSERT_LE(data.size(), kMaxMessageLength);
  ASSERT_GE(data.size(), kHeaderLength);
  EXPECT_EQ((data[16] << 8) | data[17], static_cast<int>(data.size()));
}

}  // namespace
}  // namespace kubevip::bgp

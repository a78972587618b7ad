#include "net/address_claim.h"

#include <gtest/gtest.h>

#include "net/arp.h"
#include "net/ndp.h"

namespace kubevip::net {
namespace {

const MacAddress kClaimOwnMac{{0x02, 0, 0, 0, 0, 0x0a}};
const MacAddress kOther{{0x02, 0, 0, 0, 0, 0x0b}};
const IpAddress kV4 = IpAddress::parse("192.0.2.10").value();
const IpAddress kV6 = IpAddress::parse("2001:db8::10").value();

std::optional<AddressClaim> claimOf(const std::vector<uint8_t>& frame) {
  auto c = claimInFrame(frame, kClaimOwnMac);
  EXPECT_TRUE(c.ok()) << c.error().describe();
  return c.ok() ? *c : std::nullopt;
}

TEST(AddressClaimTest, ArpRequestsAndRepliesClaimTheirSenderAddress) {
  EXPECT_EQ(claimOf(encodeGratuitousArpRequest(kOther, kV4)), (AddressClaim{kV4, kOther}));
  // A unicast reply to our probe: sender is the defender, target IP 0.0.0.0.
  auto reply = encodeArpFrame({.eth_destination = kClaimOwnMac,
                               .eth_source = kOther,
                               .operation = ArpOperation::kReply,
                               .sender_mac = kOther,
                               .sender_ip = kV4,
                               .target_mac = kClaimOwnMac,
                               .target_ip = IpAddress::v4({0, 0, 0, 0})});
  EXPECT_EQ(claimOf(reply), (AddressClaim{kV4, kOther}));
}

TEST(AddressClaimTest, ProbesAndOwnFramesClaimNothing) {
  EXPECT_EQ(claimOf(encodeArpProbe(kOther, kV4)), std::nullopt);
  EXPECT_EQ(claimOf(encodeGratuitousArpReply(kClaimOwnMac, kV4)), std::nullopt);
  EXPECT_EQ(claimOf(encodeUnsolicitedNeighborAdvertisement(kClaimOwnMac, kV6, kV6)), std::nullopt);
  // Our MAC as Ethernet source but another sender MAC (a proxy of ours): still ours.
  auto proxied = encodeGratuitousArpRequest(kOther, kV4);
  std::copy(kClaimOwnMac.bytes.begin(), kClaimOwnMac.bytes.end(), proxied.begin() + 6);
  EXPECT_EQ(claimOf(proxied), std::nullopt);
}

TEST(AddressClaimTest, AdvertisementClaimsTargetForItsLinkLayerAddress) {
  EXPECT_EQ(claimOf(encodeUnsolicitedNeighborAdvertisement(kOther, kV6, kV6)),
            (AddressClaim{kV6, kOther}));
  // Without the option (legal in a solicited NA), the Ethernet source names the holder.
  auto frame = encodeUnsolicitedNeighborAdvertisement(kOther, kV6, kV6);
  frame.resize(78);
  frame[19] = 24;  // payload length without the option
  frame[56] = frame[57] = 0;
  uint16_t sum = icmpv6Checksum(kV6, IpAddress::parse("ff02::1").value(),
                                std::span<const uint8_t>(frame).subspan(54));
  frame[56] = static_cast<uint8_t>(sum >> 8);
  frame[57] = static_cast<uint8_t>(sum);
  EXPECT_EQ(claimOf(frame), (AddressClaim{kV6, kOther}));
}

TEST(AddressClaimTest, OtherTrafficClaimsNothingAndMalformedIsAnError) {
  auto ipv4 = encodeArpProbe(kOther, kV4);
  ipv4[12] = 0x08;
  ipv4[13] = 0x00;
  EXPECT_EQ(claimOf(ipv4), std::nullopt);
  EXPECT_EQ(claimOf({0x01}), std::nullopt);
  auto bad = encodeUnsolicitedNeighborAdvertisement(kOther, kV6, kV6);
  bad[21] = 64;  // hop limit
  auto c = claimInFrame(bad, kClaimOwnMac);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace kubevip::net

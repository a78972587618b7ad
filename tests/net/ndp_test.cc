#include "net/ndp.h"

#include <gtest/gtest.h>

#include <vector>

namespace kubevip::net {
namespace {

const MacAddress kOwnMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x0a}};
const IpAddress kVip6 = IpAddress::parse("2001:db8::10").value();
const IpAddress kLinkLocal = IpAddress::parse("fe80::ff:fe00:a").value();

// The kernel's own unsolicited NA for 2001:db8::10 (sysctl ndisc_notify=1, address added on
// vA, MAC 02:00:00:00:00:0a), captured with tcpdump on the veth peer.
const std::vector<uint8_t> kKernelNa = {
    0x33, 0x33, 0x00, 0x00, 0x00, 0x01,  // Ethernet destination: all-nodes multicast
    0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,  // Ethernet source: own
    0x86, 0xdd,                          // ethertype IPv6
    0x60, 0x00, 0x00, 0x00,              // version 6, traffic class 0, flow label 0
    0x00, 0x20,                          // payload length 32
    0x3a,                                // next header ICMPv6
    0xff,                                // hop limit 255 (RFC 4861 §7.1.2)
    0x20, 0x01, 0x0d, 0xb8, 0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,  // source 2001:db8::10
    0xff, 0x02, 0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,  // destination ff02::1
    0x88,                    // ICMPv6 type 136, Neighbor Advertisement
    0x00,                    // code 0
    0xf9, 0x03,              // checksum
    0x20, 0x00, 0x00, 0x00,  // R=0 S=0 O=1, reserved
    0x20, 0x01, 0x0d, 0xb8, 0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,  // target 2001:db8::10
    0x02, 0x01,                          // option: target link-layer address, 1 x 8 bytes
    0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,  // own MAC
};

TEST(NdpTest, UnsolicitedAdvertisementMatchesKernelCapture) {
  EXPECT_EQ(encodeUnsolicitedNeighborAdvertisement(kOwnMac, kVip6, kVip6), kKernelNa);
}

TEST(NdpTest, UnsolicitedAdvertisementFromLinkLocal) {
  auto frame = encodeUnsolicitedNeighborAdvertisement(kOwnMac, kLinkLocal, kVip6);
  ASSERT_EQ(frame.size(), 86u);
  std::vector<uint8_t> source(frame.begin() + 22, frame.begin() + 38);
  EXPECT_EQ(source, std::vector<uint8_t>(kLinkLocal.data(), kLinkLocal.data() + 16));
  // Everything but the source address and the checksum is as in the all-VIP form.
  std::vector<uint8_t> a = frame, b = kKernelNa;
  for (auto* f : {&a, &b}) {
    std::fill(f->begin() + 22, f->begin() + 38, 0);
    (*f)[56] = (*f)[57] = 0;
  }
  EXPECT_EQ(a, b);
  auto na = decodeNeighborAdvertisementFrame(frame);
  ASSERT_TRUE(na.ok()) << na.error().describe();
  EXPECT_EQ(na->source, kLinkLocal);
}

TEST(NdpTest, DadSolicitationLayout) {
  const std::vector<uint8_t> expected = {
      0x33, 0x33, 0xff, 0x00, 0x00, 0x10,  // Ethernet: 33:33 + solicited-node group's low 32 bits
      0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,  // Ethernet source: own
      0x86, 0xdd,                          // ethertype IPv6
      0x60, 0x00, 0x00, 0x00,              // version 6
      0x00, 0x18,                          // payload length 24: no options
      0x3a, 0xff,                          // ICMPv6, hop limit 255
      0,    0,    0,    0,    0,    0,    0,    0,
      0,    0,    0,    0,    0,    0,    0,    0,  // source ::
      0xff, 0x02, 0,    0,    0,    0,    0,    0,
      0,    0,    0,    0x01, 0xff, 0x00, 0x00, 0x10,  // ff02::1:ff00:10
      0x87, 0x00,                                      // type 135 Neighbor Solicitation, code 0
      0x4c, 0xcf,                                      // checksum
      0x00, 0x00, 0x00, 0x00,                          // reserved
      0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,
      0,    0,    0,    0,    0,    0,    0,    0x10,  // target 2001:db8::10
  };
  // The checksum 0x4ccf was derived by hand (Python) from the kernel's own DAD NS for this target
  // (checksum 0xd049), subtracting its RFC 7527 nonce option, which we do not send.
  EXPECT_EQ(encodeDadNeighborSolicitation(kOwnMac, kVip6), expected);
}

TEST(NdpTest, ChecksumVerifiesKernelDadSolicitation) {
  // The ICMPv6 part of the kernel's DAD NS (with nonce option 14) from :: to ff02::1:ff00:10.
  const std::vector<uint8_t> icmp = {
      0x87, 0x00, 0xd0, 0x49, 0, 0, 0, 0,    0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,
      0,    0,    0,    0,    0, 0, 0, 0x10, 0x0e, 0x01, 0x62, 0x03, 0xac, 0xa7, 0x5f, 0xd1};
  EXPECT_EQ(icmpv6Checksum(IpAddress::parse("::").value(),
                           IpAddress::parse("ff02::1:ff00:10").value(), icmp),
            0);
}

TEST(NdpTest, DecodesKernelAdvertisement) {
  auto na = decodeNeighborAdvertisementFrame(kKernelNa);
  ASSERT_TRUE(na.ok()) << na.error().describe();
  EXPECT_EQ(na->eth_source, kOwnMac);
  EXPECT_EQ(na->source, kVip6);
  EXPECT_EQ(na->target, kVip6);
  EXPECT_FALSE(na->router);
  EXPECT_FALSE(na->solicited);
  EXPECT_TRUE(na->override_flag);
  ASSERT_TRUE(na->target_link_layer.has_value());
  EXPECT_EQ(*na->target_link_layer, kOwnMac);
}

// Rewrites the checksum of a frame edited by a test, so only the intended fault remains.
void fixChecksum(std::vector<uint8_t>& f) {
  f[56] = f[57] = 0;
  size_t length = static_cast<size_t>(f[18] << 8 | f[19]);
  std::array<uint8_t, 16> src{}, dst{};
  std::copy(f.begin() + 22, f.begin() + 38, src.begin());
  std::copy(f.begin() + 38, f.begin() + 54, dst.begin());
  uint16_t sum = icmpv6Checksum(IpAddress::v6(src), IpAddress::v6(dst),
                                std::span<const uint8_t>(f).subspan(54, length));
  f[56] = static_cast<uint8_t>(sum >> 8);
  f[57] = static_cast<uint8_t>(sum);
}

void expectNdpRejected(const std::vector<uint8_t>& frame, const std::string& fragment) {
  auto na = decodeNeighborAdvertisementFrame(frame);
  ASSERT_FALSE(na.ok());
  EXPECT_EQ(na.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(na.error().message.find(fragment), std::string::npos) << na.error().message;
}

TEST(NdpTest, DecodesAdvertisementWithoutOptions) {
  auto f = kKernelNa;
  f.resize(78);
  f[19] = 24;
  fixChecksum(f);
  auto na = decodeNeighborAdvertisementFrame(f);
  ASSERT_TRUE(na.ok()) << na.error().describe();
  EXPECT_FALSE(na->target_link_layer.has_value());
}

TEST(NdpTest, RejectsShortFrame) {
  auto f = kKernelNa;
  f.resize(77);
  expectNdpRejected(f, "77 bytes");
  expectNdpRejected({}, "0 bytes");
}

TEST(NdpTest, RejectsWrongEthertype) {
  auto f = kKernelNa;
  f[12] = 0x08;
  f[13] = 0x00;
  expectNdpRejected(f, "ethertype 2048");
}

TEST(NdpTest, RejectsBadChecksum) {
  auto f = kKernelNa;
  f[57] ^= 0x01;
  expectNdpRejected(f, "checksum");
  f = kKernelNa;
  f[85] ^= 0x01;  // a payload byte
  expectNdpRejected(f, "checksum");
}

TEST(NdpTest, RejectsWrongHopLimit) {
  auto f = kKernelNa;
  f[21] = 64;  // forwarded by a router: must not be believed (RFC 4861 §7.1.2)
  expectNdpRejected(f, "hop limit 64");
}

TEST(NdpTest, RejectsNonZeroCode) {
  auto f = kKernelNa;
  f[55] = 1;
  fixChecksum(f);
  expectNdpRejected(f, "code 1");
}

TEST(NdpTest, RejectsOtherIcmpTypesAndHeaders) {
  auto f = kKernelNa;
  f[54] = 135;
  fixChecksum(f);
  expectNdpRejected(f, "type 135");
  f = kKernelNa;
  f[20] = 0;  // hop-by-hop options header
  expectNdpRejected(f, "next header 0");
  f = kKernelNa;
  f[14] = 0x40;
  expectNdpRejected(f, "IP version 4");
}

TEST(NdpTest, RejectsInconsistentLengths) {
  auto f = kKernelNa;
  f[19] = 40;  // payload length past the end of the frame
  expectNdpRejected(f, "payload length 40");
  f = kKernelNa;
  f[79] = 0;  // option length 0
  fixChecksum(f);
  expectNdpRejected(f, "length 0");
  f = kKernelNa;
  f[79] = 2;  // option runs past the message
  fixChecksum(f);
  expectNdpRejected(f, "runs past");
}

TEST(NdpTest, RejectsMulticastTargetAndSolicitedMulticast) {
  auto f = kKernelNa;
  f[62] = 0xff;  // target ff01:...
  fixChecksum(f);
  expectNdpRejected(f, "multicast");
  f = kKernelNa;
  f[58] |= 0x40;  // Solicited, but sent to ff02::1
  fixChecksum(f);
  expectNdpRejected(f, "Solicited");
}

}  // namespace
}  // namespace kubevip::net

#include "net/arp.h"

#include <gtest/gtest.h>

#include <vector>

namespace kubevip::net {
namespace {

const MacAddress kOwn{{0x02, 0x00, 0x00, 0x00, 0x00, 0x0a}};
const IpAddress kVip = IpAddress::parse("192.0.2.10").value();

// Appends the zero padding that brings a 42-byte ARP frame to the 60-byte Ethernet minimum.
std::vector<uint8_t> padded(std::vector<uint8_t> frame) {
  frame.resize(60, 0);
  return frame;
}

TEST(ArpTest, GratuitousRequestIsAnRfc5227Announcement) {
  std::vector<uint8_t> expected = padded({
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // Ethernet destination: broadcast
      0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,  // Ethernet source: own
      0x08, 0x06,                          // ethertype ARP
      0x00, 0x01,                          // hardware type Ethernet
      0x08, 0x00,                          // protocol type IPv4
      0x06, 0x04,                          // hardware / protocol address lengths
      0x00, 0x01,                          // operation: request
      0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,  // sender MAC: own
      192,  0,    2,    10,                // sender IP: the VIP
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // target MAC: zero (RFC 5227 §2.3)
      192,  0,    2,    10,                // target IP: the VIP
  });
  EXPECT_EQ(encodeGratuitousArpRequest(kOwn, kVip), expected);
}

TEST(ArpTest, GratuitousReplyCarriesOwnMacAsTarget) {
  std::vector<uint8_t> expected = padded({
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // Ethernet destination: broadcast
      0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,  // Ethernet source: own
      0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,  // operation: reply
      0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,                          // sender MAC: own
      192,  0,    2,    10,                                        // sender IP: the VIP
      0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,  // target MAC: own (RFC 5944 §4.6)
      192,  0,    2,    10,                // target IP: the VIP
  });
  EXPECT_EQ(encodeGratuitousArpReply(kOwn, kVip), expected);
}

TEST(ArpTest, ProbeHasUnspecifiedSenderAndZeroTargetMac) {
  std::vector<uint8_t> expected = padded({
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // Ethernet destination: broadcast
      0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,  // Ethernet source: own
      0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,  // operation: request
      0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,                          // sender MAC: own
      0,    0,    0,    0,                 // sender IP: 0.0.0.0 (RFC 5227 §2.1.1)
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // target MAC: zero
      192,  0,    2,    20,                // target IP: the probed address
  });
  EXPECT_EQ(encodeArpProbe(kOwn, IpAddress::parse("192.0.2.20").value()), expected);
}

// `arping -A -c 1 -I vA 192.0.2.10` from 02:00:00:00:00:0a, captured with tcpdump on the veth
// peer (42 bytes: veth does not pad). Our reply must match it byte for byte, plus padding.
TEST(ArpTest, ReplyMatchesArpingCapture) {
  const std::vector<uint8_t> captured = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x08, 0x06,
      0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,
      0xc0, 0x00, 0x02, 0x0a, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0xc0, 0x00, 0x02, 0x0a};
  EXPECT_EQ(encodeGratuitousArpReply(kOwn, kVip), padded(captured));
}

// `arping -U` and `arping -D` put ff:ff:ff:ff:ff:ff in the target MAC where RFC 5227 asks for
// zero; everything else in their frames equals ours, and the decoder reads theirs.
TEST(ArpTest, DecodesArpingAnnouncementCapture) {
  const std::vector<uint8_t> captured = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x08, 0x06,
      0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,
      0xc0, 0x00, 0x02, 0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc0, 0x00, 0x02, 0x0a};
  auto p = decodeArpFrame(captured);
  ASSERT_TRUE(p.ok()) << p.error().describe();
  EXPECT_EQ(p->operation, ArpOperation::kRequest);
  EXPECT_EQ(p->eth_destination, MacAddress::broadcast());
  EXPECT_EQ(p->eth_source, kOwn);
  EXPECT_EQ(p->sender_mac, kOwn);
  EXPECT_EQ(p->sender_ip, kVip);
  EXPECT_EQ(p->target_mac, MacAddress::broadcast());
  EXPECT_EQ(p->target_ip, kVip);
  auto ours = encodeGratuitousArpRequest(kOwn, kVip);
  for (size_t i = 32; i < 38; ++i) ours[i] = 0xff;  // arping's target MAC
  EXPECT_EQ(ours, padded(captured));
}

TEST(ArpTest, EncodeDecodeRoundTrip) {
  ArpPacket in{.eth_destination = MacAddress{{0x02, 0, 0, 0, 0, 0x0b}},
               .eth_source = kOwn,
               .operation = ArpOperation::kReply,
               .sender_mac = kOwn,
               .sender_ip = kVip,
               .target_mac = MacAddress{{0x02, 0, 0, 0, 0, 0x0b}},
               .target_ip = IpAddress::parse("192.0.2.11").value()};
  auto frame = encodeArpFrame(in);
  EXPECT_EQ(frame.size(), 60u);
  auto out = decodeArpFrame(frame);
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_EQ(out->eth_destination, in.eth_destination);
  EXPECT_EQ(out->eth_source, in.eth_source);
  EXPECT_EQ(out->operation, in.operation);
  EXPECT_EQ(out->sender_mac, in.sender_mac);
  EXPECT_EQ(out->sender_ip, in.sender_ip);
  EXPECT_EQ(out->target_mac, in.target_mac);
  EXPECT_EQ(out->target_ip, in.target_ip);
}

void expectRejected(const std::vector<uint8_t>& frame, const std::string& fragment) {
  auto p = decodeArpFrame(frame);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(p.error().message.find(fragment), std::string::npos) << p.error().message;
}

TEST(ArpTest, RejectsShortFrame) {
  auto frame = encodeArpProbe(kOwn, kVip);
  frame.resize(41);
  expectRejected(frame, "41 bytes");
  expectRejected({}, "0 bytes");
}

TEST(ArpTest, RejectsWrongEthertype) {
  auto frame = encodeArpProbe(kOwn, kVip);
  frame[12] = 0x08;
  frame[13] = 0x00;
  expectRejected(frame, "ethertype 2048");
}

TEST(ArpTest, RejectsNonEthernetOrNonIpv4) {
  for (size_t at : {15u, 17u, 18u, 19u}) {  // hardware type, protocol type, lengths
    auto frame = encodeArpProbe(kOwn, kVip);
    frame[at] ^= 0x01;
    expectRejected(frame, "not Ethernet/IPv4");
  }
}

TEST(ArpTest, RejectsUnknownOperation) {
  auto frame = encodeArpProbe(kOwn, kVip);
  frame[21] = 3;  // RARP request
  expectRejected(frame, "operation 3");
}

}  // namespace
}  // namespace kubevip::net

// Golden netlink messages. Netlink is host-endian; these bytes are little-endian (x86-64, arm64).
#include "net/linux/netlink_codec.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <vector>

namespace kubevip::net::netlink {
namespace {

const IpAddress kV4 = IpAddress::parse("192.0.2.10").value();
const IpAddress kV6 = IpAddress::parse("2001:db8::10").value();

TEST(NetlinkCodecTest, AddIpv4WithLifetimes) {
  const std::vector<uint8_t> expected = {
      0x44, 0x00, 0x00, 0x00,  // nlmsg_len 68
      0x14, 0x00,              // RTM_NEWADDR
      0x05, 0x05,              // NLM_F_REQUEST | NLM_F_ACK | NLM_F_REPLACE | NLM_F_CREATE
      0x07, 0x00, 0x00, 0x00,  // seq 7
      0x00, 0x00, 0x00, 0x00,  // port 0: the kernel
      0x02, 0x20, 0x00, 0x00,  // ifaddrmsg: AF_INET, /32, flags 0, scope universe
      0x03, 0x00, 0x00, 0x00,  // ifindex 3
      0x08, 0x00, 0x02, 0x00, 192,  0,    2,    10,    // IFA_LOCAL
      0x08, 0x00, 0x01, 0x00, 192,  0,    2,    10,    // IFA_ADDRESS
      0x14, 0x00, 0x06, 0x00,                          // IFA_CACHEINFO, 16 bytes:
      0x00, 0x00, 0x00, 0x00,                          //   ifa_prefered 0
      0x03, 0x00, 0x00, 0x00,                          //   ifa_valid 3
      0x00, 0x00, 0x00, 0x00,                          //   cstamp
      0x00, 0x00, 0x00, 0x00,                          //   tstamp
      0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,  // IFA_FLAGS 0
  };
  auto msg = encodeAddRequest(7, 3, kV4, 32, {.valid = seconds(3), .preferred = seconds(0)});
  ASSERT_TRUE(msg.ok()) << msg.error().describe();
  EXPECT_EQ(*msg, expected);
}

TEST(NetlinkCodecTest, AddIpv6IsNodadAndPermanentIsForever) {
  const std::vector<uint8_t> expected = {
      0x5c, 0x00, 0x00, 0x00,  // nlmsg_len 92
      0x14, 0x00, 0x05, 0x05,  // RTM_NEWADDR, request|ack|replace|create
      0x01, 0x00, 0x00, 0x00,  // seq 1
      0x00, 0x00, 0x00, 0x00,  // port 0
      0x0a, 0x40, 0x02, 0x00,  // AF_INET6, /64, IFA_F_NODAD, scope universe
      0x05, 0x00, 0x00, 0x00,  // ifindex 5
      0x14, 0x00, 0x02, 0x00,  // IFA_LOCAL
      0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,    0,    0,
      0,    0,    0,    0,    0,    0x10, 0x14, 0x00, 0x01, 0x00,  // IFA_ADDRESS
      0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,    0,    0,
      0,    0,    0,    0,    0,    0x10, 0x14, 0x00, 0x06, 0x00,  // IFA_CACHEINFO
      0xff, 0xff, 0xff, 0xff,                                      //   ifa_prefered forever
      0xff, 0xff, 0xff, 0xff,                                      //   ifa_valid forever
      0,    0,    0,    0,    0,    0,    0,    0,                 //   stamps
      0x08, 0x00, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00,              // IFA_FLAGS IFA_F_NODAD
  };
  auto msg = encodeAddRequest(1, 5, kV6, 64, {.permanent = true});
  ASSERT_TRUE(msg.ok()) << msg.error().describe();
  EXPECT_EQ(*msg, expected);
}

TEST(NetlinkCodecTest, AddRejectsWhatTheKernelWouldRefuse) {
  EXPECT_FALSE(encodeAddRequest(1, 3, kV4, 33, {.valid = seconds(3)}).ok());
  EXPECT_FALSE(encodeAddRequest(1, 3, kV4, -1, {.valid = seconds(3)}).ok());
  EXPECT_TRUE(encodeAddRequest(1, 3, kV6, 128, {.valid = seconds(3)}).ok());
  EXPECT_FALSE(encodeAddRequest(1, 3, kV6, 129, {.valid = seconds(3)}).ok());
  auto zero = encodeAddRequest(1, 3, kV4, 32, {.valid = seconds(0)});
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(
      encodeAddRequest(1, 3, kV4, 32, {.valid = seconds(2), .preferred = seconds(3)}).ok());
  EXPECT_FALSE(encodeAddRequest(1, 3, kV4, 32, {.valid = seconds(0xffffffffLL)}).ok());
}

TEST(NetlinkCodecTest, Remove) {
  const std::vector<uint8_t> expected = {
      0x28, 0x00, 0x00, 0x00,                 // nlmsg_len 40
      0x15, 0x00,                             // RTM_DELADDR
      0x05, 0x00,                             // NLM_F_REQUEST | NLM_F_ACK
      0x09, 0x00, 0x00, 0x00,                 // seq 9
      0x00, 0x00, 0x00, 0x00,                 // port 0
      0x02, 0x18, 0x00, 0x00,                 // AF_INET, /24
      0x03, 0x00, 0x00, 0x00,                 // ifindex 3
      0x08, 0x00, 0x02, 0x00, 192, 0, 2, 10,  // IFA_LOCAL
      0x08, 0x00, 0x01, 0x00, 192, 0, 2, 10,  // IFA_ADDRESS
  };
  auto msg = encodeRemoveRequest(9, 3, kV4, 24);
  ASSERT_TRUE(msg.ok()) << msg.error().describe();
  EXPECT_EQ(*msg, expected);
}

TEST(NetlinkCodecTest, Dump) {
  const std::vector<uint8_t> expected = {
      0x18, 0x00, 0x00, 0x00,                          // nlmsg_len 24
      0x16, 0x00,                                      // RTM_GETADDR
      0x01, 0x03,                                      // NLM_F_REQUEST | NLM_F_DUMP
      0x02, 0x00, 0x00, 0x00,                          // seq 2
      0x00, 0x00, 0x00, 0x00,                          // port 0
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // ifaddrmsg: AF_UNSPEC
  };
  EXPECT_EQ(encodeDumpRequest(2), expected);
}

// What the kernel sends for `ip addr add 192.0.2.10/24 dev vA valid_lft 3 preferred_lft 0`
// (layout of inet_fill_ifaddr: ADDRESS, LOCAL, LABEL, FLAGS, CACHEINFO).
std::vector<uint8_t> kernelNewAddrV4() {
  return {
      0x4c, 0x00, 0x00, 0x00,  // nlmsg_len 76
      0x14, 0x00, 0x00, 0x00,  // RTM_NEWADDR, no flags
      0x00, 0x00, 0x00, 0x00,  // seq 0: a notification
      0x10, 0x00, 0x00, 0x00,  // port of the process that caused it
      0x02, 0x18, 0x20, 0x00,  // AF_INET, /24, IFA_F_DEPRECATED, scope universe
      0x04, 0x00, 0x00, 0x00,  // ifindex 4
      0x08, 0x00, 0x01, 0x00, 192,  0,    2,    10,    // IFA_ADDRESS
      0x08, 0x00, 0x02, 0x00, 192,  0,    2,    10,    // IFA_LOCAL
      0x07, 0x00, 0x03, 0x00, 'v',  'A',  0,    0,     // IFA_LABEL "vA" (length 7, padded)
      0x08, 0x00, 0x08, 0x00, 0x20, 0x02, 0,    0,     // IFA_FLAGS DEPRECATED|NOPREFIXROUTE
      0x14, 0x00, 0x06, 0x00,                          // IFA_CACHEINFO
      0x00, 0x00, 0x00, 0x00,                          //   prefered 0
      0x03, 0x00, 0x00, 0x00,                          //   valid 3
      0x10, 0x27, 0x00, 0x00, 0x10, 0x27, 0x00, 0x00,  // stamps
  };
}

TEST(NetlinkCodecTest, DecodesKernelNotification) {
  auto bytes = kernelNewAddrV4();
  auto msgs = splitMessages(bytes);
  ASSERT_TRUE(msgs.ok()) << msgs.error().describe();
  ASSERT_EQ(msgs->size(), 1u);
  ASSERT_TRUE(isAddressMessage(msgs->front()));
  auto r = decodeAddressMessage(msgs->front());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_TRUE(r->has_value());
  const AddressRecord& rec = **r;
  EXPECT_EQ(rec.event, (AddressEvent{AddressEvent::Kind::kAdded, 4, kV4, 24}));
  EXPECT_EQ(rec.flags, 0x220u);
  EXPECT_EQ(rec.valid_seconds, 3u);
  EXPECT_EQ(rec.preferred_seconds, 0u);
}

TEST(NetlinkCodecTest, DecodesIpv6DeletionFromAddressAttribute) {
  const std::vector<uint8_t> bytes = {
      0x2c, 0x00, 0x00, 0x00,              // nlmsg_len 44
      0x15, 0x00, 0x00, 0x00,              // RTM_DELADDR
      0,    0,    0,    0,    0, 0, 0, 0,  // seq, port
      0x0a, 0x80, 0x00, 0x00,              // AF_INET6, /128
      0x07, 0x00, 0x00, 0x00,              // ifindex 7
      0x14, 0x00, 0x01, 0x00,              // IFA_ADDRESS (IPv6 has no IFA_LOCAL without a peer)
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
  };
  auto msgs = splitMessages(bytes);
  ASSERT_TRUE(msgs.ok());
  auto r = decodeAddressMessage(msgs->front());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->event, (AddressEvent{AddressEvent::Kind::kRemoved, 7, kV6, 128}));
  EXPECT_FALSE((*r)->valid_seconds.has_value());
}

TEST(NetlinkCodecTest, SplitsDatagramAndDecodesAckAndError) {
  std::vector<uint8_t> bytes = {
      // NLMSG_ERROR carrying EEXIST (-17), then the first 16 bytes of our request
      0x24, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
      0x00, 0xef, 0xff, 0xff, 0xff, 0x44, 0x00, 0x00, 0x00, 0x14, 0x00, 0x05, 0x05, 0x07, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      // an ack: error 0
      0x24, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x15, 0x00, 0x05, 0x00, 0x08, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      // NLMSG_DONE
      0x14, 0x00, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x09, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00};
  auto msgs = splitMessages(bytes);
  ASSERT_TRUE(msgs.ok()) << msgs.error().describe();
  ASSERT_EQ(msgs->size(), 3u);
  EXPECT_EQ((*msgs)[0].seq, 7u);
  EXPECT_EQ((*msgs)[0].port, 16u);
  ASSERT_TRUE(isError((*msgs)[0]));
  EXPECT_EQ(decodeErrorCode((*msgs)[0]).value(), EEXIST);
  EXPECT_EQ(decodeErrorCode((*msgs)[1]).value(), 0);
  EXPECT_TRUE(isDone((*msgs)[2]));
  EXPECT_FALSE(decodeErrorCode((*msgs)[2]).ok());
  EXPECT_FALSE(decodeAddressMessage((*msgs)[2]).ok());
}

// Found by the fuzzer: a positive error came back as a negative "errno", and INT32_MIN
// overflowed when negated. The kernel sends 0 or a negated errno (netlink(7)).
TEST(NetlinkCodecTest, RefusesAnErrorThatIsNotANegatedErrno) {
  for (int32_t error : {16, std::numeric_limits<int32_t>::min()}) {
    std::vector<uint8_t> bytes = {
        0x24, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,  // length 36, NLMSG_ERROR
        0x08, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,  // seq, port
        0x00, 0x00, 0x00, 0x00,                          // error, set below
        0x28, 0x00, 0x00, 0x00, 0x15, 0x00, 0x05, 0x00,  // the request's header
        0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    std::memcpy(bytes.data() + 16, &error, sizeof(error));
    auto msgs = splitMessages(bytes);
    ASSERT_TRUE(msgs.ok()) << msgs.error().describe();
    auto code = decodeErrorCode(msgs->front());
    ASSERT_FALSE(code.ok()) << error;
    EXPECT_NE(code.error().message.find("neither 0 nor a negated errno"), std::string::npos)
        << code.error().message;
  }
}

TEST(NetlinkCodecTest, IgnoresOtherFamilies) {
  auto bytes = kernelNewAddrV4();
  bytes[16] = 12;  // AF_DECnet
  auto r = decodeAddressMessage(splitMessages(bytes)->front());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

TEST(NetlinkCodecTest, RejectsMalformedMessages) {
  auto bytes = kernelNewAddrV4();
  // Truncated header, and a length longer than the datagram.
  EXPECT_FALSE(splitMessages(std::span<const uint8_t>(bytes).first(15)).ok());
  EXPECT_FALSE(splitMessages(std::span<const uint8_t>(bytes).first(75)).ok());
  auto short_len = bytes;
  short_len[0] = 8;
  EXPECT_FALSE(splitMessages(short_len).ok());
  // An attribute that runs past the message.
  auto bad_attr = bytes;
  bad_attr[24] = 0x60;
  EXPECT_FALSE(decodeAddressMessage(splitMessages(bad_attr)->front()).ok());
  // An IPv4 address attribute of IPv6 size.
  auto wrong_size = bytes;
  wrong_size[16] = 10;
  EXPECT_FALSE(decodeAddressMessage(splitMessages(wrong_size)->front()).ok());
  // No address at all: ifaddrmsg only.
  auto no_addr = std::vector<uint8_t>(bytes.begin(), bytes.begin() + 24);
  no_addr[0] = 24;
  EXPECT_FALSE(decodeAddressMessage(splitMessages(no_addr)->front()).ok());
  // Shorter than ifaddrmsg.
  auto tiny = std::vector<uint8_t>(bytes.begin(), bytes.begin() + 20);
  tiny[0] = 20;
  EXPECT_FALSE(decodeAddressMessage(splitMessages(tiny)->front()).ok());
}

}  // namespace
}  // namespace kubevip::net::netlink

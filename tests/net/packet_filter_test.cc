// The kernel runs the classic BPF program; an AF_UNIX datagram pair runs socket filters too, so
// the program is checked here against golden frames without root or a network device.
#include "net/linux/packet_filter.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "common/unique_fd.h"
#include "net/arp.h"
#include "net/ndp.h"
#include "support/addresses.h"

namespace kubevip::net {
namespace {

const MacAddress kMac{{0x02, 0, 0, 0, 0, 0x0a}};
const MacAddress kOther{{0x02, 0, 0, 0, 0, 0x0b}};

using test::ip;

class PacketFilterTest : public ::testing::Test {
 protected:
  void watch(const IpAddress& address) {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, fds), 0);
    sender_.reset(fds[0]);
    receiver_.reset(fds[1]);
    auto filter = addressClaimFilter(address);
    sock_fprog prog{static_cast<unsigned short>(filter.size()), filter.data()};
    ASSERT_EQ(setsockopt(receiver_.get(), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)), 0);
  }

  bool passes(const std::vector<uint8_t>& frame) {
    EXPECT_EQ(send(sender_.get(), frame.data(), frame.size(), 0),
              static_cast<ssize_t>(frame.size()));
    uint8_t buf[2048];
    ssize_t n = recv(receiver_.get(), buf, sizeof(buf), 0);
    if (n < 0) return false;
    EXPECT_EQ(static_cast<size_t>(n), frame.size()) << "accepted frames are kept whole";
    return true;
  }

  UniqueFd sender_, receiver_;
};

std::vector<uint8_t> arpRequest(const char* sender_ip, const char* target_ip) {
  return encodeArpFrame(ArpPacket{MacAddress::broadcast(), kOther, ArpOperation::kRequest, kOther,
                                  ip(sender_ip), MacAddress{}, ip(target_ip)});
}

TEST_F(PacketFilterTest, PassesArpAboutTheAddress) {
  watch(ip("192.0.2.100"));
  EXPECT_TRUE(passes(encodeArpProbe(kMac, ip("192.0.2.100")))) << "our probe: target";
  EXPECT_TRUE(passes(encodeGratuitousArpRequest(kOther, ip("192.0.2.100"))));
  EXPECT_TRUE(passes(encodeGratuitousArpReply(kOther, ip("192.0.2.100"))));
  auto reply = encodeArpFrame(ArpPacket{kMac, kOther, ArpOperation::kReply, kOther,
                                        ip("192.0.2.100"), kMac, ip("0.0.0.0")});
  EXPECT_TRUE(passes(reply)) << "a holder's answer to a probe: sender";
  EXPECT_TRUE(passes(arpRequest("192.0.2.7", "192.0.2.100"))) << "someone asks for it";
}

TEST_F(PacketFilterTest, DropsArpAboutOtherAddresses) {
  watch(ip("192.0.2.100"));
  EXPECT_FALSE(passes(arpRequest("192.0.2.250", "192.0.2.150"))) << "the flood case";
  EXPECT_FALSE(passes(encodeArpProbe(kMac, ip("192.0.2.101"))));
  EXPECT_FALSE(passes(encodeGratuitousArpRequest(kOther, ip("192.0.2.99"))));
  EXPECT_FALSE(passes(arpRequest("100.192.0.2", "2.0.192.100"))) << "byte order matters";
  auto v6 = ip("2001:db8::1");
  EXPECT_FALSE(passes(encodeUnsolicitedNeighborAdvertisement(kOther, v6, v6)));
  auto truncated = encodeArpProbe(kMac, ip("192.0.2.100"));
  truncated.resize(40);  // ends inside the target IP
  EXPECT_FALSE(passes(truncated));
  EXPECT_FALSE(passes({0x01, 0x02}));  // too short to load the ethertype
}

TEST_F(PacketFilterTest, PassesNeighborDiscoveryAboutTheAddress) {
  auto vip = ip("2001:db8::100");
  watch(vip);
  EXPECT_TRUE(passes(encodeDadNeighborSolicitation(kMac, vip))) << "our probe (NS, 135)";
  EXPECT_TRUE(passes(encodeUnsolicitedNeighborAdvertisement(kOther, ip("fe80::b"), vip)));
}

TEST_F(PacketFilterTest, DropsNeighborDiscoveryAboutOtherAddresses) {
  auto vip = ip("2001:db8::100");
  watch(vip);
  EXPECT_FALSE(passes(encodeDadNeighborSolicitation(kMac, ip("2001:db8::101"))));
  EXPECT_FALSE(passes(encodeUnsolicitedNeighborAdvertisement(kOther, vip, ip("2001:db8::1:100"))))
      << "differs only in the third word";
  EXPECT_FALSE(passes(encodeUnsolicitedNeighborAdvertisement(kOther, vip, ip("2001:db9::100"))))
      << "differs only in the first word";
  auto not_icmp = encodeUnsolicitedNeighborAdvertisement(kOther, vip, vip);
  not_icmp[20] = 17;  // UDP, with byte 54 still 136
  EXPECT_FALSE(passes(not_icmp));
  auto other_icmp = encodeUnsolicitedNeighborAdvertisement(kOther, vip, vip);
  other_icmp[54] = 134;  // a Router Advertisement with the same bytes after it
  EXPECT_FALSE(passes(other_icmp));
  EXPECT_FALSE(passes(encodeGratuitousArpRequest(kOther, ip("192.0.2.100"))));
  auto truncated = encodeDadNeighborSolicitation(kMac, vip);
  truncated.resize(70);  // ends inside the target
  EXPECT_FALSE(passes(truncated));
}

}  // namespace
}  // namespace kubevip::net

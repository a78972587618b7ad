// The kernel runs the classic BPF program; an AF_UNIX datagram pair runs socket filters too, so
// the program is checked here without root or a network device.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "common/unique_fd.h"
#include "net/arp.h"
#include "net/linux/packet_socket.h"
#include "net/ndp.h"

namespace kubevip::net {
namespace {

const MacAddress kMac{{0x02, 0, 0, 0, 0, 0x0a}};

class PacketFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, fds), 0);
    sender_.reset(fds[0]);
    receiver_.reset(fds[1]);
    auto filter = arpAndNeighborAdvertisementFilter();
    sock_fprog prog{static_cast<unsigned short>(filter.size()), filter.data()};
    ASSERT_EQ(setsockopt(receiver_.get(), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)), 0);
  }

  bool passes(const std::vector<uint8_t>& frame) {
    EXPECT_EQ(send(sender_.get(), frame.data(), frame.size(), 0),
              static_cast<ssize_t>(frame.size()));
    uint8_t buf[2048];
    ssize_t n = recv(receiver_.get(), buf, sizeof(buf), 0);
    if (n < 0) return false;
    EXPECT_EQ(static_cast<size_t>(n), frame.size());
    return true;
  }

  UniqueFd sender_, receiver_;
};

TEST_F(PacketFilterTest, AcceptsArpAndNeighborAdvertisements) {
  EXPECT_TRUE(passes(encodeArpProbe(kMac, IpAddress::parse("192.0.2.1").value())));
  EXPECT_TRUE(passes(encodeGratuitousArpReply(kMac, IpAddress::parse("192.0.2.1").value())));
  auto v6 = IpAddress::parse("2001:db8::1").value();
  EXPECT_TRUE(passes(encodeUnsolicitedNeighborAdvertisement(kMac, v6, v6)));
}

TEST_F(PacketFilterTest, DropsEverythingElse) {
  auto v6 = IpAddress::parse("2001:db8::1").value();
  EXPECT_FALSE(passes(encodeDadNeighborSolicitation(kMac, v6)));  // ICMPv6 135
  auto not_icmp = encodeUnsolicitedNeighborAdvertisement(kMac, v6, v6);
  not_icmp[20] = 17;  // UDP, with byte 54 still 136
  EXPECT_FALSE(passes(not_icmp));
  auto ipv4 = encodeArpProbe(kMac, IpAddress::parse("192.0.2.1").value());
  ipv4[12] = 0x08;
  ipv4[13] = 0x00;
  EXPECT_FALSE(passes(ipv4));
  EXPECT_FALSE(passes({0x01, 0x02}));  // too short to load the ethertype
}

}  // namespace
}  // namespace kubevip::net

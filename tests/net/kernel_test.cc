// The Linux layer against a real kernel. Needs root: at start the process moves into a private
// network namespace (unshare(CLONE_NEWNET)), which vanishes with it, and creates a veth pair
// kva <-> kvb there with fixed MACs. ctest runs each test in its own process, so each test gets
// a fresh namespace. Also measures (prints, does not assert) how late an expiring address goes.
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/event_loop.h"
#include "net/address_manager.h"
#include "net/announcer.h"
#include "net/arp.h"
#include "net/interfaces.h"
#include "net/linux/netlink_address_manager.h"
#include "net/linux/netlink_codec.h"
#include "net/linux/netlink_requester.h"
#include "net/linux/packet_filter.h"
#include "net/linux/packet_socket.h"
#include "net/linux/reopening_packet_socket.h"
#include "net/ndp.h"
#include "support/addresses.h"

namespace kubevip::net {
namespace {

using Clock = std::chrono::steady_clock;
// Generous: on a loaded 2-core machine ksoftirqd may take a while to deliver a frame.
constexpr auto kWait = std::chrono::seconds(5);
const MacAddress kMacA{{0x02, 0x6b, 0x76, 0x00, 0x00, 0x0a}};
const MacAddress kMacB{{0x02, 0x6b, 0x76, 0x00, 0x00, 0x0b}};

using test::ip;

// Runs a shell command in our namespace; returns its stdout, or "" and a test failure.
std::string sh(const std::string& cmd, bool must_succeed = true) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    ADD_FAILURE() << "popen " << cmd;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (must_succeed && rc != 0) ADD_FAILURE() << cmd << " failed: " << out;
  return out;
}

class PrivateNamespace : public ::testing::Environment {
 public:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET): " << std::strerror(errno);
    sh("ip link set lo up");
    sh("ip link add kva address " + kMacA.toString() + " type veth peer name kvb address " +
       kMacB.toString());
    // DAD stays on (the default) so that IFA_F_NODAD is what keeps our IPv6 address usable.
    sh("sysctl -qw net.ipv6.conf.kva.accept_dad=1 net.ipv6.conf.kvb.accept_dad=1");
    sh("ip link set kva up && ip link set kvb up");
    // Until linkwatch runs (up to ~1 s after "up") the device has no qdisc and silently drops
    // what we send; operstate turns UP in the same step.
    for (const char* dev : {"kva", "kvb"}) {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (nlohmann::json::parse(sh(std::string("ip -j link show ") + dev))[0].value(
                 "operstate", "") != "UP") {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << dev << " never became UP";
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
};

class KernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop.ok());
    loop_ = std::move(*loop);
    auto a = lookupInterface("kva");
    ASSERT_TRUE(a.ok()) << a.error().describe();
    a_ = *a;
    auto b = lookupInterface("kvb");
    ASSERT_TRUE(b.ok()) << b.error().describe();
    b_ = *b;
    auto m = createNetlinkAddressManager(*loop_);
    ASSERT_TRUE(m.ok()) << m.error().describe();
    manager_ = std::move(*m);
  }

  // Runs the loop until `done` or `timeout`; returns done().
  template <typename Pred>
  bool runUntil(Pred done, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (!done() && Clock::now() < deadline) {
      loop_->runOnce();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return done();
  }

  // The `ip -j addr` entry of `address` on `dev`, or null.
  nlohmann::json addrInfo(const std::string& dev, const IpAddress& address) {
    auto all = nlohmann::json::parse(sh("ip -j addr show dev " + dev));
    for (const auto& link : all) {
      for (const auto& info : link.value("addr_info", nlohmann::json::array())) {
        if (info.value("local", "") == address.toString()) return info;
      }
    }
    return nullptr;
  }

  std::unique_ptr<EventLoop> loop_;
  InterfaceInfo a_, b_;
  std::unique_ptr<AddressManager> manager_;
};

TEST_F(KernelTest, LookupInterface) {
  auto link = nlohmann::json::parse(sh("ip -j link show kva"))[0];
  EXPECT_EQ(a_.index, link["ifindex"].get<int>());
  EXPECT_EQ(a_.name, "kva");
  EXPECT_EQ(a_.mac, kMacA);
  EXPECT_TRUE(a_.up);
  EXPECT_NE(a_.index, b_.index);
  EXPECT_EQ(b_.mac, kMacB);
  sh("ip link set kvb down");
  auto down = lookupInterface("kvb");
  ASSERT_TRUE(down.ok());
  EXPECT_FALSE(down->up);
  EXPECT_FALSE(down->running);
  auto missing = lookupInterface("eth7");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message, "interface 'eth7' does not exist");
}

TEST_F(KernelTest, LookupInterfaceListsItsAddresses) {
  sh("ip addr add 198.51.100.20/24 dev kva && ip addr add fd00::20/64 dev kva nodad");
  auto info = lookupInterface("kva");
  sh("ip addr del 198.51.100.20/24 dev kva && ip addr del fd00::20/64 dev kva");
  ASSERT_TRUE(info.ok()) << info.error().describe();
  auto has = [&](const char* text) {
    return std::find(info->addresses.begin(), info->addresses.end(), ip(text)) !=
           info->addresses.end();
  };
  EXPECT_TRUE(has("198.51.100.20"));
  EXPECT_TRUE(has("fd00::20"));
  EXPECT_FALSE(has("127.0.0.1")) << "only this interface's";
}

TEST_F(KernelTest, AddRenewRemoveIpv4) {
  const IpAddress vip = ip("192.0.2.10");
  ASSERT_TRUE(manager_->addOrRenew(a_.index, vip, 32, {.valid = seconds(100)}).ok());
  EXPECT_TRUE(manager_->has(a_.index, vip).value());
  EXPECT_FALSE(manager_->has(b_.index, vip).value());
  auto info = addrInfo("kva", vip);
  ASSERT_FALSE(info.is_null());
  EXPECT_EQ(info["prefixlen"].get<int>(), 32);
  EXPECT_LE(info["valid_life_time"].get<int>(), 100);
  EXPECT_GE(info["valid_life_time"].get<int>(), 95);
  EXPECT_EQ(info["preferred_life_time"].get<int>(), 0);

  auto renewed = manager_->addOrRenew(a_.index, vip, 32, {.valid = seconds(200)});
  ASSERT_TRUE(renewed.ok()) << renewed.error().describe();
  info = addrInfo("kva", vip);
  ASSERT_FALSE(info.is_null());
  EXPECT_GT(info["valid_life_time"].get<int>(), 100);
  EXPECT_LE(info["valid_life_time"].get<int>(), 200);
  EXPECT_EQ(nlohmann::json::parse(sh("ip -j addr show dev kva"))[0]["addr_info"].size(), 2u)
      << "renewal must replace, not add (link-local + the VIP)";

  ASSERT_TRUE(manager_->remove(a_.index, vip, 32).ok());
  EXPECT_FALSE(manager_->has(a_.index, vip).value());
  EXPECT_TRUE(addrInfo("kva", vip).is_null());
  auto again = manager_->remove(a_.index, vip, 32);
  EXPECT_TRUE(again.ok()) << again.error().describe();
}

TEST_F(KernelTest, KernelErrorsComeBack) {
  auto st = manager_->addOrRenew(9999, ip("192.0.2.10"), 32, {.valid = seconds(10)});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kSystem);
  EXPECT_EQ(st.error().sys_errno, ENODEV);
}

// The kernel answers nothing to a request without NLM_F_ACK: the caller must still get its answer
// (kTimeout) after the bound and not after the worker's receive backstop. A request queued behind
// it and given up before it was sent is never sent; one that must run (a removal) runs later.
TEST_F(KernelTest, NetlinkRequestWaitIsBounded) {
  using Requester = NetlinkRequester;
  auto requester = Requester::create();
  ASSERT_TRUE(requester.ok()) << requester.error().describe();
  auto add = [&](const char* address, bool ack) {
    auto msg = netlink::encodeAddRequest(0, a_.index, ip(address), 32,
                                         AddressLifetime{std::chrono::seconds(30), {}, false});
    EXPECT_TRUE(msg.ok());
    uint16_t flags = 0;
    std::memcpy(&flags, msg->data() + offsetof(nlmsghdr, nlmsg_flags), sizeof(flags));
    if (!ack) flags &= ~NLM_F_ACK;
    std::memcpy(msg->data() + offsetof(nlmsghdr, nlmsg_flags), &flags, sizeof(flags));
    return std::move(*msg);
  };
  constexpr auto kBound = std::chrono::milliseconds(50);
  const auto start = Clock::now();
  auto unanswered = (*requester)
                        ->transact(add("10.99.0.1", false), Requester::Kind::kAck,
                                   Requester::IfAbandoned::kSkip, kBound);
  const auto waited = Clock::now() - start;
  ASSERT_FALSE(unanswered.ok());
  EXPECT_EQ(unanswered.error().code, ErrorCode::kTimeout);
  EXPECT_NE(unanswered.error().message.find("may still take effect"), std::string::npos)
      << unanswered.error().message;
  EXPECT_GE(waited, kBound);
  // The contract: the caller waits the bound, not the worker's 1 s receive backstop.
  EXPECT_LT(waited, std::chrono::milliseconds(500));
  std::printf("unanswered netlink request returned after %.1f ms (bound 50 ms)\n",
              std::chrono::duration<double, std::milli>(waited).count());
  EXPECT_FALSE(addrInfo("kva", ip("10.99.0.1")).is_null()) << "the kernel did carry it out";

  // The worker still waits for that answer: these two are queued behind it.
  auto skipped = (*requester)
                     ->transact(add("10.99.0.2", true), Requester::Kind::kAck,
                                Requester::IfAbandoned::kSkip, kBound);
  ASSERT_FALSE(skipped.ok());
  EXPECT_NE(skipped.error().message.find("will not be sent"), std::string::npos)
      << skipped.error().message;
  auto removal = netlink::encodeRemoveRequest(0, a_.index, ip("10.99.0.1"), 32);
  ASSERT_TRUE(removal.ok());
  auto late = (*requester)
                  ->transact(std::move(*removal), Requester::Kind::kAck,
                             Requester::IfAbandoned::kRun, kBound);
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.error().message.find("will be sent after it"), std::string::npos)
      << late.error().message;

  // Once the backstop frees the worker, the removal runs, after the unacknowledged addition.
  auto dump = (*requester)
                  ->transact(netlink::encodeDumpRequest(0), Requester::Kind::kDump,
                             Requester::IfAbandoned::kSkip, std::chrono::seconds(3));
  ASSERT_TRUE(dump.ok()) << dump.error().describe();
  for (const auto& e : dump->records) {
    EXPECT_NE(e.address, ip("10.99.0.1")) << "the late removal ran after the addition";
    EXPECT_NE(e.address, ip("10.99.0.2")) << "the abandoned addition was sent";
  }
  EXPECT_TRUE(addrInfo("kva", ip("10.99.0.1")).is_null());
}

// A process frozen with a renewal queued: on resumption the worker may run before the caller wakes
// up to give up. The worker itself must see that the caller's bound has run out and not send it.
// The clock stands for the freeze: it reads one hour later from its second reading on, that is
// when the worker looks at the job the first reading (its enqueue) stamped.
TEST_F(KernelTest, QueuedAdditionIsNotSentAfterAFreeze) {
  std::atomic<int> readings{0};
  auto requester = NetlinkRequester::create([&readings] {
    const auto now = std::chrono::steady_clock::now();
    return readings.fetch_add(1) == 0 ? now : now + std::chrono::hours(1);
  });
  ASSERT_TRUE(requester.ok()) << requester.error().describe();
  auto msg = netlink::encodeAddRequest(0, a_.index, ip("10.99.0.3"), 32,
                                       AddressLifetime{std::chrono::seconds(30), {}, false});
  ASSERT_TRUE(msg.ok());
  auto late = (*requester)
                  ->transact(std::move(*msg), NetlinkRequester::Kind::kAck,
                             NetlinkRequester::IfAbandoned::kSkip, std::chrono::seconds(5));
  ASSERT_FALSE(late.ok()) << "the addition was sent after its bound had run out";
  EXPECT_EQ(late.error().code, ErrorCode::kTimeout);
  EXPECT_NE(late.error().message.find("will not be sent"), std::string::npos)
      << late.error().message;
  EXPECT_TRUE(addrInfo("kva", ip("10.99.0.3")).is_null());
  EXPECT_GE(readings.load(), 2);
}

TEST_F(KernelTest, Ipv6IsAddedWithoutDad) {
  const IpAddress vip = ip("2001:db8::10");
  ASSERT_TRUE(manager_->addOrRenew(a_.index, vip, 128, {.valid = seconds(100)}).ok());
  EXPECT_TRUE(manager_->has(a_.index, vip).value());
  auto info = addrInfo("kva", vip);
  ASSERT_FALSE(info.is_null());
  EXPECT_FALSE(info.contains("tentative")) << info.dump();
  EXPECT_EQ(info["preferred_life_time"].get<int>(), 0);
  // Control: the same kernel makes an address added without NODAD tentative.
  sh("ip addr add 2001:db8::99/128 dev kva");
  EXPECT_TRUE(addrInfo("kva", ip("2001:db8::99")).value("tentative", false));
  ASSERT_TRUE(manager_->remove(a_.index, vip, 128).ok());
  EXPECT_FALSE(manager_->has(a_.index, vip).value());
  EXPECT_TRUE(manager_->remove(a_.index, vip, 128).ok());
}

TEST_F(KernelTest, EventsIncludeOursAndOthers) {
  std::vector<AddressEvent> events;
  manager_->setEventHandler([&](const AddressEvent& e) { events.push_back(e); });
  const IpAddress vip = ip("192.0.2.11");
  ASSERT_TRUE(manager_->addOrRenew(a_.index, vip, 32, {.valid = seconds(100)}).ok());
  const AddressEvent added{AddressEvent::Kind::kAdded, a_.index, vip, 32};
  EXPECT_TRUE(runUntil([&] { return std::count(events.begin(), events.end(), added) > 0; }, kWait));
  sh("ip addr del 192.0.2.11/32 dev kva");
  const AddressEvent removed{AddressEvent::Kind::kRemoved, a_.index, vip, 32};
  EXPECT_TRUE(
      runUntil([&] { return std::count(events.begin(), events.end(), removed) > 0; }, kWait));
  sh("ip addr add 2001:db8::11/64 dev kvb nodad");
  const AddressEvent other{AddressEvent::Kind::kAdded, b_.index, ip("2001:db8::11"), 64};
  EXPECT_TRUE(runUntil([&] { return std::count(events.begin(), events.end(), other) > 0; }, kWait));
}

TEST_F(KernelTest, RecoversFromEventOverflow) {
  sh("ip addr add 192.0.2.99/32 dev kva");  // seen by the manager's initial dump
  // SO_RCVBUF 1 becomes the kernel's minimum (a few notifications): the flood below overflows it.
  auto m = createNetlinkAddressManager(*loop_, {.event_receive_buffer = 1});
  ASSERT_TRUE(m.ok()) << m.error().describe();
  std::set<std::string> added;
  bool removed = false;
  (*m)->setEventHandler([&](const AddressEvent& e) {
    if (e.kind == AddressEvent::Kind::kAdded) added.insert(e.address.toString());
    if (e.kind == AddressEvent::Kind::kRemoved && e.address == ip("192.0.2.99")) removed = true;
  });
  constexpr int kCount = 200;
  for (int i = 0; i < kCount; ++i) {  // without running the loop
    auto address = IpAddress::v4({198, 51, 100, static_cast<uint8_t>(i)});
    ASSERT_TRUE((*m)->addOrRenew(a_.index, address, 32, {.valid = seconds(100)}).ok());
  }
  sh("ip addr del 192.0.2.99/32 dev kva");
  auto all_seen = [&] {
    for (int i = 0; i < kCount; ++i) {
      if (!added.contains("198.51.100." + std::to_string(i))) return false;
    }
    return removed;
  };
  EXPECT_TRUE(runUntil(all_seen, std::chrono::seconds(5)))
      << added.size() << " additions seen, removal seen: " << removed;
  EXPECT_GE((*m)->overflowCount(), 1u);
}

// Reads frames on `sock` until `accept` takes one or the time is up.
template <typename Accept>
bool receiveUntil(PacketSocket& sock, Accept accept, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    std::vector<uint8_t> buffer(2048);
    auto frame = sock.receive(buffer);
    if (!frame.ok()) return false;
    if (!*frame) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    buffer.resize((*frame)->size);
    if (!(*frame)->outgoing && accept(std::span<const uint8_t>(buffer))) return true;
  }
  return false;
}

TEST_F(KernelTest, AnnouncementsArriveOnThePeer) {
  const IpAddress vip4 = ip("192.0.2.12");
  const IpAddress vip6 = ip("2001:db8::12");
  auto sock = PacketSocket::openForReceiving(b_.index, addressClaimFilter(vip4));
  ASSERT_TRUE(sock.ok()) << sock.error().describe();
  auto sock6 = PacketSocket::openForReceiving(b_.index, addressClaimFilter(vip6));
  ASSERT_TRUE(sock6.ok()) << sock6.error().describe();
  auto announcer = createPacketAnnouncer(*loop_, a_);
  ASSERT_TRUE(announcer.ok()) << announcer.error().describe();

  ASSERT_TRUE((*announcer)->announce(vip4).ok());
  std::vector<ArpPacket> arps;
  auto is_ours = [&](std::span<const uint8_t> f) {
    auto p = decodeArpFrame(f);
    if (p && p->sender_ip == vip4) arps.push_back(*p);
    return arps.size() == 2;
  };
  ASSERT_TRUE(receiveUntil(*sock, is_ours, kWait));
  for (const auto& p : arps) {
    EXPECT_EQ(p.eth_destination, MacAddress::broadcast());
    EXPECT_EQ(p.eth_source, kMacA);
    EXPECT_EQ(p.sender_mac, kMacA);
    EXPECT_EQ(p.target_ip, vip4);
  }
  EXPECT_EQ(arps[0].operation, ArpOperation::kRequest);
  EXPECT_TRUE(arps[0].target_mac.isZero());
  EXPECT_EQ(arps[1].operation, ArpOperation::kReply);
  EXPECT_EQ(arps[1].target_mac, kMacA);

  ASSERT_TRUE(runUntil([&] { return lookupInterface("kva")->link_local_v6.has_value(); },
                       std::chrono::seconds(3)));
  const IpAddress link_local = *lookupInterface("kva")->link_local_v6;
  ASSERT_TRUE((*announcer)->announce(vip6).ok());
  std::optional<NeighborAdvertisement> na;
  ASSERT_TRUE(receiveUntil(
      *sock6,
      [&](std::span<const uint8_t> f) {
        auto d = decodeNeighborAdvertisementFrame(f);  // validates hop limit and checksum
        if (d && d->target == vip6) na = *d;
        return na.has_value();
      },
      kWait));
  EXPECT_EQ(na->eth_source, kMacA);
  EXPECT_EQ(na->source, link_local);
  EXPECT_TRUE(na->override_flag);
  EXPECT_FALSE(na->solicited);
  EXPECT_FALSE(na->router);
  EXPECT_EQ(na->target_link_layer, kMacA);
}

// The NA source is the link-local address the interface has now: when it is replaced, the address
// event makes the announcer look it up again (once), instead of sending from a gone address.
TEST_F(KernelTest, NeighborAdvertisementSourceFollowsTheLinkLocalAddress) {
  ASSERT_TRUE(runUntil([&] { return lookupInterface("kva")->link_local_v6.has_value(); },
                       std::chrono::seconds(3)));
  const IpAddress vip6 = ip("2001:db8::13");
  auto sock = PacketSocket::openForReceiving(b_.index, addressClaimFilter(vip6));
  ASSERT_TRUE(sock.ok()) << sock.error().describe();
  auto announcer = createPacketAnnouncer(*loop_, *lookupInterface("kva"));
  ASSERT_TRUE(announcer.ok()) << announcer.error().describe();
  auto next_source = [&]() -> std::optional<IpAddress> {
    std::optional<IpAddress> source;
    if (!(*announcer)->announce(vip6).ok()) return source;
    receiveUntil(
        *sock,
        [&](std::span<const uint8_t> f) {
          auto d = decodeNeighborAdvertisementFrame(f);
          if (d && d->target == vip6) source = d->source;
          return source.has_value();
        },
        kWait);
    return source;
  };
  EXPECT_EQ(next_source(), lookupInterface("kva")->link_local_v6);

  sh("ip -6 addr flush dev kva scope link");
  sh("ip addr add fe80::99/64 dev kva nodad");
  runUntil([] { return false; }, std::chrono::milliseconds(200));  // deliver the address events
  EXPECT_EQ(next_source(), ip("fe80::99"));
}

// The point of announcing: a Linux neighbour that cached another MAC for the VIP switches to ours.
TEST_F(KernelTest, NeighbourCachesFollowAnnouncements) {
  ASSERT_TRUE(runUntil([&] { return lookupInterface("kva")->link_local_v6.has_value(); },
                       std::chrono::seconds(3)));
  auto announcer = createPacketAnnouncer(*loop_, a_);
  ASSERT_TRUE(announcer.ok()) << announcer.error().describe();
  for (const char* vip : {"192.0.2.13", "2001:db8::13"}) {
    sh(std::string("ip neigh replace ") + vip + " lladdr 02:00:00:00:00:99 dev kvb nud stale");
    auto cached = [&] {
      auto entries = nlohmann::json::parse(sh(std::string("ip -j neigh show ") + vip + " dev kvb"));
      return entries.empty() ? std::string() : entries[0].value("lladdr", "");
    };
    ASSERT_EQ(cached(), "02:00:00:00:00:99");
    ASSERT_TRUE((*announcer)->announce(ip(vip)).ok());
    EXPECT_TRUE(runUntil([&] { return cached() == kMacA.toString(); }, kWait))
        << vip << " still cached as " << cached();
  }
}

TEST_F(KernelTest, ProbesFindDefendersOnlyForHeldAddresses) {
  sh("ip addr add 192.0.2.20/24 dev kvb");
  sh("ip addr add 2001:db8::20/64 dev kvb nodad");
  // The kernel joins the solicited-node group from a work queue after `ip addr add` returns;
  // until then it drops DAD solicitations for the address.
  ASSERT_TRUE(runUntil(
      [&] { return sh("ip -6 maddr show dev kvb").find("ff02::1:ff00:20") != std::string::npos; },
      kWait));
  for (const char* held : {"192.0.2.20", "2001:db8::20"}) {
    auto prober = createPacketProber(*loop_, a_, ip(held));
    ASSERT_TRUE(prober.ok()) << prober.error().describe();
    std::vector<MacAddress> claims;
    int seen = 0;
    (*prober)->setHandlers(
        {[&](const MacAddress& m) { claims.push_back(m); }, [&] { ++seen; }, {}});
    ASSERT_TRUE((*prober)->sendProbe().ok());
    EXPECT_TRUE(runUntil([&] { return !claims.empty(); }, kWait)) << held;
    EXPECT_EQ(seen, 1) << held << ": our probe seen leaving the interface";
    for (const auto& mac : claims) EXPECT_EQ(mac, kMacB) << held;
  }
  for (const char* free_address : {"192.0.2.30", "2001:db8::30"}) {
    auto prober = createPacketProber(*loop_, a_, ip(free_address));
    ASSERT_TRUE(prober.ok()) << prober.error().describe();
    bool claimed = false;
    int seen = 0;
    (*prober)->setHandlers({[&](const MacAddress&) { claimed = true; }, [&] { ++seen; }, {}});
    ASSERT_TRUE((*prober)->sendProbe().ok());
    EXPECT_FALSE(runUntil([&] { return claimed; }, std::chrono::seconds(1))) << free_address;
    EXPECT_EQ(seen, 1) << free_address;
  }
}

// After the link goes down and up, and after the interface is deleted and created again under
// the same name (a new ifindex), the prober's sockets reopen by themselves: its probes are seen
// leaving again and answers arrive again.
TEST_F(KernelTest, ProberRecoversAfterLinkFlapAndNewIfindex) {
  sh("ip addr add 192.0.2.24/24 dev kvb");
  auto prober = createPacketProber(*loop_, a_, ip("192.0.2.24"));
  ASSERT_TRUE(prober.ok()) << prober.error().describe();
  int claims = 0, seen = 0, lost = 0;
  (*prober)->setHandlers(
      {[&](const MacAddress&) { ++claims; }, [&] { ++seen; }, [&](const std::string&) { ++lost; }});
  // Probes every 20 ms until one is seen leaving and answered.
  auto probeUntilAnswered = [&] {
    const int claims_before = claims, seen_before = seen;
    return runUntil(
        [&] {
          (void)(*prober)->sendProbe();
          runUntil([] { return false; }, std::chrono::milliseconds(20));
          return claims > claims_before && seen > seen_before;
        },
        kWait);
  };
  ASSERT_TRUE(probeUntilAnswered());

  sh("ip link set kva down");
  EXPECT_TRUE(runUntil([&] { return lost > 0; }, kWait)) << "the receive error is reported";
  EXPECT_FALSE((*prober)->sendProbe().ok()) << "no probe leaves a downed link";
  sh("ip link set kva up");
  EXPECT_TRUE(probeUntilAnswered()) << "after link down/up";

  const int old_index = lookupInterface("kva")->index;
  sh("ip link del kva");
  sh("ip link add kva address " + kMacA.toString() + " type veth peer name kvb address " +
     kMacB.toString());
  sh("ip addr add 192.0.2.24/24 dev kvb && ip link set kva up && ip link set kvb up");
  ASSERT_NE(lookupInterface("kva")->index, old_index);
  EXPECT_TRUE(probeUntilAnswered()) << "after the interface was created again";
}

// The announcer's send-only socket also reopens by itself: after the interface is deleted and
// created again (a new ifindex), announcements arrive on the peer again.
TEST_F(KernelTest, AnnouncerRecoversAfterNewIfindex) {
  auto announcer = createPacketAnnouncer(*loop_, a_);
  ASSERT_TRUE(announcer.ok()) << announcer.error().describe();
  const IpAddress vip = ip("192.0.2.25");
  ASSERT_TRUE((*announcer)->announce(vip).ok());
  sh("ip link del kva");
  sh("ip link add kva address " + kMacA.toString() + " type veth peer name kvb address " +
     kMacB.toString());
  sh("ip link set kva up && ip link set kvb up");
  auto peer = lookupInterface("kvb");
  ASSERT_TRUE(peer.ok());
  auto sock = PacketSocket::openForReceiving(peer->index, addressClaimFilter(vip));
  ASSERT_TRUE(sock.ok()) << sock.error().describe();
  std::vector<uint8_t> buffer(2048);
  auto arrived = [&] {
    (void)(*announcer)->announce(vip);
    runUntil([] { return false; }, std::chrono::milliseconds(20));
    for (;;) {
      auto frame = sock->receive(buffer);
      if (!frame.ok() || !*frame) return false;
      if (!(*frame)->outgoing) return true;
    }
  };
  EXPECT_TRUE(runUntil(arrived, kWait));
}

// One read takes at most the batch it is given, so a flood that passes the filter cannot keep the
// loop thread in one callback; the rest stays queued for the next turn.
TEST_F(KernelTest, ReceiveReadsBoundedBatches) {
  const IpAddress vip = ip("192.0.2.26");
  int frames = 0;
  ReopeningPacketSocket::Receiving receiving{
      addressClaimFilter(vip), [&](std::span<const uint8_t>, bool) { ++frames; }, {}};
  auto socket = ReopeningPacketSocket::open(*loop_, a_, "test", std::move(receiving));
  ASSERT_TRUE(socket.ok()) << socket.error().describe();
  auto sender = PacketSocket::openForSending(b_.index);
  ASSERT_TRUE(sender.ok());
  const auto frame = encodeGratuitousArpRequest(kMacB, vip);
  constexpr int kSent = 100;
  for (int i = 0; i < kSent; ++i) ASSERT_TRUE(sender->send(frame).ok());
  EXPECT_FALSE((*socket)->readQueued(ReopeningPacketSocket::kFramesPerTurn)) << "more queued";
  EXPECT_EQ(frames, static_cast<int>(ReopeningPacketSocket::kFramesPerTurn));
  EXPECT_TRUE((*socket)->readQueued(ReopeningPacketSocket::kFramesPerTurn)) << "drained";
  EXPECT_EQ(frames, kSent);
}

// A handler may destroy the object that calls it (run under the asan preset to see the point).
TEST_F(KernelTest, HandlersMayDestroyTheirOwner) {
  sh("ip addr add 192.0.2.21/24 dev kvb");
  auto prober = createPacketProber(*loop_, a_, ip("192.0.2.21"));
  ASSERT_TRUE(prober.ok());
  std::unique_ptr<ConflictProber> owned = std::move(*prober);
  owned->setHandlers({[&](const MacAddress&) { owned.reset(); }, {}, {}});
  // Two probes, so that a second answer is likely queued behind the first. The second call reads
  // the copy of the first probe, and with it the answer, whose handler may destroy the prober.
  ASSERT_TRUE(owned->sendProbe().ok());
  (void)owned->sendProbe();
  EXPECT_TRUE(runUntil([&] { return owned == nullptr; }, kWait));

  manager_->setEventHandler([&](const AddressEvent&) { manager_.reset(); });
  sh("ip addr add 192.0.2.22/32 dev kva && ip addr add 192.0.2.23/32 dev kva");
  EXPECT_TRUE(runUntil([&] { return manager_ == nullptr; }, kWait));
}

// A prober of a shared set (createSharedPacketProbers) with what its handlers were told.
struct WatchedAddress {
  std::unique_ptr<ConflictProber> prober;
  std::vector<MacAddress> claims;
  int seen = 0;
  int lost = 0;
};

// Watches `address` on `set` and counts what the prober reports.
void watch(ConflictProberSet& set, const char* address, WatchedAddress& watched) {
  auto prober = set.watch(ip(address));
  ASSERT_TRUE(prober.ok()) << address << ": " << prober.error().describe();
  watched.prober = std::move(*prober);
  watched.prober->setHandlers({[&watched](const MacAddress& mac) { watched.claims.push_back(mac); },
                               [&watched] { ++watched.seen; },
                               [&watched](const std::string&) { ++watched.lost; }});
}

// Makes kva take every frame it is given without transmitting it (tc egress, TC_ACT_STOLEN): the
// send succeeds, but no copy reaches packet sockets and nothing reaches kvb.
void stealEverythingSentOnKva() {
  sh("tc qdisc add dev kva clsact");
  sh("tc filter add dev kva egress bpf da bytecode '1,6 0 0 4'");
}

// Each prober of the set sees its own probe leave the interface, and only its own: the copies on
// the shared receive socket are told apart by their bytes.
TEST_F(KernelTest, SharedProberSeesOnlyItsOwnProbeLeave) {
  auto set = createSharedPacketProbers(*loop_, a_);
  ASSERT_TRUE(set.ok()) << set.error().describe();
  WatchedAddress first, second;
  watch(**set, "192.0.2.40", first);
  watch(**set, "192.0.2.41", second);
  ASSERT_TRUE(first.prober && second.prober);

  ASSERT_TRUE(first.prober->sendProbe().ok());
  EXPECT_TRUE(runUntil([&] { return first.seen > 0; }, kWait));
  runUntil([] { return false; }, std::chrono::milliseconds(100));  // anything more would show
  EXPECT_EQ(first.seen, 1);
  EXPECT_EQ(second.seen, 0) << "the first address's probe reported to the second";

  ASSERT_TRUE(second.prober->sendProbe().ok());
  EXPECT_TRUE(runUntil([&] { return second.seen > 0; }, kWait));
  runUntil([] { return false; }, std::chrono::milliseconds(100));
  EXPECT_EQ(first.seen, 1);
  EXPECT_EQ(second.seen, 1);

  // The first now waits for a probe that never leaves; the second one's copy is not it.
  stealEverythingSentOnKva();
  ASSERT_TRUE(first.prober->sendProbe().ok());
  sh("tc qdisc del dev kva clsact");
  ASSERT_TRUE(second.prober->sendProbe().ok());
  EXPECT_TRUE(runUntil([&] { return second.seen > 1; }, kWait));
  runUntil([] { return false; }, std::chrono::milliseconds(100));
  EXPECT_EQ(second.seen, 2);
  EXPECT_EQ(first.seen, 1) << "a copy of another address's probe counted as the first's";
  EXPECT_TRUE(first.claims.empty() && second.claims.empty()) << "nobody holds these addresses";
  EXPECT_EQ(first.lost + second.lost, 0);
}

// A claim from another host reaches the prober of the claimed address and no other.
TEST_F(KernelTest, SharedProberHandsAnArpClaimToItsAddressOnly) {
  auto set = createSharedPacketProbers(*loop_, a_);
  ASSERT_TRUE(set.ok()) << set.error().describe();
  WatchedAddress claimed, other;
  watch(**set, "192.0.2.42", claimed);
  watch(**set, "192.0.2.43", other);
  ASSERT_TRUE(claimed.prober && other.prober);
  auto peer = PacketSocket::openForSending(b_.index);
  ASSERT_TRUE(peer.ok()) << peer.error().describe();

  ASSERT_TRUE(peer->send(encodeGratuitousArpReply(kMacB, ip("192.0.2.42"))).ok());
  EXPECT_TRUE(runUntil([&] { return !claimed.claims.empty(); }, kWait));
  ASSERT_TRUE(peer->send(encodeGratuitousArpRequest(kMacB, ip("192.0.2.42"))).ok());
  EXPECT_TRUE(runUntil([&] { return claimed.claims.size() > 1; }, kWait));
  runUntil([] { return false; }, std::chrono::milliseconds(100));
  EXPECT_EQ(claimed.claims, (std::vector<MacAddress>{kMacB, kMacB}));
  EXPECT_TRUE(other.claims.empty()) << "a claim for 192.0.2.42 reached the prober of 192.0.2.43";
  EXPECT_EQ(claimed.lost + other.lost, 0);
}

// The same for IPv6: an unsolicited Neighbor Advertisement claims its target.
TEST_F(KernelTest, SharedProberHandsANeighborAdvertisementToItsAddressOnly) {
  auto set = createSharedPacketProbers(*loop_, a_);
  ASSERT_TRUE(set.ok()) << set.error().describe();
  WatchedAddress claimed, other;
  watch(**set, "2001:db8::42", claimed);
  watch(**set, "2001:db8::43", other);
  ASSERT_TRUE(claimed.prober && other.prober);
  auto peer = PacketSocket::openForSending(b_.index);
  ASSERT_TRUE(peer.ok()) << peer.error().describe();

  const IpAddress target = ip("2001:db8::42");
  ASSERT_TRUE(peer->send(encodeUnsolicitedNeighborAdvertisement(kMacB, target, target)).ok());
  EXPECT_TRUE(runUntil([&] { return !claimed.claims.empty(); }, kWait));
  runUntil([] { return false; }, std::chrono::milliseconds(100));
  EXPECT_EQ(claimed.claims, std::vector<MacAddress>{kMacB});
  EXPECT_TRUE(other.claims.empty()) << "a claim for 2001:db8::42 reached the prober of ::43";
  EXPECT_EQ(claimed.lost + other.lost, 0);
}

// A handler may destroy another prober of the set, even one whose claim is queued behind its
// own; the set is destroyed after its last prober (run under the asan preset to see the point).
TEST_F(KernelTest, SharedProberHandlersMayDestroyOtherProbers) {
  auto set = createSharedPacketProbers(*loop_, a_);
  ASSERT_TRUE(set.ok()) << set.error().describe();
  WatchedAddress first, second;
  watch(**set, "192.0.2.44", first);
  watch(**set, "192.0.2.45", second);
  ASSERT_TRUE(first.prober && second.prober);
  first.prober->setHandlers({[&](const MacAddress& mac) {
                               first.claims.push_back(mac);
                               second.prober.reset();
                             },
                             {},
                             {}});
  auto peer = PacketSocket::openForSending(b_.index);
  ASSERT_TRUE(peer.ok()) << peer.error().describe();
  // Both claims are queued before the loop reads either: one read hands over both.
  ASSERT_TRUE(peer->send(encodeGratuitousArpReply(kMacB, ip("192.0.2.44"))).ok());
  ASSERT_TRUE(peer->send(encodeGratuitousArpReply(kMacB, ip("192.0.2.45"))).ok());
  EXPECT_TRUE(runUntil([&] { return second.prober == nullptr; }, kWait));
  runUntil([] { return false; }, std::chrono::milliseconds(100));
  EXPECT_EQ(first.claims.size(), 1u);
  EXPECT_TRUE(second.claims.empty()) << "a destroyed prober's handler ran";

  // The address is free again for a new prober, which works as before.
  watch(**set, "192.0.2.45", second);
  ASSERT_TRUE(second.prober);
  ASSERT_TRUE(second.prober->sendProbe().ok());
  EXPECT_TRUE(runUntil([&] { return second.seen > 0; }, kWait));
  first.prober.reset();
  second.prober.reset();
  set->reset();
  runUntil([] { return false; }, std::chrono::milliseconds(50));  // closes the watchers
}

// The kernel counts the frames it could not queue for want of receive buffer space, and
// takeDrops() hands each drop over once (reading PACKET_STATISTICS resets it).
TEST_F(KernelTest, PacketSocketTakesKernelDropsOnce) {
  const IpAddress vip = ip("192.0.2.46");
  // The kernel's minimum buffer holds a few small frames.
  auto sock = PacketSocket::openForReceiving(a_.index, addressClaimFilter(vip), 2048);
  ASSERT_TRUE(sock.ok()) << sock.error().describe();
  auto before = sock->takeDrops();
  ASSERT_TRUE(before.ok()) << before.error().describe();
  EXPECT_EQ(*before, 0u);
  auto peer = PacketSocket::openForSending(b_.index);
  ASSERT_TRUE(peer.ok()) << peer.error().describe();
  constexpr int kSent = 100;
  const auto frame = encodeGratuitousArpRequest(kMacB, vip);
  for (int i = 0; i < kSent; ++i) ASSERT_TRUE(peer->send(frame).ok());

  int queued = 0;
  std::vector<uint8_t> buffer(2048);
  for (;;) {
    auto received = sock->receive(buffer);
    ASSERT_TRUE(received.ok()) << received.error().describe();
    if (!*received) break;
    ++queued;
  }
  auto drops = sock->takeDrops();
  ASSERT_TRUE(drops.ok()) << drops.error().describe();
  std::printf("receive buffer of 2048 bytes: %d of %d frames queued, %u dropped\n", queued, kSent,
              *drops);
  EXPECT_GT(*drops, 0u);
  EXPECT_EQ(static_cast<int>(*drops) + queued, kSent) << "every frame is queued or counted";
  auto again = sock->takeDrops();
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(*again, 0u) << "drops are reported once";
}

// A receive socket tells its owner of frames the kernel dropped before it hands over any frame
// read after them: a dropped frame may have been the answer the owner is about to judge missing.
TEST_F(KernelTest, ReceiveReportsKernelDropsBeforeTheFrames) {
  const IpAddress vip = ip("192.0.2.52");
  std::vector<std::string> events;
  ReopeningPacketSocket::Receiving receiving{
      addressClaimFilter(vip),
      [&](std::span<const uint8_t>, bool) { events.emplace_back("frame"); },
      [&](const std::string& why) { events.push_back(why); }, 2048};
  auto socket = ReopeningPacketSocket::open(*loop_, a_, "test", std::move(receiving));
  ASSERT_TRUE(socket.ok()) << socket.error().describe();
  auto peer = PacketSocket::openForSending(b_.index);
  ASSERT_TRUE(peer.ok()) << peer.error().describe();
  const auto frame = encodeGratuitousArpRequest(kMacB, vip);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(peer->send(frame).ok());

  EXPECT_TRUE((*socket)->readQueued(ReopeningPacketSocket::kFramesPerTurn)) << "drained";
  ASSERT_GE(events.size(), 2u);
  EXPECT_NE(events.front().find("frames dropped by the kernel"), std::string::npos)
      << events.front();
  EXPECT_EQ(std::count(events.begin(), events.end(), "frame"),
            static_cast<std::ptrdiff_t>(events.size() - 1))
      << "the drops are told once, first";
  EXPECT_TRUE((*socket)->working()) << "drops do not reopen the socket";
}

// A prober reports probe_seen only for the probe of its latest sendProbe(): its caller judged the
// earlier probe before sending the next, so a late copy of that one, read while sending, must not
// make a probe that never left count as seen.
// `settle` runs the loop for a while.
template <typename Settle>
void expectOnlyTheLatestProbeSeen(ConflictProber& prober, Settle settle) {
  int seen = 0;
  prober.setHandlers({{}, [&] { ++seen; }, {}});
  ASSERT_TRUE(prober.sendProbe().ok());  // its copy is queued, not read yet
  stealEverythingSentOnKva();
  ASSERT_TRUE(prober.sendProbe().ok()) << "a stolen frame counts as sent";
  settle();
  EXPECT_EQ(seen, 0) << "the second probe never left, yet a probe was reported seen after it";
}

TEST_F(KernelTest, ProberReportsOnlyItsLatestProbeSeen) {
  auto prober = createPacketProber(*loop_, a_, ip("192.0.2.47"));
  ASSERT_TRUE(prober.ok()) << prober.error().describe();
  expectOnlyTheLatestProbeSeen(
      **prober, [&] { runUntil([] { return false; }, std::chrono::milliseconds(200)); });
}

TEST_F(KernelTest, SharedProberReportsOnlyItsLatestProbeSeen) {
  auto set = createSharedPacketProbers(*loop_, a_);
  ASSERT_TRUE(set.ok()) << set.error().describe();
  auto prober = (*set)->watch(ip("2001:db8::47"));
  ASSERT_TRUE(prober.ok()) << prober.error().describe();
  expectOnlyTheLatestProbeSeen(
      **prober, [&] { runUntil([] { return false; }, std::chrono::milliseconds(200)); });
}

// A probe that was not seen leaving makes the next sendProbe() reopen the receive socket and report
// frames lost; that handler may destroy the prober (run under the asan preset to see the point).
TEST_F(KernelTest, ProberHandlerMayDestroyItWhenItsProbeWasNotSeen) {
  auto prober = createPacketProber(*loop_, a_, ip("192.0.2.48"));
  ASSERT_TRUE(prober.ok()) << prober.error().describe();
  std::unique_ptr<ConflictProber> owned = std::move(*prober);
  owned->setHandlers({{}, {}, [&](const std::string&) { owned.reset(); }});
  stealEverythingSentOnKva();
  ASSERT_TRUE(owned->sendProbe().ok());
  EXPECT_FALSE(owned->sendProbe().ok()) << "no probe is sent by a destroyed prober";
  EXPECT_EQ(owned, nullptr);
}

// The same for the shared set, whose handler destroys every prober and then the set itself.
TEST_F(KernelTest, SharedProberHandlerMayDestroyItWhenItsProbeWasNotSeen) {
  auto set = createSharedPacketProbers(*loop_, a_);
  ASSERT_TRUE(set.ok()) << set.error().describe();
  std::unique_ptr<ConflictProberSet> owned_set = std::move(*set);
  WatchedAddress only;
  watch(*owned_set, "192.0.2.49", only);
  ASSERT_TRUE(only.prober);
  ConflictProber* prober = only.prober.get();
  // Moved out first: destroying the prober destroys this handler, so it must not touch its
  // captures after that. The locals go in reverse order: the prober, then the set.
  prober->setHandlers({{}, {}, [&](const std::string&) {
                         auto set_going = std::move(owned_set);
                         auto prober_going = std::move(only.prober);
                       }});
  stealEverythingSentOnKva();
  ASSERT_TRUE(prober->sendProbe().ok());
  EXPECT_FALSE(prober->sendProbe().ok()) << "no probe is sent by a destroyed prober";
  EXPECT_EQ(owned_set, nullptr);
}

// When the receive socket breaks, every prober of its family hears of it; a handler that destroys
// all of them and the set ends the round (run under the asan preset to see the point).
TEST_F(KernelTest, SharedProberLostHandlerMayDestroyEveryProberAndTheSet) {
  auto set = createSharedPacketProbers(*loop_, a_);
  ASSERT_TRUE(set.ok()) << set.error().describe();
  std::unique_ptr<ConflictProberSet> owned_set = std::move(*set);
  WatchedAddress first, second;
  watch(*owned_set, "192.0.2.50", first);
  watch(*owned_set, "192.0.2.51", second);
  ASSERT_TRUE(first.prober && second.prober);
  int handled = 0;
  auto destroy_all = [&](const std::string&) {
    ++handled;
    // Moved out first (see above); destroyed in reverse order, the set last.
    auto set_going = std::move(owned_set);
    auto first_going = std::move(first.prober);
    auto second_going = std::move(second.prober);
  };
  first.prober->setHandlers({{}, {}, destroy_all});
  second.prober->setHandlers({{}, {}, destroy_all});
  sh("ip link set kva down");  // the receive socket reads ENETDOWN
  EXPECT_TRUE(runUntil([&] { return owned_set == nullptr; }, kWait));
  EXPECT_EQ(handled, 1) << "a handler ran after its prober was destroyed";
}

// Time from the ack of the last renewal to the RTM_DELADDR of an address with valid lifetime 1 s
// and preferred 0. Printed for the team (the fencing argument in src/vip needs the bound).
void measureExpiry(EventLoop& loop, AddressManager& manager, int ifindex, const IpAddress& address,
                   int prefix) {
  std::vector<double> seconds_late;
  for (int trial = 0; trial < 10; ++trial) {
    bool gone = false;
    manager.setEventHandler([&](const AddressEvent& e) {
      if (e.kind == AddressEvent::Kind::kRemoved && e.address == address) gone = true;
    });
    const AddressLifetime lifetime{.valid = std::chrono::seconds(1)};
    ASSERT_TRUE(manager.addOrRenew(ifindex, address, prefix, lifetime).ok());
    // Renew mid-life, at a different phase each trial, then time from that renewal.
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + 70 * trial));
    loop.runOnce();
    ASSERT_TRUE(manager.addOrRenew(ifindex, address, prefix, lifetime).ok());
    auto renewed = Clock::now();
    auto deadline = renewed + std::chrono::seconds(5);
    while (!gone && Clock::now() < deadline) {
      loop.runOnce();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    ASSERT_TRUE(gone) << "address with valid lifetime 1 s still present after 5 s";
    seconds_late.push_back(std::chrono::duration<double>(Clock::now() - renewed).count());
  }
  std::sort(seconds_late.begin(), seconds_late.end());
  std::printf(
      "expiry of %s (valid 1 s, preferred 0) after last renewal, %zu trials: "
      "min %.3f s, median %.3f s, max %.3f s\n",
      address.toString().c_str(), seconds_late.size(), seconds_late.front(),
      (seconds_late[4] + seconds_late[5]) / 2, seconds_late.back());
}

// How long a renewal keeps the caller waiting, on a quiet host and while another process keeps
// taking the RTNL lock (creating and deleting a veth pair in a loop). Printed, not asserted.
TEST_F(KernelTest, MeasureRenewalWaitUnderRtnlContention) {
  auto measure = [&](const char* label) {
    std::vector<double> waits;
    int failed = 0;
    for (int i = 0; i < 200; ++i) {
      const auto start = Clock::now();
      if (!manager_->addOrRenew(a_.index, ip("192.0.2.60"), 32, {.valid = seconds(1)}).ok()) {
        ++failed;
      }
      waits.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::sort(waits.begin(), waits.end());
    std::printf(
        "%s: renewal wait median %.2f ms, 99th percentile %.2f ms, max %.2f ms; %d of %zu "
        "timed out\n",
        label, waits[waits.size() / 2], waits[waits.size() * 99 / 100], waits.back(), failed,
        waits.size());
  };
  measure("quiet");
  // Each round creates a namespace with eight veth pairs and drops it; the kernel tears it down
  // holding RTNL.
  const std::string churn =
      sh("(while :; do unshare -n sh -c 'for i in 1 2 3 4 5 6 7 8; do "
         "ip link add v$i type veth peer name w$i; done'; done) >/dev/null 2>&1 & echo $!");
  measure("RTNL contention");
  sh("kill " + churn);
}

TEST_F(KernelTest, MeasureExpiryIpv4) {
  measureExpiry(*loop_, *manager_, a_.index, ip("192.0.2.50"), 32);
}

TEST_F(KernelTest, MeasureExpiryIpv6) {
  measureExpiry(*loop_, *manager_, a_.index, ip("2001:db8::50"), 128);
}

}  // namespace
}  // namespace kubevip::net

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new kubevip::net::PrivateNamespace);
  return RUN_ALL_TESTS();
}

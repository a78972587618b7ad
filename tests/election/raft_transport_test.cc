// The Raft port's authentication: golden vectors for the pure handshake and framing
// (raft_peer_auth.h, computed independently with Python's hmac module), and attacks over loopback
// against a three-node cluster that shares a cluster key (raft_transport.h): connections from a
// non-peer address, from a peer address without the key, with a wrong key, and replays. None may
// change the term or keep a lease alive.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <random>
#include <set>
#include <vector>

#include "config/values.h"
#include "election/loopback_members.h"
#include "election/raft_elector.h"
#include "election/raft_members.h"
#include "election/raft_peer_auth.h"
#include "support/host_facilities.h"

namespace kubevip::election {
namespace {

using namespace peer_auth;  // NOLINT(google-build-using-namespace): test of this namespace
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string hexOf(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

std::span<const uint8_t> bytesOf(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

ClusterKey testKey() {
  ClusterKey k{};
  for (int i = 0; i < 32; ++i) k[i] = static_cast<uint8_t>(i);
  return k;
}

Transcript testTranscript() {
  Transcript t;
  t.client_id = 0x1122334455667788;
  t.server_id = 0x99aabbccddeeff00;
  for (int i = 0; i < 32; ++i) {
    t.client_nonce[i] = static_cast<uint8_t>(0xa0 + i % 16);
    t.server_nonce[i] = static_cast<uint8_t>(0x50 + i % 16);
  }
  return t;
}

// ---- pure functions
// ------------------------------------------------------------------------------

TEST(PeerAuthTest, HandshakeGoldenVectors) {
  const Transcript t = testTranscript();
  EXPECT_EQ(hexOf(encodeHello({t.client_id, t.client_nonce})),
            "4b5652311122334455667788a0a1a2a3a4a5a6a7a8a9aaabacadaeafa0a1a2a3a4a5a6a7a8a9aaabacad"
            "aeaf");
  EXPECT_EQ(hexOf(serverProof(testKey(), t)),
            "12a2ecf2cafdbed800bb8a0d3abecfad0b5962191420312f56ea84f114642ffd");
  EXPECT_EQ(hexOf(clientProof(testKey(), t)),
            "a2ac87c475f0f592e86f0fa930e3907a906b682c449dee1fce5e360b3bac720d");
  const SessionKeys keys = deriveSessionKeys(testKey(), t);
  EXPECT_EQ(hexOf(keys.client_to_server),
            "a598f37fce00fc59ec04e7a777bd5cc4bf6e2f56f2fa9898d6211c12b3daa114");
  EXPECT_EQ(hexOf(keys.server_to_client),
            "857aa1ed27639183adefe338d3c5a6b8c0bea2093c6b9861d638771657063628");

  auto hello = decodeHello(encodeHello({t.client_id, t.client_nonce}));
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->client_id, t.client_id);
  EXPECT_EQ(hello->client_nonce, t.client_nonce);
  auto challenge = decodeChallenge(encodeChallenge({t.server_nonce, serverProof(testKey(), t)}));
  ASSERT_TRUE(challenge);
  EXPECT_EQ(challenge->server_nonce, t.server_nonce);
  auto bad = encodeHello({t.client_id, t.client_nonce});
  bad[0] = 'X';
  EXPECT_FALSE(decodeHello(bad));
  EXPECT_NE(serverProof(testKey(), t), clientProof(testKey(), t)) << "roles are not reflectable";
}

TEST(PeerAuthTest, FramesGoldenVector) {
  const SessionKeys keys = deriveSessionKeys(testKey(), testTranscript());
  FrameSealer sealer(keys.client_to_server);
  std::string frames;
  sealer.seal(bytesOf("hello raft"), frames);
  sealer.seal(bytesOf("second"), frames);
  EXPECT_EQ(hexOf(bytesOf(frames)),
            "0000000a68656c6c6f2072616674065995931d7d61b2264f925ac6b7b8be6eb06deb2aebce0b6d2710"
            "67a7fd8b0f000000067365636f6e64ba7f11f89add4cb3e52776cb77c5fb9693702de8dbfecb6dba58"
            "fbfc6228e69e");

  // Opened in arbitrary pieces.
  FrameOpener opener(keys.client_to_server);
  std::string plain;
  for (char c : frames) ASSERT_TRUE(opener.open(bytesOf(std::string(1, c)), plain));
  EXPECT_EQ(plain, "hello raftsecond");
  EXPECT_EQ(opener.framesAccepted(), 2u);
}

TEST(PeerAuthTest, LargeWritesAreSplitIntoFramesAndJoinedAgain) {
  const SessionKeys keys = deriveSessionKeys(testKey(), testTranscript());
  std::string data(3 * kMaxFramePayload + 123, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  FrameSealer sealer(keys.server_to_client);
  std::string frames;
  sealer.seal(bytesOf(data), frames);
  EXPECT_EQ(frames.size(), data.size() + 4 * (kFrameHeaderSize + kFrameTagSize));
  FrameOpener opener(keys.server_to_client);
  std::string plain;
  ASSERT_TRUE(opener.open(bytesOf(frames.substr(0, 100000)), plain));
  ASSERT_TRUE(opener.open(bytesOf(frames.substr(100000)), plain));
  EXPECT_EQ(plain, data);
  EXPECT_EQ(opener.framesAccepted(), 4u);
}

TEST(PeerAuthTest, FramesThatAreReplayedReorderedAlteredOrForeignAreRejected) {
  const SessionKeys keys = deriveSessionKeys(testKey(), testTranscript());
  FrameSealer sealer(keys.client_to_server);
  std::string first;
  std::string second;
  sealer.seal(bytesOf("first"), first);
  sealer.seal(bytesOf("second"), second);
  std::string plain;

  FrameOpener replayed(keys.client_to_server);
  ASSERT_TRUE(replayed.open(bytesOf(first), plain));
  EXPECT_FALSE(replayed.open(bytesOf(first), plain)) << "the same frame twice";
  EXPECT_FALSE(replayed.open(bytesOf(second), plain)) << "nothing after a rejection";

  FrameOpener reordered(keys.client_to_server);
  EXPECT_FALSE(reordered.open(bytesOf(second), plain));

  FrameOpener altered(keys.client_to_server);
  std::string flipped = first;
  flipped[5] ^= 1;
  EXPECT_FALSE(altered.open(bytesOf(flipped), plain));

  FrameOpener other_direction(keys.server_to_client);
  EXPECT_FALSE(other_direction.open(bytesOf(first), plain));

  Transcript other_connection = testTranscript();
  other_connection.server_nonce[0] ^= 1;
  FrameOpener elsewhere(deriveSessionKeys(testKey(), other_connection).client_to_server);
  EXPECT_FALSE(elsewhere.open(bytesOf(first), plain)) << "a frame of another connection";

  FrameOpener too_long(keys.client_to_server);
  EXPECT_FALSE(too_long.open(bytesOf(std::string("\x00\x01\x00\x01", 4)), plain));
  EXPECT_EQ(plain, "first");
}

TEST(PeerAuthTest, ClusterKeyText) {
  auto key = config::parseClusterKey(" " + config::formatClusterKey(testKey()) + "\n");
  ASSERT_TRUE(key) << key.error().describe();
  EXPECT_EQ(*key, testKey());
  EXPECT_EQ(config::formatClusterKey(testKey()),
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  EXPECT_FALSE(config::parseClusterKey("abc"));
  EXPECT_FALSE(config::parseClusterKey(std::string(63, '0') + "g"));
}

// ---- attacks over loopback
// -----------------------------------------------------------------------

void putLe64(uint64_t v, std::string& out) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

// What libraft's own TCP transport writes after connecting, claiming to be (id, address).
std::string libraftPreamble(uint64_t id, const std::string& address) {
  const std::size_t padded = (address.size() + 1 + 7) / 8 * 8;
  std::string out;
  putLe64(1, out);
  putLe64(id, out);
  putLe64(padded, out);
  out += address;
  out.append(padded - address.size(), '\0');
  return out;
}

// libraft 0.15 messages: type, header length, header fields (all little endian).
std::string requestVote(uint64_t term, uint64_t candidate, bool pre_vote) {
  std::string out;
  putLe64(3, out);
  putLe64(40, out);
  putLe64(term, out);
  putLe64(candidate, out);
  putLe64(1000, out);                    // last log index
  putLe64(term, out);                    // last log term
  putLe64(1 | (pre_vote ? 2 : 0), out);  // disrupt_leader: considered even while a leader is known
  return out;
}

std::string appendEntriesResult(uint64_t term, uint64_t last_log_index) {
  std::string out;
  putLe64(2, out);
  putLe64(24, out);
  putLe64(term, out);
  putLe64(0, out);  // not rejected
  putLe64(last_log_index, out);
  return out;
}

// A blocking-free raw TCP client; the cluster runs on the same thread, so it only polls.
class RawPeer {
 public:
  RawPeer(const char* source_ip, uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    ::inet_pton(AF_INET, source_ip, &src.sin_addr);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src), 0);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(port);
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // The kernel completes the handshake from the listen backlog; the loop need not run.
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&dst), sizeof dst), 0) << errno;
  }
  ~RawPeer() { ::close(fd_); }
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  void send(const std::string& data) {
    sent_ += data;
    ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
  }
  void send(std::span<const uint8_t> data) {
    send(std::string(reinterpret_cast<const char*>(data.data()), data.size()));
  }
  // Reads what has arrived; true once the other side closed (EOF or reset).
  bool closed() {
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        received_.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) return true;
      return errno != EAGAIN && errno != EWOULDBLOCK;
    }
  }
  const std::string& received() const { return received_; }
  const std::string& sent() const { return sent_; }

 private:
  int fd_ = -1;
  std::string received_;
  std::string sent_;
};

class RaftTransportTest : public ::testing::Test {
 protected:
  static constexpr int kNodes = 3;

  struct Node {
    config::Peer peer;
    std::unique_ptr<RaftElector> elector;
    int started = 0;
    int stopped = 0;
  };

  void SetUp() override {
    if (!test::hostHasLinuxAio())
      GTEST_SKIP() << "no Linux AIO (io_setup) here: libraft cannot start";
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    loop_ = std::move(*loop);
    ASSERT_TRUE(scratch_.ok());
    dir_ = scratch_.path();
    auto members = loopbackMembers(kNodes);
    for (int i = 0; i < kNodes; ++i) nodes_[i].peer = members[i];
  }

  void TearDown() override {
    for (int i = 0; i < kNodes; ++i) stopNode(i);
    loop_.reset();
  }

  void startNode(int i) {
    RaftElectorOptions o;
    o.local = nodes_[i].peer;
    for (const auto& n : nodes_) o.members.push_back(n.peer);
    o.data_dir = dir_ + "/" + nodes_[i].peer.id;
    if (with_key_) o.cluster_key = testKey();
    auto elector = RaftElector::create(*loop_, o);
    ASSERT_TRUE(elector) << elector.error().describe();
    nodes_[i].elector = std::move(*elector);
    ElectorCallbacks cb;
    cb.started_leading = [this, i] { ++nodes_[i].started; };
    cb.stopped_leading = [this, i] { ++nodes_[i].stopped; };
    ASSERT_TRUE(nodes_[i].elector->start(std::move(cb)));
  }

  void stopNode(int i) {
    if (!nodes_[i].elector) return;
    bool done = false;
    nodes_[i].elector->stop([&] { done = true; });
    EXPECT_TRUE(runUntil([&] { return done; }, seconds(5)));
    nodes_[i].elector.reset();
  }

  bool runUntil(const std::function<bool()>& pred, Duration timeout) {
    const SteadyTime deadline = loop_->time().now() + timeout;
    bool met = pred();
    if (met) return true;
    auto poll = loop_->time().createTimer();
    std::function<void()> check = [&] {
      int leaders = 0;
      for (const auto& n : nodes_) leaders += (n.elector && n.elector->isLeader()) ? 1 : 0;
      EXPECT_LE(leaders, 1) << "two leaders at once";
      met = pred();
      if (met || loop_->time().now() >= deadline) {
        loop_->stop();
        return;
      }
      poll->start(milliseconds(5), check);
    };
    poll->start(milliseconds(5), check);
    loop_->run();
    return met;
  }

  int leaderIndex() const {
    for (int i = 0; i < kNodes; ++i) {
      if (nodes_[i].elector && nodes_[i].elector->isLeader()) return i;
    }
    return -1;
  }

  int electLeader() {
    for (int i = 0; i < kNodes; ++i) startNode(i);
    EXPECT_TRUE(runUntil([&] { return leaderIndex() >= 0; }, seconds(10))) << "no leader";
    return leaderIndex();
  }

  uint64_t raftIdOfNode(int i) const { return raftIdOf(nodes_[i].peer.id); }
  std::string addressOf(int i) const { return "127.0.0.1:" + std::to_string(nodes_[i].peer.port); }

  std::unique_ptr<EventLoop> loop_;
  ScratchDir scratch_{"kubevip-raft-transport"};
  std::string dir_;
  std::array<Node, kNodes> nodes_;
  bool with_key_ = true;
};

TEST_F(RaftTransportTest, AClusterWithAKeyElectsAndStaysStable) {
  const int leader = electLeader();
  ASSERT_GE(leader, 0);
  const uint64_t term = nodes_[leader].elector->term();
  runUntil([] { return false; }, milliseconds(700));
  EXPECT_EQ(leaderIndex(), leader);
  EXPECT_EQ(nodes_[leader].elector->term(), term);
  EXPECT_EQ(nodes_[leader].stopped, 0);
  const auto stats = nodes_[leader].elector->transportStats();
  EXPECT_GE(stats.connections_accepted, 2u);
  EXPECT_EQ(stats.refused_handshakes + stats.refused_frames + stats.refused_addresses, 0u);
}

TEST_F(RaftTransportTest, AConnectionFromANonPeerAddressIsClosedAtOnce) {
  const int leader = electLeader();
  ASSERT_GE(leader, 0);
  RawPeer stranger("127.0.0.2", nodes_[leader].peer.port);
  EXPECT_TRUE(runUntil([&] { return stranger.closed(); }, seconds(2)));
  EXPECT_TRUE(stranger.received().empty());
  EXPECT_EQ(nodes_[leader].elector->transportStats().refused_addresses, 1u);
}

// Without a key the address filter still applies, and libraft's own wire format is kept.
TEST_F(RaftTransportTest, WithoutAKeyOnlyPeerAddressesAreAccepted) {
  with_key_ = false;
  const int leader = electLeader();
  ASSERT_GE(leader, 0);
  RawPeer stranger("127.0.0.2", nodes_[leader].peer.port);
  EXPECT_TRUE(runUntil([&] { return stranger.closed(); }, seconds(2)));
  EXPECT_EQ(nodes_[leader].elector->transportStats().refused_addresses, 1u);
  // From a peer's address, a preamble claiming an id that is not a member is refused too.
  RawPeer impostor("127.0.0.1", nodes_[leader].peer.port);
  impostor.send(libraftPreamble(raftIdOf("someone-else"), "127.0.0.1:1"));
  EXPECT_TRUE(runUntil([&] { return impostor.closed(); }, seconds(2)));
  EXPECT_GE(nodes_[leader].elector->transportStats().refused_handshakes, 1u);
  EXPECT_GE(nodes_[leader].elector->transportStats().connections_accepted, 2u);
}

// A forged RequestVote with a far higher term and disrupt_leader set would depose the leader if
// libraft ever decoded it.
TEST_F(RaftTransportTest, APeerWithoutTheKeyCannotChangeTheTerm) {
  const int leader = electLeader();
  ASSERT_GE(leader, 0);
  const uint64_t term = nodes_[leader].elector->term();
  const int victim = (leader + 1) % kNodes;
  RawPeer forger("127.0.0.1", nodes_[leader].peer.port);
  forger.send(libraftPreamble(raftIdOfNode(victim), addressOf(victim)));
  forger.send(requestVote(term + 100, raftIdOfNode(victim), /*pre_vote=*/false));
  EXPECT_TRUE(runUntil([&] { return forger.closed(); }, seconds(2)));
  runUntil([] { return false; }, milliseconds(200));
  EXPECT_EQ(nodes_[leader].elector->term(), term) << "a forged message changed the term";
  EXPECT_EQ(leaderIndex(), leader);
  EXPECT_GE(nodes_[leader].elector->transportStats().refused_handshakes, 1u);
}

TEST_F(RaftTransportTest, AWrongKeyIsRefused) {
  const int leader = electLeader();
  ASSERT_GE(leader, 0);
  const uint64_t term = nodes_[leader].elector->term();
  const int victim = (leader + 1) % kNodes;
  ClusterKey wrong = testKey();
  wrong[0] ^= 0xff;
  Transcript t;
  t.client_id = raftIdOfNode(victim);
  t.server_id = raftIdOfNode(leader);
  t.client_nonce.fill(7);
  RawPeer forger("127.0.0.1", nodes_[leader].peer.port);
  forger.send(encodeHello({t.client_id, t.client_nonce}));
  ASSERT_TRUE(runUntil(
      [&] { return forger.closed() || forger.received().size() >= kChallengeSize; }, seconds(2)));
  auto challenge = decodeChallenge(bytesOf(forger.received().substr(0, kChallengeSize)));
  ASSERT_TRUE(challenge);
  t.server_nonce = challenge->server_nonce;
  EXPECT_FALSE(sameTag(serverProof(wrong, t), challenge->server_proof));
  EXPECT_TRUE(sameTag(serverProof(testKey(), t), challenge->server_proof));
  forger.send(clientProof(wrong, t));
  std::string frames;
  FrameSealer sealer(deriveSessionKeys(wrong, t).client_to_server);
  sealer.seal(bytesOf(libraftPreamble(t.client_id, addressOf(victim)) +
                      requestVote(term + 100, t.client_id, false)),
              frames);
  forger.send(frames);
  EXPECT_TRUE(runUntil([&] { return forger.closed(); }, seconds(2)));
  runUntil([] { return false; }, milliseconds(200));
  EXPECT_EQ(nodes_[leader].elector->term(), term);
  EXPECT_EQ(leaderIndex(), leader);
  EXPECT_GE(nodes_[leader].elector->transportStats().refused_handshakes, 1u);
}

// A recorded session of a key holder: replaying a frame inside it, or the whole session on a new
// connection, is refused.
TEST_F(RaftTransportTest, ReplayedFramesAndSessionsAreRejected) {
  const int leader = electLeader();
  ASSERT_GE(leader, 0);
  const uint64_t term = nodes_[leader].elector->term();
  const int member = (leader + 1) % kNodes;
  Transcript t;
  t.client_id = raftIdOfNode(member);
  t.server_id = raftIdOfNode(leader);
  t.client_nonce.fill(9);

  RawPeer session("127.0.0.1", nodes_[leader].peer.port);
  session.send(encodeHello({t.client_id, t.client_nonce}));
  ASSERT_TRUE(runUntil(
      [&] { return session.closed() || session.received().size() >= kChallengeSize; }, seconds(2)));
  auto challenge = decodeChallenge(bytesOf(session.received().substr(0, kChallengeSize)));
  ASSERT_TRUE(challenge);
  t.server_nonce = challenge->server_nonce;
  session.send(clientProof(testKey(), t));
  FrameSealer sealer(deriveSessionKeys(testKey(), t).client_to_server);
  std::string first_frame;
  sealer.seal(bytesOf(libraftPreamble(t.client_id, addressOf(member))), first_frame);
  session.send(first_frame);
  runUntil([] { return false; }, milliseconds(200));
  ASSERT_FALSE(session.closed()) << "a key holder's session is accepted";
  const auto before = nodes_[leader].elector->transportStats();

  session.send(first_frame);  // the same frame again
  EXPECT_TRUE(runUntil([&] { return session.closed(); }, seconds(2)));
  EXPECT_EQ(nodes_[leader].elector->transportStats().refused_frames, before.refused_frames + 1);

  RawPeer replay("127.0.0.1", nodes_[leader].peer.port);
  replay.send(session.sent());  // hello, proof and frames as recorded
  EXPECT_TRUE(runUntil([&] { return replay.closed(); }, seconds(2)));
  EXPECT_EQ(nodes_[leader].elector->transportStats().refused_handshakes,
            before.refused_handshakes + 1);
  runUntil([] { return false; }, milliseconds(200));
  EXPECT_EQ(nodes_[leader].elector->term(), term);
  EXPECT_EQ(leaderIndex(), leader);
}

// Forged AppendEntries results in the leader's term, claiming to come from its followers, must not
// keep its lease alive once the real followers are gone.
TEST_F(RaftTransportTest, ForgedResultsDoNotKeepALeaseAlive) {
  const int leader = electLeader();
  ASSERT_GE(leader, 0);
  const uint64_t term = nodes_[leader].elector->term();
  const int f1 = (leader + 1) % kNodes;
  const int f2 = (leader + 2) % kNodes;
  std::vector<std::unique_ptr<RawPeer>> forgers;
  auto forge = [&] {
    for (int f : {f1, f2}) {
      auto p = std::make_unique<RawPeer>("127.0.0.1", nodes_[leader].peer.port);
      std::string bytes = libraftPreamble(raftIdOfNode(f), addressOf(f));
      for (int k = 0; k < 8; ++k) bytes += appendEntriesResult(term, 1);
      p->send(bytes);
      forgers.push_back(std::move(p));
    }
  };
  stopNode(f1);
  stopNode(f2);
  const SteadyTime t0 = loop_->time().now();
  auto forger_timer = loop_->time().createTimer();
  std::function<void()> tick = [&] {
    forge();
    forger_timer->start(milliseconds(20), tick);
  };
  tick();
  EXPECT_TRUE(runUntil([&] { return nodes_[leader].stopped > 0; }, seconds(3)))
      << "forged results kept the lease alive";
  forger_timer->stop();
  std::printf("[ measured ] stopped leading %lld ms after its followers left\n",
              static_cast<long long>(
                  std::chrono::duration_cast<milliseconds>(loop_->time().now() - t0).count()));
  EXPECT_GE(nodes_[leader].elector->transportStats().refused_handshakes, 2u);
}

// The TCP connections of this process between the cluster's members (either end on a member's
// port), for checking their socket options. Listening sockets have no peer and are left out.
std::vector<int> memberConnectionFds(const std::set<uint16_t>& member_ports) {
  std::vector<int> fds;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::atoi(entry.path().filename().c_str());
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_in local{};
    sockaddr_in peer{};
    socklen_t local_len = sizeof local;
    socklen_t peer_len = sizeof peer;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0 ||
        ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0 ||
        local.sin_family != AF_INET) {
      continue;
    }
    if (member_ports.count(ntohs(local.sin_port)) + member_ports.count(ntohs(peer.sin_port)) > 0) {
      fds.push_back(fd);
    }
  }
  return fds;
}

// A member whose link or power is lost leaves our connections to it open; when it comes back
// with a new process, nothing reaches it until the connection closes (raft_transport.h, "Members
// that vanish"). Every connection, accepted or made, plain or keyed, must close once its data
// stays unacknowledged for dead_peer_timeout, and must probe its peer when idle.
TEST_F(RaftTransportTest, EveryConnectionClosesWhenItsPeerStopsAcknowledging) {
  for (const bool keyed : {false, true}) {
    SCOPED_TRACE(keyed ? "with a cluster key" : "without a cluster key");
    with_key_ = keyed;
    const int leader = electLeader();
    ASSERT_GE(leader, 0);
    runUntil([] { return false; }, milliseconds(300));  // every follower has answered the leader
    std::set<uint16_t> ports;
    for (const auto& n : nodes_) ports.insert(n.peer.port);
    const auto fds = memberConnectionFds(ports);
    // Both ends of the leader's connection to each follower and of theirs back to it.
    EXPECT_GE(fds.size(), 8u);
    for (const int fd : fds) {
      unsigned user_timeout = 0;
      int keepalive = 0;
      int idle = 0;
      int interval = 0;
      socklen_t len = sizeof user_timeout;
      ASSERT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, &len), 0);
      len = sizeof keepalive;
      ASSERT_EQ(::getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &keepalive, &len), 0);
      len = sizeof idle;
      ASSERT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, &len), 0);
      len = sizeof interval;
      ASSERT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, &len), 0);
      EXPECT_EQ(user_timeout, 3000u) << "fd " << fd;
      EXPECT_EQ(keepalive, 1) << "fd " << fd;
      EXPECT_EQ(idle, 1) << "fd " << fd;
      EXPECT_EQ(interval, 1) << "fd " << fd;
    }
    for (int i = 0; i < kNodes; ++i) stopNode(i);
    std::filesystem::remove_all(dir_);
  }
}

}  // namespace
}  // namespace kubevip::election

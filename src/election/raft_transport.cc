#include "election/raft_transport.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

#include "common/log.h"

namespace kubevip::election {
namespace {

using peer_auth::ClusterKey;

constexpr uint64_t kLibraftProtocol = 1;   // UV__TCP_HANDSHAKE_PROTOCOL of libraft's transport
constexpr std::size_t kPreambleHead = 24;  // protocol, id, address length (little endian)
constexpr std::size_t kMaxAddress = 256;
constexpr std::size_t kReadChunk = std::size_t{64} * 1024;

void putLe64(uint64_t v, std::string& out) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t getLe64(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | in[i];
  return v;
}

// libraft's connection preamble: what its own TCP transport writes after connecting.
std::string encodePreamble(uint64_t id, const std::string& address) {
  const std::size_t padded = (address.size() + 1 + 7) / 8 * 8;
  std::string out;
  putLe64(kLibraftProtocol, out);
  putLe64(id, out);
  putLe64(padded, out);
  out += address;
  out.append(padded - address.size(), '\0');
  return out;
}

std::string ipOf(const std::string& address) { return address.substr(0, address.find(':')); }

// Sets the options that close a connection to a member that vanished (raft_transport.h, "Members
// that vanish"). Returns the errno of the first that fails.
int setVanishedPeerOptions(uv_tcp_t* tcp, std::chrono::milliseconds dead_peer_timeout) {
  uv_os_fd_t fd = -1;
  if (int rv = uv_fileno(reinterpret_cast<uv_handle_t*>(tcp), &fd); rv != 0) return -rv;
  const int on = 1;
  const int idle = static_cast<int>(kKeepaliveIdle.count());
  const auto user_timeout = static_cast<unsigned>(dead_peer_timeout.count());
  if (::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0 ||
      ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) != 0 ||
      ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof idle) != 0 ||
      ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout) != 0) {
    return errno;
  }
  return 0;
}

struct WriteRequest {
  uv_write_t req{};
  std::string data;
};

// Queues `data` on `stream`. Errors surface on the read side, which closes the connection.
void writeBytes(uv_stream_t* stream, std::string data) {
  auto* w = new WriteRequest{{}, std::move(data)};
  w->req.data = w;
  uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  if (uv_write(&w->req, stream, &buf, 1,
               [](uv_write_t* r, int) { delete static_cast<WriteRequest*>(r->data); }) != 0) {
    delete w;
  }
}

class Transport;

// One connection from accept/connect until libraft owns it (plain), or for its whole life (keyed).
struct Conn {
  enum class Phase { kConnecting, kExactRead, kBridged, kClosing };
  Transport* t = nullptr;
  bool outgoing = false;
  Phase phase = Phase::kConnecting;
  std::string peer_ip;
  uint64_t peer_id = 0;  // the member we connect to, or the one the peer proved / claimed
  // Handles; nullptr once handed to libraft or never created.
  uv_tcp_t* tcp = nullptr;
  uv_timer_t* timer = nullptr;
  uv_pipe_t* bridge = nullptr;    // our end of the socketpair
  uv_pipe_t* raft_end = nullptr;  // libraft's end, until handed over
  int open_handles = 0;
  bool handed = false;
  int connect_status = 0;  // for a failed outgoing connection: what libraft's callback gets
  uv_connect_t connect_req{};
  struct raft_uv_connect* req = nullptr;
  raft_uv_connect_cb cb = nullptr;
  // Exact reads (handshake, plain preamble): never read past what the phase needs.
  std::array<uint8_t, kMaxAddress + peer_auth::kChallengeSize> exact{};
  std::size_t want = 0;
  std::size_t have = 0;
  void (Transport::*on_exact)(Conn*) = nullptr;
  // Keyed mode.
  peer_auth::Nonce my_nonce{};
  peer_auth::Transcript transcript;
  std::optional<peer_auth::FrameSealer> sealer;
  std::optional<peer_auth::FrameOpener> opener;
  std::string preamble;  // incoming keyed: libraft's preamble, read from opened frames
  uint64_t preamble_address_len = 0;
  std::vector<char> read_buffer;
};

class Transport {
 public:
  Transport(uv_loop_t* loop, RaftTransportOptions options)
      : loop_(loop), options_(std::move(options)) {
    if (!options_.random_bytes) {
      options_.random_bytes = [](std::span<uint8_t> out) {
        // The kernel's CSPRNG (getrandom(2), through libuv), which also seeds OpenSSL's
        // RAND_bytes; RAND_bytes itself would set up OpenSSL 3's provider tables for 16 bytes
        // per connection (see hmac_sha256.h). It fails only without an entropy source; a zero
        // nonce still cannot be used to forge a proof without the key, it only weakens replay
        // protection, so abort instead.
        if (uv_random(nullptr, nullptr, out.data(), out.size(), 0, nullptr) != 0) std::abort();
      };
    }
  }

  RaftTransportStats stats;

  int init(uint64_t id, const char* address) {
    self_address_ = address;
    (void)id;
    return 0;
  }

  int listen(struct raft_uv_transport* t, raft_uv_accept_cb cb) {
    uv_t_ = t;
    accept_cb_ = cb;
    struct sockaddr_in addr {};
    const std::string ip = ipOf(self_address_);
    const int port = std::atoi(self_address_.substr(self_address_.find(':') + 1).c_str());
    if (uv_ip4_addr(ip.c_str(), port, &addr) != 0) return RAFT_INVALID;
    listener_ = static_cast<uv_tcp_t*>(raft_malloc(sizeof(uv_tcp_t)));
    if (listener_ == nullptr) return RAFT_NOMEM;
    uv_tcp_init(loop_, listener_);
    listener_->data = this;
    if (uv_tcp_bind(listener_, reinterpret_cast<const sockaddr*>(&addr), 0) != 0 ||
        uv_listen(reinterpret_cast<uv_stream_t*>(listener_), 16, &Transport::onConnection) != 0) {
      std::snprintf(uv_t_->errmsg, sizeof uv_t_->errmsg, "cannot listen on %s",
                    self_address_.c_str());
      closeListener();
      return RAFT_IOERR;
    }
    return 0;
  }

  int connect(struct raft_uv_connect* req, uint64_t id, const char* address,
              raft_uv_connect_cb cb) {
    struct sockaddr_in addr {};
    const std::string text = address;
    const int port = std::atoi(text.substr(text.find(':') + 1).c_str());
    if (uv_ip4_addr(ipOf(text).c_str(), port, &addr) != 0) return RAFT_NOCONNECTION;
    auto* c = newConn(true);
    c->req = req;
    c->cb = cb;
    c->peer_id = id;
    c->peer_ip = ipOf(text);
    c->connect_req.data = c;
    if (uv_tcp_connect(&c->connect_req, c->tcp, reinterpret_cast<const sockaddr*>(&addr),
                       &Transport::onConnected) != 0) {
      c->cb = nullptr;  // failed synchronously: libraft retries, no callback
      closeConn(c);
      return RAFT_NOCONNECTION;
    }
    return 0;
  }

  void close(raft_uv_transport_close_cb cb) {
    closing_ = true;
    close_cb_ = cb;
    closeListener();
    for (Conn* c : std::set<Conn*>(conns_)) {
      if (c->outgoing && !c->handed) c->connect_status = RAFT_CANCELED;
      closeConn(c);
    }
    maybeFireClose();
  }

 private:
  // ---- connection set-up -----------------------------------------------------------------------

  Conn* newConn(bool outgoing) {
    auto* c = new Conn;
    c->t = this;
    c->outgoing = outgoing;
    c->tcp = static_cast<uv_tcp_t*>(raft_malloc(sizeof(uv_tcp_t)));
    uv_tcp_init(loop_, c->tcp);
    c->tcp->data = c;
    // Frames are written as soon as libraft writes; Nagle would hold one back for a delayed ACK.
    if (options_.cluster_key) uv_tcp_nodelay(c->tcp, 1);
    c->timer = static_cast<uv_timer_t*>(raft_malloc(sizeof(uv_timer_t)));
    uv_timer_init(loop_, c->timer);
    c->timer->data = c;
    c->open_handles = 2;
    uv_timer_start(
        c->timer,
        [](uv_timer_t* timer) {
          auto* conn = static_cast<Conn*>(timer->data);
          conn->t->refuse(conn, "handshake did not finish in time", true);
        },
        static_cast<uint64_t>(options_.handshake_timeout.count()), 0);
    conns_.insert(c);
    return c;
  }

  static void onConnection(uv_stream_t* server, int status) {
    auto* self = static_cast<Transport*>(server->data);
    if (status != 0 || self->closing_) return;
    self->accepted();
  }

  void accepted() {
    Conn* c = newConn(false);
    if (uv_accept(reinterpret_cast<uv_stream_t*>(listener_),
                  reinterpret_cast<uv_stream_t*>(c->tcp)) != 0) {
      closeConn(c);
      return;
    }
    struct sockaddr_storage ss {};
    int len = sizeof ss;
    char ip[64] = "";
    if (uv_tcp_getpeername(c->tcp, reinterpret_cast<sockaddr*>(&ss), &len) == 0 &&
        ss.ss_family == AF_INET) {
      uv_ip4_name(reinterpret_cast<const sockaddr_in*>(&ss), ip, sizeof ip);
    }
    c->peer_ip = ip;
    if (!isPeerIp(c->peer_ip)) {
      ++stats.refused_addresses;
      logOnce("address " + c->peer_ip,
              "raft transport: closed a connection from " +
                  (c->peer_ip.empty() ? std::string("a non-IPv4 address") : c->peer_ip) +
                  ", which is not a configured peer's address (logged once per address)");
      closeConn(c);
      return;
    }
    if (pendingIncoming() > kMaxPendingHandshakes) {
      refuse(c, "too many unfinished handshakes", true);
      return;
    }
    if (!detectVanishedPeer(c)) return;
    if (options_.cluster_key) {
      readExact(c, peer_auth::kHelloSize, &Transport::onHello);
    } else {
      readExact(c, kPreambleHead, &Transport::onPlainPreambleHead);
    }
  }

  static void onConnected(uv_connect_t* req, int status) {
    auto* c = static_cast<Conn*>(req->data);
    Transport* t = c->t;
    if (c->phase == Conn::Phase::kClosing) return;
    if (status != 0) {
      c->connect_status = RAFT_NOCONNECTION;
      t->closeConn(c);
      return;
    }
    if (!t->detectVanishedPeer(c)) return;
    if (!t->options_.cluster_key) {
      writeBytes(reinterpret_cast<uv_stream_t*>(c->tcp),
                 encodePreamble(t->options_.self_id, t->self_address_));
      t->handOverOutgoing(c, reinterpret_cast<uv_stream_t*>(c->tcp));
      return;
    }
    t->options_.random_bytes(c->my_nonce);
    const auto hello = peer_auth::encodeHello({t->options_.self_id, c->my_nonce});
    writeBytes(reinterpret_cast<uv_stream_t*>(c->tcp), std::string(hello.begin(), hello.end()));
    t->readExact(c, peer_auth::kChallengeSize, &Transport::onChallenge);
  }

  // True if c's socket got the options of "Members that vanish"; otherwise refuses c (a socket
  // that takes no TCP option is not one to rely on) and returns false.
  bool detectVanishedPeer(Conn* c) {
    const int error = setVanishedPeerOptions(c->tcp, options_.dead_peer_timeout);
    if (error == 0) return true;
    refuse(c, systemError("cannot set its dead-peer timeout and keepalive", error).describe(),
           false);
    return false;
  }

  // ---- plain mode ------------------------------------------------------------------------------

  void onPlainPreambleHead(Conn* c) {
    const uint64_t protocol = getLe64(c->exact.data());
    c->peer_id = getLe64(c->exact.data() + 8);
    const uint64_t len = getLe64(c->exact.data() + 16);
    if (protocol != kLibraftProtocol || len == 0 || len > kMaxAddress) {
      refuse(c, "not a Raft connection preamble", false);
      return;
    }
    readExact(c, len, &Transport::onPlainPreambleAddress);
  }

  void onPlainPreambleAddress(Conn* c) {
    const std::string* address = memberAddressFrom(c);
    if (address == nullptr) return;
    handOverIncoming(c, reinterpret_cast<uv_stream_t*>(c->tcp), *address);
  }

  // ---- keyed mode: handshake -------------------------------------------------------------------

  void onHello(Conn* c) {
    auto hello = peer_auth::decodeHello({c->exact.data(), peer_auth::kHelloSize});
    if (!hello) {
      refuse(c, "not a kube-vip Raft handshake", false);
      return;
    }
    c->peer_id = hello->client_id;
    if (memberAddressFrom(c) == nullptr) return;
    options_.random_bytes(c->my_nonce);
    c->transcript = {hello->client_id, options_.self_id, hello->client_nonce, c->my_nonce};
    const auto challenge = peer_auth::encodeChallenge(
        {c->my_nonce, peer_auth::serverProof(*options_.cluster_key, c->transcript)});
    writeBytes(reinterpret_cast<uv_stream_t*>(c->tcp),
               std::string(challenge.begin(), challenge.end()));
    readExact(c, peer_auth::kProofSize, &Transport::onClientProof);
  }

  void onClientProof(Conn* c) {
    const auto expected = peer_auth::clientProof(*options_.cluster_key, c->transcript);
    if (!peer_auth::sameTag(expected, {c->exact.data(), peer_auth::kProofSize})) {
      refuse(c, "the peer did not prove the cluster key", false);
      return;
    }
    const auto keys = peer_auth::deriveSessionKeys(*options_.cluster_key, c->transcript);
    c->sealer.emplace(keys.server_to_client);
    c->opener.emplace(keys.client_to_server);
    if (!startBridge(c)) return;
    // libraft's preamble arrives in the first frames; onFrames hands the stream over after it.
  }

  void onChallenge(Conn* c) {
    auto challenge = peer_auth::decodeChallenge({c->exact.data(), peer_auth::kChallengeSize});
    if (!challenge) {
      refuse(c, "not a kube-vip Raft handshake", false);
      return;
    }
    c->transcript = {options_.self_id, c->peer_id, c->my_nonce, challenge->server_nonce};
    const auto expected = peer_auth::serverProof(*options_.cluster_key, c->transcript);
    if (!peer_auth::sameTag(expected, challenge->server_proof)) {
      refuse(c, "the peer did not prove the cluster key", false);
      return;
    }
    const auto keys = peer_auth::deriveSessionKeys(*options_.cluster_key, c->transcript);
    c->sealer.emplace(keys.client_to_server);
    c->opener.emplace(keys.server_to_client);
    if (!startBridge(c)) return;
    // The proof and libraft's preamble (in the first frame) in one write.
    const auto proof = peer_auth::clientProof(*options_.cluster_key, c->transcript);
    std::string out(proof.begin(), proof.end());
    const std::string preamble = encodePreamble(options_.self_id, self_address_);
    c->sealer->seal({reinterpret_cast<const uint8_t*>(preamble.data()), preamble.size()}, out);
    writeBytes(reinterpret_cast<uv_stream_t*>(c->tcp), std::move(out));
    auto* end = reinterpret_cast<uv_stream_t*>(c->raft_end);
    c->raft_end = nullptr;
    --c->open_handles;
    handOverOutgoing(c, end);
  }

  // ---- keyed mode: the bridge ------------------------------------------------------------------

  bool startBridge(Conn* c) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      refuse(c, systemError("socketpair", errno).describe(), true);
      return false;
    }
    c->bridge = static_cast<uv_pipe_t*>(raft_malloc(sizeof(uv_pipe_t)));
    c->raft_end = static_cast<uv_pipe_t*>(raft_malloc(sizeof(uv_pipe_t)));
    uv_pipe_init(loop_, c->bridge, 0);
    uv_pipe_init(loop_, c->raft_end, 0);
    c->bridge->data = c;
    c->raft_end->data = c;
    c->open_handles += 2;
    uv_pipe_open(c->bridge, fds[0]);
    uv_pipe_open(c->raft_end, fds[1]);
    c->phase = Conn::Phase::kBridged;
    c->read_buffer.resize(kReadChunk);
    uv_read_start(reinterpret_cast<uv_stream_t*>(c->tcp), &Transport::allocChunk,
                  &Transport::onSocketRead);
    uv_read_start(reinterpret_cast<uv_stream_t*>(c->bridge), &Transport::allocChunk,
                  &Transport::onBridgeRead);
    return true;
  }

  static void allocChunk(uv_handle_t* handle, size_t, uv_buf_t* buf) {
    auto* c = static_cast<Conn*>(handle->data);
    *buf = uv_buf_init(c->read_buffer.data(), static_cast<unsigned>(c->read_buffer.size()));
  }

  void sealAndSend(Conn* c, const char* data, std::size_t n) {
    std::string frames;
    c->sealer->seal({reinterpret_cast<const uint8_t*>(data), n}, frames);
    writeBytes(reinterpret_cast<uv_stream_t*>(c->tcp), std::move(frames));
  }

  // libraft wrote: seal it onto the socket.
  static void onBridgeRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    auto* c = static_cast<Conn*>(stream->data);
    if (nread == 0 || c->phase == Conn::Phase::kClosing) return;
    if (nread < 0) {
      c->t->closeConn(c);
      return;
    }
    c->t->sealAndSend(c, buf->base, static_cast<std::size_t>(nread));
  }

  // The peer wrote: check the frames, pass on what passed.
  static void onSocketRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    auto* c = static_cast<Conn*>(stream->data);
    if (nread == 0 || c->phase == Conn::Phase::kClosing) return;
    if (nread < 0) {
      c->t->closeConn(c);
      return;
    }
    c->t->onFrames(c, {reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread)});
  }

  void onFrames(Conn* c, std::span<const uint8_t> bytes) {
    std::string plain;
    if (auto st = c->opener->open(bytes, plain); !st) {
      ++stats.refused_frames;
      logOnce("frames " + c->peer_ip, "raft transport: closed the connection with " +
                                          memberName(c->peer_id) + " at " + c->peer_ip + ": " +
                                          st.error().message + " (logged once per address)");
      closeConn(c);
      return;
    }
    if (plain.empty()) return;
    if (!c->outgoing && !c->handed) {
      // libraft's preamble comes first; it must name the member that proved itself.
      c->preamble += plain;
      plain.clear();
      if (c->preamble.size() < kPreambleHead) return;
      const auto* head = reinterpret_cast<const uint8_t*>(c->preamble.data());
      const uint64_t len = getLe64(head + 16);
      if (getLe64(head) != kLibraftProtocol || getLe64(head + 8) != c->peer_id || len == 0 ||
          len > kMaxAddress) {
        refuse(c, "a Raft preamble that does not match the proven member", false);
        return;
      }
      if (c->preamble.size() < kPreambleHead + len) return;
      plain = c->preamble.substr(kPreambleHead + len);
      const std::string* address = memberAddress(c->peer_id);
      auto* end = reinterpret_cast<uv_stream_t*>(c->raft_end);
      c->raft_end = nullptr;
      --c->open_handles;
      handOverIncoming(c, end, *address);
      if (c->phase == Conn::Phase::kClosing) return;
    }
    if (!plain.empty()) writeBytes(reinterpret_cast<uv_stream_t*>(c->bridge), std::move(plain));
  }

  // ---- hand-over -------------------------------------------------------------------------------

  void handOverOutgoing(Conn* c, uv_stream_t* stream) {
    c->handed = true;
    uv_timer_stop(c->timer);
    if (stream == reinterpret_cast<uv_stream_t*>(c->tcp)) {
      c->tcp = nullptr;  // libraft's now
      --c->open_handles;
    }
    auto cb = c->cb;
    c->cb = nullptr;
    if (!c->bridge) forget(c);  // plain: nothing of ours is left but the timer
    cb(c->req, stream, 0);
  }

  void handOverIncoming(Conn* c, uv_stream_t* stream, const std::string& address) {
    c->handed = true;
    uv_timer_stop(c->timer);
    ++stats.connections_accepted;
    if (stream == reinterpret_cast<uv_stream_t*>(c->tcp)) {
      uv_read_stop(stream);
      c->tcp = nullptr;
      --c->open_handles;
    }
    const uint64_t id = c->peer_id;
    if (!c->bridge) forget(c);
    accept_cb_(uv_t_, id, address.c_str(), stream);
  }

  // ---- reading exactly n bytes -----------------------------------------------------------------

  void readExact(Conn* c, std::size_t n, void (Transport::*next)(Conn*)) {
    c->phase = Conn::Phase::kExactRead;
    c->want = n;
    c->have = 0;
    c->on_exact = next;
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(c->tcp),
        [](uv_handle_t* handle, size_t, uv_buf_t* buf) {
          auto* conn = static_cast<Conn*>(handle->data);
          *buf = uv_buf_init(reinterpret_cast<char*>(conn->exact.data()) + conn->have,
                             static_cast<unsigned>(conn->want - conn->have));
        },
        [](uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
          auto* conn = static_cast<Conn*>(stream->data);
          if (nread == 0 || conn->phase != Conn::Phase::kExactRead) return;
          Transport* t = conn->t;
          if (nread < 0) {
            t->refuse(conn, "closed during the handshake", true);
            return;
          }
          conn->have += static_cast<std::size_t>(nread);
          if (conn->have < conn->want) return;
          uv_read_stop(stream);
          (t->*(conn->on_exact))(conn);
        });
  }

  // ---- refusing and closing --------------------------------------------------------------------

  // The configured address of c->peer_id if it is another member whose address is the source
  // address; otherwise refuses the connection and returns nullptr.
  const std::string* memberAddressFrom(Conn* c) {
    const std::string* address = memberAddress(c->peer_id);
    if (address == nullptr || c->peer_id == options_.self_id || ipOf(*address) != c->peer_ip) {
      refuse(c,
             "claims to be member id " + std::to_string(c->peer_id) +
                 ", which is no other member configured at this address",
             false);
      return nullptr;
    }
    return address;
  }

  void refuse(Conn* c, const std::string& why, bool quiet) {
    if (c->phase == Conn::Phase::kClosing) return;
    ++stats.refused_handshakes;
    const std::string text =
        "raft transport: closed " +
        std::string(c->outgoing ? "our connection to " : "a connection from ") + c->peer_ip + ": " +
        why;
    if (quiet) {
      spdlog::debug("{}", text);
    } else {
      logOnce("handshake " + c->peer_ip + " " + why, text + " (logged once per address)");
    }
    if (c->outgoing && !c->handed) c->connect_status = RAFT_NOCONNECTION;
    closeConn(c);
  }

  void closeConn(Conn* c) {
    if (c->phase == Conn::Phase::kClosing) return;
    c->phase = Conn::Phase::kClosing;
    auto closeHandle = [c](uv_handle_t* h) {
      if (h == nullptr) return;
      h->data = c;
      uv_close(h, [](uv_handle_t* handle) {
        auto* conn = static_cast<Conn*>(handle->data);
        raft_free(handle);
        if (--conn->open_handles == 0) conn->t->finish(conn);
      });
    };
    if (c->open_handles == 0) {
      finish(c);
      return;
    }
    closeHandle(reinterpret_cast<uv_handle_t*>(c->tcp));
    closeHandle(reinterpret_cast<uv_handle_t*>(c->timer));
    closeHandle(reinterpret_cast<uv_handle_t*>(c->bridge));
    closeHandle(reinterpret_cast<uv_handle_t*>(c->raft_end));
  }

  // Every handle of c is closed.
  void finish(Conn* c) {
    if (c->outgoing && !c->handed && c->cb != nullptr) {
      c->cb(c->req, nullptr, c->connect_status != 0 ? c->connect_status : RAFT_NOCONNECTION);
    }
    conns_.erase(c);
    delete c;
    maybeFireClose();
  }

  // A plain connection handed over: only its timer is left to close.
  void forget(Conn* c) {
    c->phase = Conn::Phase::kClosing;
    c->cb = nullptr;
    c->timer->data = c;
    uv_close(reinterpret_cast<uv_handle_t*>(c->timer), [](uv_handle_t* handle) {
      auto* conn = static_cast<Conn*>(handle->data);
      raft_free(handle);
      conn->t->finish(conn);
    });
    c->timer = nullptr;
  }

  void closeListener() {
    if (listener_ == nullptr || listener_closing_) return;
    listener_closing_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(listener_), [](uv_handle_t* handle) {
      auto* self = static_cast<Transport*>(handle->data);
      raft_free(handle);
      self->listener_ = nullptr;
      self->maybeFireClose();
    });
  }

  void maybeFireClose() {
    if (!closing_ || !conns_.empty() || listener_ != nullptr || close_cb_ == nullptr) return;
    auto cb = close_cb_;
    close_cb_ = nullptr;
    cb(uv_t_);
  }

  // ---- lookups ---------------------------------------------------------------------------------

  bool isPeerIp(const std::string& ip) const {
    for (const auto& m : options_.members) {
      if (m.raft_id != options_.self_id && ipOf(m.address) == ip) return true;
    }
    return false;
  }

  const std::string* memberAddress(uint64_t id) const {
    for (const auto& m : options_.members) {
      if (m.raft_id == id) return &m.address;
    }
    return nullptr;
  }

  std::string memberName(uint64_t id) const {
    for (const auto& m : options_.members) {
      if (m.raft_id == id) return m.id;
    }
    return "an unknown member";
  }

  int pendingIncoming() const {
    int n = 0;
    for (const Conn* c : conns_) n += (!c->outgoing && !c->handed) ? 1 : 0;
    return n;
  }

  void logOnce(const std::string& key, const std::string& text) {
    if (!logged_.insert(key).second) return;
    spdlog::warn("{}", text);
  }

 public:
  struct raft_uv_transport* uv_t_ = nullptr;

 private:
  uv_loop_t* loop_;
  RaftTransportOptions options_;
  std::string self_address_;
  uv_tcp_t* listener_ = nullptr;  // until its close callback
  bool listener_closing_ = false;
  raft_uv_accept_cb accept_cb_ = nullptr;
  raft_uv_transport_close_cb close_cb_ = nullptr;
  bool closing_ = false;
  std::set<Conn*> conns_;
  std::set<std::string> logged_;
};

Transport* impl(struct raft_uv_transport* t) { return static_cast<Transport*>(t->impl); }

}  // namespace

Status raftTransportInit(struct raft_uv_transport* transport, uv_loop_t* loop,
                         RaftTransportOptions options) {
  auto* t = new Transport(loop, std::move(options));
  transport->impl = t;
  t->uv_t_ = transport;
  transport->init = [](struct raft_uv_transport* tr, raft_id id, const char* address) {
    return impl(tr)->init(id, address);
  };
  transport->listen = [](struct raft_uv_transport* tr, raft_uv_accept_cb cb) {
    return impl(tr)->listen(tr, cb);
  };
  transport->connect = [](struct raft_uv_transport* tr, struct raft_uv_connect* req, raft_id id,
                          const char* address, raft_uv_connect_cb cb) {
    return impl(tr)->connect(req, id, address, cb);
  };
  transport->close = [](struct raft_uv_transport* tr, raft_uv_transport_close_cb cb) {
    impl(tr)->close(cb);
  };
  return okStatus();
}

void raftTransportDestroy(struct raft_uv_transport* transport) {
  delete impl(transport);
  transport->impl = nullptr;
}

RaftTransportStats raftTransportStats(const struct raft_uv_transport* transport) {
  if (transport->impl == nullptr) return {};  // already destroyed
  return static_cast<const Transport*>(transport->impl)->stats;
}

}  // namespace kubevip::election

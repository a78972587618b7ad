// The TCP connections a BGP speaker runs its sessions over, as an interface: the session code
// (session.h, speaker.h) never touches a socket, and its tests drive it with in-memory
// connections. linux/tcp_transport.cc implements it with non-blocking sockets on the event loop.
//
// What the transport owns, because only a socket can do it:
// - TCP MD5 signatures (RFC 2385, Linux TCP_MD5SIG), set before connect() on an outgoing socket
//   and per peer address on a listening one;
// - the TTL (IPv4) / hop limit (IPv6) of our packets: 1 for a directly connected peer, the
//   configured value for eBGP multihop (RFC 4271 §5.1.3 discusses the multihop next hop);
// - the source address and the interface a session is bound to;
// - a listening socket that accepts only configured peers.
// Threading: everything runs on the loop thread; every callback comes from the loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/event_loop.h"
#include "common/ip_address.h"
#include "common/result.h"

namespace kubevip::bgp {

// One established TCP connection. Destroying it closes the socket at once (queued bytes that
// were not yet handed to the kernel are dropped).
class Connection {
 public:
  struct Handlers {
    // Bytes as they arrive, in order; the span is valid during the call only.
    std::function<void(std::span<const uint8_t>)> received;
    // The peer closed the connection or it failed; `why` is one line for the log. Called at most
    // once, never after the Connection was destroyed, and never from inside send().
    std::function<void(const std::string& why)> closed;
  };

  virtual ~Connection() = default;
  virtual void setHandlers(Handlers handlers) = 0;
  // Queues bytes; they go to the kernel as the socket accepts them. An error means the
  // connection failed (closed() follows from the loop).
  virtual Status send(std::span<const uint8_t> bytes) = 0;
  // Bytes accepted by send() and not yet handed to the kernel.
  virtual std::size_t queuedBytes() const = 0;
  // Hands every queued byte to the kernel, then shuts the connection down for writing (FIN) and
  // calls `done` (also when the connection fails first, or after `bound` without the queue
  // draining). The Connection may be destroyed from `done`.
  virtual void closeAfterFlush(std::chrono::milliseconds bound, std::function<void()> done) = 0;
  virtual IpAddress localAddress() const = 0;
  virtual uint16_t localPort() const = 0;
  virtual IpAddress remoteAddress() const = 0;
  virtual uint16_t remotePort() const = 0;
};

struct ConnectRequest {
  IpAddress peer;
  uint16_t port = 179;
  std::optional<IpAddress> source;  // bind() to it first; absent: the kernel's choice
  std::string bind_interface;       // SO_BINDTODEVICE; empty: none
  std::string md5_password;         // RFC 2385; empty: unsigned
  int ttl = 1;                      // IP_TTL / IPV6_UNICAST_HOPS of our packets
};

// An outgoing connection attempt; destroying it cancels the attempt (no callback after that).
class PendingConnect {
 public:
  virtual ~PendingConnect() = default;
};

// Exactly one call, on the loop: the connection, or why it could not be made.
using ConnectDone = std::function<void(Result<std::unique_ptr<Connection>>)>;

struct ListenPeer {
  IpAddress address;
  std::string md5_password;  // empty: unsigned
  int ttl = 1;               // of our packets on connections accepted from it
};

struct ListenRequest {
  uint16_t port = 179;
  std::optional<IpAddress> address;  // absent: every address of both families
  std::string bind_interface;        // empty: none
  std::vector<ListenPeer> peers;     // connections from any other address are closed at once
};

// A listening socket; destroying it closes it.
class Listener {
 public:
  virtual ~Listener() = default;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual std::unique_ptr<PendingConnect> connect(const ConnectRequest& request,
                                                  ConnectDone done) = 0;
  // `accepted` gets each connection from a listed peer (with that peer's TTL applied).
  virtual Result<std::unique_ptr<Listener>> listen(
      const ListenRequest& request, std::function<void(std::unique_ptr<Connection>)> accepted) = 0;
};

Result<std::unique_ptr<Transport>> createTcpTransport(EventLoop& loop);

}  // namespace kubevip::bgp

// A server thread that answers one request per connection, with every resource bounded: the HTTP
// server and the control socket are this loop with their own protocol.
//
// The thread polls its listening sockets and its connections. A connection is admitted (admit may
// refuse it with a last word), reads until answer() returns a response or the request outgrows
// max_request_bytes, writes the response, half-closes and drains what the peer still sends (so
// that the kernel does not answer unread bytes with a reset that destroys the response), then
// closes. Every connection has one deadline, `timeout` after it was accepted and again after its
// response began: a peer that stalls or reads slowly costs one slot for at most that long. Beyond
// max_connections, a new connection is closed at once without reading it. When accept() fails for
// want of descriptors or memory, the listeners rest for 100 ms instead of spinning.
//
// Threading: the protocol callbacks run on the server thread, one at a time; a slow answer()
// delays the other connections (their deadlines are enforced when it returns). Destroying the
// server stops the thread, after a callback that is running returns, and closes every socket.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.h"
#include "common/time_source.h"
#include "common/unique_fd.h"

namespace kubevip::ops::linux_io {

struct OneShotProtocol {
  // Bytes received so far: nullopt to read more, or the response to send before closing.
  std::function<std::optional<std::string>(std::string_view received)> answer;
  // Sent (best effort) when the deadline passes before a response; empty closes silently.
  std::string timeout_response;
  // Asked once per accepted connection: nullopt serves it, a string refuses it with that answer.
  std::function<std::optional<std::string>(int fd)> admit;
  // answer() is expected to refuse a request this long; the server never buffers more than one
  // byte beyond it, and closes the connection if answer() still asks for more.
  size_t max_request_bytes = size_t{8} * 1024;
  Duration timeout = seconds(5);
  size_t max_connections = 64;
};

struct OneShotStats {
  uint64_t accepted = 0;
  uint64_t refused_over_limit = 0;  // closed at once: max_connections were open
  uint64_t timed_out = 0;
  uint64_t answered = 0;
  uint64_t accept_pauses = 0;  // accept() short of descriptors or memory: listeners paused
  uint64_t poll_failures = 0;
};

class OneShotServer {
 public:
  // listeners: bound, listening, non-blocking sockets.
  static Result<std::unique_ptr<OneShotServer>> start(std::vector<UniqueFd> listeners,
                                                      OneShotProtocol protocol);
  ~OneShotServer();
  OneShotServer(const OneShotServer&) = delete;
  OneShotServer& operator=(const OneShotServer&) = delete;

  OneShotStats stats() const;

 private:
  struct Connection;
  OneShotServer(std::vector<UniqueFd> listeners, OneShotProtocol protocol, UniqueFd wakeup);
  void run();
  void acceptAll(int listener);
  // false when the connection is finished and must be closed.
  bool onReadable(Connection& connection);
  bool onWritable(Connection& connection);
  void respond(Connection& connection, std::string response);

  std::vector<UniqueFd> listeners_;
  OneShotProtocol protocol_;
  UniqueFd wakeup_;
  std::vector<std::unique_ptr<Connection>> connections_;  // server thread only
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> refused_over_limit_{0};
  std::atomic<uint64_t> timed_out_{0};
  std::atomic<uint64_t> answered_{0};
  std::atomic<uint64_t> accept_pauses_{0};
  std::atomic<uint64_t> poll_failures_{0};
  std::chrono::steady_clock::time_point accept_paused_until_;  // server thread only
  std::thread thread_;
};

}  // namespace kubevip::ops::linux_io

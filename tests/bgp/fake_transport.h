// An in-memory Transport for the speaker's tests: connect attempts wait until the test answers
// them, connections record what the speaker sends, and the test plays the peer's side through
// FakePeer (bytes in, messages out, close).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bgp/message_decoder.h"
#include "bgp/transport.h"

namespace kubevip::bgp::testing {

// What a FakeConnection shares with the test; it outlives the connection.
struct FakeLine {
  std::vector<uint8_t> sent;  // everything the speaker sent, in order
  std::size_t read = 0;       // how much of `sent` the test has taken
  Connection::Handlers handlers;
  bool destroyed = false;
  std::optional<std::chrono::milliseconds> close_bound;  // set once closeAfterFlush was called
  std::function<void()> close_done;
};

class FakeConnection final : public Connection {
 public:
  FakeConnection(std::shared_ptr<FakeLine> line, IpAddress local, IpAddress remote)
      : line_(std::move(line)), local_(local), remote_(remote) {}
  ~FakeConnection() override { line_->destroyed = true; }
  void setHandlers(Handlers handlers) override { line_->handlers = std::move(handlers); }
  Status send(std::span<const uint8_t> bytes) override;
  std::size_t queuedBytes() const override { return 0; }
  void closeAfterFlush(std::chrono::milliseconds bound, std::function<void()> done) override;
  IpAddress localAddress() const override { return local_; }
  uint16_t localPort() const override { return 40000; }
  IpAddress remoteAddress() const override { return remote_; }
  uint16_t remotePort() const override { return 179; }

 private:
  std::shared_ptr<FakeLine> line_;
  IpAddress local_;
  IpAddress remote_;
};

// The peer's end of one connection.
class FakePeer {
 public:
  FakePeer() = default;
  explicit FakePeer(std::shared_ptr<FakeLine> line) : line_(std::move(line)) {}

  void deliver(const std::vector<uint8_t>& bytes) const { line_->handlers.received(bytes); }
  void closeFromPeer(const std::string& why) const { line_->handlers.closed(why); }
  // The bytes the speaker sent since the last take.
  std::vector<uint8_t> takeBytes() const;
  // The same, decoded (four-octet AS numbers); a framing or decoding error fails the test.
  std::vector<Message> takeMessages() const;
  // closeAfterFlush was called; finishClose() runs its `done` as the transport would.
  bool closing() const { return line_->close_bound.has_value(); }
  std::chrono::milliseconds closeBound() const { return *line_->close_bound; }
  void finishClose() const;
  bool destroyed() const { return line_->destroyed; }

 private:
  std::shared_ptr<FakeLine> line_;
};

class FakeTransport final : public Transport {
 public:
  struct Attempt {
    ConnectRequest request;
    ConnectDone done;
    std::shared_ptr<bool> cancelled;
  };

  std::unique_ptr<PendingConnect> connect(const ConnectRequest& request, ConnectDone done) override;
  Result<std::unique_ptr<Listener>> listen(
      const ListenRequest& request,
      std::function<void(std::unique_ptr<Connection>)> accepted) override;

  // Answers the last connect attempt with a connection from `local`; returns the peer's end.
  FakePeer answer(const IpAddress& local);
  void refuseLast(const std::string& why);
  // A connection from `remote` arriving on the listener.
  FakePeer arrive(const IpAddress& remote, const IpAddress& local);

  std::vector<Attempt> attempts;
  std::optional<Error> listen_error;  // listen() fails with it
  std::optional<ListenRequest> listen_request;
  std::function<void(std::unique_ptr<Connection>)> accepted;
  std::shared_ptr<bool> listener_alive = std::make_shared<bool>(false);
};

}  // namespace kubevip::bgp::testing

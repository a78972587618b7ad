#include "bgp/fake_transport.h"

#include <gtest/gtest.h>

namespace kubevip::bgp::testing {
namespace {

class FakePending final : public PendingConnect {
 public:
  explicit FakePending(std::shared_ptr<bool> cancelled) : cancelled_(std::move(cancelled)) {}
  ~FakePending() override { *cancelled_ = true; }

 private:
  std::shared_ptr<bool> cancelled_;
};

class FakeListener final : public Listener {
 public:
  explicit FakeListener(std::shared_ptr<bool> alive) : alive_(std::move(alive)) { *alive_ = true; }
  ~FakeListener() override { *alive_ = false; }

 private:
  std::shared_ptr<bool> alive_;
};

}  // namespace

Status FakeConnection::send(std::span<const uint8_t> bytes) {
  line_->sent.insert(line_->sent.end(), bytes.begin(), bytes.end());
  return okStatus();
}

void FakeConnection::closeAfterFlush(std::chrono::milliseconds bound, std::function<void()> done) {
  line_->close_bound = bound;
  line_->close_done = std::move(done);
}

std::vector<uint8_t> FakePeer::takeBytes() const {
  std::vector<uint8_t> out(line_->sent.begin() + static_cast<std::ptrdiff_t>(line_->read),
                           line_->sent.end());
  line_->read = line_->sent.size();
  return out;
}

std::vector<Message> FakePeer::takeMessages() const {
  std::vector<uint8_t> bytes = takeBytes();
  std::vector<Message> out;
  std::span<const uint8_t> rest(bytes);
  while (!rest.empty()) {
    auto frame = findMessage(rest);
    if (!frame || !*frame) {
      ADD_FAILURE() << "the speaker sent bytes that do not frame: "
                    << (frame ? "incomplete" : frame.error().reason);
      return out;
    }
    auto message = decodeFrame(**frame, true);
    if (!message) {
      ADD_FAILURE() << "the speaker sent a message that does not decode: "
                    << message.error().reason;
      return out;
    }
    out.push_back(std::move(message).value());
    rest = rest.subspan((*frame)->length);
  }
  return out;
}

void FakePeer::finishClose() const {
  ASSERT_TRUE(line_->close_done) << "closeAfterFlush was not called";
  auto done = std::move(line_->close_done);
  line_->close_done = nullptr;
  done();
}

std::unique_ptr<PendingConnect> FakeTransport::connect(const ConnectRequest& request,
                                                       ConnectDone done) {
  auto cancelled = std::make_shared<bool>(false);
  attempts.push_back(Attempt{request, std::move(done), cancelled});
  return std::make_unique<FakePending>(cancelled);
}

Result<std::unique_ptr<Listener>> FakeTransport::listen(
    const ListenRequest& request, std::function<void(std::unique_ptr<Connection>)> on_accepted) {
  if (listen_error) return *listen_error;
  listen_request = request;
  accepted = std::move(on_accepted);
  return std::unique_ptr<Listener>(std::make_unique<FakeListener>(listener_alive));
}

FakePeer FakeTransport::answer(const IpAddress& local) {
  EXPECT_FALSE(attempts.empty());
  Attempt& attempt = attempts.back();
  EXPECT_FALSE(*attempt.cancelled) << "answering a cancelled connect attempt";
  auto line = std::make_shared<FakeLine>();
  attempt.done(std::unique_ptr<Connection>(
      std::make_unique<FakeConnection>(line, local, attempt.request.peer)));
  return FakePeer(line);
}

void FakeTransport::refuseLast(const std::string& why) {
  ASSERT_FALSE(attempts.empty());
  attempts.back().done(makeError(ErrorCode::kUnavailable, why));
}

FakePeer FakeTransport::arrive(const IpAddress& remote, const IpAddress& local) {
  auto line = std::make_shared<FakeLine>();
  EXPECT_TRUE(*listener_alive) << "no listener";
  accepted(std::make_unique<FakeConnection>(line, local, remote));
  return FakePeer(line);
}

}  // namespace kubevip::bgp::testing

// bgp::Connection over a connected non-blocking TCP socket, driven by the event loop.
//
// Reading: while received() is set and the connection is neither failed nor closing, the socket
// is watched for readability and whatever arrives is handed to received() in order.
// Writing: send() writes at once what the kernel takes and queues the rest; the socket is
// watched for writability only while the queue is not empty (a level-triggered watch on an
// always-writable socket would wake the loop for nothing).
// Failure: EOF or an error ends the connection; closed(why) is called once, always from a
// zero-delay timer on the loop, so never from inside send() nor setHandlers().
// closeAfterFlush: reading stops, the queue drains, shutdown(SHUT_WR) sends the FIN, then done()
// (from the loop); a failure or the bound ends it early. After closeAfterFlush only done() is
// called: the owner has already decided to close, so closed() would only repeat that.
// Destruction closes the socket at once; callbacks check a liveness flag, so a handler may
// destroy the connection and nothing of it is touched afterwards.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bgp/transport.h"
#include "common/unique_fd.h"

namespace kubevip::bgp::linux_tcp {

class TcpConnection final : public Connection {
 public:
  // Takes a connected socket; reads its addresses once (they cannot change, and getpeername
  // fails once the peer has reset the connection).
  static Result<std::unique_ptr<TcpConnection>> create(EventLoop& loop, UniqueFd fd);
  ~TcpConnection() override;

  void setHandlers(Handlers handlers) override;
  Status send(std::span<const uint8_t> bytes) override;
  std::size_t queuedBytes() const override { return queue_.size() - queue_head_; }
  void closeAfterFlush(std::chrono::milliseconds bound, std::function<void()> done) override;
  IpAddress localAddress() const override { return local_.address; }
  uint16_t localPort() const override { return local_.port; }
  IpAddress remoteAddress() const override { return remote_.address; }
  uint16_t remotePort() const override { return remote_.port; }

 private:
  TcpConnection(EventLoop& loop, UniqueFd fd, Endpoint local, Endpoint remote);
  void onEvents();
  // Returns false when the connection was destroyed by a handler.
  bool readAvailable();
  // Writes what the kernel takes; records the failure (without notifying) on an error.
  void writeQueued();
  void fail(std::string why);
  void updateWatch();
  // Runs the pending notification (closed or done) from a zero timer.
  void scheduleNotify();
  void notify();
  // drained: every queued byte reached the kernel, so the FIN may follow them.
  void finishFlush(bool drained);

  UniqueFd fd_;  // declared before the watcher: the watcher is destroyed first
  Endpoint local_;
  Endpoint remote_;
  std::unique_ptr<FdWatcher> watcher_;
  std::unique_ptr<Timer> notify_timer_;
  std::unique_ptr<Timer> flush_bound_timer_;
  Handlers handlers_;
  std::vector<uint8_t> queue_;
  std::size_t queue_head_ = 0;
  std::vector<uint8_t> read_buffer_;
  int watched_events_ = 0;
  bool failed_ = false;
  bool closed_notified_ = false;
  std::string failure_;
  bool flushing_ = false;
  bool flush_finished_ = false;
  std::function<void()> flush_done_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kubevip::bgp::linux_tcp

// ConflictProber over two packet sockets (reopening_packet_socket.h): probes go out on a
// send-only socket, and a receive socket filtered in the kernel to frames about the watched
// address (packet_filter.h) reads the answers. Because the probe leaves through another socket,
// the receive socket also gets the kernel's PACKET_OUTGOING copy of it, made when the device
// actually transmits it: seeing that copy proves the probe went out and that the receive path
// delivers what arrives after it. A probe whose copy has not come back by the next probe marks the
// receive socket broken, which reopens it.
#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "common/log.h"
#include "net/address_claim.h"
#include "net/announcer.h"
#include "net/arp.h"
#include "net/linux/packet_filter.h"
#include "net/linux/reopening_packet_socket.h"
#include "net/ndp.h"

namespace kubevip::net {
namespace {

// Frames read before a probe period is judged. The kernel filter passes only frames about the
// watched address, so a backlog this long means a flood of them; the period then does not count.
constexpr size_t kFramesBeforeJudging = 8 * ReopeningPacketSocket::kFramesPerTurn;

class PacketProber final : public ConflictProber {
 public:
  explicit PacketProber(IpAddress address) : address_(std::move(address)) {}
  ~PacketProber() override { *alive_ = false; }

  Status open(EventLoop& loop, const InterfaceInfo& iface) {
    auto sender = ReopeningPacketSocket::open(loop, iface, "probe", std::nullopt);
    if (!sender) return sender.error();
    sender_ = std::move(*sender);
    ReopeningPacketSocket::Receiving receiving{
        addressClaimFilter(address_),
        [this](std::span<const uint8_t> frame, bool outgoing) { handleFrame(frame, outgoing); },
        [this](const std::string& why) { framesLost("receive path: " + why); }, 0};
    auto receiver = ReopeningPacketSocket::open(loop, iface, "probe receive", std::move(receiving));
    if (!receiver) return receiver.error();
    receiver_ = std::move(*receiver);
    return {};
  }

  Status sendProbe() override {
    if (awaiting_copy_) {
      // The copy is made while the frame is sent, so it is queued by now unless something broke.
      // The caller judged that probe before sending this one, so its copy, read now, is not
      // reported: probe_seen would count for the new probe, which may never leave.
      std::shared_ptr<bool> alive = alive_;
      report_copy_ = false;
      receiver_->readQueued(kFramesBeforeJudging);
      if (!*alive) return makeError(ErrorCode::kInternal, "prober destroyed by its handler");
      report_copy_ = true;
      if (awaiting_copy_ && receiver_->working()) {
        // Reports frames lost, whose handler may destroy this prober.
        receiver_->markBroken("the previous probe was not seen leaving the interface");
        if (!*alive) return makeError(ErrorCode::kInternal, "prober destroyed by its handler");
      }
    }
    awaiting_copy_ = false;
    const MacAddress& own = sender_->interface().mac;
    last_probe_ = address_.isV4() ? encodeArpProbe(own, address_)
                                  : encodeDadNeighborSolicitation(own, address_);
    if (auto st = sender_->send(last_probe_); !st) return st;
    // Only a working receive socket can see the copy; without one the probe is simply unseen.
    awaiting_copy_ = receiver_->working();
    return {};
  }

  void readQueued() override {
    std::shared_ptr<bool> alive = alive_;
    const bool drained = receiver_->readQueued(kFramesBeforeJudging);
    if (*alive && !drained) framesLost("more frames queued than read before judging a probe");
  }

  void setHandlers(Handlers handlers) override { handlers_ = std::move(handlers); }

 private:
  void handleFrame(std::span<const uint8_t> frame, bool outgoing) {
    if (outgoing) {
      if (awaiting_copy_ &&
          std::equal(frame.begin(), frame.end(), last_probe_.begin(), last_probe_.end())) {
        awaiting_copy_ = false;
        if (report_copy_ && handlers_.probe_seen) handlers_.probe_seen();
      }
      return;
    }
    auto claim = claimInFrame(frame, receiver_->interface().mac);
    if (!claim) {
      spdlog::debug("{}: ignoring {}", receiver_->interface().name, claim.error().describe());
      return;
    }
    if (*claim && (*claim)->address == address_ && handlers_.claimed) {
      handlers_.claimed((*claim)->mac);
    }
  }

  void framesLost(const std::string& why) {
    awaiting_copy_ = false;
    if (handlers_.frames_lost) handlers_.frames_lost(why);
  }

  IpAddress address_;
  Handlers handlers_;
  std::vector<uint8_t> last_probe_;
  bool awaiting_copy_ = false;
  bool report_copy_ = true;  // false while sendProbe() reads what came before the new probe
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::unique_ptr<ReopeningPacketSocket> sender_;
  std::unique_ptr<ReopeningPacketSocket> receiver_;  // last: closes first
};

}  // namespace

Result<std::unique_ptr<ConflictProber>> createPacketProber(EventLoop& loop,
                                                           const InterfaceInfo& iface,
                                                           const IpAddress& address) {
  auto prober = std::make_unique<PacketProber>(address);
  if (auto st = prober->open(loop, iface); !st) return st.error();
  return std::unique_ptr<ConflictProber>(std::move(prober));
}

}  // namespace kubevip::net

// ConflictProberSet over one send socket and one receive socket per address family, shared by the
// probers of every watched address of an interface (announcer.h says why).
//
// Each prober keeps the rules of packet_prober.cc: its probe counts as sent only when the receive
// socket returned the kernel's PACKET_OUTGOING copy of it (the copies are told apart by their
// bytes: each probe names its own address), a probe whose copy did not come back marks the
// receive socket broken, and anything that may have cost frames (a broken or reopened socket, a
// drop by the kernel, a backlog longer than one judgement reads) is reported to every prober of
// that family. The receive filter passes every ARP frame, or every Neighbor Solicitation and
// Advertisement, and the set hands each claim to the prober of its address. Compared with a
// socket per address, a flood of ARP or NDP for other addresses now reaches this socket; it makes
// probes inconclusive (frames lost), which delays taking an address to its lifetime bound but
// never lets an answer go unnoticed.
#include <algorithm>
#include <map>
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

// Frames read before a probe period is judged: as for one prober (packet_prober.cc), plus room for
// the probe copies and answers of every prober sharing the socket.
constexpr size_t kFramesBeforeJudging = 8 * ReopeningPacketSocket::kFramesPerTurn;
constexpr size_t kFramesPerProber = 4;
// Room for a probe round of a few thousand addresses (each frame costs ~1 KiB of buffer).
constexpr int kReceiveBufferBytes = 8 << 20;

class SharedProbers;

class SharedProber final : public ConflictProber {
 public:
  SharedProber(SharedProbers& set, IpAddress address) : set_(set), address_(std::move(address)) {}
  ~SharedProber() override;

  Status sendProbe() override;
  void readQueued() override;
  void setHandlers(Handlers handlers) override { handlers_ = std::move(handlers); }

  const IpAddress& address() const { return address_; }
  void onCopy() {
    awaiting_copy_ = false;
    if (report_copy_ && handlers_.probe_seen) handlers_.probe_seen();
  }
  void onClaim(const MacAddress& mac) {
    if (handlers_.claimed) handlers_.claimed(mac);
  }
  void framesLost(const std::string& why) {
    awaiting_copy_ = false;
    if (handlers_.frames_lost) handlers_.frames_lost(why);
  }

 private:
  SharedProbers& set_;
  IpAddress address_;
  Handlers handlers_;
  bool awaiting_copy_ = false;
  bool report_copy_ = true;  // false while sendProbe() reads what came before the new probe
  std::vector<uint8_t> last_probe_;

 public:
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class SharedProbers final : public ConflictProberSet {
 public:
  SharedProbers(EventLoop& loop, InterfaceInfo iface) : loop_(loop), iface_(std::move(iface)) {}
  ~SharedProbers() override { *alive_ = false; }

  Status open() {
    auto sender = ReopeningPacketSocket::open(loop_, iface_, "probe", std::nullopt);
    if (!sender) return sender.error();
    sender_ = std::move(*sender);
    return {};
  }

  Result<std::unique_ptr<ConflictProber>> watch(const IpAddress& address) override {
    Family& family = familyOf(address);
    if (!family.receiver) {
      const IpFamily f = address.isV4() ? IpFamily::kV4 : IpFamily::kV6;
      ReopeningPacketSocket::Receiving receiving{
          anyAddressClaimFilter(f),
          [this, &family](std::span<const uint8_t> frame, bool outgoing) {
            handleFrame(family, frame, outgoing);
          },
          [this, &family](const std::string& why) { broadcastLost(family, why); },
          kReceiveBufferBytes};
      auto receiver =
          ReopeningPacketSocket::open(loop_, iface_, "shared probe receive", std::move(receiving));
      if (!receiver) return receiver.error();
      family.receiver = std::move(*receiver);
    }
    if (family.probers.count(address.toString()) != 0) {
      return makeError(ErrorCode::kInvalidArgument,
                       address.toString() + " is already watched on " + iface_.name);
    }
    auto prober = std::make_unique<SharedProber>(*this, address);
    family.probers[address.toString()] = prober.get();
    return std::unique_ptr<ConflictProber>(std::move(prober));
  }

  // For the probers.
  void forget(SharedProber& prober) {
    Family& family = familyOf(prober.address());
    family.probers.erase(prober.address().toString());
    std::erase_if(family.awaiting, [&](const auto& entry) { return entry.second == &prober; });
  }
  Status send(SharedProber& prober, const std::vector<uint8_t>& probe) {
    if (auto st = sender_->send(probe); !st) return st;
    Family& family = familyOf(prober.address());
    if (family.receiver->working()) family.awaiting[probe] = &prober;
    return {};
  }
  bool receiverWorking(const IpAddress& address) { return familyOf(address).receiver->working(); }
  // Reads what is queued; false when frames remain (the caller's period does not count).
  bool drain(const IpAddress& address, bool& destroyed) {
    std::shared_ptr<bool> alive = alive_;
    Family& family = familyOf(address);
    const bool drained = family.receiver->readQueued(kFramesBeforeJudging +
                                                     kFramesPerProber * family.probers.size());
    destroyed = !*alive;
    return drained;
  }
  void markBroken(const IpAddress& address, const std::string& why) {
    Family& family = familyOf(address);
    if (family.receiver->working()) family.receiver->markBroken(why);
  }
  const MacAddress& ownMac() const { return sender_->interface().mac; }
  void stopAwaiting(SharedProber& prober) {
    std::erase_if(familyOf(prober.address()).awaiting,
                  [&](const auto& entry) { return entry.second == &prober; });
  }

 private:
  struct Family {
    std::unique_ptr<ReopeningPacketSocket> receiver;
    std::map<std::string, SharedProber*> probers;  // by address
    // Probes sent and not yet seen leaving, by their bytes.
    std::map<std::vector<uint8_t>, SharedProber*> awaiting;
  };
  Family& familyOf(const IpAddress& address) { return address.isV4() ? v4_ : v6_; }

  void handleFrame(Family& family, std::span<const uint8_t> frame, bool outgoing) {
    if (outgoing) {
      auto it = family.awaiting.find(std::vector<uint8_t>(frame.begin(), frame.end()));
      if (it == family.awaiting.end()) return;
      SharedProber* prober = it->second;
      family.awaiting.erase(it);
      prober->onCopy();
      return;
    }
    auto claim = claimInFrame(frame, ownMac());
    if (!claim) {
      spdlog::debug("{}: ignoring {}", iface_.name, claim.error().describe());
      return;
    }
    if (!*claim) return;
    auto it = family.probers.find((*claim)->address.toString());
    if (it != family.probers.end()) it->second->onClaim((*claim)->mac);
  }

  void broadcastLost(Family& family, const std::string& why) {
    family.awaiting.clear();
    // A handler may destroy probers, and after the last one the set (with `family`): look each
    // prober up again before calling it, and stop once the set is gone.
    std::shared_ptr<bool> alive = alive_;
    std::vector<std::string> addresses;
    addresses.reserve(family.probers.size());
    for (const auto& [address, prober] : family.probers) addresses.push_back(address);
    for (const auto& address : addresses) {
      if (!*alive) return;
      auto it = family.probers.find(address);
      if (it != family.probers.end()) it->second->framesLost("receive path: " + why);
    }
  }

  EventLoop& loop_;
  InterfaceInfo iface_;
  std::unique_ptr<ReopeningPacketSocket> sender_;
  Family v4_;
  Family v6_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

SharedProber::~SharedProber() {
  *alive_ = false;
  set_.forget(*this);
}

Status SharedProber::sendProbe() {
  if (awaiting_copy_) {
    // The copy is made while the frame is sent, so it is queued by now unless something broke.
    // The caller judged that probe before sending this one, so its copy, read now, is not
    // reported: probe_seen would count for the new probe, which may never leave.
    bool destroyed = false;
    std::shared_ptr<bool> alive = alive_;
    report_copy_ = false;
    set_.drain(address_, destroyed);
    if (destroyed || !*alive) {
      return makeError(ErrorCode::kInternal, "prober destroyed by a handler");
    }
    report_copy_ = true;
    if (awaiting_copy_ && set_.receiverWorking(address_)) {
      // Reports frames lost to every prober of the family; a handler may destroy this one.
      set_.markBroken(address_, "the previous probe of " + address_.toString() +
                                    " was not seen leaving the interface");
      if (!*alive) return makeError(ErrorCode::kInternal, "prober destroyed by a handler");
    }
  }
  awaiting_copy_ = false;
  set_.stopAwaiting(*this);
  const MacAddress& own = set_.ownMac();
  last_probe_ = address_.isV4() ? encodeArpProbe(own, address_)
                                : encodeDadNeighborSolicitation(own, address_);
  if (auto st = set_.send(*this, last_probe_); !st) return st;
  awaiting_copy_ = set_.receiverWorking(address_);
  return {};
}

void SharedProber::readQueued() {
  bool destroyed = false;
  std::shared_ptr<bool> alive = alive_;
  const bool drained = set_.drain(address_, destroyed);
  if (!destroyed && *alive && !drained)
    framesLost("more frames queued than read before judging a probe");
}

}  // namespace

Result<std::unique_ptr<ConflictProberSet>> createSharedPacketProbers(EventLoop& loop,
                                                                     const InterfaceInfo& iface) {
  auto set = std::make_unique<SharedProbers>(loop, iface);
  if (auto st = set->open(); !st) return st.error();
  return std::unique_ptr<ConflictProberSet>(std::move(set));
}

}  // namespace kubevip::net

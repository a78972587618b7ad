// In-memory stand-ins for the kernel-facing net interfaces, for VipController tests.
#pragma once

#include <functional>
#include <vector>

#include "net/address_manager.h"
#include "net/announcer.h"

namespace kubevip::vip::testing {

class FakeAddressManager final : public net::AddressManager {
 public:
  struct Entry {
    int ifindex;
    IpAddress address;
    int prefix_length;
    net::AddressLifetime lifetime;
  };
  Status addOrRenew(int ifindex, const IpAddress& address, int prefix_length,
                    net::AddressLifetime lifetime) override {
    ++add_calls;
    if (during_add) during_add();
    if (fail_adds) return makeError(ErrorCode::kSystem, "injected failure");
    removeEntry(ifindex, address);
    entries.push_back({ifindex, address, prefix_length, lifetime});
    return {};
  }
  Status remove(int ifindex, const IpAddress& address, int) override {
    ++remove_calls;
    removeEntry(ifindex, address);
    return {};
  }
  Result<bool> has(int ifindex, const IpAddress& address) override {
    for (const auto& e : entries) {
      if (e.ifindex == ifindex && e.address == address) return true;
    }
    return false;
  }
  void setEventHandler(std::function<void(const net::AddressEvent&)> handler) override {
    handler_ = std::move(handler);
  }
  // Someone else deletes the address: the kernel reports it.
  void externalRemove(int ifindex, const IpAddress& address, int prefix_length) {
    removeEntry(ifindex, address);
    if (handler_) {
      handler_(
          net::AddressEvent{net::AddressEvent::Kind::kRemoved, ifindex, address, prefix_length});
    }
  }

  std::vector<Entry> entries;
  int add_calls = 0;
  int remove_calls = 0;
  bool fail_adds = false;
  // Runs inside every addOrRenew before it takes effect: a test makes the call stall here (e.g.
  // ManualTimeSource::freezeFor, as a kernel call blocked on a lock would).
  std::function<void()> during_add;

 private:
  void removeEntry(int ifindex, const IpAddress& address) {
    std::erase_if(entries,
                  [&](const Entry& e) { return e.ifindex == ifindex && e.address == address; });
  }
  std::function<void(const net::AddressEvent&)> handler_;
};

class FakeAnnouncer final : public net::Announcer {
 public:
  Status announce(const IpAddress& vip) override {
    announced.push_back(vip);
    return {};
  }
  std::vector<IpAddress> announced;
};

// Probes the watched address. By default every probe is seen leaving at once and nobody answers;
// the flags below model a defender, a broken send path and a broken receive path.
class FakeProber final : public net::ConflictProber {
 public:
  Status sendProbe() override {
    ++probes;
    if (fail_sends) return makeError(ErrorCode::kSystem, "injected send failure");
    if (seen_leaving && handlers_.probe_seen) handlers_.probe_seen();
    if (defended) claim();
    if (defended_queued) ++queued_claims;
    return {};
  }
  void readQueued() override {
    ++read_queued_calls;
    for (; queued_claims > 0; --queued_claims) claim();
  }
  void setHandlers(Handlers handlers) override { handlers_ = std::move(handlers); }

  // Another host claims the address now.
  void claim() {
    if (handlers_.claimed) handlers_.claimed(defender_mac);
  }
  void loseFrames() {
    if (handlers_.frames_lost) handlers_.frames_lost("injected");
  }

  int probes = 0;
  bool defended = false;         // another host answers every probe at once
  bool defended_queued = false;  // ... with an answer that waits until readQueued()
  int queued_claims = 0;
  int read_queued_calls = 0;
  bool fail_sends = false;   // sendProbe fails (e.g. ENETDOWN)
  bool seen_leaving = true;  // false: the receive path never sees our probes
  net::MacAddress defender_mac{{0x02, 0, 0, 0, 0, 0x09}};

 private:
  Handlers handlers_;
};

}  // namespace kubevip::vip::testing

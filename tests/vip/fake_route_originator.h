// A RouteOriginator that records what would be announced, for the holders' tests.
#pragma once

#include <functional>
#include <map>
#include <vector>

#include "bgp/speaker.h"

namespace kubevip::vip::testing {

class FakeRouteOriginator final : public bgp::RouteOriginator {
 public:
  void announce(const IpAddress& address, const bgp::RoutePolicy& policy) override {
    ++announce_calls;
    if (on_announce) on_announce(address);
    announced[address.toString()] = policy;
  }
  void withdraw(const IpAddress& address) override {
    ++withdraw_calls;
    if (on_withdraw) on_withdraw(address);
    announced.erase(address.toString());
  }
  bool has(const IpAddress& address) const { return announced.count(address.toString()) != 0; }

  std::map<std::string, bgp::RoutePolicy> announced;  // by address text
  int announce_calls = 0;
  int withdraw_calls = 0;
  // Run inside the call, before it takes effect (to look at the address's state then).
  std::function<void(const IpAddress&)> on_announce;
  std::function<void(const IpAddress&)> on_withdraw;
};

}  // namespace kubevip::vip::testing

// One AddressManager shared by many owners, each with its own event handler.
//
// AddressManager has one event handler, which the VipController that uses it sets. The Services
// mode runs one VipController per Service address, all over one netlink manager (one socket and
// one worker thread, not one per address): each gets a view from subscriber(), whose requests go
// straight to the shared manager and whose handler receives every event the manager reports.
// Views must be destroyed before the fanout. Loop thread only, like AddressManager.
#pragma once

#include <functional>
#include <map>
#include <memory>

#include "net/address_manager.h"

namespace kubevip::net {

class AddressManagerFanout {
 public:
  explicit AddressManagerFanout(std::unique_ptr<AddressManager> shared);
  ~AddressManagerFanout();
  AddressManagerFanout(const AddressManagerFanout&) = delete;
  AddressManagerFanout& operator=(const AddressManagerFanout&) = delete;

  std::unique_ptr<AddressManager> subscriber();
  size_t subscribers() const { return handlers_.size(); }

 private:
  class View;
  void dispatch(const AddressEvent& event);

  std::unique_ptr<AddressManager> shared_;
  uint64_t next_id_ = 0;
  std::map<uint64_t, std::function<void(const AddressEvent&)>> handlers_;
};

}  // namespace kubevip::net

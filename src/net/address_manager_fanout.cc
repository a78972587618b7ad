#include "net/address_manager_fanout.h"

#include <vector>

namespace kubevip::net {

class AddressManagerFanout::View final : public AddressManager {
 public:
  View(AddressManagerFanout& fanout, uint64_t id) : fanout_(fanout), id_(id) {}
  ~View() override { fanout_.handlers_.erase(id_); }

  Status addOrRenew(int ifindex, const IpAddress& address, int prefix_length,
                    AddressLifetime lifetime) override {
    return fanout_.shared_->addOrRenew(ifindex, address, prefix_length, lifetime);
  }
  Status remove(int ifindex, const IpAddress& address, int prefix_length) override {
    return fanout_.shared_->remove(ifindex, address, prefix_length);
  }
  Result<bool> has(int ifindex, const IpAddress& address) override {
    return fanout_.shared_->has(ifindex, address);
  }
  void setEventHandler(std::function<void(const AddressEvent&)> handler) override {
    if (handler) {
      fanout_.handlers_[id_] = std::move(handler);
    } else {
      fanout_.handlers_.erase(id_);
    }
  }

 private:
  AddressManagerFanout& fanout_;
  uint64_t id_;
};

AddressManagerFanout::AddressManagerFanout(std::unique_ptr<AddressManager> shared)
    : shared_(std::move(shared)) {
  shared_->setEventHandler([this](const AddressEvent& event) { dispatch(event); });
}

AddressManagerFanout::~AddressManagerFanout() { shared_->setEventHandler(nullptr); }

std::unique_ptr<AddressManager> AddressManagerFanout::subscriber() {
  return std::make_unique<View>(*this, next_id_++);
}

void AddressManagerFanout::dispatch(const AddressEvent& event) {
  // A handler may create or destroy views (a VipController reacting to the event), so the ids
  // are collected first and each is looked up again before its call.
  std::vector<uint64_t> ids;
  ids.reserve(handlers_.size());
  for (const auto& [id, handler] : handlers_) ids.push_back(id);
  for (uint64_t id : ids) {
    auto it = handlers_.find(id);
    if (it == handlers_.end()) continue;
    auto handler = it->second;  // a copy: the handler may replace itself
    handler(event);
  }
}

}  // namespace kubevip::net

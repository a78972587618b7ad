// Stand-ins for the Services controller's electors, address holders and API writes.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "election/elector.h"
#include "k8s/service.h"
#include "services_mode/services_controller.h"

namespace kubevip::services_mode::testing {

// An election that the test decides: lead() and depose() call the callbacks.
class FakeElector final : public election::Elector {
 public:
  explicit FakeElector(std::string lease_key) : key(std::move(lease_key)) {}
  ~FakeElector() override { *destroyed = true; }
  Status start(election::ElectorCallbacks c) override {
    callbacks = std::move(c);
    started = true;
    return {};
  }
  void stop(std::function<void()> done) override {
    stopped = true;
    if (leading) depose();
    done();
  }
  bool isLeader() const override { return leading; }
  SteadyTime leadershipValidUntil() const override { return valid_until; }
  std::string leaderId() const override { return ""; }
  election::ElectorStatus status() const override {
    election::ElectorStatus status;
    status.backend = "fake";
    status.election_name = key;
    status.role = leading ? "leader" : "follower";
    return status;
  }

  void lead() {
    leading = true;
    callbacks.started_leading();
  }
  void depose() {
    leading = false;
    callbacks.stopped_leading();
  }

  std::string key;
  election::ElectorCallbacks callbacks;
  bool started = false;
  bool stopped = false;
  bool leading = false;
  SteadyTime valid_until{};
  std::shared_ptr<bool> destroyed = std::make_shared<bool>(false);
};

// Records what happens to each address; holding() once acquired (the VipController's probing is
// tested on its own).
struct HolderLog {
  std::map<std::string, int> acquired;  // address -> acquire() calls
  std::map<std::string, int> released;
  std::set<std::string> live;           // holders that exist and hold
  std::vector<std::string> interfaces;  // interface of each holder made
  std::map<std::string, std::function<void()>> on_acquired;
  // address -> the annotations of its last updateAnnotations() call
  std::map<std::string, std::map<std::string, std::string>> annotations;
};

class FakeHolder final : public AddressHolder {
 public:
  FakeHolder(HolderLog& log, HolderRequest request) : log_(log), request_(std::move(request)) {}
  ~FakeHolder() override { log_.live.erase(request_.address.toString()); }
  void acquire() override {
    ++log_.acquired[request_.address.toString()];
    holding_ = true;
    log_.live.insert(request_.address.toString());
    log_.on_acquired[request_.address.toString()] = request_.acquired;
  }
  void release() override {
    ++log_.released[request_.address.toString()];
    holding_ = false;
    log_.live.erase(request_.address.toString());
  }
  bool holding() const override { return holding_; }
  void updateAnnotations(const std::map<std::string, std::string>& annotations) override {
    log_.annotations[request_.address.toString()] = annotations;
  }

 private:
  HolderLog& log_;
  HolderRequest request_;
  bool holding_ = false;
};

// Keeps each write until the test completes it.
class FakeWriter final : public ServiceWriter {
 public:
  struct Write {
    std::string kind;  // "addresses", "status", "vipHost"
    std::string service;
    std::string value;
    Done done;
  };
  void writeAddresses(const k8s::Service& s, const std::vector<IpAddress>& addresses,
                      Done done) override {
    std::string v;
    for (const auto& a : addresses) v += (v.empty() ? "" : ",") + a.toString();
    writes.push_back({"addresses", s.meta.object_namespace + "/" + s.meta.name, v, done});
  }
  void writeStatus(const k8s::Service& s, const std::vector<k8s::LoadBalancerIngress>& ingress,
                   Done done) override {
    std::string v;
    for (const auto& e : ingress) v += (v.empty() ? "" : ",") + (e.ip ? e.ip->toString() : "");
    writes.push_back({"status", s.meta.object_namespace + "/" + s.meta.name, v, done});
  }
  void writeVipHost(const k8s::Service& s, const std::string& node, Done done) override {
    writes.push_back({"vipHost", s.meta.object_namespace + "/" + s.meta.name, node, done});
  }
  size_t count(const std::string& kind) const {
    size_t n = 0;
    for (const auto& w : writes) n += w.kind == kind;
    return n;
  }
  std::vector<Write> writes;
};

}  // namespace kubevip::services_mode::testing

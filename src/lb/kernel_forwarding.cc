#include "lb/kernel_forwarding.h"

#include <spdlog/spdlog.h>

namespace kubevip::lb {
namespace {

nft::Spread spreadOf(config::BalanceAlgorithm algorithm) {
  switch (algorithm) {
    case config::BalanceAlgorithm::kRandom:
      return nft::Spread::kRandom;
    case config::BalanceAlgorithm::kSourceHash:
      return nft::Spread::kSourceHash;
    case config::BalanceAlgorithm::kRoundRobin:
    case config::BalanceAlgorithm::kLeastConnections:  // refused by the validator
      break;
  }
  return nft::Spread::kRoundRobin;
}

std::string describe(const std::vector<nft::Service>& services) {
  std::string out;
  for (const auto& s : services) {
    if (!out.empty()) out += "; ";
    out += s.name + " " + std::to_string(s.destinations.size()) + " up";
  }
  return out.empty() ? "none" : out;
}

bool hasDestination(const nft::Service& s, const nft::Destination& d) {
  for (const auto& other : s.destinations) {
    if (other.address == d.address && other.port == d.port) return true;
  }
  return false;
}

}  // namespace

std::vector<LeftDestination> udpDestinationsThatLeft(const std::vector<nft::Service>& before,
                                                     const std::vector<nft::Service>& after) {
  std::vector<LeftDestination> left;
  for (const auto& old : before) {
    if (old.protocol != nft::Protocol::kUdp) continue;
    const nft::Service* now = nullptr;
    for (const auto& s : after) {
      if (s.name == old.name && s.protocol == old.protocol && s.vip == old.vip &&
          s.port == old.port) {
        now = &s;
      }
    }
    for (const auto& d : old.destinations) {
      if (now != nullptr && hasDestination(*now, d)) continue;
      left.push_back(LeftDestination{
          old.name, nft::FlowMatch{nft::Protocol::kUdp, old.vip, old.port, d.address, d.port}});
    }
  }
  return left;
}

nft::Service kernelService(const Balancer& b, const IpAddress& vip) {
  const config::LoadBalancer& c = b.config;
  nft::Service s;
  s.name = c.name;
  s.protocol = c.type == config::LoadBalancerType::kUdp ? nft::Protocol::kUdp : nft::Protocol::kTcp;
  s.vip = vip;
  s.port = c.port;
  s.spread = spreadOf(c.algorithm);
  s.source_nat = c.source_nat;
  for (std::size_t i = 0; i < b.pool.size() && i < c.backends.size(); ++i) {
    if (!b.pool.isUp(i)) continue;
    s.destinations.push_back(
        nft::Destination{c.backends[i].address, c.backends[i].port, c.backends[i].weight});
  }
  return s;
}

KernelForwarding::KernelForwarding(NftablesOpener open, NftablesProbe probe, TimeSource& time,
                                   std::function<std::vector<nft::Service>()> desired,
                                   FlowDeleter delete_flows)
    : open_(std::move(open)),
      probe_(std::move(probe)),
      desired_(std::move(desired)),
      delete_flows_(std::move(delete_flows)),
      poll_(time.createTimer()) {}

KernelForwarding::~KernelForwarding() { stop(); }

Status KernelForwarding::open() {
  if (nft_) return {};
  auto nft = open_();
  if (!nft) return nft.error();
  nft_ = std::move(*nft);
  return {};
}

Status removeLeftoverTable(nft::Nftables& nft) {
  auto present = nft.tablePresent();
  if (!present) return present.error();
  if (!*present) return {};
  if (auto st = nft.remove(); !st) return st;
  spdlog::warn("lb: deleted the nftables table inet {} left over from an earlier run",
               nft::kTableName);
  return {};
}

Status KernelForwarding::start() {
  auto present = probe_();
  if (!present) return present.error();
  if (*present) {
    if (auto st = open(); !st) return st;
    if (auto st = removeLeftoverTable(*nft_); !st) return st;
  }
  applied_ = std::vector<nft::Service>{};
  running_ = true;
  arm();
  return {};
}

void KernelForwarding::arm() {
  if (!running_) return;
  poll_->start(kKernelPollInterval, [this] {
    sync();
    arm();
  });
}

void KernelForwarding::enableForwarding(const std::vector<nft::Service>& services) {
  for (const auto& s : services) {
    bool& done = s.vip.isV6() ? forwarding_v6_ : forwarding_v4_;
    if (done) continue;
    auto changed = nft::enableForwarding(s.vip.family());
    if (!changed) {
      spdlog::error("lb: cannot turn on forwarding for {}: {}", s.vip.isV6() ? "IPv6" : "IPv4",
                    changed.error().describe());
      continue;  // tried again at the next change
    }
    done = true;
    if (*changed) {
      spdlog::warn("lb: turned on {} for kernel forwarding",
                   s.vip.isV6() ? "net.ipv6.conf.all.forwarding (router advertisements are now "
                                  "ignored on interfaces with accept_ra=1)"
                                : "net.ipv4.ip_forward");
    }
  }
}

void KernelForwarding::sync() {
  if (!running_) return;
  std::vector<nft::Service> want = desired_();
  if (applied_ && *applied_ == want) return;
  enableForwarding(want);
  Status st = open();
  if (st) st = want.empty() ? nft_->remove() : nft_->replace(want);
  if (!st) {
    applied_.reset();
    if (!failing_) {
      spdlog::error("lb: cannot update the kernel's forwarding ({}): {}; retrying every {} ms",
                    describe(want), st.error().describe(),
                    std::chrono::duration_cast<milliseconds>(kKernelPollInterval).count());
    }
    failing_ = true;
    return;
  }
  if (failing_) spdlog::info("lb: the kernel's forwarding is updated again");
  failing_ = false;
  spdlog::info("lb: kernel forwarding {}", want.empty() ? "removed" : describe(want));
  deleteFlowsThatLeft(want);
  applied_ = std::move(want);
}

void KernelForwarding::deleteFlowsThatLeft(const std::vector<nft::Service>& now) {
  const std::vector<LeftDestination> left = udpDestinationsThatLeft(last_applied_, now);
  last_applied_ = now;
  if (left.empty()) return;
  std::vector<nft::FlowMatch> flows;
  std::string backends;
  for (const auto& l : left) {
    flows.push_back(l.flows);
    if (!backends.empty()) backends += ", ";
    backends += l.service + " " + Endpoint{l.flows.backend, l.flows.backend_port}.toString();
  }
  auto deleted = delete_flows_(flows);
  if (!deleted || deleted->size() != left.size()) {
    // Not retried: the flows then last until idle for conntrack's timeout, as without this.
    spdlog::warn("lb: cannot delete the UDP flows of the backends that left ({}): {}", backends,
                 deleted ? "the deleter gave no count for each" : deleted.error().describe());
    return;
  }
  for (size_t i = 0; i < left.size(); ++i) {
    spdlog::info("lb {}: deleted {} UDP flows of backend {}, which left", left[i].service,
                 (*deleted)[i],
                 Endpoint{left[i].flows.backend, left[i].flows.backend_port}.toString());
  }
}

void KernelForwarding::stop() {
  if (!running_) return;
  running_ = false;
  poll_->stop();
  // The flows are left: a stopping node no longer receives the VIP's packets.
  last_applied_.clear();
  if (!nft_) return;
  if (auto st = nft_->remove(); !st) {
    spdlog::error("lb: cannot delete the nftables table inet {} at stop: {}", nft::kTableName,
                  st.error().describe());
    return;
  }
  if (applied_ && !applied_->empty()) spdlog::info("lb: kernel forwarding removed");
  applied_ = std::vector<nft::Service>{};
}

}  // namespace kubevip::lb

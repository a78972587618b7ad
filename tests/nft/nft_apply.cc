// A test tool that drives the nftables data plane exactly as the daemon would (openNftables(),
// enableForwarding()), for the end-to-end test of real traffic (tests/e2e/test_nft_ruleset.sh):
//
//   nft_apply replace FILE    services from a JSON file: [{"name": "web", "protocol": "tcp",
//                             "vip": "10.0.0.100", "port": 80, "spread": "round-robin" | "random"
//                             | "source-hash", "sourceNat": true, "destinations":
//                             [{"address": "10.0.1.1", "port": 80, "weight": 1}, ...]}, ...]
//   nft_apply remove
//   nft_apply present         prints "present" or "absent"
//   nft_apply forward 4|6     turns forwarding on; prints "changed" or "unchanged"
//   nft_apply time-replace FILE [N]
//                             replaces N times (default 7) with the services of FILE; prints the
//                             median, lowest and highest time one replace() took (how long the
//                             calling thread is blocked)
//
// Exit status 0 on success; 1 with the error on stderr.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "nft/nftables.h"

namespace {

using kubevip::nft::Destination;
using kubevip::nft::Protocol;
using kubevip::nft::Service;
using kubevip::nft::Spread;

int failWith(const std::string& message) {
  std::cerr << "nft_apply: " << message << "\n";
  return 1;
}

kubevip::IpAddress address(const nlohmann::json& text) {
  auto parsed = kubevip::IpAddress::parse(text.get<std::string>());
  if (!parsed) throw std::invalid_argument(parsed.error().message);
  return *parsed;
}

Service serviceFrom(const nlohmann::json& in) {
  Service service;
  service.name = in.at("name").get<std::string>();
  service.protocol = in.value("protocol", "tcp") == "udp" ? Protocol::kUdp : Protocol::kTcp;
  service.vip = address(in.at("vip"));
  service.port = in.at("port").get<uint16_t>();
  const std::string spread = in.value("spread", "round-robin");
  service.spread = spread == "random"        ? Spread::kRandom
                   : spread == "source-hash" ? Spread::kSourceHash
                                             : Spread::kRoundRobin;
  service.source_nat = in.value("sourceNat", true);
  for (const auto& d : in.value("destinations", nlohmann::json::array())) {
    service.destinations.push_back(
        Destination{address(d.at("address")), d.at("port").get<uint16_t>(), d.value("weight", 1U)});
  }
  return service;
}

int run(int argc, char** argv) {
  const std::string verb = argc > 1 ? argv[1] : "";
  if (verb == "forward" && argc == 3) {
    auto changed = kubevip::nft::enableForwarding(
        std::string(argv[2]) == "6" ? kubevip::IpFamily::kV6 : kubevip::IpFamily::kV4);
    if (!changed) return failWith(changed.error().describe());
    std::cout << (*changed ? "changed" : "unchanged") << "\n";
    return 0;
  }
  auto nftables = kubevip::nft::openNftables();
  if (!nftables) return failWith(nftables.error().message);
  if ((verb == "replace" && argc == 3) || (verb == "time-replace" && (argc == 3 || argc == 4))) {
    std::ifstream file(argv[2]);
    const auto document = nlohmann::json::parse(file);
    std::vector<Service> services;
    for (const auto& entry : document) services.push_back(serviceFrom(entry));
    const int repeats = verb == "replace" ? 1 : argc == 4 ? std::stoi(argv[3]) : 7;
    std::vector<double> milliseconds;
    for (int i = 0; i < repeats; ++i) {
      const auto start = std::chrono::steady_clock::now();
      auto replaced = (*nftables)->replace(services);
      const auto end = std::chrono::steady_clock::now();
      if (!replaced) return failWith(replaced.error().message);
      milliseconds.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
    if (verb == "time-replace") {
      std::sort(milliseconds.begin(), milliseconds.end());
      std::printf("%zu services: replace() median %.1f ms (lowest %.1f, highest %.1f, %d runs)\n",
                  services.size(), milliseconds[milliseconds.size() / 2], milliseconds.front(),
                  milliseconds.back(), repeats);
    }
    return 0;
  }
  if (verb == "remove" && argc == 2) {
    auto removed = (*nftables)->remove();
    return removed ? 0 : failWith(removed.error().message);
  }
  if (verb == "present" && argc == 2) {
    auto present = (*nftables)->tablePresent();
    if (!present) return failWith(present.error().message);
    std::cout << (*present ? "present" : "absent") << "\n";
    return 0;
  }
  return failWith(
      "usage: nft_apply replace FILE | time-replace FILE [N] | remove | present | forward 4|6");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {  // a malformed services file
    return failWith(e.what());
  }
}

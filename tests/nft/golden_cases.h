// The services of each golden ruleset, shared by the JSON goldens (ruleset_test.cc) and the test
// that loads every one of them into a kernel (kernel_test.cc). golden/<name>.json is what
// replaceTableJson() must write; golden/<name>.nft is how `nft list table inet kube_vip` (nft
// 1.0.6, handles left out) must show it once the kernel has it.
#pragma once

#include <string>
#include <vector>

#include "nft/ruleset.h"
#include "support/addresses.h"

namespace kubevip::nft::testing {

struct GoldenCase {
  std::string name;
  std::vector<Service> services;
};

using test::ip;

inline Service webService() {
  Service web;
  web.name = "web";
  web.vip = ip("10.0.0.100");
  web.port = 80;
  web.destinations = {{ip("10.0.1.1"), 80, 1}, {ip("10.0.1.2"), 80, 1}, {ip("10.0.1.3"), 8080, 1}};
  return web;
}

inline std::vector<GoldenCase> goldenCases() {
  std::vector<GoldenCase> cases;
  cases.push_back({"tcp_round_robin", {webService()}});

  Service weighted = webService();
  weighted.destinations[0].weight = 1;
  weighted.destinations[1].weight = 2;
  weighted.destinations[2].weight = 3;
  cases.push_back({"weights", {weighted}});

  Service random = webService();
  random.spread = Spread::kRandom;
  cases.push_back({"random", {random}});

  Service hashed = webService();
  hashed.spread = Spread::kSourceHash;
  cases.push_back({"source_hash", {hashed}});

  Service tcp_down = webService();
  tcp_down.destinations.clear();
  Service udp_down;
  udp_down.name = "dns";
  udp_down.protocol = Protocol::kUdp;
  udp_down.vip = ip("10.0.0.100");
  udp_down.port = 53;
  cases.push_back({"no_destinations", {tcp_down, udp_down}});

  Service dns = udp_down;
  dns.destinations = {{ip("10.0.1.1"), 53, 1}, {ip("10.0.1.2"), 5353, 1}};
  cases.push_back({"udp", {dns}});

  Service web6;
  web6.name = "web6";
  web6.vip = ip("fd00::100");
  web6.port = 443;
  web6.spread = Spread::kSourceHash;
  web6.destinations = {{ip("fd00::1:1"), 443, 1}, {ip("fd00::1:2"), 8443, 2}};
  Service dns6_down;
  dns6_down.name = "dns6";
  dns6_down.protocol = Protocol::kUdp;
  dns6_down.vip = ip("fd00::100");
  dns6_down.port = 53;
  cases.push_back({"ipv6", {web6, dns6_down}});

  Service api;
  api.name = "api";
  api.vip = ip("10.0.0.101");
  api.port = 6443;
  api.spread = Spread::kRandom;
  api.destinations = {{ip("10.0.1.4"), 6443, 1}};
  cases.push_back({"two_services", {webService(), api}});

  Service direct = webService();
  direct.source_nat = false;
  cases.push_back({"source_nat_off", {direct}});

  cases.push_back({"no_services", {}});
  return cases;
}

}  // namespace kubevip::nft::testing

// The ruleset as libnftables JSON (its schema: libnftables-json(5)). Every command is built as a
// plain value and written one per line, so that goldens read and diff like the rules they are.
#include "nft/ruleset.h"

#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

namespace kubevip::nft {
namespace {

// Insertion order kept, so that each object reads as the nft documentation writes it.
using Json = nlohmann::ordered_json;

// Base chain priorities as numbers (the JSON parser of nft 1.0.6 takes no names): dstnat, the
// same for output (the DNAT of locally opened connections), srcnat, filter.
constexpr int kDstNatPriority = -100;
constexpr int kSrcNatPriority = 100;
constexpr int kFilterPriority = 0;

// Source hashing with a fixed seed. Without one the kernel draws a random seed for every rule it
// loads (nft_hash.c), so each table replacement, and each node that takes the VIP over, would send
// a client's next connection to another backend; with it a client keeps its backend while the
// destination list stays the same.
constexpr uint32_t kSourceHashSeed = 0;

constexpr const char* kChainPrerouting = "prerouting";
constexpr const char* kChainOutput = "output";
constexpr const char* kChainPostrouting = "postrouting";
constexpr const char* kChainInput = "input";

Json tableObject() { return Json{{"family", "inet"}, {"name", kTableName}}; }

Json command(const char* verb, const char* kind, Json object) {
  return Json{{verb, Json{{kind, std::move(object)}}}};
}

Json baseChain(const char* name, const char* type, const char* hook, int priority) {
  return command("add", "chain",
                 Json{{"family", "inet"},
                      {"table", kTableName},
                      {"name", name},
                      {"type", type},
                      {"hook", hook},
                      {"prio", priority},
                      {"policy", "accept"}});
}

// Printable ASCII but for the quote and backslash, which `nft list` would print unescaped; cut to
// what nft accepts. Names are identifiers, so this changes nothing in practice, and it keeps the
// JSON encoder away from bytes that are not UTF-8.
std::string commentFor(std::string_view name) {
  std::string comment;
  for (char c : name.substr(0, kCommentMaxLength)) {
    const bool printable = c >= ' ' && c <= '~' && c != '"' && c != '\\';
    comment.push_back(printable ? c : '_');
  }
  return comment;
}

Json rule(const Service& service, const char* chain, Json expressions) {
  Json object{{"family", "inet"}, {"table", kTableName}, {"chain", chain}};
  if (!service.name.empty()) object["comment"] = commentFor(service.name);
  object["expr"] = std::move(expressions);
  return command("add", "rule", std::move(object));
}

const char* addressProtocol(const IpAddress& address) { return address.isV4() ? "ip" : "ip6"; }
const char* transportProtocol(Protocol protocol) {
  return protocol == Protocol::kTcp ? "tcp" : "udp";
}

Json equals(Json left, Json right) {
  return Json{
      {"match", Json{{"op", "=="}, {"left", std::move(left)}, {"right", std::move(right)}}}};
}

Json payload(const char* protocol, const char* field) {
  return Json{{"payload", Json{{"protocol", protocol}, {"field", field}}}};
}

// ip daddr VIP tcp dport PORT
Json matchVipPort(const Service& service) {
  return Json::array(
      {equals(payload(addressProtocol(service.vip), "daddr"), service.vip.toString()),
       equals(payload(transportProtocol(service.protocol), "dport"), service.port)});
}

// The key that picks a slot in [0, slots) for a new connection.
Json slotKey(const Service& service, uint32_t slots) {
  switch (service.spread) {
    case Spread::kRoundRobin:
      return Json{{"numgen", Json{{"mode", "inc"}, {"mod", slots}}}};
    case Spread::kRandom:
      return Json{{"numgen", Json{{"mode", "random"}, {"mod", slots}}}};
    case Spread::kSourceHash:
      return Json{{"jhash", Json{{"mod", slots},
                                 {"seed", kSourceHashSeed},
                                 {"expr", payload(addressProtocol(service.vip), "saddr")}}}};
  }
  return nullptr;  // unreachable: every Spread is handled above
}

// dnat ip to KEY map { 0 : a . 80, 1-2 : b . 8080 }: destination i owns the next weight_i slots,
// so N is the sum of the weights. An anonymous map inside the rule: nft 1.0.6 crashes listing a
// named map declared `typeof jhash ...`, and an anonymous map goes and comes with its rule.
Json dnat(const Service& service) {
  Json elements = Json::array();
  uint32_t next_slot = 0;
  for (const Destination& destination : service.destinations) {
    const uint32_t first = next_slot;
    const uint32_t last = next_slot + destination.weight - 1;
    Json key = first == last ? Json(first) : Json{{"range", Json::array({first, last})}};
    elements.push_back(Json::array(
        {std::move(key),
         Json{{"concat", Json::array({destination.address.toString(), destination.port})}}}));
    next_slot = last + 1;
  }
  Json map{{"key", slotKey(service, next_slot)}, {"data", Json{{"set", std::move(elements)}}}};
  return Json{{"dnat", Json{{"family", addressProtocol(service.vip)},
                            {"addr", Json{{"map", std::move(map)}}}}}};
}

// meta l4proto tcp ct original ip daddr VIP ct original proto-dst PORT ct status dnat
// snat ip to VIP: the conntrack entry's original direction still names VIP:port after the DNAT, so
// this matches exactly the connections DNATed for this service, with no packet mark (kube-proxy
// owns marks). The l4proto match gives proto-dst its protocol; the kernel's `ct ip daddr` only
// matches IPv4 connections (and `ct ip6 daddr` IPv6 ones), so no family match is needed.
//
// The source becomes the VIP, not the node's own address (as `masquerade` would make it): the
// forwarded flows then have a port space of their own at the backends, apart from every
// connection the holder itself makes to them (health checks, a proxy balancer, kubelet). A
// backend keeps a TIME_WAIT socket for 60 s after each connection it closed first; a SYN for the
// same address pair and port is taken as a new connection only if its timestamp (or sequence
// number) is newer. Connections the holder opened draw their timestamps from the holder's clock
// and offset, forwarded ones from each client's: sharing one source address, a forwarded SYN
// landing on such a TIME_WAIT is answered with an ACK, reset by the client and retried a second
// later. Measured with new connections to nginx: after a burst of HAProxy connections from the
// node's address, the masquerading rule served 1,000 requests/s where this one served 16,000.
Json sourceNat(const Service& service) {
  const std::string ct_daddr = std::string(addressProtocol(service.vip)) + " daddr";
  return Json::array(
      {equals(Json{{"meta", Json{{"key", "l4proto"}}}}, transportProtocol(service.protocol)),
       equals(Json{{"ct", Json{{"key", ct_daddr}, {"dir", "original"}}}}, service.vip.toString()),
       equals(Json{{"ct", Json{{"key", "proto-dst"}, {"dir", "original"}}}}, service.port),
       Json{{"match", Json{{"op", "in"},
                           {"left", Json{{"ct", Json{{"key", "status"}}}}},
                           {"right", "dnat"}}}},
       Json{{"snat",
             Json{{"family", addressProtocol(service.vip)}, {"addr", service.vip.toString()}}}}});
}

// A service without destinations: new connections get a TCP reset or an ICMP(v6) port
// unreachable (icmpx picks the family) rather than silence, so clients fail at once instead of
// waiting for their timeouts. Un-DNATed packets for the VIP, a local address, reach input.
Json reject(const Service& service) {
  Json how = service.protocol == Protocol::kTcp
                 ? Json{{"type", "tcp reset"}}
                 : Json{{"type", "icmpx"}, {"expr", "port-unreachable"}};
  return Json{{"reject", std::move(how)}};
}

Json concat(Json expressions, Json last) {
  expressions.push_back(std::move(last));
  return expressions;
}

std::string render(const std::vector<Json>& commands) {
  std::string text = "{\"nftables\": [\n";
  for (std::size_t i = 0; i < commands.size(); ++i) {
    text += commands[i].dump();
    text += i + 1 < commands.size() ? ",\n" : "\n";
  }
  text += "]}\n";
  return text;
}

std::string describe(const Service& service) {
  return fmt::format("service '{}' ({} {})", service.name, transportProtocol(service.protocol),
                     Endpoint{service.vip, service.port}.toString());
}

}  // namespace

Status validateServices(const std::vector<Service>& services) {
  std::set<std::tuple<std::string, Protocol, uint16_t>> seen;
  for (const Service& service : services) {
    if (service.vip.isUnspecified()) {
      return makeError(ErrorCode::kInvalidArgument, describe(service) + ": the VIP is unspecified");
    }
    if (service.port == 0) {
      return makeError(ErrorCode::kInvalidArgument, describe(service) + ": port 0");
    }
    if (!seen.emplace(service.vip.toString(), service.protocol, service.port).second) {
      return makeError(ErrorCode::kInvalidArgument,
                       describe(service) + ": another service has the same VIP, protocol and port");
    }
    uint64_t slots = 0;
    for (std::size_t i = 0; i < service.destinations.size(); ++i) {
      const Destination& destination = service.destinations[i];
      const std::string where =
          fmt::format("{}: destination {} ({})", describe(service), i + 1,
                      Endpoint{destination.address, destination.port}.toString());
      if (destination.address.family() != service.vip.family()) {
        return makeError(ErrorCode::kInvalidArgument, where + " is not of the VIP's family");
      }
      if (destination.port == 0) {
        return makeError(ErrorCode::kInvalidArgument, where + " has port 0");
      }
      if (destination.weight == 0) {
        return makeError(ErrorCode::kInvalidArgument, where + " has weight 0 (at least 1)");
      }
      slots += destination.weight;
    }
    if (slots > std::numeric_limits<uint32_t>::max()) {
      return makeError(ErrorCode::kInvalidArgument,
                       fmt::format("{}: the weights sum to {}, more than {}", describe(service),
                                   slots, std::numeric_limits<uint32_t>::max()));
    }
  }
  return okStatus();
}

std::string replaceTableJson(const std::vector<Service>& services) {
  std::vector<Json> commands{command("add", "table", tableObject()),
                             command("delete", "table", tableObject()),
                             command("add", "table", tableObject()),
                             baseChain(kChainPrerouting, "nat", "prerouting", kDstNatPriority),
                             baseChain(kChainOutput, "nat", "output", kDstNatPriority),
                             baseChain(kChainPostrouting, "nat", "postrouting", kSrcNatPriority),
                             baseChain(kChainInput, "filter", "input", kFilterPriority)};
  // Grouped by chain, each in the order of the services.
  for (const char* chain : {kChainPrerouting, kChainOutput}) {
    for (const Service& service : services) {
      if (service.destinations.empty()) continue;
      commands.push_back(rule(service, chain, concat(matchVipPort(service), dnat(service))));
    }
  }
  for (const Service& service : services) {
    if (service.destinations.empty() || !service.source_nat) continue;
    commands.push_back(rule(service, kChainPostrouting, sourceNat(service)));
  }
  for (const Service& service : services) {
    if (!service.destinations.empty()) continue;
    commands.push_back(rule(service, kChainInput, concat(matchVipPort(service), reject(service))));
  }
  return render(commands);
}

std::string deleteTableJson() {
  return render(
      {command("add", "table", tableObject()), command("delete", "table", tableObject())});
}

}  // namespace kubevip::nft

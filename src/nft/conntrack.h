// Conntrack entries of flows whose backend left the map, and the ctnetlink messages that find and
// delete them.
//
// Why. The table's NAT chains see only a flow's first packet: conntrack keeps every later packet on
// the backend chosen then (ruleset.h). For UDP that outlives the backend: a client that keeps its
// source port (a DNS forwarder, NTP on 123, syslog) goes on sending to a backend that is down for
// as long as it keeps sending, since each datagram restarts the entry's timer (120 s once
// assured). So when a UDP destination leaves the map, its flows' entries are deleted, and the
// next datagram is balanced afresh, as kube-proxy does for removed UDP endpoints. TCP is left
// alone: a dead backend's connections fail by themselves (reset or timeout) and the client opens
// a new one, which the map balances.
//
// Data flow: deleteFlows() dumps the calling thread's network namespace's conntrack table of each
// family it needs (IPCTNL_MSG_CT_GET with NLM_F_DUMP; no kernel-side filter, which older kernels
// lack), decodes each entry's original and reply tuples, keeps those matchesFlow() picks, and
// deletes each with IPCTNL_MSG_CT_DELETE carrying its original tuple (and zone). An entry gone in
// between (ENOENT) is no error.
//
// The encoding and decoding here are pure functions over bytes, tested against golden bytes and a
// dump captured from a real kernel; the socket side is linux/conntrack_socket.cc. Netlink headers
// and integer attributes are host-endian; addresses and ports are network order, as on the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "nft/ruleset.h"

namespace kubevip::nft {

// A service's flows to one destination: original destination VIP:port, reply source
// backend:backend_port (the DNAT's target as conntrack records it).
struct FlowMatch {
  Protocol protocol = Protocol::kUdp;
  IpAddress vip;
  uint16_t port = 0;
  IpAddress backend;
  uint16_t backend_port = 0;
  friend bool operator==(const FlowMatch&, const FlowMatch&) = default;
};

// One direction of a flow as conntrack records it.
struct FlowTuple {
  IpAddress source;
  IpAddress destination;
  uint8_t protocol = 0;  // IPPROTO_*
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  friend bool operator==(const FlowTuple&, const FlowTuple&) = default;
};

struct ConntrackEntry {
  FlowTuple original;
  FlowTuple reply;
  std::optional<uint16_t> zone;  // CTA_ZONE, when the entry has one
  friend bool operator==(const ConntrackEntry&, const ConntrackEntry&) = default;
};

// What one message of a dump answer is.
enum class DumpMessageKind { kEntry, kDone, kError, kOther };

struct DumpMessage {
  DumpMessageKind kind = DumpMessageKind::kOther;
  std::optional<ConntrackEntry> entry;  // kEntry: nullopt for an entry that is not TCP/UDP over IP
  int error = 0;                        // kError: the positive errno (0 is an acknowledgement)
};

// The IPCTNL_MSG_CT_GET dump request of every entry of `family`.
std::vector<uint8_t> encodeDumpRequest(uint32_t seq, IpFamily family);

// The IPCTNL_MSG_CT_DELETE request (acknowledged) of the entry with this original tuple and zone.
// kInvalidArgument for a tuple whose addresses are of two families.
Result<std::vector<uint8_t>> encodeDeleteRequest(uint32_t seq, const FlowTuple& original,
                                                 std::optional<uint16_t> zone);

// Splits a received datagram into its messages and decodes each. kInvalidArgument naming what is
// wrong for a truncated message or attribute, a length that does not fit, or a tuple missing its
// addresses or ports.
Result<std::vector<DumpMessage>> decodeDumpDatagram(std::span<const uint8_t> datagram);

// Whether the entry is one of the flows `match` names: original (protocol, destination VIP, port),
// reply source (backend, backend_port).
bool matchesFlow(const FlowMatch& match, const ConntrackEntry& entry);

// Deletes every conntrack entry that matchesFlow() picks for one of `matches`, in the calling
// thread's network namespace, with one dump per family however many destinations left at once
// (a backend host that dies leaves every service it served); returns how many entries each match
// deleted, in order. kSystem for a netlink failure (with the errno), kInvalidArgument for an
// answer that cannot be decoded. Blocks the calling thread for the dump, which grows with the
// whole table of the family, and one acknowledged request per entry deleted: measured in a
// namespace on 2 cores, 9 ms for a table of 500 entries, 20 ms for 5,000, 58 ms for 19,000 with
// nothing to delete; 144 ms to delete 16,600 of 35,000.
Result<std::vector<int>> deleteFlows(const std::vector<FlowMatch>& matches);

// Every TCP/UDP entry of `family` in the calling thread's network namespace (what deleteFlows()
// reads).
Result<std::vector<ConntrackEntry>> listFlows(IpFamily family);

}  // namespace kubevip::nft

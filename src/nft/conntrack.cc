#include "nft/conntrack.h"

#include <array>
#include <cstring>
#include <string>
#include <string_view>

namespace kubevip::nft {
namespace {

// The kernel's ABI values (include/uapi/linux/netlink.h, netfilter/nfnetlink.h,
// netfilter/nfnetlink_conntrack.h), written out so that this pure file needs no Linux header.
constexpr uint16_t kNlmFRequest = 0x1;
constexpr uint16_t kNlmFAck = 0x4;
constexpr uint16_t kNlmFDump = 0x300;  // NLM_F_ROOT | NLM_F_MATCH
constexpr uint16_t kNlmsgError = 2;
constexpr uint16_t kNlmsgDone = 3;
constexpr size_t kNlmsgHeaderSize = 16;     // struct nlmsghdr
constexpr size_t kNfgenmsgSize = 4;         // struct nfgenmsg: family, version, res_id (be16)
constexpr size_t kAttrHeaderSize = 4;       // struct nlattr
constexpr uint16_t kAttrNested = 0x8000;    // NLA_F_NESTED
constexpr uint16_t kAttrTypeMask = 0x3fff;  // ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER)
constexpr uint8_t kSubsysCtnetlink = 1;     // NFNL_SUBSYS_CTNETLINK
constexpr uint8_t kMsgCtNew = 0;            // IPCTNL_MSG_CT_NEW (each entry of a dump)
constexpr uint8_t kMsgCtGet = 1;            // IPCTNL_MSG_CT_GET
constexpr uint8_t kMsgCtDelete = 2;         // IPCTNL_MSG_CT_DELETE
constexpr uint8_t kAfInet = 2;              // AF_INET
constexpr uint8_t kAfInet6 = 10;            // AF_INET6
constexpr uint16_t kCtaTupleOrig = 1;       // enum ctattr_type
constexpr uint16_t kCtaTupleReply = 2;
constexpr uint16_t kCtaZone = 18;
constexpr uint16_t kCtaTupleIp = 1;  // enum ctattr_tuple
constexpr uint16_t kCtaTupleProto = 2;
constexpr uint16_t kCtaIpV4Src = 1;  // enum ctattr_ip
constexpr uint16_t kCtaIpV4Dst = 2;
constexpr uint16_t kCtaIpV6Src = 3;
constexpr uint16_t kCtaIpV6Dst = 4;
constexpr uint16_t kCtaProtoNum = 1;  // enum ctattr_l4proto
constexpr uint16_t kCtaProtoSrcPort = 2;
constexpr uint16_t kCtaProtoDstPort = 3;
constexpr uint8_t kIpProtoTcp = 6;
constexpr uint8_t kIpProtoUdp = 17;

constexpr size_t align4(size_t n) { return (n + 3) & ~size_t{3}; }

constexpr uint16_t ctnetlinkType(uint8_t message) {
  return static_cast<uint16_t>(kSubsysCtnetlink << 8 | message);
}

uint8_t familyByte(IpFamily family) { return family == IpFamily::kV4 ? kAfInet : kAfInet6; }

constexpr int32_t kMaxErrno = 4095;

Error malformed(const std::string& why) {
  return makeError(ErrorCode::kInvalidArgument, "malformed ctnetlink message: " + why);
}

// Builds one netlink message; attributes append to it, nests are closed with their start.
class MessageWriter {
 public:
  MessageWriter(uint16_t type, uint16_t flags, uint32_t seq, uint8_t family) {
    out_.resize(kNlmsgHeaderSize);
    std::memcpy(out_.data() + 4, &type, 2);
    std::memcpy(out_.data() + 6, &flags, 2);
    std::memcpy(out_.data() + 8, &seq, 4);
    // nlmsg_pid 0: the kernel. nfgenmsg: family, version NFNETLINK_V0, res_id 0.
    out_.push_back(family);
    out_.insert(out_.end(), 3, 0);
  }
  void attr(uint16_t type, const void* data, size_t size) {
    const size_t start = header(type, kAttrHeaderSize + size);
    const auto* bytes = static_cast<const uint8_t*>(data);
    out_.insert(out_.end(), bytes, bytes + size);
    out_.resize(start + align4(kAttrHeaderSize + size));
  }
  size_t beginNest(uint16_t type) { return header(type | kAttrNested, kAttrHeaderSize); }
  void endNest(size_t start) { setU16(start, static_cast<uint16_t>(out_.size() - start)); }
  std::vector<uint8_t> finish() {
    const auto length = static_cast<uint32_t>(out_.size());
    std::memcpy(out_.data(), &length, 4);
    return std::move(out_);
  }

 private:
  size_t header(uint16_t type, size_t length) {
    const size_t start = out_.size();
    out_.resize(start + kAttrHeaderSize);
    setU16(start, static_cast<uint16_t>(length));
    setU16(start + 2, type);
    return start;
  }
  void setU16(size_t at, uint16_t v) { std::memcpy(out_.data() + at, &v, 2); }

  std::vector<uint8_t> out_;
};

// The attributes of one level of nesting, by type (the last of a type wins, as in the kernel's
// nla_parse); each payload points into the message.
using Attributes = std::vector<std::optional<std::span<const uint8_t>>>;

Result<Attributes> parseAttributes(std::span<const uint8_t> bytes, uint16_t max_type,
                                   std::string_view where) {
  Attributes out(max_type + 1);
  size_t at = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < kAttrHeaderSize) {
      return malformed(std::string(where) + ": truncated attribute header at byte " +
                       std::to_string(at));
    }
    uint16_t length = 0;
    uint16_t type = 0;
    std::memcpy(&length, bytes.data() + at, 2);
    std::memcpy(&type, bytes.data() + at + 2, 2);
    if (length < kAttrHeaderSize || length > bytes.size() - at) {
      return malformed(std::string(where) + ": attribute " + std::to_string(type & kAttrTypeMask) +
                       " has length " + std::to_string(length) + ", " +
                       std::to_string(bytes.size() - at) + " bytes left");
    }
    type &= kAttrTypeMask;
    if (type <= max_type) {
      out[type] = bytes.subspan(at + kAttrHeaderSize, length - kAttrHeaderSize);
    }
    at += align4(length);
  }
  return out;
}

Result<IpAddress> address(const Attributes& ip, uint16_t type, size_t size,
                          std::string_view where) {
  if (!ip[type]) return malformed(std::string(where) + ": no address");
  if (ip[type]->size() != size) {
    return malformed(std::string(where) + ": an address of " + std::to_string(ip[type]->size()) +
                     " bytes, expected " + std::to_string(size));
  }
  if (size == 4) {
    std::array<uint8_t, 4> v4{};
    std::memcpy(v4.data(), ip[type]->data(), 4);
    return IpAddress::v4(v4);
  }
  std::array<uint8_t, 16> v6{};
  std::memcpy(v6.data(), ip[type]->data(), 16);
  return IpAddress::v6(v6);
}

Result<uint16_t> port(const Attributes& proto, uint16_t type, std::string_view where) {
  if (!proto[type] || proto[type]->size() != 2) {
    return malformed(std::string(where) + ": no 2-byte port");
  }
  return static_cast<uint16_t>((*proto[type])[0] << 8 | (*proto[type])[1]);
}

// A tuple nest; nullopt for protocols other than TCP/UDP (ICMP has no ports).
Result<std::optional<FlowTuple>> decodeTuple(std::span<const uint8_t> nest, std::string_view name) {
  auto tuple = parseAttributes(nest, kCtaTupleProto, name);
  if (!tuple) return tuple.error();
  if (!(*tuple)[kCtaTupleIp]) return malformed(std::string(name) + " has no CTA_TUPLE_IP");
  if (!(*tuple)[kCtaTupleProto]) return malformed(std::string(name) + " has no CTA_TUPLE_PROTO");
  const std::string proto_where = std::string(name) + " CTA_TUPLE_PROTO";
  auto proto = parseAttributes(*(*tuple)[kCtaTupleProto], kCtaProtoDstPort, proto_where);
  if (!proto) return proto.error();
  if (!(*proto)[kCtaProtoNum] || (*proto)[kCtaProtoNum]->size() != 1) {
    return malformed(proto_where + ": no 1-byte CTA_PROTO_NUM");
  }
  FlowTuple out;
  out.protocol = (*(*proto)[kCtaProtoNum])[0];
  if (out.protocol != kIpProtoTcp && out.protocol != kIpProtoUdp) {
    return std::optional<FlowTuple>();
  }
  auto source_port = port(*proto, kCtaProtoSrcPort, proto_where + " source");
  if (!source_port) return source_port.error();
  auto destination_port = port(*proto, kCtaProtoDstPort, proto_where + " destination");
  if (!destination_port) return destination_port.error();
  out.source_port = *source_port;
  out.destination_port = *destination_port;

  const std::string ip_where = std::string(name) + " CTA_TUPLE_IP";
  auto ip = parseAttributes(*(*tuple)[kCtaTupleIp], kCtaIpV6Dst, ip_where);
  if (!ip) return ip.error();
  const bool v6 = (*ip)[kCtaIpV6Src].has_value();
  auto source = v6 ? address(*ip, kCtaIpV6Src, 16, ip_where + " source")
                   : address(*ip, kCtaIpV4Src, 4, ip_where + " source");
  if (!source) return source.error();
  auto destination = v6 ? address(*ip, kCtaIpV6Dst, 16, ip_where + " destination")
                        : address(*ip, kCtaIpV4Dst, 4, ip_where + " destination");
  if (!destination) return destination.error();
  out.source = *source;
  out.destination = *destination;
  return std::optional<FlowTuple>(out);
}

Result<std::optional<ConntrackEntry>> decodeEntry(std::span<const uint8_t> payload) {
  if (payload.size() < kNfgenmsgSize) return malformed("truncated nfgenmsg");
  auto attrs = parseAttributes(payload.subspan(kNfgenmsgSize), kCtaZone, "conntrack entry");
  if (!attrs) return attrs.error();
  if (!(*attrs)[kCtaTupleOrig]) return malformed("conntrack entry has no CTA_TUPLE_ORIG");
  if (!(*attrs)[kCtaTupleReply]) return malformed("conntrack entry has no CTA_TUPLE_REPLY");
  auto original = decodeTuple(*(*attrs)[kCtaTupleOrig], "CTA_TUPLE_ORIG");
  if (!original) return original.error();
  auto reply = decodeTuple(*(*attrs)[kCtaTupleReply], "CTA_TUPLE_REPLY");
  if (!reply) return reply.error();
  if (!*original || !*reply) return std::optional<ConntrackEntry>();
  ConntrackEntry entry{**original, **reply, std::nullopt};
  if (const auto& zone = (*attrs)[kCtaZone]) {
    if (zone->size() != 2)
      return malformed("CTA_ZONE of " + std::to_string(zone->size()) + " bytes");
    entry.zone = static_cast<uint16_t>((*zone)[0] << 8 | (*zone)[1]);
  }
  return std::optional<ConntrackEntry>(entry);
}

void putTupleAddresses(MessageWriter& w, const FlowTuple& t) {
  const bool v4 = t.source.isV4();
  w.attr(v4 ? kCtaIpV4Src : kCtaIpV6Src, t.source.data(), t.source.size());
  w.attr(v4 ? kCtaIpV4Dst : kCtaIpV6Dst, t.destination.data(), t.destination.size());
}

}  // namespace

std::vector<uint8_t> encodeDumpRequest(uint32_t seq, IpFamily family) {
  return MessageWriter(ctnetlinkType(kMsgCtGet), kNlmFRequest | kNlmFDump, seq, familyByte(family))
      .finish();
}

Result<std::vector<uint8_t>> encodeDeleteRequest(uint32_t seq, const FlowTuple& original,
                                                 std::optional<uint16_t> zone) {
  if (original.source.family() != original.destination.family()) {
    return makeError(ErrorCode::kInvalidArgument,
                     "a conntrack tuple from " + original.source.toString() + " to " +
                         original.destination.toString() + " mixes address families");
  }
  MessageWriter w(ctnetlinkType(kMsgCtDelete), kNlmFRequest | kNlmFAck, seq,
                  familyByte(original.source.family()));
  const size_t tuple = w.beginNest(kCtaTupleOrig);
  const size_t ip = w.beginNest(kCtaTupleIp);
  putTupleAddresses(w, original);
  w.endNest(ip);
  const size_t proto = w.beginNest(kCtaTupleProto);
  w.attr(kCtaProtoNum, &original.protocol, 1);
  // Ports in network order, as the kernel's nla_get_be16 reads them.
  const uint8_t source_port[2] = {static_cast<uint8_t>(original.source_port >> 8),
                                  static_cast<uint8_t>(original.source_port)};
  const uint8_t destination_port[2] = {static_cast<uint8_t>(original.destination_port >> 8),
                                       static_cast<uint8_t>(original.destination_port)};
  w.attr(kCtaProtoSrcPort, source_port, 2);
  w.attr(kCtaProtoDstPort, destination_port, 2);
  w.endNest(proto);
  w.endNest(tuple);
  if (zone) {
    const uint8_t be[2] = {static_cast<uint8_t>(*zone >> 8), static_cast<uint8_t>(*zone)};
    w.attr(kCtaZone, be, 2);
  }
  return w.finish();
}

Result<std::vector<DumpMessage>> decodeDumpDatagram(std::span<const uint8_t> datagram) {
  std::vector<DumpMessage> out;
  size_t at = 0;
  while (at < datagram.size()) {
    if (datagram.size() - at < kNlmsgHeaderSize) {
      return malformed("truncated netlink header at byte " + std::to_string(at));
    }
    uint32_t length = 0;
    uint16_t type = 0;
    std::memcpy(&length, datagram.data() + at, 4);
    std::memcpy(&type, datagram.data() + at + 4, 2);
    if (length < kNlmsgHeaderSize || length > datagram.size() - at) {
      return malformed("message length " + std::to_string(length) + " at byte " +
                       std::to_string(at) + " does not fit the " + std::to_string(datagram.size()) +
                       "-byte datagram");
    }
    const auto payload = datagram.subspan(at + kNlmsgHeaderSize, length - kNlmsgHeaderSize);
    DumpMessage message;
    if (type == kNlmsgDone) {
      message.kind = DumpMessageKind::kDone;
    } else if (type == kNlmsgError) {
      int32_t error = 0;
      if (payload.size() < sizeof(error)) return malformed("truncated NLMSG_ERROR");
      std::memcpy(&error, payload.data(), sizeof(error));
      // netlink(7): the error is 0 (an acknowledgement) or a negated errno, and the kernel's errnos
      // stay below 4096 (MAX_ERRNO, include/linux/err.h). Anything else is not the kernel's answer,
      // and negating INT32_MIN would overflow.
      if (error > 0 || error < -kMaxErrno) {
        return malformed("NLMSG_ERROR at byte " + std::to_string(at) + " carries " +
                         std::to_string(error) + ", neither 0 nor a negated errno");
      }
      message.kind = DumpMessageKind::kError;
      message.error = -error;
    } else if (type == ctnetlinkType(kMsgCtNew)) {
      auto entry = decodeEntry(payload);
      if (!entry) return entry.error();
      message.kind = DumpMessageKind::kEntry;
      message.entry = *entry;
    }
    out.push_back(message);
    at += align4(length);
  }
  return out;
}

bool matchesFlow(const FlowMatch& match, const ConntrackEntry& entry) {
  const uint8_t protocol = match.protocol == Protocol::kUdp ? kIpProtoUdp : kIpProtoTcp;
  return entry.original.protocol == protocol && entry.original.destination == match.vip &&
         entry.original.destination_port == match.port && entry.reply.source == match.backend &&
         entry.reply.source_port == match.backend_port;
}

}  // namespace kubevip::nft

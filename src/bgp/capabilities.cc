#include "bgp/capabilities.h"

#include <string>

#include "bgp/wire.h"

namespace kubevip::bgp {
namespace {

void writeCapability(ByteWriter& w, uint8_t code, const std::vector<uint8_t>& value) {
  w.u8(code);
  w.u8(static_cast<uint8_t>(value.size()));
  w.bytes(value);
}

DecodeError malformed(uint8_t code, const std::string& what) {
  return decodeError(NotificationCode::kOpenMessage, open_error::kUnspecific,
                     "OPEN: capability " + std::to_string(code) + " is malformed: " + what);
}

}  // namespace

void encodeCapabilities(const Capabilities& caps, std::vector<uint8_t>& out) {
  ByteWriter w(out);
  for (const AfiSafi& f : caps.multiprotocol) {
    std::vector<uint8_t> v;
    ByteWriter vw(v);
    vw.u16(f.afi);
    vw.u8(0);  // reserved, RFC 4760 §8
    vw.u8(f.safi);
    writeCapability(w, kCapMultiprotocol, v);
  }
  if (caps.route_refresh) writeCapability(w, kCapRouteRefresh, {});
  if (!caps.extended_next_hop.empty()) {
    std::vector<uint8_t> v;
    ByteWriter vw(v);
    for (const ExtendedNextHop& e : caps.extended_next_hop) {
      vw.u16(e.nlri_afi);
      vw.u16(e.nlri_safi);
      vw.u16(e.next_hop_afi);
    }
    writeCapability(w, kCapExtendedNextHop, v);
  }
  if (caps.graceful_restart) {
    const GracefulRestart& gr = *caps.graceful_restart;
    std::vector<uint8_t> v;
    ByteWriter vw(v);
    uint16_t flags_and_time = gr.restart_time_seconds & 0x0fff;
    if (gr.restarting) flags_and_time |= 0x8000;
    if (gr.notification_support) flags_and_time |= 0x4000;
    vw.u16(flags_and_time);
    for (const GracefulRestart::Family& f : gr.families) {
      vw.u16(f.family.afi);
      vw.u8(f.family.safi);
      vw.u8(f.forwarding_preserved ? 0x80 : 0);
    }
    writeCapability(w, kCapGracefulRestart, v);
  }
  if (caps.four_octet_as) {
    std::vector<uint8_t> v;
    ByteWriter(v).u32(*caps.four_octet_as);
    writeCapability(w, kCapFourOctetAs, v);
  }
  for (const RawCapability& c : caps.others) writeCapability(w, c.code, c.value);
}

Decoded<bool> decodeCapabilities(std::span<const uint8_t> value, Capabilities& into) {
  ByteReader r(value);
  while (!r.empty()) {
    if (!r.has(2)) return malformed(0, "a capability header is cut short");
    uint8_t code = r.u8();
    uint8_t length = r.u8();
    if (!r.has(length)) {
      return malformed(code, "length " + std::to_string(length) + " runs past the parameter");
    }
    ByteReader v(r.take(length));
    switch (code) {
      case kCapMultiprotocol: {
        if (length != 4) return malformed(code, "length is not 4");
        AfiSafi f;
        f.afi = v.u16();
        v.u8();  // reserved
        f.safi = v.u8();
        into.multiprotocol.push_back(f);
        break;
      }
      case kCapRouteRefresh:
        if (length != 0) return malformed(code, "length is not 0");
        into.route_refresh = true;
        break;
      case kCapExtendedNextHop:
        if (length == 0 || length % 6 != 0) return malformed(code, "length is not a multiple of 6");
        while (!v.empty()) {
          ExtendedNextHop e;
          e.nlri_afi = v.u16();
          e.nlri_safi = v.u16();
          e.next_hop_afi = v.u16();
          into.extended_next_hop.push_back(e);
        }
        break;
      case kCapGracefulRestart: {
        if (length < 2 || (length - 2) % 4 != 0) {
          return malformed(code, "length is not 2 plus a multiple of 4");
        }
        GracefulRestart gr;
        uint16_t flags_and_time = v.u16();
        gr.restarting = (flags_and_time & 0x8000) != 0;
        gr.notification_support = (flags_and_time & 0x4000) != 0;
        gr.restart_time_seconds = flags_and_time & 0x0fff;
        while (!v.empty()) {
          GracefulRestart::Family f;
          f.family.afi = v.u16();
          f.family.safi = v.u8();
          f.forwarding_preserved = (v.u8() & 0x80) != 0;
          gr.families.push_back(f);
        }
        into.graceful_restart = gr;
        break;
      }
      case kCapFourOctetAs:
        if (length != 4) return malformed(code, "length is not 4");
        into.four_octet_as = v.u32();
        break;
      default: {
        auto raw = v.rest();
        into.others.push_back(RawCapability{code, {raw.begin(), raw.end()}});
        break;
      }
    }
  }
  return true;
}

}  // namespace kubevip::bgp

// The ctnetlink messages of conntrack.h against golden bytes (netlink is host-endian: these are a
// little-endian machine's bytes, as on amd64 and arm64), a dump answer captured from a real kernel,
// and malformed answers, which must be refused with a reason, never read past their end.
#include "nft/conntrack.h"

#include <gtest/gtest.h>

#include <string>

#include "support/addresses.h"

namespace kubevip::nft {
namespace {

std::vector<uint8_t> fromHex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string toHex(const std::vector<uint8_t>& bytes) {
  static const char* const kDigits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

using test::ip;

// Captured on Linux 6.1 in a fresh network namespace: lo up, `nft add rule ip t out ip daddr
// 127.0.0.100 udp dport 53 dnat to 127.0.0.2:5353` in a nat output chain, one datagram from
// 127.0.0.1:30000 to 127.0.0.100:53, then a dump (seq 7). The entry (IPCTNL_MSG_CT_NEW,
// NLM_F_MULTI) carries CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_STATUS, CTA_TIMEOUT, CTA_MARK, CTA_USE,
// CTA_ID.
const std::string kCapturedEntry =
    "a40000000001220007000000242d0000020000003400018014000180080001007f000001080002007f0000641c"
    "0002800500010011000000060002007530000006000300003500003400028014000180080001007f0000020800"
    "02007f0000011c00028005000100110000000600020014e90000060003007530000008000300000001a8080008"
    "000000000008000c00b043312708000b0000000001080007000000001d";
const std::string kCapturedDone = "140000000300020007000000242d000000000000";

const ConntrackEntry kCapturedFlow{FlowTuple{ip("127.0.0.1"), ip("127.0.0.100"), 17, 30000, 53},
                                   FlowTuple{ip("127.0.0.2"), ip("127.0.0.1"), 17, 5353, 30000},
                                   std::nullopt};

TEST(ConntrackCodec, DumpRequestsMatchTheirGoldens) {
  // nlmsghdr (length 20, IPCTNL_MSG_CT_GET of subsystem 1, NLM_F_REQUEST|NLM_F_DUMP, seq), then
  // nfgenmsg (family, version 0, res_id 0).
  EXPECT_EQ(toHex(encodeDumpRequest(1, IpFamily::kV4)),
            "14000000010101030100000000000000"
            "02000000");
  EXPECT_EQ(toHex(encodeDumpRequest(9, IpFamily::kV6)),
            "14000000010101030900000000000000"
            "0a000000");
}

TEST(ConntrackCodec, DeleteRequestCarriesTheOriginalTupleAsTheKernelDumpedIt) {
  auto request = encodeDeleteRequest(5, kCapturedFlow.original, std::nullopt);
  ASSERT_TRUE(request) << request.error().describe();
  // IPCTNL_MSG_CT_DELETE, NLM_F_REQUEST|NLM_F_ACK; the CTA_TUPLE_ORIG nest is byte for byte the
  // one of the captured dump.
  EXPECT_EQ(toHex(*request),
            "48000000020105000500000000000000"
            "02000000"
            "34000180"
            "14000180080001007f000001080002007f000064"
            "1c000280050001001100000006000200753000000600030000350000");
  EXPECT_NE(kCapturedEntry.find(toHex(*request).substr(40)), std::string::npos);
}

TEST(ConntrackCodec, DeleteRequestOfAnIpv6TupleInAZone) {
  const FlowTuple tuple{ip("fd00::1"), ip("fd00::100"), 17, 40000, 123};
  auto request = encodeDeleteRequest(2, tuple, uint16_t{0x0102});
  ASSERT_TRUE(request) << request.error().describe();
  EXPECT_EQ(toHex(*request),
            "68000000020105000200000000000000"
            "0a000000"
            "4c000180"
            "2c000180"
            "14000300fd000000000000000000000000000001"
            "14000400fd000000000000000000000000000100"
            "1c000280050001001100000006000200"
            "9c40000006000300007b0000"
            "060012000102"
            "0000");
}

TEST(ConntrackCodec, DeleteRequestRefusesATupleOfTwoFamilies) {
  const FlowTuple tuple{ip("10.0.0.1"), ip("fd00::100"), 17, 1, 2};
  auto request = encodeDeleteRequest(1, tuple, std::nullopt);
  ASSERT_FALSE(request);
  EXPECT_EQ(request.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(request.error().message.find("mixes address families"), std::string::npos);
}

TEST(ConntrackCodec, TheCapturedDumpDecodes) {
  auto entry = decodeDumpDatagram(fromHex(kCapturedEntry));
  ASSERT_TRUE(entry) << entry.error().describe();
  ASSERT_EQ(entry->size(), 1u);
  EXPECT_EQ((*entry)[0].kind, DumpMessageKind::kEntry);
  ASSERT_TRUE((*entry)[0].entry);
  EXPECT_EQ(*(*entry)[0].entry, kCapturedFlow);

  auto done = decodeDumpDatagram(fromHex(kCapturedDone));
  ASSERT_TRUE(done) << done.error().describe();
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ((*done)[0].kind, DumpMessageKind::kDone);
  // Both in one datagram, as the kernel may send them.
  auto both = decodeDumpDatagram(fromHex(kCapturedEntry + kCapturedDone));
  ASSERT_TRUE(both) << both.error().describe();
  EXPECT_EQ(both->size(), 2u);
}

TEST(ConntrackCodec, AZoneIsDecoded) {
  // The captured entry with CTA_ZONE 7 (be16) appended.
  std::vector<uint8_t> bytes = fromHex(kCapturedEntry + "0600120000070000");
  bytes[0] = static_cast<uint8_t>(bytes[0] + 8);
  auto decoded = decodeDumpDatagram(bytes);
  ASSERT_TRUE(decoded) << decoded.error().describe();
  ASSERT_TRUE((*decoded)[0].entry);
  EXPECT_EQ((*decoded)[0].entry->zone, uint16_t{7});
}

TEST(ConntrackCodec, ErrorsAndAcknowledgementsDecode) {
  // NLMSG_ERROR with error -2 (ENOENT), then one with 0 (an acknowledgement); each followed by the
  // request's header, as the kernel echoes it.
  auto decoded =
      decodeDumpDatagram(fromHex("24000000020000000500000000000000"
                                 "feffffff"
                                 "48000000020105000500000000000000"
                                 "24000000020000000600000000000000"
                                 "00000000"
                                 "48000000020105000600000000000000"));
  ASSERT_TRUE(decoded) << decoded.error().describe();
  ASSERT_EQ(decoded->size(), 2u);
  EXPECT_EQ((*decoded)[0].kind, DumpMessageKind::kError);
  EXPECT_EQ((*decoded)[0].error, 2);
  EXPECT_EQ((*decoded)[1].error, 0);
}

TEST(ConntrackCodec, AnIcmpEntryIsSkippedNotRefused) {
  // The captured entry with CTA_PROTO_NUM 1 (ICMP) in both tuples, and its ports left in place.
  std::string hex = kCapturedEntry;
  for (size_t at = hex.find("0500010011"); at != std::string::npos; at = hex.find("0500010011")) {
    hex.replace(at, 10, "0500010001");
  }
  auto decoded = decodeDumpDatagram(fromHex(hex));
  ASSERT_TRUE(decoded) << decoded.error().describe();
  EXPECT_EQ((*decoded)[0].kind, DumpMessageKind::kEntry);
  EXPECT_FALSE((*decoded)[0].entry);
}

struct Malformed {
  const char* name;
  std::string hex;
  const char* reason;  // a part of the error message
};

class ConntrackMalformed : public ::testing::TestWithParam<Malformed> {};

TEST_P(ConntrackMalformed, IsRefusedNamingWhatIsWrong) {
  auto decoded = decodeDumpDatagram(fromHex(GetParam().hex));
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(decoded.error().message.find(GetParam().reason), std::string::npos)
      << decoded.error().message;
}

std::string withByte(std::string hex, size_t byte, const char* value) {
  hex.replace(byte * 2, 2, value);
  return hex;
}

INSTANTIATE_TEST_SUITE_P(
    Answers, ConntrackMalformed,
    ::testing::Values(
        Malformed{"TruncatedHeader", "a4000000000122", "truncated netlink header"},
        Malformed{"MessageLongerThanTheDatagram", kCapturedEntry.substr(0, 200),
                  "does not fit the 100-byte datagram"},
        Malformed{"MessageShorterThanItsHeader", withByte(kCapturedDone, 0, "08"),
                  "message length 8"},
        Malformed{"TruncatedNfgenmsg", "120000000001220007000000000000000200",
                  "truncated nfgenmsg"},
        // CTA_TUPLE_ORIG claiming 0xff bytes, more than the message holds.
        Malformed{"AttributePastTheMessage", withByte(kCapturedEntry, 20, "ff"),
                  "attribute 1 has length 255"},
        Malformed{"AttributeShorterThanItsHeader", withByte(kCapturedEntry, 20, "02"),
                  "attribute 1 has length 2"},
        // The IPv4 source attribute of the original tuple says 7 bytes (3 of address).
        Malformed{"ShortAddress", withByte(kCapturedEntry, 28, "07"),
                  "CTA_TUPLE_ORIG CTA_TUPLE_IP source: an address of 3 bytes, expected 4"},
        // The original tuple's source port attribute says 5 bytes (1 of port).
        Malformed{"ShortPort", withByte(kCapturedEntry, 56, "05"),
                  "CTA_TUPLE_ORIG CTA_TUPLE_PROTO source: no 2-byte port"},
        // The reply tuple renamed to an attribute the decoder ignores (type 30).
        Malformed{"NoReplyTuple", withByte(kCapturedEntry, 74, "1e"), "no CTA_TUPLE_REPLY"},
        Malformed{"TruncatedError", "120000000200000005000000000000000000", "truncated"},
        // Found by the fuzzer: an error that is positive (16) or too low to negate (INT32_MIN)
        // was returned negated, a negative "errno", or overflowed.
        Malformed{"PositiveError",
                  "2400000002000000060000000000000010000000480000000201050006000000"
                  "00000000",
                  "NLMSG_ERROR at byte 0 carries 16, neither 0 nor a negated errno"},
        Malformed{"ErrorTooLowToNegate",
                  "2400000002000000060000000000000000000080480000000201050006000000"
                  "00000000",
                  "carries -2147483648, neither 0 nor a negated errno"}),
    [](const ::testing::TestParamInfo<Malformed>& param) { return std::string(param.param.name); });

TEST(ConntrackMatch, PicksTheVipsFlowsToThatBackendOnly) {
  const FlowMatch match{Protocol::kUdp, ip("127.0.0.100"), 53, ip("127.0.0.2"), 5353};
  EXPECT_TRUE(matchesFlow(match, kCapturedFlow));
  ConntrackEntry other = kCapturedFlow;
  other.reply.source = ip("127.0.0.3");
  EXPECT_FALSE(matchesFlow(match, other)) << "another backend";
  other = kCapturedFlow;
  other.reply.source_port = 5354;
  EXPECT_FALSE(matchesFlow(match, other)) << "another backend port";
  other = kCapturedFlow;
  other.original.destination_port = 54;
  EXPECT_FALSE(matchesFlow(match, other)) << "another service port";
  other = kCapturedFlow;
  other.original.destination = ip("127.0.0.101");
  EXPECT_FALSE(matchesFlow(match, other)) << "another VIP";
  other = kCapturedFlow;
  other.original.protocol = other.reply.protocol = 6;
  EXPECT_FALSE(matchesFlow(match, other)) << "TCP";
}

}  // namespace
}  // namespace kubevip::nft

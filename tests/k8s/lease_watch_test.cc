#include "k8s/lease_watch.h"

#include <gtest/gtest.h>

#include <string>

namespace kubevip::k8s {
namespace {

const std::string kModified =
    R"({"type":"MODIFIED","object":{"kind":"Lease","apiVersion":"coordination.k8s.io/v1",)"
    R"("metadata":{"name":"plndr-cp-lock","namespace":"kube-system","resourceVersion":"1042"},)"
    R"("spec":{"holderIdentity":"node-b","leaseDurationSeconds":5,)"
    R"("renewTime":"2026-11-26T07:00:01.250000Z","leaseTransitions":4}}})";
const std::string kReleased =
    R"({"type":"MODIFIED","object":{"kind":"Lease","apiVersion":"coordination.k8s.io/v1",)"
    R"("metadata":{"name":"plndr-cp-lock","namespace":"kube-system","resourceVersion":"1043"},)"
    R"("spec":{"holderIdentity":"","leaseDurationSeconds":1,"leaseTransitions":4}}})";

TEST(LeaseWatchPath, NamesTheLeaseAndTheStartingVersion) {
  EXPECT_EQ(leaseWatchPath("kube-system", "plndr-cp-lock", "1042", 290),
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases?watch=true&"
            "fieldSelector=metadata.name%3Dplndr-cp-lock&resourceVersion=1042&timeoutSeconds=290");
  EXPECT_EQ(leaseWatchPath("default", "x", "", 5),
            "/apis/coordination.k8s.io/v1/namespaces/default/leases?watch=true&"
            "fieldSelector=metadata.name%3Dx&timeoutSeconds=5");
}

TEST(LeaseWatchEvent, DecodesTypesAndTheLease) {
  auto event = parseLeaseWatchEvent(kModified);
  ASSERT_TRUE(event.ok()) << event.error().describe();
  EXPECT_EQ(event->type, LeaseWatchEvent::Type::kModified);
  EXPECT_EQ(event->lease.resource_version, "1042");
  EXPECT_EQ(event->lease.spec.holder_identity, "node-b");
  EXPECT_EQ(event->lease.spec.lease_transitions, 4);
  ASSERT_TRUE(event->lease.spec.renew_time);
  EXPECT_EQ(formatMicroTime(*event->lease.spec.renew_time), "2026-11-26T07:00:01.250000Z");

  std::string added = kModified;
  added.replace(added.find("MODIFIED"), 8, "ADDED");
  EXPECT_EQ(parseLeaseWatchEvent(added)->type, LeaseWatchEvent::Type::kAdded);
  std::string deleted = kModified;
  deleted.replace(deleted.find("MODIFIED"), 8, "DELETED");
  EXPECT_EQ(parseLeaseWatchEvent(deleted)->type, LeaseWatchEvent::Type::kDeleted);
  // An object without its kind is still a Lease.
  auto no_kind = parseLeaseWatchEvent(
      R"({"type":"ADDED","object":{"metadata":{"name":"l","resourceVersion":"7"},"spec":{}}})");
  ASSERT_TRUE(no_kind.ok()) << no_kind.error().describe();
  EXPECT_EQ(no_kind->lease.resource_version, "7");
}

TEST(LeaseWatchEvent, ErrorsAndGarbage) {
  auto gone = parseLeaseWatchEvent(
      R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure",)"
      R"j("message":"too old resource version: 5 (1042)","reason":"Expired","code":410}})j");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_NE(gone.error().message.find("too old resource version"), std::string::npos);
  auto forbidden = parseLeaseWatchEvent(
      R"({"type":"ERROR","object":{"kind":"Status","message":"no","reason":"Forbidden",)"
      R"("code":403}})");
  ASSERT_FALSE(forbidden.ok());
  EXPECT_EQ(forbidden.error().code, ErrorCode::kPermission);
  EXPECT_FALSE(parseLeaseWatchEvent("{not json").ok());
  EXPECT_FALSE(parseLeaseWatchEvent(R"({"type":"MODIFIED"})").ok());
  EXPECT_FALSE(parseLeaseWatchEvent(R"({"type":"BOOKMARK","object":{}})").ok());
  EXPECT_FALSE(parseLeaseWatchEvent(R"({"type":"MODIFIED","object":{"kind":"Pod"}})").ok());
}

// Read while fixing what fuzzing found in errorFromResponse: a code or message of another type
// threw out of parseLeaseWatchEvent.
TEST(LeaseWatchEvent, AStatusWithFieldsOfOtherTypesIsAnErrorNotAnException) {
  auto string_code =
      parseLeaseWatchEvent(R"({"type":"ERROR","object":{"kind":"Status","code":"410"}})");
  ASSERT_FALSE(string_code.ok());
  auto number_message =
      parseLeaseWatchEvent(R"({"type":"ERROR","object":{"kind":"Status","code":410,"message":7}})");
  ASSERT_FALSE(number_message.ok());
  EXPECT_EQ(number_message.error().code, ErrorCode::kNotFound);
}

TEST(WatchStreamParser, EventsSplitAnywhereComeOutWhole) {
  const std::string stream = kModified + "\n" + kReleased + "\r\n\n";
  // Every pair of cut points, including inside "\r\n" and inside a timestamp.
  for (size_t i = 0; i <= stream.size(); i += 7) {
    for (size_t j = i; j <= stream.size(); j += 13) {
      WatchStreamParser parser;
      std::vector<Result<LeaseWatchEvent>> events;
      for (auto piece : {stream.substr(0, i), stream.substr(i, j - i), stream.substr(j)}) {
        for (auto& e : parser.feed(piece)) events.push_back(std::move(e));
      }
      ASSERT_EQ(events.size(), 2u) << "cut at " << i << ", " << j;
      ASSERT_TRUE(events[0].ok() && events[1].ok());
      EXPECT_EQ(events[0]->lease.spec.holder_identity, "node-b");
      EXPECT_EQ(events[1]->lease.spec.holder_identity, "");
      EXPECT_EQ(events[1]->lease.resource_version, "1043");
      EXPECT_EQ(parser.pending(), 0u);
    }
  }
}

TEST(WatchStreamParser, KeepsAnUnfinishedLineAndByteAtATimeWorks) {
  WatchStreamParser parser;
  EXPECT_TRUE(parser.feed(kModified.substr(0, 40)).empty());
  EXPECT_EQ(parser.pending(), 40u);
  std::vector<Result<LeaseWatchEvent>> events;
  const std::string rest = kModified.substr(40) + "\n" + kReleased + "\n";
  for (char c : rest) {
    for (auto& e : parser.feed(std::string_view(&c, 1))) events.push_back(std::move(e));
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[0].ok());
  EXPECT_EQ(events[1]->lease.spec.lease_duration_seconds, 1);
  // A broken line is an error in its place; the stream goes on.
  auto mixed = parser.feed("{oops\n" + kReleased + "\n");
  ASSERT_EQ(mixed.size(), 2u);
  EXPECT_FALSE(mixed[0].ok());
  EXPECT_TRUE(mixed[1].ok());
}

TEST(WatchStreamParser, AnOverlongLineIsAnErrorAndNotKept) {
  WatchStreamParser parser;
  const std::string piece(64 * 1024, 'x');
  std::vector<Result<LeaseWatchEvent>> events;
  for (size_t sent = 0; sent <= kMaxWatchLineBytes && events.empty(); sent += piece.size()) {
    events = parser.feed(piece);
    EXPECT_LE(parser.pending(), kMaxWatchLineBytes);
  }
  ASSERT_EQ(events.size(), 1u);
  ASSERT_FALSE(events[0].ok());
  EXPECT_EQ(events[0].error().message,
            "a watch event line from the API server exceeds the 2 MiB cap (2097152 bytes)");
  EXPECT_EQ(parser.pending(), 0u);
  // Also when the newline comes in the same chunk as the excess.
  WatchStreamParser whole;
  auto one = whole.feed(std::string(kMaxWatchLineBytes + 1, 'y') + "\n" + kReleased + "\n");
  ASSERT_EQ(one.size(), 1u);
  EXPECT_FALSE(one[0].ok());
  // A line of exactly the cap is still parsed (here: as malformed JSON, not as too long).
  auto at_cap = WatchStreamParser().feed(std::string(kMaxWatchLineBytes, 'z') + "\n");
  ASSERT_EQ(at_cap.size(), 1u);
  EXPECT_EQ(at_cap[0].error().message.find("exceeds"), std::string::npos);
}

}  // namespace
}  // namespace kubevip::k8s

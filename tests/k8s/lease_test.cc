#include "k8s/lease.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace kubevip::k8s {
namespace {

TEST(MicroTimeTest, FormatsLikeKubernetesMicroTime) {
  // 2006-01-02T15:04:05Z is 1136214245 s after the epoch.
  WallTime t{std::chrono::microseconds(1136214245'000123)};
  EXPECT_EQ(formatMicroTime(t), "2006-01-02T15:04:05.000123Z");
  EXPECT_EQ(formatMicroTime(WallTime{}), "1970-01-01T00:00:00.000000Z");
}

TEST(MicroTimeTest, ParsesItsOwnOutputAndOtherRfc3339Forms) {
  WallTime t{std::chrono::microseconds(1764133200'654321)};
  auto back = parseMicroTime(formatMicroTime(t));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, t);
  auto seconds_only = parseMicroTime("2006-01-02T15:04:05Z");
  ASSERT_TRUE(seconds_only.ok());
  EXPECT_EQ(seconds_only->time_since_epoch().count(), 1136214245'000000);
  auto nanos = parseMicroTime("2006-01-02T15:04:05.123456789Z");
  ASSERT_TRUE(nanos.ok());
  EXPECT_EQ(nanos->time_since_epoch().count(), 1136214245'123456);
  auto offset = parseMicroTime("2006-01-02T17:04:05.5+02:00");
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(offset->time_since_epoch().count(), 1136214245'500000);
  for (const char* bad : {"", "2006-01-02", "2006-01-02T15:04:05", "2006-13-02T15:04:05Z",
                          "2006-01-02T15:04:05.Z", "2006-01-02T15:04:05Zjunk"}) {
    EXPECT_FALSE(parseMicroTime(bad).ok()) << bad;
  }
}

TEST(LeaseJsonTest, RoundTrips) {
  Lease lease{"plndr-cp-lock", "kube-system", "42",
              LeaseSpec{"node-1", 5, WallTime{std::chrono::microseconds(1'000'001)},
                        WallTime{std::chrono::microseconds(2'000'002)}, 3}};
  const std::string json = leaseToJson(lease);
  auto doc = nlohmann::json::parse(json);
  EXPECT_EQ(doc["apiVersion"], "coordination.k8s.io/v1");
  EXPECT_EQ(doc["kind"], "Lease");
  EXPECT_EQ(doc["metadata"]["resourceVersion"], "42");
  EXPECT_EQ(doc["spec"]["renewTime"], "1970-01-01T00:00:02.000002Z");
  EXPECT_EQ(doc["spec"]["leaseDurationSeconds"], 5);
  auto back = leaseFromJson(json);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(back->name, "plndr-cp-lock");
  EXPECT_EQ(back->lease_namespace, "kube-system");
  EXPECT_EQ(back->resource_version, "42");
  EXPECT_EQ(back->spec, lease.spec);
}

TEST(LeaseJsonTest, CreateBodyHasNoResourceVersionAndReleasedHolderIsEmpty) {
  Lease lease{"l", "ns", "", LeaseSpec{"", 1, {}, {}, 2}};
  auto doc = nlohmann::json::parse(leaseToJson(lease));
  EXPECT_FALSE(doc["metadata"].contains("resourceVersion"));
  EXPECT_EQ(doc["spec"]["holderIdentity"], "");
  EXPECT_FALSE(doc["spec"].contains("renewTime"));
}

TEST(LeaseJsonTest, ReadsAServerObjectWithMissingFields) {
  auto lease = leaseFromJson(R"({"kind":"Lease","apiVersion":"coordination.k8s.io/v1",
    "metadata":{"name":"x","namespace":"y","resourceVersion":"7","uid":"u",
    "creationTimestamp":"2024-01-01T00:00:00Z"},"spec":{}})");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->spec.holder_identity, "");
  EXPECT_EQ(lease->spec.lease_transitions, 0);
  EXPECT_FALSE(lease->spec.renew_time);
}

TEST(LeaseJsonTest, RejectsWhatIsNotALease) {
  EXPECT_FALSE(leaseFromJson("not json").ok());
  EXPECT_FALSE(leaseFromJson(R"({"kind":"Status"})").ok());
  EXPECT_FALSE(leaseFromJson(R"({"kind":"Lease","metadata":{},"spec":{"renewTime":"x"}})").ok());
}

// Found by fuzzing: a "kind" that is not a string threw out of leaseFromJson (and so out of the
// Lease watch), which would have ended the daemon.
TEST(LeaseJsonTest, AKindThatIsNotAStringIsAnErrorNotAnException) {
  auto lease = leaseFromJson(R"({"kind":{"name":"web"},"metadata":{"name":"l"}})");
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.error().message,
            R"(expected a Lease from the API server, got kind {"name":"web"})");
  EXPECT_FALSE(leaseFromJson(R"({"kind":7})").ok());
  EXPECT_FALSE(leaseFromJson("{\"kind\":\"\xff\"}").ok());
}

}  // namespace
}  // namespace kubevip::k8s

#include "k8s/lease_requests.h"

#include <gtest/gtest.h>

namespace kubevip::k8s {
namespace {

const std::string kLease =
    R"({"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"name":"l",)"
    R"("namespace":"ns","resourceVersion":"42"},"spec":{"holderIdentity":"a",)"
    R"("leaseDurationSeconds":5,"leaseTransitions":2}})";

TEST(LeaseRequests, PathsMethodsAndActions) {
  LeaseSpec spec;
  spec.holder_identity = "a";
  const auto get = leaseGetRequest("ns", "l");
  EXPECT_EQ(get.http.method, "GET");
  EXPECT_EQ(get.http.path, "/apis/coordination.k8s.io/v1/namespaces/ns/leases/l");
  EXPECT_EQ(get.action, "get Lease ns/l");
  const auto create = leaseCreateRequest("ns", "l", spec);
  EXPECT_EQ(create.http.method, "POST");
  EXPECT_EQ(create.http.path, "/apis/coordination.k8s.io/v1/namespaces/ns/leases");
  EXPECT_EQ(create.expected_status, 201);
  auto created = leaseFromJson(create.http.body);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->spec.holder_identity, "a");
  EXPECT_TRUE(created->resource_version.empty());
  const auto update = leaseUpdateRequest("ns", "l", "41", spec);
  EXPECT_EQ(update.http.method, "PUT");
  EXPECT_EQ(update.http.path, "/apis/coordination.k8s.io/v1/namespaces/ns/leases/l");
  EXPECT_EQ(leaseFromJson(update.http.body)->resource_version, "41");
  EXPECT_EQ(update.action, "update Lease ns/l");
}

TEST(LeaseRequests, Answers) {
  const auto create = leaseCreateRequest("ns", "l", LeaseSpec{});
  for (long status : {200L, 201L}) {
    auto lease = leaseFromResponse(HttpResponse{status, kLease}, create);
    ASSERT_TRUE(lease.ok()) << status;
    EXPECT_EQ(lease->resource_version, "42");
  }
  const auto update = leaseUpdateRequest("ns", "l", "41", LeaseSpec{});
  EXPECT_FALSE(leaseFromResponse(HttpResponse{201, kLease}, update).ok());
  auto conflict = leaseFromResponse(
      HttpResponse{409, R"({"kind":"Status","reason":"Conflict","message":"modified"})"}, update);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict);
  EXPECT_EQ(conflict.error().message, "update Lease ns/l: conflict (409): modified");
  auto garbage = leaseFromResponse(HttpResponse{200, "{"}, update);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().message.rfind("update Lease ns/l: ", 0), 0u);
  auto unreachable = leaseFromResponse(makeError(ErrorCode::kUnavailable, "down"), update);
  EXPECT_EQ(unreachable.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace kubevip::k8s

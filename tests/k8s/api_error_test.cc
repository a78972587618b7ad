#include "k8s/api_error.h"

#include <gtest/gtest.h>

namespace kubevip::k8s {
namespace {

TEST(ApiErrorTest, ForbiddenKeepsTheRbacMessage) {
  const char* body = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
    "message":"leases.coordination.k8s.io \"plndr-cp-lock\" is forbidden: User \"system:serviceaccount:kube-system:kube-vip\" cannot update resource \"leases\" in API group \"coordination.k8s.io\" in the namespace \"kube-system\"",
    "reason":"Forbidden","details":{"name":"plndr-cp-lock","group":"coordination.k8s.io","kind":"leases"},"code":403})";
  Error e = errorFromResponse(403, body, "update Lease kube-system/plndr-cp-lock");
  EXPECT_EQ(e.code, ErrorCode::kPermission);
  EXPECT_NE(e.message.find("update Lease kube-system/plndr-cp-lock"), std::string::npos);
  EXPECT_NE(e.message.find("forbidden (403)"), std::string::npos);
  EXPECT_NE(e.message.find("cannot update resource \"leases\""), std::string::npos);
}

TEST(ApiErrorTest, MapsCodes) {
  EXPECT_EQ(
      errorFromResponse(401, R"({"kind":"Status","message":"Unauthorized","code":401})", "x").code,
      ErrorCode::kPermission);
  EXPECT_NE(errorFromResponse(401, "{}", "x").message.find("credentials"), std::string::npos);
  EXPECT_EQ(errorFromResponse(404, "", "x").code, ErrorCode::kNotFound);
  Error exists = errorFromResponse(
      409, R"({"kind":"Status","reason":"AlreadyExists","message":"already exists"})", "x");
  EXPECT_EQ(exists.code, ErrorCode::kConflict);
  EXPECT_NE(exists.message.find("already exists (409)"), std::string::npos);
  Error conflict = errorFromResponse(
      409, R"({"kind":"Status","reason":"Conflict","message":"the object has been modified"})",
      "x");
  EXPECT_EQ(conflict.code, ErrorCode::kConflict);
  EXPECT_NE(conflict.message.find("conflict (409)"), std::string::npos);
  EXPECT_EQ(errorFromResponse(503, "", "x").code, ErrorCode::kUnavailable);
  EXPECT_EQ(errorFromResponse(429, "", "x").code, ErrorCode::kUnavailable);
  Error other = errorFromResponse(422, "<html>bad</html>", "x");
  EXPECT_EQ(other.code, ErrorCode::kInvalidArgument);
  EXPECT_NE(other.message.find("<html>bad</html>"), std::string::npos);
}

// Found by fuzzing: a "kind" that is not a string threw out of errorFromResponse (through the
// Lease watch's ERROR events), which would have ended the daemon.
TEST(ApiErrorTest, AKindThatIsNotAStringIsShownNotThrown) {
  Error error = errorFromResponse(500, R"({"kind":7,"message":"m"})", "x");
  EXPECT_EQ(error.code, ErrorCode::kUnavailable);
  EXPECT_NE(error.message.find(R"({"kind":7)"), std::string::npos) << error.message;
}

}  // namespace
}  // namespace kubevip::k8s

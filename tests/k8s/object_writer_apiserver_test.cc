// The ObjectWriter against the test API server (tests/e2e/apiserver/apiserver.py) on loopback, in
// the k8s_apiserver_client_test binary (apiserver_client_test.sh starts the server).
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/event_loop.h"
#include "k8s/cluster_access.h"
#include "k8s/http_transport.h"
#include "k8s/object_writer.h"

namespace kubevip::k8s {
namespace {

using std::chrono::milliseconds;
using Json = nlohmann::json;

class ObjectWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("KUBEVIP_TEST_APISERVER");
    if (dir == nullptr) GTEST_SKIP() << "KUBEVIP_TEST_APISERVER is not set";
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop.ok());
    loop_ = std::move(*loop);
    auto access = loadKubeconfig(std::string(dir) + "/token.conf");
    ASSERT_TRUE(access.ok()) << access.error().describe();
    auto writer = ObjectWriter::create(*loop_, *access, milliseconds(5000));
    ASSERT_TRUE(writer.ok()) << writer.error().describe();
    writer_ = std::move(*writer);
    // A Service of type LoadBalancer to write to, created by a plain request.
    auto transport = HttpTransport::create(*access, milliseconds(5000));
    ASSERT_TRUE(transport.ok());
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : name_) c = static_cast<char>(std::tolower(c));
    Json service = {{"apiVersion", "v1"},
                    {"kind", "Service"},
                    {"metadata", {{"name", name_}, {"namespace", "default"}}},
                    {"spec", {{"type", "LoadBalancer"}, {"ports", {{{"port", 80}}}}}}};
    auto created =
        (*transport)->send({"POST", "/api/v1/namespaces/default/services", service.dump()});
    ASSERT_TRUE(created.ok());
    ASSERT_EQ(created->status, 201) << created->body;
    path_ = "/api/v1/namespaces/default/services/" + name_;
  }

  // Runs the loop until the callback has fired.
  template <typename Issue>
  Result<Json> call(Issue&& issue) {
    std::optional<Result<std::string>> out;
    bool synchronous = true;
    issue([&](Result<std::string> r) {
      EXPECT_FALSE(synchronous) << "called back from within the call";
      out.emplace(std::move(r));
      loop_->stop();
    });
    synchronous = false;
    auto guard = loop_->time().createTimer();
    guard->start(std::chrono::seconds(10), [&] { loop_->stop(); });
    loop_->run();
    if (!out) return makeError(ErrorCode::kTimeout, "no callback");
    if (!out->ok()) return out->error();
    Json doc = Json::parse(**out, nullptr, false);
    if (doc.is_discarded()) return makeError(ErrorCode::kInvalidArgument, "not JSON: " + **out);
    return doc;
  }

  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<ObjectWriter> writer_;
  std::string name_;
  std::string path_;
};

TEST_F(ObjectWriterTest, StatusSubresourcePatch) {
  Json patch = {{"status",
                 {{"loadBalancer",
                   {{"ingress",
                     {{{"ip", "192.0.2.10"},
                       {"ipMode", "VIP"},
                       {"ports", {{{"port", 80}, {"protocol", "TCP"}}}}}}}}}}}};
  auto patched =
      call([&](auto done) { writer_->mergePatch(path_ + "/status", patch.dump(), done); });
  ASSERT_TRUE(patched.ok()) << patched.error().describe();
  EXPECT_EQ((*patched)["status"]["loadBalancer"]["ingress"][0]["ip"], "192.0.2.10");
  auto got = call([&](auto done) { writer_->get(path_, done); });
  ASSERT_TRUE(got.ok()) << got.error().describe();
  EXPECT_EQ((*got)["status"]["loadBalancer"]["ingress"][0]["ipMode"], "VIP");
  // The main resource ignores status: a status written there does not change it.
  Json elsewhere = {{"status", {{"loadBalancer", {{"ingress", Json::array()}}}}}};
  auto ignored = call([&](auto done) { writer_->mergePatch(path_, elsewhere.dump(), done); });
  ASSERT_TRUE(ignored.ok()) << ignored.error().describe();
  EXPECT_EQ((*ignored)["status"]["loadBalancer"]["ingress"][0]["ip"], "192.0.2.10");
}

TEST_F(ObjectWriterTest, AnnotationPatchAndStaleResourceVersionConflicts) {
  auto before = call([&](auto done) { writer_->get(path_, done); });
  ASSERT_TRUE(before.ok()) << before.error().describe();
  const std::string read_version = (*before)["metadata"]["resourceVersion"];
  Json patch = {{"metadata",
                 {{"resourceVersion", read_version},
                  {"annotations", {{"kube-vip.io/loadbalancerIPs", "192.0.2.20"}}}}}};
  auto patched = call([&](auto done) { writer_->mergePatch(path_, patch.dump(), done); });
  ASSERT_TRUE(patched.ok()) << patched.error().describe();
  EXPECT_EQ((*patched)["metadata"]["annotations"]["kube-vip.io/loadbalancerIPs"], "192.0.2.20");
  EXPECT_NE((*patched)["metadata"]["resourceVersion"], read_version);
  // The same patch again carries the version read before the first: the object has changed.
  patch["metadata"]["annotations"]["kube-vip.io/loadbalancerIPs"] = "192.0.2.21";
  auto stale = call([&](auto done) { writer_->mergePatch(path_, patch.dump(), done); });
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_NE(stale.error().message.find("merge-patch " + path_ + ": conflict (409)"),
            std::string::npos)
      << stale.error().message;
  // Removing an annotation is a null in a merge patch (RFC 7386 §2).
  Json remove = {{"metadata", {{"annotations", {{"kube-vip.io/loadbalancerIPs", nullptr}}}}}};
  auto removed = call([&](auto done) { writer_->mergePatch(path_, remove.dump(), done); });
  ASSERT_TRUE(removed.ok()) << removed.error().describe();
  EXPECT_FALSE((*removed)["metadata"].contains("annotations") &&
               (*removed)["metadata"]["annotations"].contains("kube-vip.io/loadbalancerIPs"));
}

TEST_F(ObjectWriterTest, MissingObjectIsNotFoundAndRequestsRunInOrder) {
  auto missing = call([&](auto done) { writer_->get(path_ + "-missing", done); });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  // Two patches issued back to back land in order: the second one's value stays.
  std::vector<std::string> answered;
  for (const char* value : {"first", "second"}) {
    Json patch = {{"metadata", {{"annotations", {{"order", value}}}}}};
    writer_->mergePatch(path_, patch.dump(), [&, value](Result<std::string> r) {
      EXPECT_TRUE(r.ok());
      answered.push_back(value);
    });
  }
  auto got = call([&](auto done) { writer_->get(path_, done); });
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(answered, (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ((*got)["metadata"]["annotations"]["order"], "second");
}

TEST_F(ObjectWriterTest, NoCallbackAfterDestruction) {
  bool called = false;
  writer_->get(path_, [&](Result<std::string>) { called = true; });
  writer_.reset();  // waits for the request in flight, drops its answer
  auto t = loop_->time().createTimer();
  t->start(milliseconds(100), [&] { loop_->stop(); });
  loop_->run();
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace kubevip::k8s

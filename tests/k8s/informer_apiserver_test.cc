// The Informer against the test API server (tests/e2e/apiserver/apiserver.py) on loopback, in the
// k8s_apiserver_client_test binary: apiserver_client_test.sh starts the server (bookmarks every
// 0.2 s) and passes its directory in KUBEVIP_TEST_APISERVER.
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "common/event_loop.h"
#include "k8s/cluster_access.h"
#include "k8s/http_transport.h"
#include "k8s/informer.h"

namespace kubevip::k8s {
namespace {

using std::chrono::milliseconds;

class InformerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("KUBEVIP_TEST_APISERVER");
    if (dir == nullptr) GTEST_SKIP() << "KUBEVIP_TEST_APISERVER is not set";
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop.ok());
    loop_ = std::move(*loop);
    auto access = loadKubeconfig(std::string(dir) + "/token.conf");
    ASSERT_TRUE(access.ok()) << access.error().describe();
    access_ = *access;
    auto transport = HttpTransport::create(access_, milliseconds(5000));
    ASSERT_TRUE(transport.ok());
    writer_ = std::move(*transport);
    // Each test's objects carry its own label, so that the tests do not see each other's.
    label_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  // A blocking request from the test (the loop is not running meanwhile); returns the answer.
  nlohmann::json request(const std::string& method, const std::string& path,
                         const std::string& body = "") {
    auto response = writer_->send({method, path, body});
    EXPECT_TRUE(response.ok()) << response.error().describe();
    if (!response.ok()) return {};
    EXPECT_LT(response->status, 300) << method << " " << path << ": " << response->body;
    return nlohmann::json::parse(response->body, nullptr, false);
  }
  std::string put(const std::string& name, const std::string& value, bool create) {
    nlohmann::json cm = {{"apiVersion", "v1"},
                         {"kind", "ConfigMap"},
                         {"metadata", {{"name", name}, {"labels", {{"test", label_}}}}},
                         {"data", {{"value", value}}}};
    const std::string path = "/api/v1/namespaces/default/configmaps";
    auto answer =
        create ? request("POST", path, cm.dump()) : request("PUT", path + "/" + name, cm.dump());
    return answer["metadata"]["resourceVersion"].get<std::string>();
  }
  void remove(const std::string& name) {
    request("DELETE", "/api/v1/namespaces/default/configmaps/" + name);
  }

  InformerOptions options() {
    InformerOptions o;
    o.description = "configmaps labelled test=" + label_;
    o.collection_path = "/api/v1/namespaces/default/configmaps";
    o.label_selector = "test=" + label_;
    o.request_timeout = milliseconds(5000);
    o.watch_seconds = 60;
    o.backoff_initial = milliseconds(20);
    o.backoff_max = milliseconds(200);
    return o;
  }

  // Starts an informer that records everything into replaces_/events_/errors_.
  std::unique_ptr<Informer> start(InformerOptions o) {
    auto informer = Informer::create(*loop_, access_, std::move(o));
    EXPECT_TRUE(informer.ok()) << informer.error().describe();
    if (!informer.ok()) return nullptr;
    InformerCallbacks callbacks;
    callbacks.on_replace = [this](std::vector<WatchedObject> objects) {
      replaces_.push_back(std::move(objects));
      check();
    };
    callbacks.on_event = [this](InformerEventType type, WatchedObject object) {
      EXPECT_FALSE(replaces_.empty()) << "an event before the first on_replace";
      events_.emplace_back(type, std::move(object));
      check();
    };
    callbacks.on_error = [this](const Error& error) {
      errors_.push_back(error.message);
      check();
    };
    (*informer)->start(callbacks);
    return std::move(*informer);
  }

  // Runs the loop until `done` holds (checked after each callback), at most 10 s.
  bool runUntil(std::function<bool()> done) {
    done_ = std::move(done);
    if (done_()) return true;
    auto guard = loop_->time().createTimer();
    guard->start(std::chrono::seconds(10), [&] { loop_->stop(); });
    loop_->run();
    return done_();
  }
  void check() {
    if (done_ && done_()) loop_->stop();
  }
  // Runs the loop for `d` (for things that must NOT happen meanwhile).
  void runFor(milliseconds d) {
    done_ = nullptr;
    auto t = loop_->time().createTimer();
    t->start(d, [&] { loop_->stop(); });
    loop_->run();
  }
  size_t eventsFor(const std::string& key) {
    size_t n = 0;
    for (const auto& [type, object] : events_) n += object.key == key ? 1 : 0;
    return n;
  }

  std::unique_ptr<EventLoop> loop_;
  ClusterAccess access_;
  std::unique_ptr<HttpTransport> writer_;
  std::string label_;
  std::function<bool()> done_;
  std::vector<std::vector<WatchedObject>> replaces_;
  std::vector<std::pair<InformerEventType, WatchedObject>> events_;
  std::vector<std::string> errors_;
};

TEST_F(InformerTest, PagedListThenCreateModifyDelete) {
  for (const char* name : {"listed-a", "listed-b", "listed-c", "listed-d", "listed-e"}) {
    put(std::string(name) + "-" + "paged", "1", true);
  }
  InformerOptions o = options();
  o.page_size = 2;  // three pages, following metadata.continue
  auto informer = start(o);
  ASSERT_TRUE(runUntil([&] { return !replaces_.empty(); }));
  ASSERT_EQ(replaces_[0].size(), 5u);
  EXPECT_EQ(replaces_[0][0].key, "default/listed-a-paged");
  EXPECT_EQ(replaces_[0][4].key, "default/listed-e-paged");
  EXPECT_EQ(nlohmann::json::parse(replaces_[0][2].json)["data"]["value"], "1");

  const std::string created = put("watched", "1", true);
  const std::string modified = put("watched", "2", false);
  remove("watched");
  ASSERT_TRUE(runUntil([&] { return events_.size() >= 3; })) << events_.size();
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_EQ(events_[0].first, InformerEventType::kAdded);
  EXPECT_EQ(events_[0].second.key, "default/watched");
  EXPECT_EQ(events_[0].second.resource_version, created);
  EXPECT_EQ(events_[1].first, InformerEventType::kModified);
  EXPECT_EQ(events_[1].second.resource_version, modified);
  EXPECT_EQ(nlohmann::json::parse(events_[1].second.json)["data"]["value"], "2");
  EXPECT_EQ(events_[2].first, InformerEventType::kDeleted);
  EXPECT_EQ(events_[2].second.key, "default/watched");
  EXPECT_TRUE(errors_.empty()) << errors_[0];
  EXPECT_EQ(replaces_.size(), 1u);
}

// A watch dropped by the server (the connection breaks, no final chunk) resumes from the last
// resourceVersion: what was written meanwhile arrives exactly once, without a relist.
TEST_F(InformerTest, ResumeAfterDroppedWatchLosesNothing) {
  put("before", "1", true);
  InformerOptions o = options();
  o.backoff_initial = milliseconds(300);  // the writes below land while it waits
  o.backoff_max = milliseconds(300);
  auto informer = start(o);
  ASSERT_TRUE(runUntil([&] { return !replaces_.empty(); }));
  put("live", "1", true);
  ASSERT_TRUE(runUntil([&] { return eventsFor("default/live") == 1; }));

  request("POST", "/_test/drop-watches");
  put("while-away-1", "1", true);
  put("before", "2", false);
  remove("live");
  ASSERT_TRUE(runUntil([&] { return events_.size() >= 4 || replaces_.size() > 1; }));
  runFor(milliseconds(300));  // nothing more may come: no duplicates
  ASSERT_EQ(events_.size(), 4u);
  EXPECT_EQ(events_[1].second.key, "default/while-away-1");
  EXPECT_EQ(events_[2].second.key, "default/before");
  EXPECT_EQ(events_[2].first, InformerEventType::kModified);
  EXPECT_EQ(events_[3].first, InformerEventType::kDeleted);
  EXPECT_EQ(replaces_.size(), 1u) << "resumed by a relist instead of from the resourceVersion";
  ASSERT_GE(errors_.size(), 1u);  // the broken stream is reported
}

// 410 Gone on the resumed watch: the informer lists again and hands over the complete state.
TEST_F(InformerTest, RelistAfterGone) {
  put("kept", "1", true);
  put("dropped", "1", true);
  auto informer = start(options());
  ASSERT_TRUE(runUntil([&] { return !replaces_.empty(); }));
  ASSERT_EQ(replaces_[0].size(), 2u);
  // Every version so far is now too old, and the watch is broken off.
  request("POST", "/_test/expire-watches");
  ASSERT_TRUE(runUntil([&] { return replaces_.size() >= 2; }));
  ASSERT_EQ(replaces_[1].size(), 2u);
  EXPECT_EQ(replaces_[1][0].key, "default/dropped");
  EXPECT_EQ(replaces_[1][1].key, "default/kept");
  // Watching goes on after the relist.
  remove("dropped");
  ASSERT_TRUE(runUntil([&] { return eventsFor("default/dropped") == 1; }));
  EXPECT_EQ(events_.back().first, InformerEventType::kDeleted);
}

// Bookmarks move the informer's resourceVersion on although no object of its own changed, so a
// resumed watch starts after versions the server has since forgotten: no relist.
TEST_F(InformerTest, BookmarksAdvanceTheResourceVersion) {
  put("mine", "1", true);
  auto informer = start(options());
  ASSERT_TRUE(runUntil([&] { return !replaces_.empty(); }));
  // Writes the informer does not see (another label), then time for a bookmark (every 0.2 s).
  nlohmann::json other = {{"apiVersion", "v1"},
                          {"kind", "ConfigMap"},
                          {"metadata", {{"name", "not-labelled-for-the-informer"}}},
                          {"data", {{"value", "1"}}}};
  auto answer = request("POST", "/api/v1/namespaces/default/configmaps", other.dump());
  const std::string other_rv = answer["metadata"]["resourceVersion"].get<std::string>();
  runFor(milliseconds(700));
  // Versions before the unseen write are forgotten; the watch is broken off.
  request("POST", "/_test/expire-watches?resourceVersion=" + other_rv);
  put("mine", "2", false);
  ASSERT_TRUE(runUntil([&] { return eventsFor("default/mine") == 1 || replaces_.size() > 1; }));
  EXPECT_EQ(replaces_.size(), 1u) << "relisted: the bookmarks did not advance the version";
}

TEST_F(InformerTest, ErrorsAreReportedAndRetried) {
  auto dir = std::string(std::getenv("KUBEVIP_TEST_APISERVER"));
  auto norbac = loadKubeconfig(dir + "/norbac.conf");
  ASSERT_TRUE(norbac.ok());
  access_ = *norbac;
  auto informer = start(options());
  ASSERT_TRUE(runUntil([&] { return errors_.size() >= 3; }));
  EXPECT_TRUE(replaces_.empty());
  EXPECT_NE(errors_[0].find("list configmaps labelled test=ErrorsAreReportedAndRetried: forbidden "
                            "(403) by RBAC"),
            std::string::npos)
      << errors_[0];
  // Destroying it in the middle of a back-off returns at once and nothing is called after.
  informer.reset();
  const size_t seen = errors_.size();
  runFor(milliseconds(100));
  EXPECT_EQ(errors_.size(), seen);
}

TEST_F(InformerTest, BadOptionsAreRefused) {
  InformerOptions o = options();
  o.collection_path = "api/v1/services";
  auto informer = Informer::create(*loop_, access_, o);
  ASSERT_FALSE(informer.ok());
  EXPECT_NE(informer.error().message.find("must start with /"), std::string::npos);
  o = options();
  o.page_size = 0;
  EXPECT_FALSE(Informer::create(*loop_, access_, o).ok());
}

}  // namespace
}  // namespace kubevip::k8s

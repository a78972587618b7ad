#include "k8s/watch_event.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kubevip::k8s {
namespace {

// As the API server sends them (captured from the test API server, which follows the real one).
const std::string kAddedService =
    R"({"type": "ADDED", "object": {"kind": "Service", "apiVersion": "v1", "metadata": )"
    R"({"name": "web", "namespace": "default", "uid": "u1", "resourceVersion": "1042"}, )"
    R"("spec": {"type": "LoadBalancer"}}})";
const std::string kDeletedNode =
    R"({"type":"DELETED","object":{"kind":"Node","apiVersion":"v1","metadata":)"
    R"({"name":"node-a","resourceVersion":"1050"}}})";
const std::string kBookmark =
    R"({"type": "BOOKMARK", "object": {"kind": "Service", "apiVersion": "v1", )"
    R"("metadata": {"resourceVersion": "1077"}}})";
const std::string kGone =
    R"({"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "metadata": {}, )"
    R"j("status": "Failure", "message": "too old resource version: 1000 (1077)", )j"
    R"("reason": "Expired", "code": 410}})";

TEST(WatchEvent, ObjectsCarryKeyVersionAndTheWholeJson) {
  auto added = parseWatchEvent(kAddedService, "services");
  ASSERT_TRUE(added.ok()) << added.error().describe();
  EXPECT_EQ(added->type, WatchEvent::Type::kAdded);
  EXPECT_EQ(added->object.key, "default/web");
  EXPECT_EQ(added->object.resource_version, "1042");
  auto json = nlohmann::json::parse(added->object.json);
  EXPECT_EQ(json["spec"]["type"], "LoadBalancer");
  EXPECT_EQ(json["metadata"]["uid"], "u1");

  auto deleted = parseWatchEvent(kDeletedNode, "nodes");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->type, WatchEvent::Type::kDeleted);
  EXPECT_EQ(deleted->object.key, "node-a");  // cluster-scoped: no namespace

  std::string modified = kAddedService;
  modified.replace(modified.find("ADDED"), 5, "MODIFIED");
  EXPECT_EQ(parseWatchEvent(modified, "services")->type, WatchEvent::Type::kModified);
}

TEST(WatchEvent, BookmarkCarriesOnlyTheVersion) {
  auto bookmark = parseWatchEvent(kBookmark, "services");
  ASSERT_TRUE(bookmark.ok()) << bookmark.error().describe();
  EXPECT_EQ(bookmark->type, WatchEvent::Type::kBookmark);
  EXPECT_EQ(bookmark->object.resource_version, "1077");
  EXPECT_TRUE(bookmark->object.key.empty());
  auto empty = parseWatchEvent(R"({"type":"BOOKMARK","object":{"metadata":{}}})", "services");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("BOOKMARK without metadata.resourceVersion"),
            std::string::npos);
}

TEST(WatchEvent, ErrorCarriesTheStatusCode) {
  auto gone = parseWatchEvent(kGone, "services");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->type, WatchEvent::Type::kError);
  EXPECT_EQ(gone->error_code, 410);
  EXPECT_EQ(gone->error_message, "too old resource version: 1000 (1077)");
}

TEST(WatchEvent, GarbageIsNamed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{not json", "not valid JSON"},
      {"[1]", "expected a JSON object, got array"},
      {R"({"object":{}})", "no \"type\""},
      {R"({"type":"ADDED"})", "no \"object\""},
      {R"({"type":"SYNC","object":{}})", "unknown type \"SYNC\""},
      {R"({"type":"ADDED","object":{"spec":{}}})", "the object has no \"metadata\""},
      {R"({"type":"ADDED","object":{"metadata":{"namespace":"x"}}})",
       "the object has no metadata.name"},
  };
  for (const auto& [line, why] : cases) {
    auto event = parseWatchEvent(line, "services");
    ASSERT_FALSE(event.ok()) << line;
    EXPECT_EQ(event.error().message,
              "malformed watch event for services from the API server: " + why);
  }
}

TEST(WatchLineSplitter, LinesCutAnywhereComeOutWhole) {
  const std::string stream = kAddedService + "\r\n\n" + kBookmark + "\n" + kDeletedNode + "\n";
  for (size_t i = 0; i <= stream.size(); i += 5) {
    for (size_t j = i; j <= stream.size(); j += 11) {
      WatchLineSplitter splitter;
      std::vector<std::string> lines;
      for (auto piece : {stream.substr(0, i), stream.substr(i, j - i), stream.substr(j)}) {
        ASSERT_TRUE(splitter
                        .feed(piece,
                              [&](std::string_view line) {
                                lines.emplace_back(line);
                                return okStatus();
                              })
                        .ok());
      }
      ASSERT_EQ(lines, (std::vector<std::string>{kAddedService, kBookmark, kDeletedNode}))
          << "cut at " << i << ", " << j;
      EXPECT_EQ(splitter.pending(), 0u);
    }
  }
}

TEST(WatchLineSplitter, StopsAtTheFirstErrorOfTheConsumer) {
  WatchLineSplitter splitter;
  int seen = 0;
  Status status = splitter.feed("a\nb\nc\n", [&](std::string_view line) -> Status {
    ++seen;
    if (line == "b") return makeError(ErrorCode::kInvalidArgument, "stop at b");
    return okStatus();
  });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message, "stop at b");
  EXPECT_EQ(seen, 2);
}

TEST(WatchLineSplitter, AnOverlongLineIsAnErrorAndNotKept) {
  WatchLineSplitter splitter;
  const auto ignore = [](std::string_view) { return okStatus(); };
  const std::string piece(256 * 1024, 'x');
  Status status = okStatus();
  for (size_t sent = 0; sent <= kMaxWatchLineBytes && status.ok(); sent += piece.size()) {
    status = splitter.feed(piece, ignore);
    EXPECT_LE(splitter.pending(), kMaxWatchLineBytes);
  }
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message,
            "a watch event line from the API server exceeds the 2 MiB cap (2097152 bytes)");
  EXPECT_EQ(splitter.pending(), 0u);
}

}  // namespace
}  // namespace kubevip::k8s

// The control socket's protocol: request lines, error documents, the reload answer, who may ask.
#include "ops/control_protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kubevip::ops {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseControlRequest, KnowsStatusReloadAndDebug) {
  auto status = parseControlRequest("status");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->kind, ControlRequestKind::kStatus);
  auto reload = parseControlRequest(" reload ");
  ASSERT_TRUE(reload.ok());
  EXPECT_EQ(reload->kind, ControlRequestKind::kReload);
  auto debug = parseControlRequest("debug raft  log");
  ASSERT_TRUE(debug.ok());
  EXPECT_EQ(debug->kind, ControlRequestKind::kDebug);
  EXPECT_THAT(debug->words, ElementsAre("raft", "log"));
}

TEST(ParseControlRequest, NamesWhatIsUnknown) {
  auto unknown = parseControlRequest("restart now");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message,
            "unknown request 'restart now'; requests are status, reload, debug <words>");
  EXPECT_FALSE(parseControlRequest("status please").ok());
  EXPECT_THAT(parseControlRequest("").error().message, HasSubstr("empty request"));
}

TEST(ReadControlRequestLine, WaitsForTheLineEnd) {
  EXPECT_FALSE(readControlRequestLine("stat").has_value());
  auto line = readControlRequestLine("status\r\n");
  ASSERT_TRUE(line.has_value());
  ASSERT_TRUE(line->ok());
  EXPECT_EQ(line->value(), "status");
}

TEST(ReadControlRequestLine, RefusesTooLongAndBinaryRequests) {
  auto unended = readControlRequestLine(std::string(1025, 'a'), 1024);
  ASSERT_TRUE(unended.has_value());
  EXPECT_EQ(unended->error().message, "request longer than 1024 bytes");
  auto ended = readControlRequestLine(std::string(1025, 'a') + "\n", 1024);
  ASSERT_TRUE(ended.has_value());
  EXPECT_FALSE(ended->ok());
  EXPECT_TRUE(readControlRequestLine(std::string(1024, 'a') + "\n", 1024)->ok());
  auto binary = readControlRequestLine(std::string("sta\0tus\n", 8));
  ASSERT_TRUE(binary.has_value());
  EXPECT_EQ(binary->error().message, "request is not one line of printable text");
}

TEST(ControlErrorDocument, RoundTripsAndSurvivesInvalidUtf8) {
  EXPECT_EQ(controlErrorIn(controlErrorDocument("no such thing")), "no such thing");
  EXPECT_TRUE(controlErrorIn(controlErrorDocument("bad \xff byte")).has_value());
  EXPECT_FALSE(controlErrorIn("{\"node\": \"a\"}").has_value());
  EXPECT_FALSE(controlErrorIn("not json").has_value());
}

TEST(ReloadOutcome, RoundTripsAndNamesAMissingField) {
  auto outcome = parseReloadOutcome(reloadOutcomeJson({false, "vip cannot change while running"}));
  ASSERT_TRUE(outcome.ok());
  EXPECT_FALSE(outcome->ok);
  EXPECT_EQ(outcome->message, "vip cannot change while running");
  EXPECT_EQ(parseReloadOutcome("{\"message\": \"x\"}").error().message,
            "the reload answer has no boolean field 'ok'");
  EXPECT_EQ(parseReloadOutcome("{\"ok\": true}").error().message,
            "the reload answer has no string field 'message'");
  EXPECT_EQ(parseReloadOutcome("[1]").error().message, "the reload answer is not a JSON object");
}

TEST(PeerMayControl, RootAndTheDaemonsUserOnly) {
  EXPECT_TRUE(peerMayControl(0, 1000));
  EXPECT_TRUE(peerMayControl(1000, 1000));
  EXPECT_FALSE(peerMayControl(1001, 1000));
  EXPECT_FALSE(peerMayControl(65534, 0));
}

}  // namespace
}  // namespace kubevip::ops

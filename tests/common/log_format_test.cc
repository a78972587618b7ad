#include "common/log_format.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <sstream>

#include "common/log.h"

namespace kubevip {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::system_clock;

// 2026-12-06T07:03:27.580Z
const system_clock::time_point kFixedTime =
    system_clock::time_point(seconds(1796540607) + milliseconds(580));

LogRecord record(std::string_view message, LogEventFields fields = {},
                 spdlog::level::level_enum level = spdlog::level::info) {
  return LogRecord{kFixedTime, level, message, fields};
}

TEST(LogFormatTest, TimestampIsUtcWithMillisecondsAndZone) {
  EXPECT_EQ(formatUtcTimestamp(kFixedTime), "2026-12-06T07:03:27.580Z");
  EXPECT_EQ(formatUtcTimestamp(system_clock::time_point(milliseconds(7))),
            "1970-01-01T00:00:00.007Z");
  EXPECT_EQ(formatUtcTimestamp(system_clock::time_point(milliseconds(-1))),
            "1969-12-31T23:59:59.999Z");
}

TEST(LogFormatTest, ParsesTheTwoFormatsAndNamesABadOne) {
  EXPECT_EQ(*parseLogFormat("text"), LogFormat::kText);
  EXPECT_EQ(*parseLogFormat("json"), LogFormat::kJson);
  auto bad = parseLogFormat("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "log format 'xml' is not one of text, json");
}

TEST(LogFormatTest, TextLineKeepsTodaysLayoutInUtc) {
  EXPECT_EQ(formatLogLine(LogFormat::kText, record("node1 is the leader")),
            "2026-12-06T07:03:27.580Z info  node1 is the leader");
  EXPECT_EQ(formatLogLine(LogFormat::kText, record("x", {}, spdlog::level::debug)),
            "2026-12-06T07:03:27.580Z debug x");
  EXPECT_EQ(formatLogLine(LogFormat::kText, record("x", {}, spdlog::level::err)),
            "2026-12-06T07:03:27.580Z error x");
}

TEST(LogFormatTest, TextLineAppendsGivenFieldsAndQuotesThoseWithSpaces) {
  LogEventFields fields{
      .component = "vip", .event = "acquired", .vip = "10.0.0.5", .reason = "elected \"leader\""};
  EXPECT_EQ(formatLogLine(LogFormat::kText, record("node1 is the leader", fields)),
            "2026-12-06T07:03:27.580Z info  node1 is the leader component=vip event=acquired "
            "vip=10.0.0.5 reason=\"elected \\\"leader\\\"\"");
  EXPECT_EQ(formatLogLine(LogFormat::kText, record("m", {.event = "released"})),
            "2026-12-06T07:03:27.580Z info  m event=released");
}

TEST(LogFormatTest, JsonLineHasTheFixedFieldsAndOnlyTheGivenOptionalOnes) {
  EXPECT_EQ(formatLogLine(LogFormat::kJson, record("node1 is the leader")),
            R"({"time":"2026-12-06T07:03:27.580Z","level":"info","msg":"node1 is the leader"})");
  LogEventFields fields{
      .component = "vip", .event = "acquired", .vip = "fd00::5", .reason = "elected"};
  EXPECT_EQ(
      formatLogLine(LogFormat::kJson, record("node1 is the leader", fields, spdlog::level::warn)),
      R"({"time":"2026-12-06T07:03:27.580Z","level":"warning","msg":"node1 is the leader",)"
      R"("component":"vip","event":"acquired","vip":"fd00::5","reason":"elected"})");
  EXPECT_EQ(formatLogLine(LogFormat::kJson, record("m", {.component = "lb", .reason = "r"})),
            R"({"time":"2026-12-06T07:03:27.580Z","level":"info","msg":"m",)"
            R"("component":"lb","reason":"r"})");
}

TEST(LogFormatTest, JsonEscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(jsonEscape("a\"b\\c"), R"(a\"b\\c)");
  EXPECT_EQ(jsonEscape("l1\nl2\r\t\b\f"), R"(l1\nl2\r\t\b\f)");
  EXPECT_EQ(jsonEscape(std::string_view("\x00\x01\x1f\x7f", 4)), "\\u0000\\u0001\\u001f\x7f");
}

TEST(LogFormatTest, JsonPassesUtf8ThroughAndReplacesInvalidBytes) {
  EXPECT_EQ(jsonEscape("nœud → ノード 🚀"), "nœud → ノード 🚀");
  // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate (U+D800).
  EXPECT_EQ(jsonEscape("a\x80z"), "a\uFFFDz");
  EXPECT_EQ(jsonEscape("a\xE2\x86"), "a\uFFFD\uFFFD");
  EXPECT_EQ(jsonEscape("\xC0\xAF"), "\uFFFD\uFFFD");
  EXPECT_EQ(jsonEscape("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(jsonEscape("\xF4\x90\x80\x80"), "\uFFFD\uFFFD\uFFFD\uFFFD");
}

// The formatter through a real spdlog logger, with the line's time fixed.
class LogFormatterTest : public ::testing::Test {
 protected:
  std::string logLine(LogFormat format, std::string_view message) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(stream_);
    spdlog::logger logger("test", sink);
    logger.set_formatter(makeLogFormatter(format));
    logger.log(kFixedTime, spdlog::source_loc{}, spdlog::level::info,
               spdlog::string_view_t(message.data(), message.size()));
    return stream_.str();
  }
  std::ostringstream stream_;
};

TEST_F(LogFormatterTest, WritesOneTextLine) {
  EXPECT_EQ(logLine(LogFormat::kText, "hello"), "2026-12-06T07:03:27.580Z info  hello\n");
}

TEST_F(LogFormatterTest, CarriesTheFieldsOfTheScopeOnlyWhileItLives) {
  {
    LogEventFields fields{
        .component = "vip", .event = "released", .vip = "10.0.0.5", .reason = "lost leadership"};
    ScopedLogEventFields scoped(fields);
    EXPECT_EQ(logLine(LogFormat::kJson, "bye"),
              R"({"time":"2026-12-06T07:03:27.580Z","level":"info","msg":"bye","component":"vip",)"
              R"("event":"released","vip":"10.0.0.5","reason":"lost leadership"})"
              "\n");
  }
  stream_.str("");
  EXPECT_EQ(logLine(LogFormat::kJson, "after"),
            R"({"time":"2026-12-06T07:03:27.580Z","level":"info","msg":"after"})"
            "\n");
}

TEST(LogEventTest, GoesThroughTheDefaultLoggerWithItsFieldsAndLeavesLaterLinesPlain) {
  std::ostringstream stream;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_st>(stream));
  logger->set_formatter(makeLogFormatter(LogFormat::kJson));
  spdlog::set_default_logger(logger);
  logEvent(spdlog::level::info, {.component = "vip", .event = "acquired", .vip = "10.0.0.5"},
           "node1 is the leader");
  spdlog::info("plain");
  spdlog::set_default_logger(previous);
  const std::string text = stream.str();
  const std::string first = text.substr(0, text.find('\n'));
  const std::string second = text.substr(first.size() + 1);
  EXPECT_NE(first.find(R"("level":"info","msg":"node1 is the leader","component":"vip",)"
                       R"("event":"acquired","vip":"10.0.0.5"})"),
            std::string::npos)
      << first;
  EXPECT_NE(second.find(R"("msg":"plain"})"), std::string::npos) << second;
}

TEST(InitLoggingTest, RefusesABadFormatOrLevelAndNamesIt) {
  auto bad_format = initLogging("info", "yaml");
  ASSERT_FALSE(bad_format.ok());
  EXPECT_EQ(bad_format.error().message, "log format 'yaml' is not one of text, json");
  auto bad_level = initLogging("loud", "json");
  ASSERT_FALSE(bad_level.ok());
  EXPECT_NE(bad_level.error().message.find("'loud'"), std::string::npos);
  EXPECT_TRUE(initLogging("info", "json").ok());
  EXPECT_TRUE(initLogging("info").ok());
}

}  // namespace
}  // namespace kubevip

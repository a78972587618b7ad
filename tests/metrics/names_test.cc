#include "metrics/names.h"

#include <gtest/gtest.h>

namespace kubevip::metrics {
namespace {

TEST(MetricNamesTest, AcceptsPrometheusMetricNames) {
  EXPECT_TRUE(validateMetricName("kube_vip_is_leader").ok());
  EXPECT_TRUE(validateMetricName("_private").ok());
  EXPECT_TRUE(validateMetricName("job:rate5m").ok());
  EXPECT_TRUE(validateMetricName("a1").ok());
}

TEST(MetricNamesTest, RefusesBadMetricNamesNamingThem) {
  EXPECT_FALSE(validateMetricName("").ok());
  EXPECT_FALSE(validateMetricName("1abc").ok());
  auto status = validateMetricName("kube-vip");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(status.error().message.find("\"kube-vip\": character 5"), std::string::npos)
      << status.error().message;
}

TEST(MetricNamesTest, LabelNamesRefuseColonsDigitsFirstAndReservedPrefix) {
  EXPECT_TRUE(validateLabelName("lease_name").ok());
  EXPECT_TRUE(validateLabelName("_x").ok());
  EXPECT_FALSE(validateLabelName("").ok());
  EXPECT_FALSE(validateLabelName("a:b").ok());
  EXPECT_FALSE(validateLabelName("0a").ok());
  auto status = validateLabelName("__name__");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("reserved"), std::string::npos);
}

TEST(MetricNamesTest, LabelsOfASeriesAreCheckedTogether) {
  EXPECT_TRUE(validateLabels("m", MetricType::kGauge, {{"a", "1"}, {"le", "2"}}).ok());
  auto duplicate = validateLabels("m", MetricType::kGauge, {{"a", "1"}, {"a", "2"}});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().message, "metric m: label \"a\" given twice");
  auto le = validateLabels("h", MetricType::kHistogram, {{"le", "1"}});
  ASSERT_FALSE(le.ok());
  EXPECT_EQ(le.error().message, "metric h: label name \"le\" is reserved for histogram buckets");
  auto bad = validateLabels("m", MetricType::kCounter, {{"bad-name", "x"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("metric m: label name \"bad-name\""), std::string::npos);
}

TEST(MetricNamesTest, Utf8IsCheckedAfterRfc3629) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain"));
  EXPECT_TRUE(isValidUtf8("n\xC5\x93ud \xE2\x82\xAC \xF0\x9F\x98\x80"));  // nœud € 😀
  EXPECT_FALSE(isValidUtf8("\xC3"));                                      // cut short
  EXPECT_FALSE(isValidUtf8("\xC0\xAF"));                                  // overlong '/'
  EXPECT_FALSE(isValidUtf8("\xE0\x80\xAF"));                              // overlong '/'
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));                              // surrogate U+D800
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));                          // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xFF"));
  EXPECT_FALSE(isValidUtf8("a\x80"));  // continuation byte without a lead
}

TEST(MetricNamesTest, LabelValuesAndHelpMustBeUtf8) {
  auto value = validateLabels("m", MetricType::kGauge, {{"node", "bad\xFF"}});
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.error().message, "metric m: value of label \"node\" is not valid UTF-8");
  auto help = validateHelp("m", "bad\xC3");
  ASSERT_FALSE(help.ok());
  EXPECT_EQ(help.error().message, "metric m: HELP text is not valid UTF-8");
  EXPECT_TRUE(validateHelp("m", "caf\xC3\xA9").ok());
}

}  // namespace
}  // namespace kubevip::metrics

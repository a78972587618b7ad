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

}  // namespace
}  // namespace kubevip::metrics

#include "metrics/text_encoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace kubevip::metrics {
namespace {

Family gauge(std::string name, std::string help, std::vector<Series> series) {
  return {.name = std::move(name),
          .help = std::move(help),
          .type = MetricType::kGauge,
          .series = std::move(series)};
}

Series sample(Labels labels, double value) {
  return {.labels = std::move(labels), .value = value, .histogram = {}};
}

TEST(FormatValueTest, WholeNumbersLookLikeIntegers) {
  EXPECT_EQ(formatValue(0), "0");
  EXPECT_EQ(formatValue(1), "1");
  EXPECT_EQ(formatValue(-2), "-2");
  EXPECT_EQ(formatValue(1234567890123.0), "1234567890123");
  EXPECT_EQ(formatValue(9007199254740991.0), "9007199254740991");
}

TEST(FormatValueTest, SpecialValuesAreSpelledAsPrometheusParsesThem) {
  EXPECT_EQ(formatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(formatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(formatValue(std::nan("")), "NaN");
}

TEST(FormatValueTest, FractionsAndHugeNumbersRoundTrip) {
  EXPECT_EQ(formatValue(0.25), "0.25");
  EXPECT_EQ(formatValue(0.1), "0.1");
  EXPECT_EQ(formatValue(-1.5), "-1.5");
  EXPECT_EQ(formatValue(1e-05), "1e-05");
  EXPECT_EQ(formatValue(1e21), "1e+21");
}

TEST(EscapeTest, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(escapeLabelValue(R"(a\b"c)"
                             "\n"
                             "d"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escapeLabelValue("plain é"), "plain é");
}

TEST(EscapeTest, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(escapeHelp("a \"quoted\" \\ line\nnext"), R"(a "quoted" \\ line\nnext)");
}

TEST(EncodeTextTest, GoldenCountersAndGaugesSortedByFamilyAndSeries) {
  std::vector<Family> families = {
      gauge("kube_vip_is_leader", "Whether this node holds the lease",
            {sample({{"node", "node-b"}, {"lease_name", "plndr-cp-lock"}}, 0),
             sample({{"node", "node-a"}, {"lease_name", "plndr-cp-lock"}}, 1)}),
      {.name = "kube_vip_leader_election_transitions_total",
       .help = "Times the leader changed",
       .type = MetricType::kCounter,
       .series = {sample({{"lease_name", "plndr-cp-lock"}}, 3)}},
      gauge("kube_vip_build_info", "Build of \\ this\nbinary",
            {sample({{"version", "0.1.0"}, {"note", "say \"hi\"\n"}}, 1)}),
      gauge("kube_vip_unused", "No series yet", {}),
  };
  auto text = encodeText(families);
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(*text,
            "# HELP kube_vip_build_info Build of \\\\ this\\nbinary\n"
            "# TYPE kube_vip_build_info gauge\n"
            "kube_vip_build_info{version=\"0.1.0\",note=\"say \\\"hi\\\"\\n\"} 1\n"
            "# HELP kube_vip_is_leader Whether this node holds the lease\n"
            "# TYPE kube_vip_is_leader gauge\n"
            "kube_vip_is_leader{node=\"node-a\",lease_name=\"plndr-cp-lock\"} 1\n"
            "kube_vip_is_leader{node=\"node-b\",lease_name=\"plndr-cp-lock\"} 0\n"
            "# HELP kube_vip_leader_election_transitions_total Times the leader changed\n"
            "# TYPE kube_vip_leader_election_transitions_total counter\n"
            "kube_vip_leader_election_transitions_total{lease_name=\"plndr-cp-lock\"} 3\n");
}

TEST(EncodeTextTest, GoldenHistogramWithCumulativeBuckets) {
  Family latency{.name = "kube_vip_failover_seconds",
                 .help = "Time from losing the leader to announcing the VIP",
                 .type = MetricType::kHistogram,
                 .series = {}};
  latency.series.push_back({.labels = {{"vip", "10.0.0.5"}},
                            .value = 0,
                            .histogram = {.upper_bounds = {0.25, 0.5, 1},
                                          .bucket_counts = {1, 0, 2, 1},
                                          .sum = 3.125,
                                          .count = 4}});
  latency.series.push_back(
      {.labels = {},
       .value = 0,
       .histogram = {
           .upper_bounds = {0.25, 0.5, 1}, .bucket_counts = {0, 0, 0, 0}, .sum = 0, .count = 0}});
  auto text = encodeText({latency});
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(*text,
            "# HELP kube_vip_failover_seconds Time from losing the leader to announcing the VIP\n"
            "# TYPE kube_vip_failover_seconds histogram\n"
            "kube_vip_failover_seconds_bucket{le=\"0.25\"} 0\n"
            "kube_vip_failover_seconds_bucket{le=\"0.5\"} 0\n"
            "kube_vip_failover_seconds_bucket{le=\"1\"} 0\n"
            "kube_vip_failover_seconds_bucket{le=\"+Inf\"} 0\n"
            "kube_vip_failover_seconds_sum 0\n"
            "kube_vip_failover_seconds_count 0\n"
            "kube_vip_failover_seconds_bucket{vip=\"10.0.0.5\",le=\"0.25\"} 1\n"
            "kube_vip_failover_seconds_bucket{vip=\"10.0.0.5\",le=\"0.5\"} 1\n"
            "kube_vip_failover_seconds_bucket{vip=\"10.0.0.5\",le=\"1\"} 3\n"
            "kube_vip_failover_seconds_bucket{vip=\"10.0.0.5\",le=\"+Inf\"} 4\n"
            "kube_vip_failover_seconds_sum{vip=\"10.0.0.5\"} 3.125\n"
            "kube_vip_failover_seconds_count{vip=\"10.0.0.5\"} 4\n");
}

TEST(EncodeTextTest, SpecialValuesInSamples) {
  auto text =
      encodeText({gauge("g", "", {sample({{"k", "inf"}}, INFINITY), sample({{"k", "nan"}}, NAN)})});
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "# HELP g \n# TYPE g gauge\ng{k=\"inf\"} +Inf\ng{k=\"nan\"} NaN\n");
}

TEST(EncodeTextTest, RefusesBadNamesAndInconsistentInput) {
  auto bad_name = encodeText({gauge("bad-name", "", {sample({}, 1)})});
  ASSERT_FALSE(bad_name.ok());
  EXPECT_NE(bad_name.error().message.find("\"bad-name\""), std::string::npos);

  auto bad_label = encodeText({gauge("g", "", {sample({{"__x", "1"}}, 1)})});
  ASSERT_FALSE(bad_label.ok());
  EXPECT_NE(bad_label.error().message.find("metric g: label name \"__x\""), std::string::npos);

  auto twice = encodeText({gauge("g", "", {sample({}, 1)}), gauge("g", "", {sample({}, 2)})});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().message, "metric g: the name g is written twice");

  Family histogram{.name = "h", .help = "", .type = MetricType::kHistogram, .series = {}};
  auto clash = encodeText({histogram, gauge("h_count", "", {sample({}, 1)})});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().message, "metric h_count: the name h_count is written twice");

  auto same_series =
      encodeText({gauge("g", "", {sample({{"a", "1"}}, 1), sample({{"a", "1"}}, 2)})});
  ASSERT_FALSE(same_series.ok());
  EXPECT_EQ(same_series.error().message, "metric g: two series with the same labels");

  Family h{.name = "h", .help = "", .type = MetricType::kHistogram, .series = {}};
  h.series.push_back(
      {.labels = {},
       .value = 0,
       .histogram = {.upper_bounds = {1, 2}, .bucket_counts = {1, 1, 0}, .sum = 2, .count = 3}});
  auto wrong_count = encodeText({h});
  ASSERT_FALSE(wrong_count.ok());
  EXPECT_EQ(wrong_count.error().message, "histogram h: bucket counts do not add up to the count");

  h.series[0].histogram = {
      .upper_bounds = {2, 1}, .bucket_counts = {0, 0, 0}, .sum = 0, .count = 0};
  auto unordered = encodeText({h});
  ASSERT_FALSE(unordered.ok());
  EXPECT_EQ(unordered.error().message, "histogram h: bucket bounds must be strictly increasing");
}

}  // namespace
}  // namespace kubevip::metrics

#include "metrics/registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

#include "metrics/text_encoder.h"

namespace kubevip::metrics {
namespace {

TEST(RegistryTest, SeriesAreCreatedOnceAndEncodedInStableOrder) {
  Registry registry;
  auto leader = registry.gaugeFamily("kube_vip_is_leader", "1 when this node holds the lease");
  ASSERT_TRUE(leader.ok());
  auto transitions = registry.counterFamily("kube_vip_leader_election_transitions_total",
                                            "Leader changes seen by this node");
  ASSERT_TRUE(transitions.ok());

  auto b = (*leader)->withLabels({{"node", "node-b"}, {"lease_name", "plndr-cp-lock"}});
  auto a = (*leader)->withLabels({{"node", "node-a"}, {"lease_name", "plndr-cp-lock"}});
  ASSERT_TRUE(a.ok() && b.ok());
  (*a)->set(1);
  auto a_again = (*leader)->withLabels({{"node", "node-a"}, {"lease_name", "plndr-cp-lock"}});
  ASSERT_TRUE(a_again.ok());
  EXPECT_EQ(*a_again, *a);

  auto counter = (*transitions)->withLabels({{"lease_name", "plndr-cp-lock"}});
  ASSERT_TRUE(counter.ok());
  (*counter)->inc();
  (*counter)->inc();

  auto text = encodeText(registry.collect());
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(*text,
            "# HELP kube_vip_is_leader 1 when this node holds the lease\n"
            "# TYPE kube_vip_is_leader gauge\n"
            "kube_vip_is_leader{node=\"node-a\",lease_name=\"plndr-cp-lock\"} 1\n"
            "kube_vip_is_leader{node=\"node-b\",lease_name=\"plndr-cp-lock\"} 0\n"
            "# HELP kube_vip_leader_election_transitions_total Leader changes seen by this node\n"
            "# TYPE kube_vip_leader_election_transitions_total counter\n"
            "kube_vip_leader_election_transitions_total{lease_name=\"plndr-cp-lock\"} 2\n");
}

TEST(RegistryTest, HistogramFamilyEncodesObservations) {
  Registry registry;
  auto family = registry.histogramFamily("probe_seconds", "Probe time", {0.1, 1});
  ASSERT_TRUE(family.ok());
  auto histogram = (*family)->withLabels({});
  ASSERT_TRUE(histogram.ok());
  (*histogram)->observe(0.05);
  (*histogram)->observe(2);
  auto text = encodeText(registry.collect());
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(*text,
            "# HELP probe_seconds Probe time\n"
            "# TYPE probe_seconds histogram\n"
            "probe_seconds_bucket{le=\"0.1\"} 1\n"
            "probe_seconds_bucket{le=\"1\"} 1\n"
            "probe_seconds_bucket{le=\"+Inf\"} 2\n"
            "probe_seconds_sum 2.05\n"
            "probe_seconds_count 2\n");
}

TEST(RegistryTest, FamiliesWithoutSeriesAreNotCollected) {
  Registry registry;
  ASSERT_TRUE(registry.counterFamily("unused_total", "never counted").ok());
  EXPECT_TRUE(registry.collect().empty());
}

TEST(RegistryTest, RefusesASecondFamilyOfTheSameName) {
  Registry registry;
  ASSERT_TRUE(registry.counterFamily("x_total", "").ok());
  auto again = registry.gaugeFamily("x_total", "");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().message,
            "metric x_total: the name x_total is already written by metric x_total");
}

TEST(RegistryTest, RefusesNamesClashingWithAHistogramsSamples) {
  Registry registry;
  ASSERT_TRUE(registry.histogramFamily("latency", "", {1}).ok());
  auto clash = registry.gaugeFamily("latency_count", "");
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().message,
            "metric latency_count: the name latency_count is already written by metric latency");
  // A refused family reserves nothing.
  ASSERT_TRUE(registry.gaugeFamily("other", "").ok());
}

TEST(RegistryTest, RefusesBadHistogramBounds) {
  Registry registry;
  EXPECT_EQ(registry.histogramFamily("h1", "", {}).error().message,
            "histogram h1: needs at least one bucket bound");
  EXPECT_EQ(registry.histogramFamily("h2", "", {1, 1}).error().message,
            "histogram h2: bucket bounds must be strictly increasing");
  EXPECT_EQ(registry.histogramFamily("h3", "", {1, INFINITY}).error().message,
            "histogram h3: bucket bounds must be finite (+Inf is added by itself)");
}

TEST(RegistryTest, RefusesBadNamesAndLabels) {
  Registry registry;
  EXPECT_FALSE(registry.counterFamily("kube-vip", "").ok());
  auto histogram = registry.histogramFamily("h", "", {1});
  ASSERT_TRUE(histogram.ok());
  EXPECT_FALSE((*histogram)->withLabels({{"le", "1"}}).ok());
  EXPECT_FALSE((*histogram)->withLabels({{"vip", "\xFF"}}).ok());
  auto bad_help = registry.gaugeFamily("g", "\xFF");
  ASSERT_FALSE(bad_help.ok());
  EXPECT_EQ(bad_help.error().message, "metric g: HELP text is not valid UTF-8");
}

TEST(RegistryTest, EverySeriesOfAFamilyHasTheSameLabelNames) {
  Registry registry;
  auto family = registry.gaugeFamily("g", "");
  ASSERT_TRUE(family.ok());
  ASSERT_TRUE((*family)->withLabels({{"node", "a"}, {"lease_name", "l"}}).ok());
  auto missing = (*family)->withLabels({{"node", "b"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "metric g: every series needs the labels {node,lease_name} "
            "in this order");
  EXPECT_FALSE((*family)->withLabels({{"lease_name", "l"}, {"node", "b"}}).ok());
  EXPECT_TRUE((*family)->withLabels({{"node", "b"}, {"lease_name", "l"}}).ok());
}

}  // namespace
}  // namespace kubevip::metrics

namespace kubevip::metrics {
namespace {

// Workers count while scrapes run; every scrape must encode (the encoder refuses a histogram whose
// buckets do not add up to its count), and the last one must see every update.
TEST(RegistryTest, ScrapesWhileWorkersCountAreConsistent) {
  Registry registry;
  Counter* connections = *(*registry.counterFamily("connections_total", ""))->withLabels({});
  Histogram* durations =
      *(*registry.histogramFamily("duration_seconds", "", {1, 2}))->withLabels({});
  std::vector<std::thread> workers;
  for (int t = 0; t < 3; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        connections->inc();
        durations->observe(t);
      }
    });
  }
  for (int scrape = 0; scrape < 200; ++scrape) {
    auto text = encodeText(registry.collect());
    ASSERT_TRUE(text.ok()) << text.error().message;
  }
  for (auto& worker : workers) worker.join();
  auto text = encodeText(registry.collect());
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("connections_total 6000\n"), std::string::npos) << *text;
  EXPECT_NE(text->find("duration_seconds_bucket{le=\"1\"} 4000\n"), std::string::npos) << *text;
  EXPECT_NE(text->find("duration_seconds_count 6000\n"), std::string::npos) << *text;
}

TEST(RegistryTest, CollectorsAddFamiliesAtScrapeTime) {
  Registry registry;
  auto up = registry.gaugeFamily("kube_vip_up", "Always 1");
  ASSERT_TRUE(up.ok());
  (*(*up)->withLabels({}))->set(1);
  int backends = 1;
  registry.addCollector([&backends] {
    Family family{"kube_vip_lb_backend_up", "1 while the backend is up", MetricType::kGauge, {}};
    for (int i = 0; i < backends; ++i) {
      family.series.push_back({{{"backend", "10.0.0." + std::to_string(i + 1) + ":80"}}, 1, {}});
    }
    return std::vector<Family>{family};
  });
  auto text = encodeText(registry.collect());
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_NE(text->find("kube_vip_lb_backend_up{backend=\"10.0.0.1:80\"} 1\n"), std::string::npos);
  EXPECT_NE(text->find("kube_vip_up 1\n"), std::string::npos);
  backends = 0;  // a removed backend's series are gone from the next scrape, and so its family
  text = encodeText(registry.collect());
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->find("kube_vip_lb_backend_up"), std::string::npos) << *text;
}

}  // namespace
}  // namespace kubevip::metrics

// The data model of a scrape: what the encoder writes, and what the registry hands it.
//
// A family is one metric name with its HELP text, its TYPE and its series; a series is one set of
// label values with its value (counter, gauge) or its buckets (histogram). These are plain values,
// copied out of the live metrics at scrape time, so that the encoder is a pure function that tests
// can feed directly (text_encoder.h).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kubevip::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };

// The word written after "# TYPE name".
const char* metricTypeName(MetricType type);

// Label name/value pairs in the order the caller gave them; that order is the order written.
using Labels = std::vector<std::pair<std::string, std::string>>;

struct HistogramValue {
  // Finite, strictly increasing upper bounds; the +Inf bucket is implicit.
  std::vector<double> upper_bounds;
  // Observations per bucket, NOT cumulative: bucket_counts[i] counts values v with
  // upper_bounds[i-1] < v <= upper_bounds[i]; the last element (index upper_bounds.size()) counts
  // the values above every bound. The encoder makes them cumulative.
  std::vector<uint64_t> bucket_counts;
  double sum = 0;
  uint64_t count = 0;
};

struct Series {
  Labels labels;
  double value = 0;          // counter and gauge
  HistogramValue histogram;  // histogram only
};

struct Family {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<Series> series;
};

}  // namespace kubevip::metrics

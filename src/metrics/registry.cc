#include "metrics/registry.h"

#include <cmath>

#include "metrics/names.h"
#include "metrics/text_encoder.h"

namespace kubevip::metrics {

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type)
    : name_(std::move(name)), help_(std::move(help)), type_(type) {}

Status FamilyBase::checkLabels(const Labels& labels) const {
  if (auto status = validateLabels(name_, type_, labels); !status) return status;
  if (!has_series_) return okStatus();
  bool same = labels.size() == label_names_.size();
  for (size_t i = 0; same && i < labels.size(); ++i) same = labels[i].first == label_names_[i];
  if (!same) {
    std::string expected;
    for (const auto& label : label_names_) expected += (expected.empty() ? "" : ",") + label;
    return makeError(
        ErrorCode::kInvalidArgument,
        "metric " + name_ + ": every series needs the labels {" + expected + "} in this order");
  }
  return okStatus();
}

Family FamilyBase::collect() const {
  Family out{.name = name_, .help = help_, .type = type_, .series = {}};
  std::lock_guard lock(mutex_);
  collectSeries(out);
  return out;
}

template <>
void MetricFamily<Counter>::collectSeries(Family& out) const {
  for (const auto& [labels, counter] : series_) {
    out.series.push_back({.labels = labels, .value = counter->value(), .histogram = {}});
  }
}

template <>
void MetricFamily<Gauge>::collectSeries(Family& out) const {
  for (const auto& [labels, gauge] : series_) {
    out.series.push_back({.labels = labels, .value = gauge->value(), .histogram = {}});
  }
}

template <>
void MetricFamily<Histogram>::collectSeries(Family& out) const {
  for (const auto& [labels, histogram] : series_) {
    out.series.push_back({.labels = labels, .value = 0, .histogram = histogram->snapshot()});
  }
}

Status Registry::checkAndReserve(const std::string& name, const std::string& help,
                                 MetricType type) {
  if (auto status = validateMetricName(name); !status) return status;
  if (auto status = validateHelp(name, help); !status) return status;
  const std::vector<std::string> written = writtenNames(name, type);
  for (const auto& sample : written) {
    if (auto it = written_names_.find(sample); it != written_names_.end()) {
      return makeError(ErrorCode::kConflict, std::string("metric ")
                                                 .append(name)
                                                 .append(": the name ")
                                                 .append(sample)
                                                 .append(" is already written by metric ")
                                                 .append(it->second));
    }
  }
  for (const auto& sample : written) written_names_.emplace(sample, name);
  return okStatus();
}

Result<CounterFamily*> Registry::counterFamily(std::string name, std::string help) {
  std::lock_guard lock(mutex_);
  if (auto status = checkAndReserve(name, help, MetricType::kCounter); !status)
    return status.error();
  auto family = std::make_unique<CounterFamily>(name, std::move(help), MetricType::kCounter,
                                                [] { return std::make_unique<Counter>(); });
  CounterFamily* raw = family.get();
  families_.emplace(std::move(name), std::move(family));
  return raw;
}

Result<GaugeFamily*> Registry::gaugeFamily(std::string name, std::string help) {
  std::lock_guard lock(mutex_);
  if (auto status = checkAndReserve(name, help, MetricType::kGauge); !status) return status.error();
  auto family = std::make_unique<GaugeFamily>(name, std::move(help), MetricType::kGauge,
                                              [] { return std::make_unique<Gauge>(); });
  GaugeFamily* raw = family.get();
  families_.emplace(std::move(name), std::move(family));
  return raw;
}

Result<HistogramFamily*> Registry::histogramFamily(std::string name, std::string help,
                                                   std::vector<double> upper_bounds) {
  const auto fail = [&](const std::string& what) {
    return makeError(ErrorCode::kInvalidArgument, "histogram " + name + ": " + what);
  };
  if (upper_bounds.empty()) return fail("needs at least one bucket bound");
  for (size_t i = 0; i < upper_bounds.size(); ++i) {
    if (!std::isfinite(upper_bounds[i])) {
      return fail("bucket bounds must be finite (+Inf is added by itself)");
    }
    if (i > 0 && !(upper_bounds[i - 1] < upper_bounds[i])) {
      return fail("bucket bounds must be strictly increasing");
    }
  }
  std::lock_guard lock(mutex_);
  if (auto status = checkAndReserve(name, help, MetricType::kHistogram); !status)
    return status.error();
  auto family = std::make_unique<HistogramFamily>(
      name, std::move(help), MetricType::kHistogram,
      [bounds = std::move(upper_bounds)] { return std::make_unique<Histogram>(bounds); });
  HistogramFamily* raw = family.get();
  families_.emplace(std::move(name), std::move(family));
  return raw;
}

void Registry::addCollector(std::function<std::vector<Family>()> collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::vector<Family> Registry::collect() const {
  std::vector<std::function<std::vector<Family>()>> collectors;
  std::vector<Family> out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, family] : families_) {
      Family collected = family->collect();
      if (!collected.series.empty()) out.push_back(std::move(collected));
    }
    collectors = collectors_;
  }
  // Outside the lock: a collector takes its own.
  for (const auto& collector : collectors) {
    for (Family& family : collector()) {
      if (!family.series.empty()) out.push_back(std::move(family));
    }
  }
  return out;
}

}  // namespace kubevip::metrics

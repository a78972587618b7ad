// A registry of metric families, and the scrape that copies them out for the encoder.
//
// A component asks the registry once for its families (name, HELP, TYPE; histogram bounds) and
// then for its series by labels, keeping the returned pointers; counting is then a plain call on a
// Counter, Gauge or Histogram (metric.h), without touching the registry:
//
//   auto transitions = registry.counterFamily("kube_vip_leader_election_transitions_total", "...");
//   Counter* c = *(*transitions)->withLabels({{"lease_name", "plndr-cp-lock"}});
//   c->inc();
//   std::string body = *encodeText(registry.collect());
//
// Rules checked here, each refused with an Error naming the metric: names valid, HELP and label
// values UTF-8 (names.h); one family per name, and no family whose written names (a histogram
// writes name_bucket, name_sum, name_count) clash with another's; every series of a family has the
// same label names in the same order (Prometheus queries by label name, so a series missing one is
// a different metric).
//
// Threading: the registry and each family guard their maps with a std::mutex, taken when a family
// or a series is created and during collect(); the values themselves are atomics or have their
// own lock (metric.h). Families and series are never removed, so returned pointers stay valid for
// the registry's lifetime.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "metrics/exposition.h"
#include "metrics/metric.h"

namespace kubevip::metrics {

// The part of a family that does not depend on its kind of metric.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type);
  virtual ~FamilyBase() = default;

  const std::string& name() const { return name_; }
  Family collect() const;

 protected:
  // Checks `labels` for this family; the first series fixes the label names of the others.
  // Called with mutex_ held.
  Status checkLabels(const Labels& labels) const;
  virtual void collectSeries(Family& out) const = 0;

  mutable std::mutex mutex_;
  std::vector<std::string> label_names_;  // fixed by the first series
  bool has_series_ = false;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
};

template <typename Metric>
class MetricFamily : public FamilyBase {
 public:
  MetricFamily(std::string name, std::string help, MetricType type,
               std::function<std::unique_ptr<Metric>()> make_metric)
      : FamilyBase(std::move(name), std::move(help), type), make_metric_(std::move(make_metric)) {}

  // The series with these labels, created on first use. The pointer stays valid.
  Result<Metric*> withLabels(const Labels& labels) {
    std::lock_guard lock(mutex_);
    if (auto it = series_.find(labels); it != series_.end()) return it->second.get();
    if (auto status = checkLabels(labels); !status) return status.error();
    if (!has_series_) {
      for (const auto& label : labels) label_names_.push_back(label.first);
      has_series_ = true;
    }
    auto inserted = series_.emplace(labels, make_metric_());
    return inserted.first->second.get();
  }

 private:
  void collectSeries(Family& out) const override;

  std::function<std::unique_ptr<Metric>()> make_metric_;
  std::map<Labels, std::unique_ptr<Metric>> series_;  // ordered: the scrape order is stable
};

// Defined in registry.cc: how each kind of metric is copied into a Series.
template <>
void MetricFamily<Counter>::collectSeries(Family& out) const;
template <>
void MetricFamily<Gauge>::collectSeries(Family& out) const;
template <>
void MetricFamily<Histogram>::collectSeries(Family& out) const;

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;
using HistogramFamily = MetricFamily<Histogram>;

class Registry {
 public:
  Result<CounterFamily*> counterFamily(std::string name, std::string help);
  Result<GaugeFamily*> gaugeFamily(std::string name, std::string help);
  // `upper_bounds`: finite, strictly increasing, at least one; +Inf is added when encoding.
  Result<HistogramFamily*> histogramFamily(std::string name, std::string help,
                                           std::vector<double> upper_bounds);

  // Families computed at scrape time (state that comes and goes, like a load balancer's backends),
  // appended to collect()'s output. `collector` is called from the scraping thread and must be
  // safe there; encodeText refuses a name that clashes with another family's.
  void addCollector(std::function<std::vector<Family>()> collector);

  // A copy of every family with at least one series, for encodeText.
  std::vector<Family> collect() const;

 private:
  // Validates a new family's name and HELP and reserves the sample names it writes.
  Status checkAndReserve(const std::string& name, const std::string& help, MetricType type);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<FamilyBase>> families_;
  std::map<std::string, std::string> written_names_;  // a written sample name -> its family
  std::vector<std::function<std::vector<Family>()>> collectors_;
};

}  // namespace kubevip::metrics

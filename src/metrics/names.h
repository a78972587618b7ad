// Validation of metric and label names, after the Prometheus data model
// (https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels):
//   metric name  [a-zA-Z_:][a-zA-Z0-9_:]*
//   label name   [a-zA-Z_][a-zA-Z0-9_]*, and names starting with "__" are reserved for Prometheus.
// Everything that creates a family or a series checks here, so a bad name is refused with an Error
// naming it instead of producing a scrape that Prometheus rejects as a whole.
#pragma once

#include <string_view>

#include "common/result.h"
#include "metrics/exposition.h"

namespace kubevip::metrics {

Status validateMetricName(std::string_view name);
Status validateLabelName(std::string_view name);

// Checks every label name of one series of `family` (named in errors): valid, not reserved, no
// name twice, and not "le" in a histogram (the encoder adds "le" to each bucket line).
Status validateLabels(std::string_view family, MetricType type, const Labels& labels);

}  // namespace kubevip::metrics

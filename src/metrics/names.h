// Validation of metric and label names, after the Prometheus data model
// (https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels):
//   metric name  [a-zA-Z_:][a-zA-Z0-9_:]*
//   label name   [a-zA-Z_][a-zA-Z0-9_]*, and names starting with "__" are reserved for Prometheus.
//   label values and HELP text are UTF-8 (the text format is read as UTF-8; a scrape with a broken
//   sequence is rejected as a whole).
// Everything that creates a family or a series checks here, so a bad name is refused with an Error
// naming it instead of producing a scrape that Prometheus rejects as a whole.
#pragma once

#include <string_view>

#include "common/result.h"
#include "common/utf8.h"
#include "metrics/exposition.h"

namespace kubevip::metrics {

// Label values and HELP text must be well-formed UTF-8: isValidUtf8 (common/utf8.h).
using kubevip::isValidUtf8;

Status validateMetricName(std::string_view name);
Status validateLabelName(std::string_view name);

// Checks every label of one series of `family` (named in errors): names valid, not reserved, no
// name twice, not "le" in a histogram (the encoder adds "le" to each bucket line); values UTF-8.
Status validateHelp(std::string_view family, std::string_view help);
Status validateLabels(std::string_view family, MetricType type, const Labels& labels);

}  // namespace kubevip::metrics

// The Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
//
// A pure function from families (exposition.h) to the body of a scrape, served with
// kTextContentType. For each family, sorted by name:
//   # HELP name help-with-\\-and-\n-escaped
//   # TYPE name counter|gauge|histogram
//   name{label="value",...} 1
// A histogram writes, per series, one cumulative name_bucket line per upper bound plus le="+Inf"
// (which equals name_count), then name_sum and name_count. Series are written in the order of
// their label pairs, so two scrapes of the same state are byte for byte the same. A family without
// series is left out, as the Go client does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "metrics/exposition.h"

namespace kubevip::metrics {

inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// Refuses (naming the family and what is wrong) an invalid metric or label name, text that is not
// UTF-8, two families writing the same sample name, two series of a family with the same labels,
// or a histogram whose bounds or bucket counts do not fit together.
Result<std::string> encodeText(std::vector<Family> families);

// The value as Prometheus parses it: "+Inf", "-Inf", "NaN", whole numbers below 2^53 without a
// fraction or exponent ("3", "-2"), others as the shortest text that reads back to the same double
// ("0.25", "1e-05", "1e+21").
std::string formatValue(double value);

// The sample names a family writes: its name, and for a histogram name_bucket, name_sum and
// name_count. Two families must not share one.
std::vector<std::string> writtenNames(const std::string& name, MetricType type);

// Label values escape backslash, double quote and newline; HELP text escapes backslash and newline.
std::string escapeLabelValue(std::string_view value);
std::string escapeHelp(std::string_view help);

}  // namespace kubevip::metrics

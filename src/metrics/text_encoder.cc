#include "metrics/text_encoder.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "metrics/names.h"

namespace kubevip::metrics {
namespace {

// Whole numbers below this magnitude print exactly as an integer; beyond it a double is no longer
// spaced by 1 and the shortest round-trip form ("1e+20") is both shorter and exact.
constexpr double kLargestPlainInteger = 9007199254740992.0;  // 2^53

void appendLabels(std::string& out, const Labels& labels, std::string_view le) {
  if (labels.empty() && le.empty()) return;
  out += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    out += escapeLabelValue(value);
    out += '"';
  }
  if (!le.empty()) {
    if (!first) out += ',';
    out += "le=\"";
    out += le;
    out += '"';
  }
  out += '}';
}

void appendSample(std::string& out, std::string_view name, const Labels& labels,
                  std::string_view le, std::string_view value) {
  out += name;
  appendLabels(out, labels, le);
  out += ' ';
  out += value;
  out += '\n';
}

Status checkHistogram(const Family& family, const Series& series) {
  const HistogramValue& h = series.histogram;
  const auto fail = [&](const std::string& what) {
    return makeError(ErrorCode::kInvalidArgument, "histogram " + family.name + ": " + what);
  };
  for (size_t i = 0; i < h.upper_bounds.size(); ++i) {
    if (!std::isfinite(h.upper_bounds[i])) return fail("bucket bounds must be finite");
    if (i > 0 && !(h.upper_bounds[i - 1] < h.upper_bounds[i])) {
      return fail("bucket bounds must be strictly increasing");
    }
  }
  if (h.bucket_counts.size() != h.upper_bounds.size() + 1) {
    return fail("needs one bucket count per bound plus one for +Inf");
  }
  uint64_t total = 0;
  for (uint64_t n : h.bucket_counts) total += n;
  if (total != h.count) return fail("bucket counts do not add up to the count");
  return okStatus();
}

Status checkFamily(const Family& family) {
  if (auto status = validateMetricName(family.name); !status) return status;
  if (auto status = validateHelp(family.name, family.help); !status) return status;
  for (const Series& series : family.series) {
    if (auto status = validateLabels(family.name, family.type, series.labels); !status) {
      return status;
    }
    if (family.type == MetricType::kHistogram) {
      if (auto status = checkHistogram(family, series); !status) return status;
    }
  }
  return okStatus();
}

void appendHistogram(std::string& out, const std::string& name, const Series& series) {
  const HistogramValue& h = series.histogram;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.upper_bounds.size(); ++i) {
    cumulative += h.bucket_counts[i];
    appendSample(out, name + "_bucket", series.labels, formatValue(h.upper_bounds[i]),
                 std::to_string(cumulative));
  }
  appendSample(out, name + "_bucket", series.labels, "+Inf", std::to_string(h.count));
  appendSample(out, name + "_sum", series.labels, "", formatValue(h.sum));
  appendSample(out, name + "_count", series.labels, "", std::to_string(h.count));
}

}  // namespace

std::vector<std::string> writtenNames(const std::string& name, MetricType type) {
  if (type != MetricType::kHistogram) return {name};
  return {name, name + "_bucket", name + "_sum", name + "_count"};
}

std::string formatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) < kLargestPlainInteger) {
    return std::to_string(static_cast<int64_t>(value));
  }
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

namespace {

// Backslash and newline are escaped in both HELP text and label values; a double quote only in
// label values, where it would end the value.
std::string escapeText(std::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string escapeLabelValue(std::string_view value) { return escapeText(value, true); }

std::string escapeHelp(std::string_view help) { return escapeText(help, false); }

Result<std::string> encodeText(std::vector<Family> families) {
  std::sort(families.begin(), families.end(),
            [](const Family& a, const Family& b) { return a.name < b.name; });
  std::set<std::string> written;
  for (const Family& family : families) {
    if (auto status = checkFamily(family); !status) return status.error();
    for (const auto& sample : writtenNames(family.name, family.type)) {
      if (!written.insert(sample).second) {
        return makeError(ErrorCode::kInvalidArgument,
                         "metric " + family.name + ": the name " + sample + " is written twice");
      }
    }
  }

  std::string out;
  for (Family& family : families) {
    if (family.series.empty()) continue;
    std::sort(family.series.begin(), family.series.end(),
              [](const Series& a, const Series& b) { return a.labels < b.labels; });
    const auto same =
        std::adjacent_find(family.series.begin(), family.series.end(),
                           [](const Series& a, const Series& b) { return a.labels == b.labels; });
    if (same != family.series.end()) {
      return makeError(ErrorCode::kInvalidArgument,
                       "metric " + family.name + ": two series with the same labels");
    }
    out += "# HELP " + family.name + " " + escapeHelp(family.help) + "\n";
    out += "# TYPE " + family.name + " " + metricTypeName(family.type) + "\n";
    for (const Series& series : family.series) {
      if (family.type == MetricType::kHistogram) {
        appendHistogram(out, family.name, series);
      } else {
        appendSample(out, family.name, series.labels, "", formatValue(series.value));
      }
    }
  }
  return out;
}

}  // namespace kubevip::metrics

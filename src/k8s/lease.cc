#include "k8s/lease.h"

#include <fmt/format.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "k8s/json_fields.h"

namespace kubevip::k8s {
namespace {

using Json = nlohmann::json;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Error badTime(std::string_view text) {
  return makeError(ErrorCode::kInvalidArgument,
                   fmt::format("malformed time \"{}\" (expected RFC 3339)", text));
}

}  // namespace

std::string formatMicroTime(WallTime time) {
  const auto micros = time.time_since_epoch().count();
  int64_t secs = micros / 1000000;
  int64_t frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    secs -= 1;
  }
  const auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

Result<WallTime> parseMicroTime(std::string_view text) {
  int year, mon, day, hour, min, sec;
  int consumed = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &mon, &day, &hour, &min, &sec,
                  &consumed) != 6 ||
      consumed != 19) {
    return badTime(text);
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return badTime(text);
  }
  std::size_t pos = 19;
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 6) micros = micros * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return badTime(text);
    for (int i = digits; i < 6; ++i) micros *= 10;
  }
  int64_t offset_seconds = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om, n = 0;
    if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5) {
      return badTime(text);
    }
    offset_seconds = (int64_t{oh} * 3600 + int64_t{om} * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return badTime(text);
  }
  if (pos != s.size()) return badTime(text);
  const int64_t days = daysFromCivil(year, static_cast<unsigned>(mon), static_cast<unsigned>(day));
  const int64_t secs =
      days * 86400 + int64_t{hour} * 3600 + int64_t{min} * 60 + sec - offset_seconds;
  return WallTime(std::chrono::microseconds(secs * 1000000 + micros));
}

std::string leaseToJson(const Lease& lease) {
  Json metadata = {{"name", lease.name}, {"namespace", lease.lease_namespace}};
  if (!lease.resource_version.empty()) metadata["resourceVersion"] = lease.resource_version;
  // Fields are written the way client-go's LeaseLock writes them: an empty holder is sent as "",
  // so that a released Lease visibly has no holder.
  Json spec = {{"holderIdentity", lease.spec.holder_identity},
               {"leaseDurationSeconds", lease.spec.lease_duration_seconds},
               {"leaseTransitions", lease.spec.lease_transitions}};
  if (lease.spec.acquire_time) spec["acquireTime"] = formatMicroTime(*lease.spec.acquire_time);
  if (lease.spec.renew_time) spec["renewTime"] = formatMicroTime(*lease.spec.renew_time);
  Json doc = {{"apiVersion", "coordination.k8s.io/v1"},
              {"kind", "Lease"},
              {"metadata", std::move(metadata)},
              {"spec", std::move(spec)}};
  return doc.dump();
}

Result<Lease> leaseFromJson(std::string_view json) {
  auto document = json_fields::parseUntrustedObject(json);
  if (!document) {
    return makeError(ErrorCode::kInvalidArgument,
                     "the API server's Lease: " + document.error().message);
  }
  const Json& doc = *document;
  // Not doc.value("kind", ""): it throws when "kind" is there but not a string.
  const auto kind = doc.find("kind");
  if (kind == doc.end() || !kind->is_string() || kind->get_ref<const std::string&>() != "Lease") {
    return makeError(ErrorCode::kInvalidArgument,
                     fmt::format("expected a Lease from the API server, got kind {}",
                                 kind == doc.end()
                                     ? "\"\""
                                     : kind->dump(-1, ' ', false, Json::error_handler_t::replace)));
  }
  Lease lease;
  try {
    const Json& metadata = doc.at("metadata");
    lease.name = metadata.value("name", "");
    lease.lease_namespace = metadata.value("namespace", "");
    lease.resource_version = metadata.value("resourceVersion", "");
    if (doc.contains("spec") && doc["spec"].is_object()) {
      const Json& spec = doc["spec"];
      lease.spec.holder_identity = spec.value("holderIdentity", "");
      lease.spec.lease_duration_seconds = spec.value("leaseDurationSeconds", 0);
      lease.spec.lease_transitions = spec.value("leaseTransitions", 0);
      for (auto [key, field] : {std::pair{"acquireTime", &lease.spec.acquire_time},
                                std::pair{"renewTime", &lease.spec.renew_time}}) {
        if (!spec.contains(key) || spec[key].is_null()) continue;
        auto parsed = parseMicroTime(spec[key].get<std::string>());
        if (!parsed) return parsed.error();
        *field = *parsed;
      }
    }
  } catch (const Json::exception& e) {
    return makeError(ErrorCode::kInvalidArgument,
                     fmt::format("malformed Lease from the API server: {}", e.what()));
  }
  return lease;
}

}  // namespace kubevip::k8s

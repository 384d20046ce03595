// A strict reader of the Prometheus text exposition format 0.0.4, for tests of /metrics.
//
// It is stricter than Prometheus itself, so that arbord's output passes only when it is clean:
//  - every sample belongs to a family announced by # HELP and # TYPE lines before it;
//  - families are contiguous and appear once, with no blank lines or other comments;
//  - no series appears twice, and label values use only the three escapes of the format;
//  - counters are not negative;
//  - each histogram series has ascending `le` buckets ending in +Inf, non-decreasing counts, a
//    _count equal to its +Inf bucket, and a _sum.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace arbor::integration {

using PromLabels = std::map<std::string, std::string>;

struct PromSample {
  std::string name;  // as written, e.g. "arbor_grpc_request_duration_seconds_count"
  PromLabels labels;
  double value = 0;
};

struct PromScrape {
  std::map<std::string, std::string> types;  // family name -> "counter", "gauge", ...
  std::map<std::string, std::string> helps;  // family name -> unescaped help text
  std::vector<PromSample> samples;

  // The value of the sample with exactly this name and these labels.
  std::optional<double> Find(const std::string& name, const PromLabels& labels) const;
  // Samples named `name` whose labels include all of `subset`.
  std::vector<PromSample> Select(const std::string& name, const PromLabels& subset = {}) const;
};

// Parses and checks `text`; INVALID_ARGUMENT names the line number and the rule it breaks.
absl::StatusOr<PromScrape> ParsePrometheusText(absl::string_view text);

}  // namespace arbor::integration

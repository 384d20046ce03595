#include "client/arborctl_parse.h"

#include <cmath>
#include <filesystem>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/client.h"

namespace arbor::client {
namespace {

// Splits comma-separated text into trimmed items. `item_name` names an item in error messages.
absl::StatusOr<std::vector<absl::string_view>> SplitList(absl::string_view text,
                                                         absl::string_view item_name) {
  if (absl::StripAsciiWhitespace(text).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a comma-separated list of ", item_name, "s, got an empty value"));
  }

  std::vector<absl::string_view> items;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(item);
    if (trimmed.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(item_name, " ", items.size() + 1, " of \"", text, "\" is empty"));
    }
    items.push_back(trimmed);
  }
  return items;
}

absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }

}  // namespace

absl::StatusOr<std::vector<float>> ParseVectorText(std::string_view text) {
  absl::StatusOr<std::vector<absl::string_view>> items = SplitList(ToAbsl(text), "value");
  if (!items.ok()) {
    return items.status();
  }

  std::vector<float> values;
  values.reserve(items->size());
  for (absl::string_view item : *items) {
    float value = 0;
    if (!absl::SimpleAtof(item, &value) || !std::isfinite(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("value ", values.size() + 1, " (\"", item, "\") is not a finite number"));
    }
    values.push_back(value);
  }
  return values;
}

absl::StatusOr<std::vector<uint64_t>> ParseIdList(std::string_view text) {
  absl::StatusOr<std::vector<absl::string_view>> items = SplitList(ToAbsl(text), "id");
  if (!items.ok()) {
    return items.status();
  }

  std::vector<uint64_t> ids;
  ids.reserve(items->size());
  for (absl::string_view item : *items) {
    // SimpleAtoi accepts a leading '+', but ids are plain decimal digits.
    uint64_t id = 0;
    bool digits_only = absl::ascii_isdigit(item.front());
    if (!digits_only || !absl::SimpleAtoi(item, &id)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "id ", ids.size() + 1, " (\"", item, "\") is not an unsigned 64-bit decimal number"));
    }
    ids.push_back(id);
  }
  return ids;
}

absl::StatusOr<std::vector<std::string>> ParseNameList(std::string_view text) {
  absl::StatusOr<std::vector<absl::string_view>> items = SplitList(ToAbsl(text), "name");
  if (!items.ok()) {
    return items.status();
  }
  return std::vector<std::string>(items->begin(), items->end());
}

absl::StatusOr<v1::Metric> ParseMetric(std::string_view text) {
  if (text == "l2") return v1::METRIC_L2;
  if (text == "ip") return v1::METRIC_IP;
  if (text == "cosine") return v1::METRIC_COSINE;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown metric \"", ToAbsl(text), "\"; expected l2, ip or cosine"));
}

std::string_view MetricName(v1::Metric metric) {
  switch (metric) {
    case v1::METRIC_L2:
      return "l2";
    case v1::METRIC_IP:
      return "ip";
    case v1::METRIC_COSINE:
      return "cosine";
    default:
      return "unspecified";
  }
}

absl::StatusOr<std::string> ResolveKey(const KeySources& sources) {
  if (sources.key_flag.has_value() && !sources.key_flag->empty()) {
    return *sources.key_flag;
  }
  if (sources.key_file_flag.has_value()) {
    return ReadKeyFile(*sources.key_file_flag);
  }
  if (sources.env_key.has_value() && !sources.env_key->empty()) {
    return *sources.env_key;
  }
  if (sources.env_key_file.has_value() && !sources.env_key_file->empty()) {
    return ReadKeyFile(*sources.env_key_file);
  }

  std::error_code error;
  if (std::filesystem::exists(sources.default_key_file, error)) {
    return ReadKeyFile(sources.default_key_file);
  }
  return std::string();
}

}  // namespace arbor::client

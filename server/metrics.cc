#include "server/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "fmt/format.h"

namespace arbor::server {
namespace {

bool IsNameStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

absl::Status CheckLabels(const Labels& labels, MetricType type) {
  for (size_t i = 0; i < labels.size(); ++i) {
    const std::string& name = labels[i].first;
    if (!IsValidLabelName(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "label name '", name, "' is invalid; use [a-zA-Z_][a-zA-Z0-9_]* without a leading __"));
    }
    if (type == MetricType::kHistogram && name == "le") {
      return absl::InvalidArgumentError(
          "label name 'le' is reserved for the bucket bounds of histograms");
    }
    for (size_t j = 0; j < i; ++j) {
      if (labels[j].first == name) {
        return absl::InvalidArgumentError(absl::StrCat("label name '", name, "' appears twice"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// ---- Histogram ----

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      bucket_counts_(new std::atomic<uint64_t>[upper_bounds_.size() + 1]) {
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    bucket_counts_[i].store(0, std::memory_order_relaxed);
  }
}

void Histogram::Observe(double value) {
  // The first bound >= value; NaN compares false with every bound, so it needs its own case.
  size_t bucket = upper_bounds_.size();
  if (!std::isnan(value)) {
    bucket = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) -
             upper_bounds_.begin();
  }
  bucket_counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

HistogramSnapshot Histogram::Snapshot() const {
  HistogramSnapshot snapshot;
  snapshot.upper_bounds = upper_bounds_;
  snapshot.cumulative_counts.resize(upper_bounds_.size() + 1);
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    cumulative += bucket_counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative_counts[i] = cumulative;
  }
  snapshot.count = cumulative;
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

absl::Status ValidateBucketBounds(const std::vector<double>& upper_bounds) {
  if (upper_bounds.empty()) {
    return absl::InvalidArgumentError("a histogram needs at least one finite bucket bound");
  }
  for (size_t i = 0; i < upper_bounds.size(); ++i) {
    if (!std::isfinite(upper_bounds[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bucket bound ", i, " is ", FormatSampleValue(upper_bounds[i]),
          "; bounds must be finite (the +Inf bucket is always added)"));
    }
    if (i > 0 && upper_bounds[i] <= upper_bounds[i - 1]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bucket bound ", i, " (", FormatSampleValue(upper_bounds[i]),
          ") is not above the bound before it (", FormatSampleValue(upper_bounds[i - 1]),
          "); bounds must be strictly ascending"));
    }
  }
  return absl::OkStatus();
}

// ---- Text format ----

bool IsValidMetricName(absl::string_view name) {
  if (name.empty() || !(IsNameStart(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return IsNameChar(c) || c == ':'; });
}

bool IsValidLabelName(absl::string_view name) {
  if (name.empty() || !IsNameStart(name[0]) || absl::StartsWith(name, "__")) return false;
  return std::all_of(name.begin(), name.end(), IsNameChar);
}

std::string EscapeLabelValue(absl::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        escaped += "\\\\";
        break;
      case '"':
        escaped += "\\\"";
        break;
      case '\n':
        escaped += "\\n";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::string EscapeHelp(absl::string_view help) {
  std::string escaped;
  escaped.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

std::string FormatSampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // fmt's default floating-point format (fmt 9.1, Debian 12) is the shortest decimal that reads
  // back exactly.
  return fmt::format("{}", value);
}

void TextWriter::BeginFamily(absl::string_view name, absl::string_view help, MetricType type) {
  absl::StrAppend(&text_, "# HELP ", name, " ", EscapeHelp(help), "\n");
  absl::StrAppend(&text_, "# TYPE ", name, " ", MetricTypeName(type), "\n");
}

void TextWriter::WriteSampleStart(absl::string_view name, const Labels& labels,
                                  const std::pair<absl::string_view, std::string>* extra_label) {
  text_.append(name.data(), name.size());
  if (labels.empty() && extra_label == nullptr) return;

  text_ += '{';
  const char* separator = "";
  for (const auto& [label, value] : labels) {
    absl::StrAppend(&text_, separator, label, "=\"", EscapeLabelValue(value), "\"");
    separator = ",";
  }
  if (extra_label != nullptr) {
    absl::StrAppend(&text_, separator, extra_label->first, "=\"",
                    EscapeLabelValue(extra_label->second), "\"");
  }
  text_ += '}';
}

void TextWriter::WriteSample(absl::string_view name, const Labels& labels, double value) {
  WriteSampleStart(name, labels, nullptr);
  absl::StrAppend(&text_, " ", FormatSampleValue(value), "\n");
}

void TextWriter::WriteSample(absl::string_view name, const Labels& labels, uint64_t value) {
  WriteSampleStart(name, labels, nullptr);
  absl::StrAppend(&text_, " ", value, "\n");
}

void TextWriter::WriteHistogram(absl::string_view name, const Labels& labels,
                                const HistogramSnapshot& snapshot) {
  const std::string bucket_name = absl::StrCat(name, "_bucket");
  for (size_t i = 0; i < snapshot.cumulative_counts.size(); ++i) {
    const double bound = i < snapshot.upper_bounds.size()
                             ? snapshot.upper_bounds[i]
                             : std::numeric_limits<double>::infinity();
    const std::pair<absl::string_view, std::string> le("le", FormatSampleValue(bound));
    WriteSampleStart(bucket_name, labels, &le);
    absl::StrAppend(&text_, " ", snapshot.cumulative_counts[i], "\n");
  }
  WriteSample(absl::StrCat(name, "_sum"), labels, snapshot.sum);
  WriteSample(absl::StrCat(name, "_count"), labels, snapshot.count);
}

// ---- Registry ----

absl::StatusOr<MetricsRegistry::Family*> MetricsRegistry::FamilyForNewSeries(
    absl::string_view name, absl::string_view help, MetricType type, const Labels& labels) {
  if (!IsValidMetricName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("metric name '", name, "' is invalid; use [a-zA-Z_:][a-zA-Z0-9_:]*"));
  }
  if (absl::Status checked = CheckLabels(labels, type); !checked.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("metric ", name, ": ", checked.message()));
  }

  for (const std::unique_ptr<Family>& family : families_) {
    if (family->name != name) continue;
    if (family->type != type || family->help != help) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metric ", name, " is already registered as a ", MetricTypeName(family->type),
          " with other help text or type; one family has one type and one help text"));
    }
    for (const Series& series : family->series) {
      if (series.labels == labels) {
        return absl::InvalidArgumentError(
            absl::StrCat("metric ", name, " already has a series with these labels"));
      }
    }
    return family.get();
  }

  auto family = std::make_unique<Family>();
  family->name = std::string(name);
  family->help = std::string(help);
  family->type = type;
  families_.push_back(std::move(family));
  return families_.back().get();
}

absl::StatusOr<Counter*> MetricsRegistry::AddCounter(absl::string_view name,
                                                     absl::string_view help, Labels labels,
                                                     Visibility visibility) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Family*> family = FamilyForNewSeries(name, help, MetricType::kCounter, labels);
  if (!family.ok()) return family.status();

  Series series;
  series.labels = std::move(labels);
  series.visibility = visibility;
  series.counter = std::make_unique<Counter>();
  Counter* counter = series.counter.get();
  (*family)->series.push_back(std::move(series));
  return counter;
}

absl::StatusOr<Histogram*> MetricsRegistry::AddHistogram(absl::string_view name,
                                                         absl::string_view help, Labels labels,
                                                         std::vector<double> upper_bounds,
                                                         Visibility visibility) {
  if (absl::Status bounds = ValidateBucketBounds(upper_bounds); !bounds.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("metric ", name, ": ", bounds.message()));
  }
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Family*> family = FamilyForNewSeries(name, help, MetricType::kHistogram, labels);
  if (!family.ok()) return family.status();

  Series series;
  series.labels = std::move(labels);
  series.visibility = visibility;
  series.histogram = std::make_unique<Histogram>(std::move(upper_bounds));
  Histogram* histogram = series.histogram.get();
  (*family)->series.push_back(std::move(series));
  return histogram;
}

void MetricsRegistry::AddCollector(Collector collector) {
  absl::MutexLock lock(&mu_);
  collectors_.push_back(std::move(collector));
}

void MetricsRegistry::RenderFamily(const Family& family, TextWriter& out) const {
  // Snapshots first, so that the family is left out when every series is hidden.
  std::vector<std::pair<const Series*, HistogramSnapshot>> histograms;
  std::vector<std::pair<const Series*, uint64_t>> counters;
  for (const Series& series : family.series) {
    const bool always = series.visibility == Visibility::kAlways;
    if (series.counter != nullptr) {
      const uint64_t value = series.counter->Value();
      if (always || value > 0) counters.emplace_back(&series, value);
    } else {
      HistogramSnapshot snapshot = series.histogram->Snapshot();
      if (always || snapshot.count > 0) histograms.emplace_back(&series, std::move(snapshot));
    }
  }
  if (counters.empty() && histograms.empty()) return;

  out.BeginFamily(family.name, family.help, family.type);
  for (const auto& [series, value] : counters) out.WriteSample(family.name, series->labels, value);
  for (const auto& [series, snapshot] : histograms) {
    out.WriteHistogram(family.name, series->labels, snapshot);
  }
}

std::string MetricsRegistry::Render() const {
  TextWriter out;
  std::vector<Collector> collectors;
  {
    absl::ReaderMutexLock lock(&mu_);
    for (const std::unique_ptr<Family>& family : families_) RenderFamily(*family, out);
    collectors = collectors_;
  }
  // Collectors may do I/O (RocksDB properties, the data directory), so they run unlocked.
  for (const Collector& collector : collectors) collector(out);
  return out.text();
}

}  // namespace arbor::server

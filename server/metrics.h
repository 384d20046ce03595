// A small Prometheus metrics registry: counters and fixed-bucket histograms that request threads
// update without locks, gauges that collectors compute when /metrics is scraped, and rendering
// in the Prometheus text exposition format, version 0.0.4.
//
//   MetricsRegistry registry;
//   ASSIGN_OR_RETURN(Counter* calls,
//                    registry.AddCounter("arbor_calls_total", "Calls served.", {{"kind", "a"}}));
//   calls->Increment();
//   registry.AddCollector([](TextWriter& out) {
//     out.BeginFamily("arbor_queue_length", "Requests waiting.", MetricType::kGauge);
//     out.WriteSample("arbor_queue_length", {}, uint64_t{3});
//   });
//   std::string text = registry.Render();
//
// Thread safety: Counter and Histogram methods are lock-free and safe from any thread. The
// registry's methods are safe to call concurrently and take an internal mutex. Request threads
// touch only the atomics of counters and histograms, so they never wait for a scrape. Counters
// and histograms live as long as the registry that returned them.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace arbor::server {

enum class MetricType { kCounter, kGauge, kHistogram };

// The name of `type` on a # TYPE line: "counter", "gauge" or "histogram".
absl::string_view MetricTypeName(MetricType type);

// Label names and values of one series, rendered in this order.
using Labels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing count.
class Counter {
 public:
  void Increment(uint64_t delta = 1) { value_.fetch_add(delta, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A histogram as rendered: cumulative counts per upper bound, like Prometheus buckets.
struct HistogramSnapshot {
  std::vector<double> upper_bounds;  // finite, strictly ascending
  // cumulative_counts[i] counts observations <= upper_bounds[i]; the extra last entry is the
  // +Inf bucket and equals `count`.
  std::vector<uint64_t> cumulative_counts;
  double sum = 0;
  uint64_t count = 0;
};

// Counts observations in buckets with fixed upper bounds. A value equal to a bound falls in that
// bound's bucket, as Prometheus's `le` (less or equal) requires. A value above every bound, and
// NaN, falls only in the +Inf bucket.
class Histogram {
 public:
  // REQUIRES: ValidateBucketBounds(upper_bounds).ok().
  explicit Histogram(std::vector<double> upper_bounds);

  void Observe(double value);

  // Reads the buckets and the sum without stopping writers. The count is the sum of the bucket
  // counts read, so the snapshot is always self-consistent, but an observation that races with
  // it may be in the buckets and not yet in the sum.
  HistogramSnapshot Snapshot() const;

 private:
  const std::vector<double> upper_bounds_;
  // One counter per bucket (not cumulative), plus one for values above every bound.
  std::unique_ptr<std::atomic<uint64_t>[]> bucket_counts_;
  std::atomic<double> sum_{0.0};
};

// Checks that bucket bounds are non-empty, finite and strictly ascending.
absl::Status ValidateBucketBounds(const std::vector<double>& upper_bounds);

// Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*; label names match [a-zA-Z_][a-zA-Z0-9_]* and do
// not start with "__", which Prometheus reserves.
bool IsValidMetricName(absl::string_view name);
bool IsValidLabelName(absl::string_view name);

// Escapes a label value for the text format: backslash, double quote and line feed.
std::string EscapeLabelValue(absl::string_view value);
// Escapes the text of a # HELP line: backslash and line feed.
std::string EscapeHelp(absl::string_view help);
// Formats a sample value as Go's ParseFloat reads it back exactly: the shortest decimal form
// ("1", "0.25", "1e+20"), or "+Inf", "-Inf" and "NaN".
std::string FormatSampleValue(double value);

// Builds the text of one scrape. Each family starts with BeginFamily and is followed by all of
// its samples; a family name may appear once per scrape. The writer does not check this
// contract, but the registry checks the families it owns at registration.
class TextWriter {
 public:
  void BeginFamily(absl::string_view name, absl::string_view help, MetricType type);

  // One sample line. The uint64_t overload prints integers exactly, beyond 2^53 too.
  void WriteSample(absl::string_view name, const Labels& labels, double value);
  void WriteSample(absl::string_view name, const Labels& labels, uint64_t value);

  // The _bucket lines (with an `le` label after `labels`), then _sum and _count of one
  // histogram series of family `name`.
  void WriteHistogram(absl::string_view name, const Labels& labels,
                      const HistogramSnapshot& snapshot);

  const std::string& text() const { return text_; }

 private:
  void WriteSampleStart(absl::string_view name, const Labels& labels,
                        const std::pair<absl::string_view, std::string>* extra_label);

  std::string text_;
};

// Whether a series is rendered before anything was counted in it.
enum class Visibility {
  kAlways,
  // Rendered only once its counter is non-zero or its histogram has an observation. For series
  // that exist for every combination of labels but are rarely used, such as gRPC error codes.
  kOnceNonZero,
};

class MetricsRegistry {
 public:
  // Writes gauges (or any other family the registry does not own) at scrape time.
  using Collector = std::function<void(TextWriter&)>;

  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Adds a series to the family `name`, creating the family on first use. INVALID_ARGUMENT for
  // a malformed metric or label name, a label name repeated within `labels`, a histogram label
  // named "le", a family already registered with another type or help text, or labels already
  // registered in the family.
  absl::StatusOr<Counter*> AddCounter(absl::string_view name, absl::string_view help,
                                      Labels labels, Visibility visibility = Visibility::kAlways);
  // As AddCounter; also INVALID_ARGUMENT when ValidateBucketBounds rejects `upper_bounds`.
  absl::StatusOr<Histogram*> AddHistogram(absl::string_view name, absl::string_view help,
                                          Labels labels, std::vector<double> upper_bounds,
                                          Visibility visibility = Visibility::kAlways);

  // Collectors run in the order added, after the registry's own families, on the thread that
  // calls Render and without the registry's mutex held. REQUIRES: a collector writes no family
  // that the registry owns or that another collector writes.
  void AddCollector(Collector collector);

  // Renders every family: the registry's own in registration order (families whose series are
  // all hidden are left out), then the collectors' output.
  std::string Render() const;

 private:
  struct Series {
    Labels labels;
    Visibility visibility = Visibility::kAlways;
    std::unique_ptr<Counter> counter;      // set in counter families
    std::unique_ptr<Histogram> histogram;  // set in histogram families
  };

  struct Family {
    std::string name;
    std::string help;
    MetricType type = MetricType::kCounter;
    std::vector<Series> series;
  };

  // Validates and returns the family for a new series, creating it when absent.
  absl::StatusOr<Family*> FamilyForNewSeries(absl::string_view name, absl::string_view help,
                                             MetricType type, const Labels& labels)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RenderFamily(const Family& family, TextWriter& out) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  // Counters and histograms are owned through unique_ptrs, so the pointers that Add* returns
  // stay valid while these vectors grow.
  std::vector<std::unique_ptr<Family>> families_ ABSL_GUARDED_BY(mu_);
  std::vector<Collector> collectors_ ABSL_GUARDED_BY(mu_);
};

}  // namespace arbor::server

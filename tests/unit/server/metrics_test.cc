// The metrics registry and the Prometheus text format: exact output of a small registry,
// histogram bucket bounds, escaping, value formatting, registration errors, hidden series and
// concurrent updates.
#include "server/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

namespace arbor::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(MetricsRegistry, RendersExactText) {
  MetricsRegistry registry;
  absl::StatusOr<Counter*> reads =
      registry.AddCounter("arbor_test_calls_total", "Calls served.", {{"kind", "read"}});
  ASSERT_TRUE(reads.ok()) << reads.status();
  absl::StatusOr<Counter*> writes =
      registry.AddCounter("arbor_test_calls_total", "Calls served.", {{"kind", "write"}});
  ASSERT_TRUE(writes.ok()) << writes.status();
  absl::StatusOr<Histogram*> latency = registry.AddHistogram(
      "arbor_test_latency_seconds", "Latency of\na call \\ in seconds.", {{"op", "get"}},
      {0.125, 1});
  ASSERT_TRUE(latency.ok()) << latency.status();
  registry.AddCollector([](TextWriter& out) {
    out.BeginFamily("arbor_test_queue", "Items waiting.", MetricType::kGauge);
    out.WriteSample("arbor_test_queue", {{"path", "a\"b\\c\nd"}}, uint64_t{7});
    out.WriteSample("arbor_test_queue", {}, 0.5);
  });

  (*reads)->Increment();
  (*reads)->Increment(2);
  // Powers of two, so that the sum is exact.
  for (double value : {0.0625, 0.125, 0.5, 2.0}) (*latency)->Observe(value);

  EXPECT_EQ(registry.Render(),
            "# HELP arbor_test_calls_total Calls served.\n"
            "# TYPE arbor_test_calls_total counter\n"
            "arbor_test_calls_total{kind=\"read\"} 3\n"
            "arbor_test_calls_total{kind=\"write\"} 0\n"
            "# HELP arbor_test_latency_seconds Latency of\\na call \\\\ in seconds.\n"
            "# TYPE arbor_test_latency_seconds histogram\n"
            "arbor_test_latency_seconds_bucket{op=\"get\",le=\"0.125\"} 2\n"
            "arbor_test_latency_seconds_bucket{op=\"get\",le=\"1\"} 3\n"
            "arbor_test_latency_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n"
            "arbor_test_latency_seconds_sum{op=\"get\"} 2.6875\n"
            "arbor_test_latency_seconds_count{op=\"get\"} 4\n"
            "# HELP arbor_test_queue Items waiting.\n"
            "# TYPE arbor_test_queue gauge\n"
            "arbor_test_queue{path=\"a\\\"b\\\\c\\nd\"} 7\n"
            "arbor_test_queue 0.5\n");
}

TEST(MetricsRegistry, EmptyRegistryRendersNothing) {
  MetricsRegistry registry;
  EXPECT_EQ(registry.Render(), "");
}

TEST(Histogram, BoundIsInclusive) {
  Histogram histogram({1, 2, 4});
  histogram.Observe(1);  // equal to the first bound: first bucket
  histogram.Observe(2);  // equal to the second bound: second bucket
  histogram.Observe(std::nextafter(2.0, 3.0));  // just above: third bucket

  const HistogramSnapshot snapshot = histogram.Snapshot();
  EXPECT_EQ(snapshot.upper_bounds, (std::vector<double>{1, 2, 4}));
  EXPECT_EQ(snapshot.cumulative_counts, (std::vector<uint64_t>{1, 2, 3, 3}));
  EXPECT_EQ(snapshot.count, 3u);
}

TEST(Histogram, ValuesAboveEveryBoundOnlyInInf) {
  Histogram histogram({1, 2});
  histogram.Observe(2.5);
  histogram.Observe(kInf);

  const HistogramSnapshot snapshot = histogram.Snapshot();
  EXPECT_EQ(snapshot.cumulative_counts, (std::vector<uint64_t>{0, 0, 2}));
  EXPECT_EQ(snapshot.count, 2u);
  EXPECT_EQ(snapshot.sum, kInf);
}

TEST(Histogram, NegativeValuesInFirstBucket) {
  Histogram histogram({0, 1});
  histogram.Observe(-5);
  histogram.Observe(0);

  const HistogramSnapshot snapshot = histogram.Snapshot();
  EXPECT_EQ(snapshot.cumulative_counts, (std::vector<uint64_t>{2, 2, 2}));
  EXPECT_EQ(snapshot.sum, -5);
}

TEST(Histogram, NaNOnlyInInfBucket) {
  Histogram histogram({1});
  histogram.Observe(kNaN);

  const HistogramSnapshot snapshot = histogram.Snapshot();
  EXPECT_EQ(snapshot.cumulative_counts, (std::vector<uint64_t>{0, 1}));
  EXPECT_TRUE(std::isnan(snapshot.sum));
}

TEST(Histogram, ConcurrentObservationsAllCounted) {
  Histogram histogram({0.5});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&histogram, t] {
      // Even threads observe 0.25 (first bucket), odd threads 1 (only +Inf).
      for (int i = 0; i < kPerThread; ++i) histogram.Observe(t % 2 == 0 ? 0.25 : 1.0);
    });
  }
  for (std::thread& thread : threads) thread.join();

  const HistogramSnapshot snapshot = histogram.Snapshot();
  EXPECT_EQ(snapshot.cumulative_counts[0], uint64_t{kThreads / 2 * kPerThread});
  EXPECT_EQ(snapshot.count, uint64_t{kThreads * kPerThread});
  EXPECT_EQ(snapshot.sum, kThreads / 2 * kPerThread * 0.25 + kThreads / 2 * kPerThread * 1.0);
}

TEST(Counter, ConcurrentIncrementsAllCounted) {
  MetricsRegistry registry;
  absl::StatusOr<Counter*> counter = registry.AddCounter("arbor_test_total", "Test.", {});
  ASSERT_TRUE(counter.ok()) << counter.status();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([counter = *counter] {
      for (int i = 0; i < kPerThread; ++i) counter->Increment();
    });
  }
  // Rendering while the counter moves must not block.
  for (int i = 0; i < 20; ++i) EXPECT_THAT(registry.Render(), HasSubstr("arbor_test_total "));
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ((*counter)->Value(), uint64_t{kThreads * kPerThread});
  EXPECT_THAT(registry.Render(), HasSubstr(absl::StrCat("\narbor_test_total ",
                                                        kThreads * kPerThread, "\n")));
}

TEST(TextFormat, EscapesLabelValues) {
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
  EXPECT_EQ(EscapeLabelValue("back\\slash"), "back\\\\slash");
  EXPECT_EQ(EscapeLabelValue("a \"quote\""), "a \\\"quote\\\"");
  EXPECT_EQ(EscapeLabelValue("two\nlines"), "two\\nlines");
  // Other characters, tabs and UTF-8 included, pass unchanged.
  EXPECT_EQ(EscapeLabelValue("tab\there, caf\xc3\xa9"), "tab\there, caf\xc3\xa9");
}

TEST(TextFormat, EscapesHelpButNotQuotes) {
  EXPECT_EQ(EscapeHelp("a \"quote\" stays"), "a \"quote\" stays");
  EXPECT_EQ(EscapeHelp("back\\slash"), "back\\\\slash");
  EXPECT_EQ(EscapeHelp("two\nlines"), "two\\nlines");
}

TEST(TextFormat, FormatsValuesForGo) {
  EXPECT_EQ(FormatSampleValue(0), "0");
  EXPECT_EQ(FormatSampleValue(1), "1");
  EXPECT_EQ(FormatSampleValue(-2.5), "-2.5");
  EXPECT_EQ(FormatSampleValue(0.1), "0.1");
  EXPECT_EQ(FormatSampleValue(0.0001), "0.0001");
  EXPECT_EQ(FormatSampleValue(1e20), "1e+20");
  EXPECT_EQ(FormatSampleValue(kInf), "+Inf");
  EXPECT_EQ(FormatSampleValue(-kInf), "-Inf");
  EXPECT_EQ(FormatSampleValue(kNaN), "NaN");
  // Round trip of a value without a short decimal form.
  const double third = 1.0 / 3;
  EXPECT_EQ(std::stod(FormatSampleValue(third)), third);
}

TEST(TextFormat, LargeCountersPrintExactly) {
  TextWriter out;
  out.WriteSample("big_total", {}, uint64_t{18446744073709551615u});
  EXPECT_EQ(out.text(), "big_total 18446744073709551615\n");
}

TEST(TextFormat, ValidatesNames) {
  EXPECT_TRUE(IsValidMetricName("arbor_calls_total"));
  EXPECT_TRUE(IsValidMetricName("job:rate:5m"));
  EXPECT_TRUE(IsValidMetricName("_x9"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_FALSE(IsValidMetricName("9lives"));
  EXPECT_FALSE(IsValidMetricName("has-dash"));
  EXPECT_FALSE(IsValidMetricName("has space"));

  EXPECT_TRUE(IsValidLabelName("collection"));
  EXPECT_TRUE(IsValidLabelName("_private"));
  EXPECT_FALSE(IsValidLabelName(""));
  EXPECT_FALSE(IsValidLabelName("__reserved"));
  EXPECT_FALSE(IsValidLabelName("has:colon"));
  EXPECT_FALSE(IsValidLabelName("1st"));
}

TEST(MetricsRegistry, RejectsInvalidRegistrations) {
  MetricsRegistry registry;
  ASSERT_TRUE(registry.AddCounter("arbor_x_total", "X.", {{"a", "1"}}).ok());

  struct Case {
    const char* name;
    absl::Status status;
    const char* fragment;
  };
  const Case cases[] = {
      {"bad metric name", registry.AddCounter("bad-name", "X.", {}).status(), "bad-name"},
      {"bad label name", registry.AddCounter("arbor_y_total", "Y.", {{"__a", "1"}}).status(),
       "__a"},
      {"label twice",
       registry.AddCounter("arbor_y_total", "Y.", {{"a", "1"}, {"a", "2"}}).status(),
       "appears twice"},
      {"same labels twice", registry.AddCounter("arbor_x_total", "X.", {{"a", "1"}}).status(),
       "already has a series"},
      {"other help text", registry.AddCounter("arbor_x_total", "Other.", {{"a", "2"}}).status(),
       "already registered"},
      {"other type",
       registry.AddHistogram("arbor_x_total", "X.", {{"a", "3"}}, {1}).status(),
       "already registered"},
      {"le on histogram",
       registry.AddHistogram("arbor_h_seconds", "H.", {{"le", "1"}}, {1}).status(),
       "'le' is reserved"},
      {"no bounds", registry.AddHistogram("arbor_h_seconds", "H.", {}, {}).status(),
       "at least one"},
      {"descending bounds",
       registry.AddHistogram("arbor_h_seconds", "H.", {}, {2, 1}).status(), "ascending"},
      {"equal bounds", registry.AddHistogram("arbor_h_seconds", "H.", {}, {1, 1}).status(),
       "ascending"},
      {"infinite bound",
       registry.AddHistogram("arbor_h_seconds", "H.", {}, {1, kInf}).status(), "finite"},
      {"NaN bound", registry.AddHistogram("arbor_h_seconds", "H.", {}, {kNaN}).status(),
       "finite"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(c.status.code(), absl::StatusCode::kInvalidArgument) << c.status;
    EXPECT_THAT(std::string(c.status.message()), HasSubstr(c.fragment));
  }
  // None of the rejected registrations left a family behind.
  EXPECT_THAT(registry.Render(), Not(HasSubstr("arbor_y_total")));
  EXPECT_THAT(registry.Render(), Not(HasSubstr("arbor_h_seconds")));
}

TEST(MetricsRegistry, HiddenSeriesAppearOnceNonZero) {
  MetricsRegistry registry;
  absl::StatusOr<Counter*> shown =
      registry.AddCounter("arbor_calls_total", "Calls.", {{"code", "OK"}});
  absl::StatusOr<Counter*> hidden = registry.AddCounter(
      "arbor_calls_total", "Calls.", {{"code", "NOT_FOUND"}}, Visibility::kOnceNonZero);
  absl::StatusOr<Histogram*> hidden_histogram = registry.AddHistogram(
      "arbor_wait_seconds", "Waits.", {}, {1}, Visibility::kOnceNonZero);
  ASSERT_TRUE(shown.ok()) << shown.status();
  ASSERT_TRUE(hidden.ok()) << hidden.status();
  ASSERT_TRUE(hidden_histogram.ok()) << hidden_histogram.status();

  const std::string before = registry.Render();
  EXPECT_THAT(before, HasSubstr("arbor_calls_total{code=\"OK\"} 0\n"));
  EXPECT_THAT(before, Not(HasSubstr("NOT_FOUND")));
  // A family whose every series is hidden is left out, HELP and TYPE included.
  EXPECT_THAT(before, Not(HasSubstr("arbor_wait_seconds")));

  (*hidden)->Increment();
  (*hidden_histogram)->Observe(0.5);
  const std::string after = registry.Render();
  EXPECT_THAT(after, HasSubstr("arbor_calls_total{code=\"NOT_FOUND\"} 1\n"));
  EXPECT_THAT(after, HasSubstr("# TYPE arbor_wait_seconds histogram\n"));
  EXPECT_THAT(after, HasSubstr("arbor_wait_seconds_count 1\n"));
}

TEST(MetricsRegistry, CollectorsRunOnEveryRender) {
  MetricsRegistry registry;
  int runs = 0;
  registry.AddCollector([&runs](TextWriter& out) {
    ++runs;
    out.BeginFamily("arbor_runs", "Collector runs.", MetricType::kGauge);
    out.WriteSample("arbor_runs", {}, uint64_t(runs));
  });

  EXPECT_THAT(registry.Render(), HasSubstr("arbor_runs 1\n"));
  EXPECT_THAT(registry.Render(), HasSubstr("arbor_runs 2\n"));
  EXPECT_EQ(runs, 2);
}

}  // namespace
}  // namespace arbor::server

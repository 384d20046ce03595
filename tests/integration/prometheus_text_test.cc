// The strict text-format reader that the metrics tests rely on: it must accept well-formed
// output and reject each kind of malformed output, or those tests would prove nothing.
#include "tests/integration/prometheus_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace arbor::integration {
namespace {

using ::testing::HasSubstr;

constexpr char kValid[] =
    "# HELP calls_total Calls.\n"
    "# TYPE calls_total counter\n"
    "calls_total{code=\"OK\",method=\"a\\\"b\\\\c\\nd\"} 3\n"
    "calls_total{code=\"NOT_FOUND\",method=\"x\"} 1 1700000000000\n"
    "# HELP wait_seconds Waits.\n"
    "# TYPE wait_seconds histogram\n"
    "wait_seconds_bucket{le=\"0.5\"} 1\n"
    "wait_seconds_bucket{le=\"1\"} 2\n"
    "wait_seconds_bucket{le=\"+Inf\"} 3\n"
    "wait_seconds_sum 4.25\n"
    "wait_seconds_count 3\n"
    "# HELP temperature Degrees.\n"
    "# TYPE temperature gauge\n"
    "temperature -1.5e+01\n";

TEST(PrometheusText, AcceptsWellFormedText) {
  absl::StatusOr<PromScrape> scrape = ParsePrometheusText(kValid);
  ASSERT_TRUE(scrape.ok()) << scrape.status();

  EXPECT_EQ(scrape->types.at("calls_total"), "counter");
  EXPECT_EQ(scrape->types.at("wait_seconds"), "histogram");
  EXPECT_EQ(scrape->helps.at("temperature"), "Degrees.");
  EXPECT_EQ(scrape->Find("calls_total", {{"code", "OK"}, {"method", "a\"b\\c\nd"}}), 3);
  EXPECT_EQ(scrape->Find("wait_seconds_sum", {}), 4.25);
  EXPECT_EQ(scrape->Find("temperature", {}), -15);
  EXPECT_EQ(scrape->Select("calls_total").size(), 2u);
  EXPECT_EQ(scrape->Select("calls_total", {{"code", "NOT_FOUND"}}).size(), 1u);
  EXPECT_FALSE(scrape->Find("calls_total", {{"code", "OK"}}).has_value());
}

TEST(PrometheusText, RejectsMalformedText) {
  const std::string family = "# HELP g G.\n# TYPE g gauge\n";
  const std::string histogram = "# HELP h H.\n# TYPE h histogram\n";
  struct Case {
    std::string text;
    const char* fragment;
  };
  const Case cases[] = {
      {"", "empty"},
      {family + "g 1", "line feed"},
      {family + "\ng 1\n", "blank line"},
      {family + "# a comment\n", "comment"},
      {"g 1\n", "no TYPE"},
      {"# HELP g G.\ng 1\n", "no TYPE"},
      {"# TYPE g gauge\ng 1\n", "no HELP"},
      {family + "g{a=\"1\"} 1\ng{a=\"1\"} 2\n", "twice"},
      {family + "g{a=\"1\",a=\"2\"} 1\n", "appears twice"},
      {family + "g{a=\"x\\t\"} 1\n", "unknown escape"},
      {family + "g{a=\"open} 1\n", "not closed"},
      {family + "g{a=1} 1\n", "opening quote"},
      {family + "g{__a=\"1\"} 1\n", "label name"},
      {family + "g{} 1\n", "empty label braces"},
      {family + "g{a=\"1\",} 1\n", "label without"},
      {family + "g  1\n", "bad value"},
      {family + "g inf\n", "bad value"},
      {family + "g 1 2 3\n", "after the timestamp"},
      {family + "g 1 x\n", "bad timestamp"},
      {family + "9g 1\n", "bad metric name"},
      {family + "# HELP g again\n", "second HELP"},
      {family + "g 1\n# TYPE g gauge\n", "second TYPE"},
      {family + "# HELP c C.\n# TYPE c counter\nc -1\n", "negative"},
      {family + "# HELP c C.\n# TYPE c counter\nc 1\ng 2\n", "outside its block"},
      {family + "# HELP c C.\n# TYPE c counter\n# HELP g G.\n", "second time"},
      {"# HELP g G.\n# TYPE g wrong\n", "unknown type"},
      {histogram + "h 1\n", "_bucket, _sum or _count"},
      {histogram + "h_bucket 1\nh_sum 1\nh_count 1\n", "without le"},
      {histogram + "h_bucket{le=\"+Inf\"} 1\nh_count 1\n", "no _sum"},
      {histogram + "h_bucket{le=\"+Inf\"} 1\nh_sum 1\n", "no _count"},
      {histogram + "h_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "not +Inf"},
      {histogram + "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n", "differs"},
      {histogram + "h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
       "decrease"},
      {histogram + "h_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\n"
                   "h_sum 1\nh_count 1\n",
       "ascending"},
      {histogram + "h_sum{le=\"1\"} 1\n", "le outside a bucket"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<PromScrape> scrape = ParsePrometheusText(c.text);
    ASSERT_FALSE(scrape.ok());
    EXPECT_EQ(scrape.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(scrape.status().message()), HasSubstr(c.fragment));
  }
}

}  // namespace
}  // namespace arbor::integration

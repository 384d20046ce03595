// prune_epsilon in IndexSettings and SearchParams: which values pass, and what the errors name.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "index/curator_index.h"
#include "server/validation.h"

namespace arbor::server {
namespace {

using ::testing::HasSubstr;

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInfinity = std::numeric_limits<float>::infinity();

struct RejectedValue {
  float value;
  std::string text;  // how the message prints the value
};

const RejectedValue kRejected[] = {
    {kNan, "nan"}, {kInfinity, "inf"}, {-kInfinity, "-inf"}, {100.5f, "100.5"}};
const float kAccepted[] = {-1.0f, -1000.0f, 0.0f, 1.0f, 100.0f};

// Search parameters that pass every other check, so that only prune_epsilon can fail.
v1::SearchParams ValidParams() {
  v1::SearchParams params;
  params.set_k(10);
  params.set_budget(100);
  return params;
}

TEST(PruneEpsilonValidation, RejectsNonFiniteAndAboveLimit) {
  for (const RejectedValue& rejected : kRejected) {
    SCOPED_TRACE(rejected.text);
    const absl::Status status = ValidatePruneEpsilon("params.prune_epsilon", rejected.value);
    ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(status.message(), HasSubstr("params.prune_epsilon"));
    EXPECT_THAT(status.message(), HasSubstr("is " + rejected.text + ";"));
    EXPECT_THAT(status.message(), HasSubstr("at most 100"));
  }
}

TEST(PruneEpsilonValidation, AcceptsNegativeZeroAndLimit) {
  for (float value : kAccepted) {
    SCOPED_TRACE(value);
    EXPECT_TRUE(ValidatePruneEpsilon("params.prune_epsilon", value).ok());
  }
}

TEST(SearchParamsValidation, ChecksPruneEpsilonOnlyWhenSet) {
  EXPECT_TRUE(ValidateSearchParams(ValidParams()).ok());

  for (const RejectedValue& rejected : kRejected) {
    SCOPED_TRACE(rejected.text);
    v1::SearchParams params = ValidParams();
    params.set_prune_epsilon(rejected.value);
    const absl::Status status = ValidateSearchParams(params);
    ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(status.message(), HasSubstr("params.prune_epsilon is " + rejected.text));
  }
  for (float value : kAccepted) {
    SCOPED_TRACE(value);
    v1::SearchParams params = ValidParams();
    params.set_prune_epsilon(value);
    EXPECT_TRUE(ValidateSearchParams(params).ok());
  }
}

TEST(SearchParamsValidation, StillChecksKAndBudget) {
  v1::SearchParams bad_k = ValidParams();
  bad_k.set_k(0);
  bad_k.set_prune_epsilon(1.0f);
  EXPECT_THAT(ValidateSearchParams(bad_k).message(), HasSubstr("params.k"));

  v1::SearchParams bad_budget = ValidParams();
  bad_budget.set_budget(kMaxBudget + 1);
  EXPECT_THAT(ValidateSearchParams(bad_budget).message(), HasSubstr("params.budget"));
}

TEST(IndexSettingsValidation, UnsetPruneEpsilonTakesIndexDefault) {
  const absl::StatusOr<storage::IndexSettingsRecord> record =
      ResolveIndexSettings(v1::IndexSettings());
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->prune_epsilon, index::kDefaultPruneEpsilon);
  EXPECT_EQ(ToProto(*record).prune_epsilon(), index::kDefaultPruneEpsilon);
  EXPECT_TRUE(ToProto(*record).has_prune_epsilon());
}

TEST(IndexSettingsValidation, KeepsExplicitPruneEpsilonZero) {
  v1::IndexSettings settings;
  settings.set_prune_epsilon(0.0f);
  const absl::StatusOr<storage::IndexSettingsRecord> record = ResolveIndexSettings(settings);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->prune_epsilon, 0.0f);
  EXPECT_EQ(ToProto(*record).prune_epsilon(), 0.0f);
}

TEST(IndexSettingsValidation, AcceptsPruneEpsilonInRange) {
  for (float value : kAccepted) {
    SCOPED_TRACE(value);
    v1::IndexSettings settings;
    settings.set_prune_epsilon(value);
    const absl::StatusOr<storage::IndexSettingsRecord> record = ResolveIndexSettings(settings);
    ASSERT_TRUE(record.ok()) << record.status();
    EXPECT_EQ(record->prune_epsilon, value);
  }
}

TEST(IndexSettingsValidation, RejectsPruneEpsilonNamingField) {
  for (const RejectedValue& rejected : kRejected) {
    SCOPED_TRACE(rejected.text);
    v1::IndexSettings settings;
    settings.set_prune_epsilon(rejected.value);
    const absl::Status status = ResolveIndexSettings(settings).status();
    ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(status.message(), HasSubstr("index.prune_epsilon is " + rejected.text + ";"));
    EXPECT_THAT(status.message(), HasSubstr("at most 100"));
  }
}

}  // namespace
}  // namespace arbor::server

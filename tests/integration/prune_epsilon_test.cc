// Query-aware pruning over gRPC. index.prune_epsilon is a stored collection setting and
// params.prune_epsilon a per-request override, and both are checked against exact search on a
// trained index.
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/integration/arbord_test_fixture.h"

namespace arbor::integration {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kDimension = 16;
constexpr size_t kVectors = 3000;  // in the one tenant "t" of each trained collection
constexpr size_t kQueries = 30;
constexpr int32_t kK = 10;
// Covers every vector the tenant can read, so that only pruning can stop a search early.
constexpr uint32_t kFullBudget = kVectors;

// The hits as "owner/id score" lines, to compare whole results and print them on failure.
std::string HitsText(const v1::SearchResponse& response) {
  std::string text;
  for (const v1::Hit& hit : response.hits()) {
    absl::StrAppend(&text, hit.owner(), "/", hit.id(), " ", hit.score(), "\n");
  }
  return text;
}

class PruneEpsilonTest : public ArbordTest {
 protected:
  // Creates `name` (dimension kDimension, l2) with `settings`, where thresholds low enough for
  // kVectors vectors to train a tree of several levels fill the fields left at 0.
  void CreateCollection(const std::string& name, v1::IndexSettings settings,
                        v1::CollectionInfo* created = nullptr) {
    if (settings.branching() == 0) settings.set_branching(8);
    if (settings.max_leaf_size() == 0) settings.set_max_leaf_size(40);
    if (settings.split_threshold() == 0) settings.set_split_threshold(24);
    if (settings.train_threshold() == 0) settings.set_train_threshold(1000);
    if (settings.retrain_growth() == 0) settings.set_retrain_growth(1000);
    v1::CreateCollectionRequest request;
    request.set_name(name);
    request.set_dimension(kDimension);
    request.set_metric(v1::METRIC_L2);
    *request.mutable_index() = std::move(settings);
    v1::CollectionInfo ignored;
    ASSERT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::CreateCollection, request,
                                  created != nullptr ? created : &ignored)));
  }

  // Creates `name` with `prune_epsilon`, stores the same kVectors vectors in its tenant "t"
  // (seeded, so every collection of a test gets the same data), and waits until the index is
  // trained.
  void LoadTrainedCollection(const std::string& name, float prune_epsilon) {
    v1::IndexSettings settings;
    settings.set_prune_epsilon(prune_epsilon);
    ASSERT_NO_FATAL_FAILURE(CreateCollection(name, settings));
    ASSERT_TRUE(IsOk(admin_->CreateTenant(name, "t")));
    std::mt19937_64 rng(7);
    ASSERT_TRUE(IsOk(admin_->Upsert(name, "t", RandomVectors(rng, kVectors, kDimension, 0))));

    const Clock::time_point give_up = Clock::now() + std::chrono::seconds(60);
    v1::CollectionInfo info;
    while (true) {
      ASSERT_TRUE(IsOk(admin_->DescribeCollection(name, &info)));
      if (info.index().trained()) break;
      ASSERT_LT(Clock::now(), give_up) << name << ": the index was not trained within 60 s";
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_GT(info.index().tree_depth(), 1u);
  }

  // kQueries random queries, the same in every call.
  static std::vector<std::vector<float>> Queries() {
    std::mt19937_64 rng(99);
    std::vector<std::vector<float>> queries;
    for (size_t i = 0; i < kQueries; ++i) queries.push_back(RandomValues(rng, kDimension));
    return queries;
  }

  // Searches tenant "t" of `collection` with kFullBudget, and with params.prune_epsilon when
  // `epsilon` has a value. `exact` scans every vector instead.
  v1::SearchResponse Search(const std::string& collection, const std::vector<float>& query,
                            std::optional<float> epsilon, bool exact = false) {
    v1::SearchRequest request;
    request.set_collection(collection);
    request.set_tenant("t");
    request.mutable_query()->Add(query.begin(), query.end());
    request.mutable_params()->set_k(kK);
    request.mutable_params()->set_budget(kFullBudget);
    request.mutable_params()->set_exact(exact);
    if (epsilon.has_value()) request.mutable_params()->set_prune_epsilon(*epsilon);
    v1::SearchResponse response;
    EXPECT_TRUE(IsOk(admin_->Call(&v1::VectorService::Stub::Search, request, &response)));
    return response;
  }

  // The same as Search for every query of Queries() in one SearchBatch.
  v1::SearchBatchResponse SearchBatch(const std::string& collection,
                                      std::optional<float> epsilon) {
    v1::SearchBatchRequest request;
    request.set_collection(collection);
    request.set_tenant("t");
    for (const std::vector<float>& query : Queries()) {
      request.add_queries()->mutable_values()->Add(query.begin(), query.end());
    }
    request.mutable_params()->set_k(kK);
    request.mutable_params()->set_budget(kFullBudget);
    if (epsilon.has_value()) request.mutable_params()->set_prune_epsilon(*epsilon);
    v1::SearchBatchResponse response;
    EXPECT_TRUE(IsOk(admin_->Call(&v1::VectorService::Stub::SearchBatch, request, &response)));
    EXPECT_EQ(response.results_size(), static_cast<int>(kQueries));
    return response;
  }

  // The exact results of Queries() in tenant "t" of `collection`.
  std::vector<std::string> ExactHits(const std::string& collection) {
    std::vector<std::string> exact;
    for (const std::vector<float>& query : Queries()) {
      const v1::SearchResponse response = Search(collection, query, std::nullopt, true);
      EXPECT_EQ(response.hits_size(), kK);
      exact.push_back(HitsText(response));
    }
    return exact;
  }

  // Expects every query of Queries() to return the exact hits through Search and SearchBatch.
  void ExpectExact(const std::string& collection, std::optional<float> epsilon,
                   const std::vector<std::string>& exact) {
    const std::vector<std::vector<float>> queries = Queries();
    const v1::SearchBatchResponse batch = SearchBatch(collection, epsilon);
    ASSERT_EQ(batch.results_size(), static_cast<int>(kQueries));
    for (size_t i = 0; i < kQueries; ++i) {
      SCOPED_TRACE(absl::StrCat("query ", i));
      EXPECT_EQ(HitsText(Search(collection, queries[i], epsilon)), exact[i]);
      EXPECT_EQ(HitsText(batch.results(static_cast<int>(i))), exact[i]);
    }
  }

  // Counts the queries of Queries() whose hits differ from the exact ones, through Search and
  // through SearchBatch.
  std::pair<size_t, size_t> CountDiffering(const std::string& collection,
                                           std::optional<float> epsilon,
                                           const std::vector<std::string>& exact) {
    const std::vector<std::vector<float>> queries = Queries();
    const v1::SearchBatchResponse batch = SearchBatch(collection, epsilon);
    size_t differing_search = 0;
    size_t differing_batch = 0;
    for (size_t i = 0; i < kQueries; ++i) {
      const v1::SearchResponse response = Search(collection, queries[i], epsilon);
      EXPECT_EQ(response.hits_size(), kK) << "query " << i;
      if (HitsText(response) != exact[i]) ++differing_search;
      if (i < static_cast<size_t>(batch.results_size()) &&
          HitsText(batch.results(static_cast<int>(i))) != exact[i]) {
        ++differing_batch;
      }
    }
    std::printf("%s, prune_epsilon %s: %zu of %zu queries differ from exact (Search), %zu "
                "(SearchBatch)\n",
                collection.c_str(), epsilon.has_value() ? absl::StrCat(*epsilon).c_str() : "unset",
                differing_search, kQueries, differing_batch);
    return {differing_search, differing_batch};
  }
};

TEST_F(PruneEpsilonTest, SettingSurvivesRestart) {
  const std::pair<std::string, float> explicit_settings[] = {
      {"quarter", 0.25f}, {"zero", 0.0f}, {"off", -1.0f}, {"limit", 100.0f}};
  for (const auto& [name, epsilon] : explicit_settings) {
    SCOPED_TRACE(name);
    v1::IndexSettings settings;
    settings.set_prune_epsilon(epsilon);
    v1::CollectionInfo created;
    ASSERT_NO_FATAL_FAILURE(CreateCollection(name, settings, &created));
    ASSERT_TRUE(created.index().settings().has_prune_epsilon());
    EXPECT_EQ(created.index().settings().prune_epsilon(), epsilon);
  }
  ASSERT_NO_FATAL_FAILURE(CreateCollection("default", v1::IndexSettings()));

  for (int run = 0; run < 2; ++run) {
    SCOPED_TRACE(run == 0 ? "before the restart" : "after the restart");
    for (const auto& [name, epsilon] : explicit_settings) {
      SCOPED_TRACE(name);
      v1::CollectionInfo info;
      ASSERT_TRUE(IsOk(admin_->DescribeCollection(name, &info)));
      ASSERT_TRUE(info.index().settings().has_prune_epsilon());
      EXPECT_EQ(info.index().settings().prune_epsilon(), epsilon);
      EXPECT_EQ(info.index().settings().split_threshold(), 24u);
    }
    v1::CollectionInfo info;
    ASSERT_TRUE(IsOk(admin_->DescribeCollection("default", &info)));
    ASSERT_TRUE(info.index().settings().has_prune_epsilon());
    EXPECT_EQ(info.index().settings().prune_epsilon(), 1.0f);

    if (run == 0) {
      ASSERT_NO_FATAL_FAILURE(StopArbord());
      ASSERT_NO_FATAL_FAILURE(RestartArbord());
    }
  }
}

TEST_F(PruneEpsilonTest, CollectionSettingReachesIndex) {
  ASSERT_NO_FATAL_FAILURE(LoadTrainedCollection("off", -1.0f));
  ASSERT_NO_FATAL_FAILURE(LoadTrainedCollection("strictest", 0.0f));
  const std::vector<std::string> exact = ExactHits("off");
  ASSERT_EQ(ExactHits("strictest"), exact) << "both collections hold the same vectors";

  ExpectExact("off", std::nullopt, exact);

  const auto [differing_search, differing_batch] =
      CountDiffering("strictest", std::nullopt, exact);
  EXPECT_GE(differing_search, 1u) << "Search: prune_epsilon 0 returned the exact hits for all "
                                  << kQueries << " queries";
  EXPECT_GE(differing_batch, 1u) << "SearchBatch: prune_epsilon 0 returned the exact hits for "
                                 << "all " << kQueries << " queries";
}

TEST_F(PruneEpsilonTest, RequestOverridesCollectionSetting) {
  ASSERT_NO_FATAL_FAILURE(LoadTrainedCollection("off", -1.0f));
  ASSERT_NO_FATAL_FAILURE(LoadTrainedCollection("strictest", 0.0f));
  const std::vector<std::string> exact = ExactHits("off");

  // Pruning turned off per request on the collection that prunes the most.
  ExpectExact("strictest", -1.0f, exact);

  // The strictest pruning per request on the collection that does not prune.
  const auto [differing_search, differing_batch] = CountDiffering("off", 0.0f, exact);
  EXPECT_GE(differing_search, 1u) << "Search: prune_epsilon 0 returned the exact hits for all "
                                  << kQueries << " queries";
  EXPECT_GE(differing_batch, 1u) << "SearchBatch: prune_epsilon 0 returned the exact hits for "
                                 << "all " << kQueries << " queries";
}

}  // namespace
}  // namespace arbor::integration

// Exact search over gRPC against a brute force computed in the test, for every metric, with
// vectors shared between tenants, replaced, deleted and unshared.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "tests/integration/arbord_test_fixture.h"

namespace arbor::integration {
namespace {

using Ref = std::pair<std::string, uint64_t>;

struct Expected {
  double score;
  Ref ref;
};

// Scores in double precision, as the API defines them.
double ScoreOf(v1::Metric metric, const std::vector<float>& query,
               const std::vector<float>& vector) {
  double dot = 0, query_norm = 0, vector_norm = 0, squared = 0;
  for (size_t i = 0; i < query.size(); ++i) {
    dot += double(query[i]) * vector[i];
    query_norm += double(query[i]) * query[i];
    vector_norm += double(vector[i]) * vector[i];
    squared += (double(query[i]) - vector[i]) * (double(query[i]) - vector[i]);
  }
  switch (metric) {
    case v1::METRIC_L2:
      return squared;
    case v1::METRIC_IP:
      return dot;
    default:
      return dot / std::sqrt(query_norm * vector_norm);
  }
}

// The allowed difference between the server's float score and the double one: 1e-4 relative,
// and 1e-4 absolute for scores near zero, where a relative bound is meaningless.
double Tolerance(double score) { return 1e-4 * std::max(std::abs(score), 1.0); }

// The model of one collection: every vector by (owner, id) and who may read it.
class Model {
 public:
  void Put(const std::string& owner, uint64_t id, std::vector<float> values) {
    vectors_[{owner, id}] = std::move(values);
    readers_[{owner, id}].insert(owner);
  }
  void Remove(const std::string& owner, uint64_t id) {
    vectors_.erase({owner, id});
    readers_.erase({owner, id});
  }
  void Share(const std::string& owner, uint64_t id, const std::string& reader) {
    readers_[{owner, id}].insert(reader);
  }
  void Unshare(const std::string& owner, uint64_t id, const std::string& reader) {
    readers_[{owner, id}].erase(reader);
  }
  const std::vector<float>& ValuesOf(const Ref& ref) const { return vectors_.at(ref); }

  // Every vector `reader` may read, best first, ties by (owner, id).
  std::vector<Expected> Rank(v1::Metric metric, const std::string& reader,
                             const std::vector<float>& query) const {
    std::vector<Expected> ranked;
    for (const auto& [ref, values] : vectors_) {
      if (readers_.at(ref).contains(reader)) {
        ranked.push_back({ScoreOf(metric, query, values), ref});
      }
    }
    const bool ascending = metric == v1::METRIC_L2;
    std::sort(ranked.begin(), ranked.end(), [&](const Expected& a, const Expected& b) {
      if (a.score != b.score) return ascending ? a.score < b.score : a.score > b.score;
      return a.ref < b.ref;
    });
    return ranked;
  }

 private:
  std::map<Ref, std::vector<float>> vectors_;
  std::map<Ref, std::set<std::string>> readers_;
};

// Checks `hits` against the brute force ranking. The ids must match position by position,
// except where two vectors' exact scores are within the tolerance of each other: float and
// double arithmetic may order such near ties differently.
void ExpectMatches(const v1::SearchResponse& response, const std::vector<Expected>& ranked,
                   size_t k, v1::Metric metric) {
  const size_t expected_size = std::min(k, ranked.size());
  ASSERT_EQ(static_cast<size_t>(response.hits_size()), expected_size);

  std::map<Ref, double> exact_scores;
  for (const Expected& expected : ranked) exact_scores[expected.ref] = expected.score;
  std::set<Ref> seen;
  for (size_t i = 0; i < expected_size; ++i) {
    const v1::Hit& hit = response.hits(static_cast<int>(i));
    const Ref ref{hit.owner(), hit.id()};
    SCOPED_TRACE(absl::StrCat("position ", i, ": ", hit.owner(), "/", hit.id()));
    ASSERT_TRUE(seen.insert(ref).second) << "returned twice";
    auto exact = exact_scores.find(ref);
    ASSERT_NE(exact, exact_scores.end()) << "the tenant cannot read this vector";
    EXPECT_NEAR(hit.score(), exact->second, Tolerance(exact->second))
        << "the score does not match the vector's values";
    if (ref != ranked[i].ref) {
      EXPECT_NEAR(exact->second, ranked[i].score, Tolerance(ranked[i].score))
          << "expected " << ranked[i].ref.first << "/" << ranked[i].ref.second << " with score "
          << ranked[i].score << " at this position";
    }
    if (i > 0) {
      const v1::Hit& previous = response.hits(static_cast<int>(i - 1));
      if (metric == v1::METRIC_L2) {
        EXPECT_GE(hit.score(), previous.score()) << "not sorted best first";
      } else {
        EXPECT_LE(hit.score(), previous.score()) << "not sorted best first";
      }
      if (hit.score() == previous.score()) {
        EXPECT_LT(Ref(previous.owner(), previous.id()), ref) << "tie not ordered by (owner, id)";
      }
    }
  }
}

class SearchTest : public ArbordTest, public ::testing::WithParamInterface<v1::Metric> {
 protected:
  static constexpr size_t kDimension = 37;  // not a multiple of 8: exercises the kernels' tails

  // Tenants alpha (400 vectors), beta (300) and gamma (100), all with ids starting at 0 so
  // that ids repeat across owners. beta shares ids 0..149 with alpha, and gamma shares all its
  // vectors with alpha and beta. beta/7 and gamma/3 have the same values as alpha/7 and
  // alpha/3, so that exact ties occur.
  void SetUp() override {
    ArbordTest::SetUp();
    metric_ = GetParam();
    ASSERT_TRUE(IsOk(admin_->CreateCollection("exact", kDimension, metric_)));
    for (const char* name : {"alpha", "beta", "gamma"}) {
      ASSERT_TRUE(IsOk(admin_->CreateTenant("exact", name)));
    }
    std::vector<TestVector> alpha = RandomVectors(rng_, 400, kDimension, 0);
    std::vector<TestVector> beta = RandomVectors(rng_, 300, kDimension, 0);
    std::vector<TestVector> gamma = RandomVectors(rng_, 100, kDimension, 0);
    beta[7].values = alpha[7].values;
    gamma[3].values = alpha[3].values;
    Write("alpha", alpha);
    Write("beta", beta);
    Write("gamma", gamma);

    std::vector<uint64_t> beta_shared;
    for (uint64_t id = 0; id < 150; ++id) beta_shared.push_back(id);
    ShareAll("beta", beta_shared, {"alpha"});
    std::vector<uint64_t> gamma_ids;
    for (uint64_t id = 0; id < 100; ++id) gamma_ids.push_back(id);
    ShareAll("gamma", gamma_ids, {"alpha", "beta"});
  }

  void Write(const std::string& owner, const std::vector<TestVector>& vectors) {
    ASSERT_TRUE(IsOk(admin_->Upsert("exact", owner, vectors)));
    for (const TestVector& vector : vectors) model_.Put(owner, vector.id, vector.values);
  }

  void ShareAll(const std::string& owner, const std::vector<uint64_t>& ids,
                const std::vector<std::string>& readers) {
    ASSERT_TRUE(IsOk(admin_->Share("exact", owner, ids, readers)));
    for (uint64_t id : ids) {
      for (const std::string& reader : readers) model_.Share(owner, id, reader);
    }
  }

  // Random queries plus queries equal to stored vectors.
  std::vector<std::vector<float>> Queries() {
    std::vector<std::vector<float>> queries;
    for (int i = 0; i < 16; ++i) queries.push_back(RandomValues(rng_, kDimension));
    queries.push_back(model_.ValuesOf({"alpha", 3}));
    queries.push_back(model_.ValuesOf({"alpha", 7}));
    queries.push_back(model_.ValuesOf({"beta", 100}));
    queries.push_back(model_.ValuesOf({"gamma", 50}));
    return queries;
  }

  // Compares Search for each query and k, and SearchBatch for all queries, with the model.
  void CheckAllSearches() {
    const std::vector<std::vector<float>> queries = Queries();
    for (const char* tenant : {"alpha", "beta", "gamma"}) {
      for (size_t q = 0; q < queries.size(); ++q) {
        const std::vector<Expected> ranked = model_.Rank(metric_, tenant, queries[q]);
        for (int32_t k : {1, 7, 100, 1024}) {
          SCOPED_TRACE(absl::StrCat(tenant, " query ", q, " k ", k));
          v1::SearchResponse response;
          ASSERT_TRUE(IsOk(admin_->Search("exact", tenant, queries[q], k, &response)));
          ExpectMatches(response, ranked, static_cast<size_t>(k), metric_);
        }
      }

      v1::SearchBatchResponse batch;
      ASSERT_TRUE(IsOk(admin_->SearchBatch("exact", tenant, queries, 25, &batch)));
      ASSERT_EQ(batch.results_size(), static_cast<int>(queries.size()));
      for (size_t q = 0; q < queries.size(); ++q) {
        SCOPED_TRACE(absl::StrCat(tenant, " batch query ", q));
        ExpectMatches(batch.results(static_cast<int>(q)), model_.Rank(metric_, tenant, queries[q]),
                      25, metric_);
        // A batch returns what single searches return, bit for bit.
        v1::SearchResponse single;
        ASSERT_TRUE(IsOk(admin_->Search("exact", tenant, queries[q], 25, &single)));
        EXPECT_EQ(batch.results(static_cast<int>(q)).SerializeAsString(),
                  single.SerializeAsString());
      }
    }
  }

  v1::Metric metric_ = v1::METRIC_L2;
  std::mt19937_64 rng_{20240611};
  Model model_;
};

TEST_P(SearchTest, MatchesBruteForce) {
  CheckAllSearches();

  // A query equal to a stored vector finds it first under l2 and cosine; the exact tie with
  // gamma/3 comes right after alpha/3.
  if (metric_ != v1::METRIC_IP) {
    v1::SearchResponse found;
    ASSERT_TRUE(IsOk(admin_->Search("exact", "alpha", model_.ValuesOf({"alpha", 3}), 2, &found)));
    ASSERT_EQ(found.hits_size(), 2);
    EXPECT_EQ(found.hits(0).owner(), "alpha");
    EXPECT_EQ(found.hits(0).id(), 3u);
    EXPECT_EQ(found.hits(1).owner(), "gamma");
    EXPECT_EQ(found.hits(1).id(), 3u);
    EXPECT_EQ(found.hits(0).score(), found.hits(1).score());
  }
}

TEST_P(SearchTest, MatchesBruteForceAfterChanges) {
  // Replace alpha's ids 100..149, delete beta's ids 130..159 (the first 20 of them shared with
  // alpha), unshare beta's ids 0..19 from alpha and delete 5 of gamma's shared vectors.
  std::vector<TestVector> replaced = RandomVectors(rng_, 50, kDimension, 100);
  Write("alpha", replaced);

  std::vector<uint64_t> beta_deleted;
  for (uint64_t id = 130; id < 160; ++id) beta_deleted.push_back(id);
  ASSERT_TRUE(IsOk(admin_->Delete("exact", "beta", beta_deleted)));
  for (uint64_t id : beta_deleted) model_.Remove("beta", id);

  std::vector<uint64_t> beta_unshared;
  for (uint64_t id = 0; id < 20; ++id) beta_unshared.push_back(id);
  ASSERT_TRUE(IsOk(admin_->Unshare("exact", "beta", beta_unshared, {"alpha"})));
  for (uint64_t id : beta_unshared) model_.Unshare("beta", id, "alpha");

  ASSERT_TRUE(IsOk(admin_->Delete("exact", "gamma", {3, 10, 20, 30, 99})));
  for (uint64_t id : {3, 10, 20, 30, 99}) model_.Remove("gamma", id);

  // New vectors reuse the freed space inside the server.
  std::vector<TestVector> added = RandomVectors(rng_, 40, kDimension, 1000);
  Write("beta", added);
  std::vector<uint64_t> added_ids;
  for (const TestVector& vector : added) added_ids.push_back(vector.id);
  ShareAll("beta", added_ids, {"gamma"});

  CheckAllSearches();
}

INSTANTIATE_TEST_SUITE_P(Metrics, SearchTest,
                         ::testing::Values(v1::METRIC_L2, v1::METRIC_IP, v1::METRIC_COSINE),
                         [](const ::testing::TestParamInfo<v1::Metric>& info) {
                           return v1::Metric_Name(info.param);
                         });

}  // namespace
}  // namespace arbor::integration

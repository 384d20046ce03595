// Search quality of the Curator index on real data (tests/support/fashion_mnist_workload.h):
// recall@10 against brute force with and without query-aware pruning.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "index/cluster_tree.h"
#include "index/curator_index.h"
#include "tests/support/fashion_mnist_workload.h"

namespace arbor::index {
namespace {

using test_data::Workload;

constexpr size_t kDim = test_data::kFashionDim;
constexpr size_t kBase = 8000;
constexpr size_t kQueryCount = 200;
constexpr int kTenants = 60;
constexpr size_t kNeighbors = 10;

struct Quality {
  double recall = 0;
  size_t scanned_vectors = 0;
};

TEST(CuratorIndexRecall, FashionMnistWithAndWithoutPruning) {
  const Workload data = test_data::MakeWorkload(kBase, kTenants, 5);
  ASSERT_EQ(data.owner.size(), kBase);
  const std::vector<float> queries = test_data::ReadQueries(kQueryCount);

  TreeOptions tree_options;
  tree_options.branching = 16;
  tree_options.max_leaf_size = 64;
  auto tree = std::make_shared<ClusterTree>(
      ClusterTree::Train(data.vectors.data(), kBase, kDim, tree_options));
  CuratorOptions options;
  options.split_threshold = 32;
  options.merge_threshold = 8;
  options.default_budget = 2 * options.split_threshold;
  CuratorIndex index(kDim, Metric::kL2, options);
  index.SetTree(tree);
  for (int t = 0; t < kTenants; ++t) index.AddTenant(t, "t" + std::to_string(t));
  for (size_t i = 0; i < kBase; ++i) {
    index.Upsert({static_cast<TenantId>(data.owner[i]), i}, &data.vectors[i * kDim]);
  }
  for (const auto& [i, readers] : data.shared) {
    const VectorKey key{static_cast<TenantId>(data.owner[i]), static_cast<VectorId>(i)};
    for (int reader : readers) index.Grant(key, static_cast<TenantId>(reader));
  }
  ASSERT_GE(index.TenantStats(0).max_depth, 2u);

  // Half of the queries go to tenants drawn by size, half to tenants drawn uniformly.
  std::mt19937_64 rng(6);
  std::vector<double> sizes(kTenants, 0);
  for (int owner : data.owner) sizes[owner]++;
  std::discrete_distribution<TenantId> by_size(sizes.begin(), sizes.end());
  SearchOptions pruned;  // default budget and the index's default prune_epsilon
  SearchOptions unpruned;
  unpruned.prune_epsilon = -1.0f;
  Quality with_pruning;
  Quality without_pruning;
  size_t expected = 0;
  for (size_t q = 0; q < kQueryCount; ++q) {
    const TenantId tenant =
        q % 2 == 0 ? by_size(rng) : static_cast<TenantId>(rng() % kTenants);
    const float* query = &queries[q * kDim];
    const double kth = test_data::KthDistance(data, static_cast<int>(tenant), query, kNeighbors);
    expected += std::min(kNeighbors, index.ReadableCount(tenant));
    for (auto [search, quality] : {std::pair{&pruned, &with_pruning},
                                   std::pair{&unpruned, &without_pruning}}) {
      SearchStats stats;
      for (const Neighbor& hit : index.Search(tenant, query, kNeighbors, *search, &stats)) {
        quality->recall += hit.distance <= kth * (1 + 1e-5);
      }
      quality->scanned_vectors += stats.scanned_vectors;
    }
  }
  with_pruning.recall /= double(expected);
  without_pruning.recall /= double(expected);
  std::printf("recall@10 with pruning %.4f (%zu vectors scanned), without %.4f (%zu)\n",
              with_pruning.recall, with_pruning.scanned_vectors, without_pruning.recall,
              without_pruning.scanned_vectors);

  EXPECT_GE(with_pruning.recall, 0.95);
  // Pruning only ever stops the same walk earlier, so it cannot find more.
  EXPECT_LE(with_pruning.recall, without_pruning.recall);
  // On clustered real data the default must cut a visible share of the work, or it does nothing.
  EXPECT_LT(double(with_pruning.scanned_vectors), 0.95 * double(without_pruning.scanned_vectors));
}

}  // namespace
}  // namespace arbor::index

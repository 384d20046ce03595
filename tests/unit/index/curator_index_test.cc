#include "index/curator_index.h"

#include <gtest/gtest.h>

#include "tests/unit/index/reference_model.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <tuple>
#include <vector>

namespace arbor::index {
namespace {

using reference::Model;

constexpr size_t kDim = 4;

// Points drawn around 8 centers, so that a trained tree has real structure.
std::vector<float> RandomPoint(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> center(0, 7);
  std::normal_distribution<float> noise(0.0f, 0.5f);
  const int c = center(rng);
  std::vector<float> v(kDim);
  for (size_t d = 0; d < kDim; ++d) v[d] = static_cast<float>((c >> (d % 3)) & 1) * 6 + noise(rng);
  return v;
}

std::shared_ptr<const ClusterTree> TrainSmallTree(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<float> sample;
  for (int i = 0; i < 2000; ++i) {
    const auto p = RandomPoint(rng);
    sample.insert(sample.end(), p.begin(), p.end());
  }
  TreeOptions options;
  options.branching = 3;
  options.max_leaf_size = 40;
  return std::make_shared<ClusterTree>(ClusterTree::Train(sample.data(), 2000, kDim, options));
}

void ExpectSameAsModel(const CuratorIndex& index, const Model& model, TenantId tenant,
                       const std::vector<float>& q, size_t k) {
  const auto expected = model.BruteForce(tenant, q, k);
  SearchOptions exact;
  exact.exact = true;
  const auto hits = index.Search(tenant, q.data(), k, exact);
  ASSERT_EQ(hits.size(), expected.size());
  for (size_t i = 0; i < hits.size(); ++i) {
    EXPECT_NEAR(hits[i].distance, std::get<0>(expected[i]), 1e-3 * (1 + std::get<0>(expected[i])));
    EXPECT_EQ(index.TenantName(hits[i].key.owner), std::get<1>(expected[i]));
    EXPECT_EQ(hits[i].key.id, std::get<2>(expected[i]));
  }
}

// Long random sequences of insert, upsert, delete, share, unshare, tenant drop and retraining,
// with the placement invariants and exact search checked after every step.
TEST(CuratorIndex, RandomOperationsKeepInvariants) {
  std::mt19937_64 rng(7);
  CuratorOptions options;
  options.split_threshold = 6;
  options.merge_threshold = 2;
  CuratorIndex index(kDim, Metric::kL2, options);
  index.SetTree(TrainSmallTree(1));
  Model model;
  TenantId next_tenant = 0;
  std::vector<TenantId> live;

  auto add_tenant = [&] {
    const TenantId t = next_tenant++;
    const std::string name = "t" + std::to_string((t * 7919) % 1000);
    index.AddTenant(t, name);
    model.names[t] = name;
    live.push_back(t);
  };
  for (int i = 0; i < 4; ++i) add_tenant();
  auto pick = [&] { return live[std::uniform_int_distribution<size_t>(0, live.size() - 1)(rng)]; };

  size_t deepest = 0;
  for (int step = 0; step < 6000; ++step) {
    SCOPED_TRACE(step);
    const int op = std::uniform_int_distribution<int>(0, 999)(rng);
    const TenantId t = pick();
    const VectorId id = std::uniform_int_distribution<VectorId>(0, 60)(rng);
    const std::pair<TenantId, VectorId> key{t, id};

    if (op < 450) {
      const auto v = RandomPoint(rng);
      EXPECT_EQ(index.Upsert({t, id}, v.data()), !model.vectors.contains(key));
      model.vectors[key] = v;
      model.readers[key].insert(t);
    } else if (op < 600) {
      EXPECT_EQ(index.Delete({t, id}), model.vectors.erase(key) == 1);
      model.readers.erase(key);
    } else if (op < 800) {
      if (!model.vectors.contains(key)) continue;
      const TenantId reader = pick();
      EXPECT_EQ(index.Grant({t, id}, reader), model.readers[key].insert(reader).second);
    } else if (op < 950) {
      const TenantId reader = pick();
      const bool had =
          model.vectors.contains(key) && reader != t && model.readers[key].erase(reader) == 1;
      EXPECT_EQ(index.Revoke({t, id}, reader), had);
    } else if (op < 965 && live.size() > 2) {
      index.RemoveTenant(t);
      live.erase(std::find(live.begin(), live.end(), t));
      for (auto it = model.vectors.begin(); it != model.vectors.end();) {
        if (it->first.first == t) {
          model.readers.erase(it->first);
          it = model.vectors.erase(it);
        } else {
          model.readers[it->first].erase(t);
          ++it;
        }
      }
    } else if (op < 990) {
      add_tenant();
    } else {
      index.SetTree(TrainSmallTree(step));
    }

    const std::string violation = index.CheckInvariants();
    ASSERT_EQ(violation, "");
    for (TenantId tenant : live) {
      size_t readable = 0;
      for (const auto& [k, r] : model.readers) readable += r.contains(tenant);
      ASSERT_EQ(index.ReadableCount(tenant), readable);
      deepest = std::max(deepest, index.TenantStats(tenant).max_depth);
    }
    ASSERT_EQ(index.size(), model.vectors.size());

    const auto q = RandomPoint(rng);
    ExpectSameAsModel(index, model, pick(), q, std::uniform_int_distribution<size_t>(1, 15)(rng));
  }
  // The thresholds are low enough that sub-trees must have grown below the root's children.
  EXPECT_GE(deepest, 2u);
}

TEST(CuratorIndex, UntrainedIndexSearchesExactly) {
  CuratorIndex index(2, Metric::kL2, CuratorOptions{});
  index.AddTenant(1, "a");
  const float v1[] = {0, 0};
  const float v2[] = {5, 5};
  index.Upsert({1, 1}, v1);
  index.Upsert({1, 2}, v2);
  const float q[] = {4, 4};
  const auto hits = index.Search(1, q, 5, SearchOptions{});
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].key.id, 2u);
  EXPECT_EQ(index.ShortlistNode({1, 1}, 1), kRootNode);
}

TEST(CuratorIndex, SharedVectorIsIndexedInEachReadersSubTree) {
  CuratorOptions options;
  options.split_threshold = 4;
  options.merge_threshold = 1;
  CuratorIndex index(kDim, Metric::kL2, options);
  index.SetTree(TrainSmallTree(3));
  index.AddTenant(1, "big");
  index.AddTenant(2, "small");
  std::mt19937_64 rng(5);
  for (VectorId id = 0; id < 200; ++id) index.Upsert({1, id}, RandomPoint(rng).data());
  index.Grant({1, 17}, 2);

  // The owner's sub-tree is deep; the small reader keeps the same vector at its root.
  EXPECT_NE(index.ShortlistNode({1, 17}, 1), kRootNode);
  EXPECT_EQ(index.ShortlistNode({1, 17}, 2), kRootNode);
  EXPECT_EQ(index.size(), 200u);
  EXPECT_EQ(index.CheckInvariants(), "");
}

TEST(CuratorIndex, RestoreSplitNodesReproducesPlacement) {
  CuratorOptions options;
  options.split_threshold = 5;
  options.merge_threshold = 2;
  auto tree = TrainSmallTree(4);

  std::mt19937_64 rng(9);
  std::vector<std::pair<VectorId, std::vector<float>>> points;
  for (VectorId id = 0; id < 300; ++id) points.emplace_back(id, RandomPoint(rng));

  CuratorIndex original(kDim, Metric::kL2, options);
  original.SetTree(tree);
  original.AddTenant(1, "a");
  original.AddTenant(2, "b");
  for (const auto& [id, v] : points) original.Upsert({1, id}, v.data());
  for (VectorId id = 0; id < 300; id += 2) original.Grant({1, id}, 2);
  // Deletions after splits leave a placement that a fresh insertion order would not produce.
  for (VectorId id = 0; id < 300; id += 3) original.Delete({1, id});

  CuratorIndex restored(kDim, Metric::kL2, options);
  restored.SetTree(tree);
  restored.AddTenant(1, "a");
  restored.AddTenant(2, "b");
  for (auto it = points.rbegin(); it != points.rend(); ++it) {
    if (it->first % 3 == 0) continue;
    restored.Upsert({1, it->first}, it->second.data());
    if (it->first % 2 == 0) restored.Grant({1, it->first}, 2);
  }
  for (const auto& [tenant, nodes] : original.SplitNodes()) restored.RestoreSplitNodes(tenant, nodes);

  ASSERT_EQ(restored.CheckInvariants(), "");
  for (const auto& [id, v] : points) {
    for (TenantId t : {1u, 2u}) {
      EXPECT_EQ(restored.ShortlistNode({1, id}, t), original.ShortlistNode({1, id}, t))
          << "id " << id << " tenant " << t;
    }
  }
}

}  // namespace
}  // namespace arbor::index

namespace arbor::index {
namespace {

// A tree computed in chunks while vectors change in between must place every vector as if the
// tree had been set in one step.
TEST(CuratorIndex, InstallTreeFixesLeavesOfVectorsWrittenMeanwhile) {
  CuratorOptions options;
  options.split_threshold = 5;
  options.merge_threshold = 2;
  std::mt19937_64 rng(11);
  CuratorIndex index(kDim, Metric::kL2, options);
  index.AddTenant(1, "a");
  for (VectorId id = 0; id < 200; ++id) index.Upsert({1, id}, RandomPoint(rng).data());

  auto tree = TrainSmallTree(12);
  CuratorIndex::LeafAssignment assignment;
  index.ComputeLeaves(*tree, 0, 100, &assignment);
  for (VectorId id = 0; id < 200; id += 7) index.Upsert({1, id}, RandomPoint(rng).data());
  for (VectorId id = 200; id < 230; ++id) index.Upsert({1, id}, RandomPoint(rng).data());
  index.ComputeLeaves(*tree, 100, index.slot_capacity(), &assignment);
  index.Delete({1, 3});
  index.InstallTree(tree, std::move(assignment));

  ASSERT_EQ(index.CheckInvariants(), "");
  EXPECT_EQ(index.ReadableCount(1), 229u);
  EXPECT_GE(index.TenantStats(1).max_depth, 1u);
}

}  // namespace
}  // namespace arbor::index

namespace arbor::index {
namespace {

constexpr float kPruningOff = -1.0f;

// An index of several tenants with shares, split deep enough that searches visit many small
// shortlists, so that both the budget and pruning cut real searches short.
struct DeepTreeFixture {
  explicit DeepTreeFixture(Metric metric) : index(kDim, metric, Options()) {
    index.SetTree(TrainSmallTree(21));
    std::mt19937_64 rng(22);
    for (TenantId t = 0; t < 4; ++t) index.AddTenant(t, "tenant" + std::to_string(t));
    for (VectorId id = 0; id < 400; ++id) {
      const TenantId owner = static_cast<TenantId>(id % 7 < 4 ? 0 : id % 7 - 3);
      index.Upsert({owner, id}, RandomPoint(rng).data());
      if (id % 5 == 0) index.Grant({owner, id}, (owner + 1) % 4);
    }
  }

  static CuratorOptions Options() {
    CuratorOptions options;
    options.split_threshold = 6;
    options.merge_threshold = 2;
    return options;
  }

  std::vector<Neighbor> Search(TenantId tenant, const std::vector<float>& q, size_t k,
                               size_t budget, float epsilon, SearchStats* stats = nullptr) const {
    SearchOptions options;
    options.budget = budget;
    options.prune_epsilon = epsilon;
    return index.Search(tenant, q.data(), k, options, stats);
  }

  CuratorIndex index;
};

// The contract every search result keeps: min(k, readable) unique readable keys in (distance,
// owner name, id) order, each with the distance an exact scan reports for it.
void ExpectValidResult(const CuratorIndex& index, TenantId tenant, const std::vector<float>& q,
                       size_t k, const std::vector<Neighbor>& hits) {
  ASSERT_EQ(hits.size(), std::min(k, index.ReadableCount(tenant)));
  SearchOptions exact;
  exact.exact = true;
  const auto all = index.Search(tenant, q.data(), index.ReadableCount(tenant), exact);
  std::map<std::pair<TenantId, VectorId>, float> distance_of;
  for (const Neighbor& n : all) distance_of[{n.key.owner, n.key.id}] = n.distance;

  std::set<std::pair<TenantId, VectorId>> seen;
  for (size_t i = 0; i < hits.size(); ++i) {
    const std::pair<TenantId, VectorId> key{hits[i].key.owner, hits[i].key.id};
    EXPECT_TRUE(seen.insert(key).second) << "duplicate key at rank " << i;
    ASSERT_TRUE(distance_of.contains(key)) << "unreadable key at rank " << i;
    EXPECT_EQ(hits[i].distance, distance_of[key]) << "rank " << i;
    if (i == 0) continue;
    const auto rank = [&](const Neighbor& n) {
      return std::make_tuple(n.distance, index.TenantName(n.key.owner), n.key.id);
    };
    EXPECT_LT(rank(hits[i - 1]), rank(hits[i])) << "rank " << i;
  }
}

// Pruning stops a search earlier on the same walk, so the scanned candidates are a prefix of
// those scanned without it, and each rank can only get worse (or stay) as epsilon shrinks.
void ExpectPruningProperties(Metric metric) {
  DeepTreeFixture fixture(metric);
  ASSERT_GE(fixture.index.TenantStats(0).max_depth, 2u);
  std::mt19937_64 rng(23);
  const std::vector<float> epsilons = {kPruningOff, 1e9f, 2.0f, 0.5f, 0.1f, 0.0f};
  size_t pruned_searches = 0;

  for (int trial = 0; trial < 300; ++trial) {
    SCOPED_TRACE(trial);
    const auto q = RandomPoint(rng);
    const TenantId tenant = static_cast<TenantId>(trial % 4);
    const size_t k = std::uniform_int_distribution<size_t>(1, 20)(rng);
    const size_t budget = std::vector<size_t>{1, 5, 20, 60, 100000}[trial % 5];

    std::vector<std::vector<Neighbor>> results;
    std::vector<SearchStats> stats(epsilons.size());
    for (size_t e = 0; e < epsilons.size(); ++e) {
      results.push_back(fixture.Search(tenant, q, k, budget, epsilons[e], &stats[e]));
      ExpectValidResult(fixture.index, tenant, q, k, results.back());
    }

    // An epsilon far beyond any distance ratio behaves as no pruning at all.
    ASSERT_EQ(results[1].size(), results[0].size());
    for (size_t i = 0; i < results[0].size(); ++i) {
      EXPECT_EQ(results[1][i].key, results[0][i].key) << "rank " << i;
    }
    for (size_t e = 1; e < epsilons.size(); ++e) {
      SCOPED_TRACE(epsilons[e]);
      EXPECT_LE(stats[e].scanned_vectors, stats[e - 1].scanned_vectors);
      for (size_t i = 0; i < results[e].size(); ++i) {
        EXPECT_GE(results[e][i].distance, results[e - 1][i].distance) << "rank " << i;
      }
    }
    pruned_searches += stats.back().scanned_vectors < stats[0].scanned_vectors;
  }
  // The strictest setting must have cut a good share of the searches for the checks to matter.
  EXPECT_GE(pruned_searches, 50u);
}

TEST(CuratorIndexPruning, L2KeepsContractAndPrefixOrder) { ExpectPruningProperties(Metric::kL2); }

TEST(CuratorIndexPruning, InnerProductKeepsContractAndPrefixOrder) {
  ExpectPruningProperties(Metric::kInnerProduct);
}

TEST(CuratorIndexPruning, CosineKeepsContractAndPrefixOrder) {
  ExpectPruningProperties(Metric::kCosine);
}

// With pruning off and a budget that covers the tenant, the search is exact.
TEST(CuratorIndexPruning, UnprunedFullBudgetEqualsBruteForce) {
  CuratorIndex index(kDim, Metric::kL2, DeepTreeFixture::Options());
  index.SetTree(TrainSmallTree(24));
  Model model;
  std::mt19937_64 rng(25);
  for (TenantId t = 0; t < 3; ++t) {
    index.AddTenant(t, "t" + std::to_string(2 - t));
    model.names[t] = "t" + std::to_string(2 - t);
  }
  for (VectorId id = 0; id < 300; ++id) {
    const TenantId owner = static_cast<TenantId>(id % 3);
    const auto v = RandomPoint(rng);
    index.Upsert({owner, id}, v.data());
    model.vectors[{owner, id}] = v;
    model.readers[{owner, id}].insert(owner);
    if (id % 4 == 0) {
      index.Grant({owner, id}, (owner + 1) % 3);
      model.readers[{owner, id}].insert((owner + 1) % 3);
    }
  }

  SearchOptions options;
  options.budget = 100000;
  options.prune_epsilon = kPruningOff;
  for (int trial = 0; trial < 100; ++trial) {
    SCOPED_TRACE(trial);
    const auto q = RandomPoint(rng);
    const TenantId tenant = static_cast<TenantId>(trial % 3);
    const auto expected = model.BruteForce(tenant, q, 12);
    const auto hits = index.Search(tenant, q.data(), 12, options);
    ASSERT_EQ(hits.size(), expected.size());
    for (size_t i = 0; i < hits.size(); ++i) {
      EXPECT_EQ(index.TenantName(hits[i].key.owner), std::get<1>(expected[i])) << "rank " << i;
      EXPECT_EQ(hits[i].key.id, std::get<2>(expected[i])) << "rank " << i;
    }
  }
}

// The strictest pruning and the smallest budget still return k hits when k are readable:
// both limits only apply once k candidates are scanned.
TEST(CuratorIndexPruning, ReturnsKWhenKAreReadable) {
  DeepTreeFixture fixture(Metric::kL2);
  std::mt19937_64 rng(26);
  size_t short_first_shortlist = 0;
  for (int trial = 0; trial < 200; ++trial) {
    SCOPED_TRACE(trial);
    const auto q = RandomPoint(rng);
    const TenantId tenant = static_cast<TenantId>(trial % 4);
    const size_t k = std::uniform_int_distribution<size_t>(5, 40)(rng);
    SearchStats stats;
    const auto hits = fixture.Search(tenant, q, k, /*budget=*/1, /*epsilon=*/0.0f, &stats);
    ASSERT_GE(fixture.index.ReadableCount(tenant), k);
    EXPECT_EQ(hits.size(), k);
    EXPECT_GE(stats.scanned_vectors, k);
    short_first_shortlist += stats.scanned_shortlists > 1;
  }
  // Shortlists hold at most 6 vectors at inner nodes, so most searches needed several.
  EXPECT_GE(short_first_shortlist, 100u);
}

TEST(CuratorIndexPruning, ReturnsAllWhenFewerThanK) {
  DeepTreeFixture fixture(Metric::kL2);
  fixture.index.AddTenant(9, "few");
  std::mt19937_64 rng(27);
  for (VectorId id = 0; id < 5; ++id) fixture.index.Upsert({9, id}, RandomPoint(rng).data());
  fixture.index.Grant({0, 0}, 9);

  const auto q = RandomPoint(rng);
  EXPECT_EQ(fixture.Search(9, q, 10, 1, 0.0f).size(), 6u);
  // A large tenant asked for more than it can read gets all of it.
  const size_t readable = fixture.index.ReadableCount(0);
  EXPECT_EQ(fixture.Search(0, q, readable + 5, 1, 0.0f).size(), readable);
}

// One-dimensional data at three values, so that the centroids and every distance are known:
// the root splits for the tenant into three leaf shortlists, one per value.
size_t ShortlistsScanned(Metric metric, const std::vector<float>& values, float query,
                         float epsilon) {
  std::vector<float> sample;
  for (float value : values) sample.insert(sample.end(), 20, value);
  TreeOptions tree_options;
  tree_options.branching = 3;
  tree_options.max_leaf_size = 20;
  auto tree = std::make_shared<ClusterTree>(
      ClusterTree::Train(sample.data(), sample.size(), 1, tree_options));
  EXPECT_EQ(tree->size(), 4u);
  std::vector<float> centroids;
  for (NodeId child : tree->children(kRootNode)) centroids.push_back(*tree->centroid(child));
  std::sort(centroids.begin(), centroids.end());
  std::vector<float> sorted_values = values;
  std::sort(sorted_values.begin(), sorted_values.end());
  EXPECT_EQ(centroids, sorted_values);

  CuratorOptions options;
  options.split_threshold = 4;
  options.merge_threshold = 1;
  CuratorIndex index(1, metric, options);
  index.SetTree(tree);
  index.AddTenant(0, "a");
  for (VectorId id = 0; id < sample.size(); ++id) index.Upsert({0, id}, &sample[id]);
  EXPECT_EQ(index.TenantStats(0).shortlists, 3u);

  SearchOptions search;
  search.budget = 1000;
  search.prune_epsilon = epsilon;
  SearchStats stats;
  index.Search(0, &query, 1, search, &stats);
  return stats.scanned_shortlists;
}

// Centroids at 1, 3 and 10 from a query at 0: the limit is (1 + epsilon) times the Euclidean
// distance 1 to the first shortlist, not a ratio of squared distances.
TEST(CuratorIndexPruning, L2LimitIsRatioOfEuclideanDistances) {
  const std::vector<float> values = {1, 3, 10};
  EXPECT_EQ(ShortlistsScanned(Metric::kL2, values, 0, 1.9f), 1u);
  EXPECT_EQ(ShortlistsScanned(Metric::kL2, values, 0, 2.1f), 2u);
  EXPECT_EQ(ShortlistsScanned(Metric::kL2, values, 0, 8.9f), 2u);
  EXPECT_EQ(ShortlistsScanned(Metric::kL2, values, 0, 9.1f), 3u);
  EXPECT_EQ(ShortlistsScanned(Metric::kL2, values, 0, kPruningOff), 3u);
}

// Inner products 10, 6 and -5 with a query of 1: a shortlist is pruned when its inner product
// falls below 10 - epsilon * 10.
TEST(CuratorIndexPruning, InnerProductLimitIsRelativeToBestScore) {
  const std::vector<float> values = {10, 6, -5};
  EXPECT_EQ(ShortlistsScanned(Metric::kInnerProduct, values, 1, 0.35f), 1u);
  EXPECT_EQ(ShortlistsScanned(Metric::kInnerProduct, values, 1, 0.45f), 2u);
  EXPECT_EQ(ShortlistsScanned(Metric::kInnerProduct, values, 1, 1.45f), 2u);
  EXPECT_EQ(ShortlistsScanned(Metric::kInnerProduct, values, 1, 1.55f), 3u);
}

TEST(CuratorIndexPruning, SearchOptionOverridesIndexSetting) {
  CuratorOptions options = DeepTreeFixture::Options();
  options.prune_epsilon = 0.0f;
  CuratorIndex strict(kDim, Metric::kL2, options);
  strict.SetTree(TrainSmallTree(21));
  strict.AddTenant(0, "a");
  std::mt19937_64 rng(28);
  for (VectorId id = 0; id < 300; ++id) strict.Upsert({0, id}, RandomPoint(rng).data());

  size_t cut_by_setting = 0;
  for (int trial = 0; trial < 50; ++trial) {
    const auto q = RandomPoint(rng);
    SearchOptions by_setting;
    by_setting.budget = 100000;
    SearchOptions off = by_setting;
    off.prune_epsilon = kPruningOff;
    SearchStats pruned_stats;
    SearchStats off_stats;
    strict.Search(0, q.data(), 5, by_setting, &pruned_stats);
    strict.Search(0, q.data(), 5, off, &off_stats);
    EXPECT_EQ(off_stats.scanned_vectors, 300u) << "trial " << trial;
    cut_by_setting += pruned_stats.scanned_vectors < off_stats.scanned_vectors;
  }
  EXPECT_GE(cut_by_setting, 40u);
}

// A search without a budget scans max(default_budget, 16 * k, fraction * readable) vectors,
// rounded up to whole shortlists, and never more than the tenant can read.
TEST(CuratorIndex, DefaultBudgetGrowsWithTheTenant) {
  CuratorOptions options = DeepTreeFixture::Options();
  options.default_budget = 20;
  options.default_budget_fraction = 0.25;
  options.prune_epsilon = kPruningOff;
  CuratorIndex index(kDim, Metric::kL2, options);
  index.SetTree(TrainSmallTree(21));
  index.AddTenant(0, "small");
  index.AddTenant(1, "large");
  std::mt19937_64 rng(29);
  for (VectorId id = 0; id < 60; ++id) index.Upsert({0, id}, RandomPoint(rng).data());
  for (VectorId id = 0; id < 1000; ++id) index.Upsert({1, id}, RandomPoint(rng).data());
  ASSERT_GT(index.TenantStats(1).split_nodes, 0u);

  for (int trial = 0; trial < 30; ++trial) {
    SCOPED_TRACE(trial);
    const auto q = RandomPoint(rng);
    SearchStats small;
    SearchStats large;
    SearchStats large_k;
    index.Search(0, q.data(), 1, SearchOptions{}, &small);
    index.Search(1, q.data(), 1, SearchOptions{}, &large);
    index.Search(1, q.data(), 20, SearchOptions{}, &large_k);
    // The small tenant: 0.25 * 60 = 15 is below default_budget, so the budget is 20.
    EXPECT_GE(small.scanned_vectors, 20u);
    EXPECT_LT(small.scanned_vectors, 60u);
    // The large tenant: 0.25 * 1000 = 250, plus at most one shortlist (6 at inner nodes, or a
    // leaf's share of the tenant's vectors).
    EXPECT_GE(large.scanned_vectors, 250u);
    EXPECT_LT(large.scanned_vectors, 500u);
    // 16 * k = 320 takes over when it is the largest.
    EXPECT_GE(large_k.scanned_vectors, 320u);
  }
}

}  // namespace
}  // namespace arbor::index

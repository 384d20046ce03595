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

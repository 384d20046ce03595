// CuratorIndex::TenantNodes and TenantNodeMapShape, the read-only views of a tenant's sub-tree
// that the pruning benchmark builds its Bloom filters from.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <vector>

#include "index/cluster_tree.h"
#include "index/curator_index.h"

namespace arbor::index {
namespace {

constexpr size_t kDim = 2;

// Points around four corners of a square, so that the tree's first split separates them.
std::vector<float> CornerPoint(std::mt19937_64& rng, int corner) {
  std::normal_distribution<float> noise(0.0f, 0.3f);
  return {static_cast<float>(corner & 1) * 10 + noise(rng),
          static_cast<float>(corner >> 1) * 10 + noise(rng)};
}

class TenantNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(3);
    std::vector<float> sample;
    for (int i = 0; i < 800; ++i) {
      const auto point = CornerPoint(rng, i % 4);
      sample.insert(sample.end(), point.begin(), point.end());
    }
    TreeOptions tree_options;
    tree_options.branching = 4;
    tree_options.max_leaf_size = 50;
    CuratorOptions options;
    options.split_threshold = 8;
    options.merge_threshold = 2;
    index_ = std::make_unique<CuratorIndex>(kDim, Metric::kL2, options);
    index_->SetTree(
        std::make_shared<ClusterTree>(ClusterTree::Train(sample.data(), 800, kDim, tree_options)));

    // Tenant 1 gets 60 vectors over all corners (split), tenant 2 gets 5 (one root shortlist),
    // and tenant 2 may also read three of tenant 1's vectors.
    index_->AddTenant(1, "big");
    index_->AddTenant(2, "small");
    for (VectorId id = 0; id < 60; ++id) {
      index_->Upsert(VectorKey{1, id}, CornerPoint(rng, static_cast<int>(id % 4)).data());
    }
    for (VectorId id = 0; id < 5; ++id) {
      index_->Upsert(VectorKey{2, id}, CornerPoint(rng, 0).data());
    }
    for (VectorId id = 0; id < 3; ++id) index_->Grant(VectorKey{1, id}, 2);
  }

  std::unique_ptr<CuratorIndex> index_;
};

TEST_F(TenantNodesTest, EntriesMatchStatsAndCounts) {
  for (TenantId tenant : {1u, 2u}) {
    SCOPED_TRACE(tenant);
    const auto nodes = index_->TenantNodes(tenant);
    const TenantTreeStats stats = index_->TenantStats(tenant);

    size_t split = 0;
    size_t listed = 0;
    for (const auto& info : nodes) {
      split += info.split;
      listed += info.shortlist_size;
      if (info.split) {
        EXPECT_EQ(info.shortlist_size, 0u) << "node " << info.node;
      }
    }
    EXPECT_EQ(split, stats.split_nodes);
    EXPECT_EQ(nodes.size() - split, stats.shortlists);
    EXPECT_EQ(listed, index_->ReadableCount(tenant));

    auto root = std::find_if(nodes.begin(), nodes.end(),
                             [](const auto& info) { return info.node == kRootNode; });
    ASSERT_NE(root, nodes.end());
    EXPECT_EQ(root->below, index_->ReadableCount(tenant));
  }
  EXPECT_GT(index_->TenantStats(1).split_nodes, 0u);
  EXPECT_EQ(index_->TenantStats(2).split_nodes, 0u);
}

TEST_F(TenantNodesTest, EveryShortlistNodeIsListed) {
  for (TenantId tenant : {1u, 2u}) {
    const auto nodes = index_->TenantNodes(tenant);
    for (const VectorKey& key : index_->ReadableKeys(tenant)) {
      const auto node = index_->ShortlistNode(key, tenant);
      ASSERT_TRUE(node.has_value());
      auto entry = std::find_if(nodes.begin(), nodes.end(),
                                [&](const auto& info) { return info.node == *node; });
      ASSERT_NE(entry, nodes.end()) << "tenant " << tenant << " key " << key.id;
      EXPECT_FALSE(entry->split);
    }
  }
}

TEST_F(TenantNodesTest, UnknownTenantHasNoEntries) {
  EXPECT_TRUE(index_->TenantNodes(99).empty());
  EXPECT_EQ(index_->TenantNodeMapShape(99).capacity, 0u);
}

TEST_F(TenantNodesTest, MapShapeCoversEntries) {
  const auto shape = index_->TenantNodeMapShape(1);
  EXPECT_GE(shape.capacity, index_->TenantNodes(1).size());
  EXPECT_GT(shape.slot_bytes, sizeof(NodeId));
  EXPECT_GT(shape.slot_align, 0u);
  EXPECT_EQ(shape.slot_bytes % shape.slot_align, 0u);
}

}  // namespace
}  // namespace arbor::index

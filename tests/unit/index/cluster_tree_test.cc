#include "index/cluster_tree.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "index/kmeans.h"

namespace arbor::index {
namespace {

// Points around `clusters` well separated centers in `dim` dimensions.
std::vector<float> ClusteredPoints(size_t clusters, size_t per_cluster, size_t dim,
                                   uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.1f);
  std::vector<float> points;
  for (size_t c = 0; c < clusters; ++c) {
    for (size_t i = 0; i < per_cluster; ++i) {
      for (size_t d = 0; d < dim; ++d) {
        points.push_back((d == c % dim ? 10.0f * (1 + c / dim) : 0.0f) + noise(rng));
      }
    }
  }
  return points;
}

TEST(KMeans, FindsSeparatedClusters) {
  const size_t dim = 8;
  const auto points = ClusteredPoints(4, 50, dim, 1);
  const auto centroids = TrainKMeans(points.data(), 200, dim, 4, KMeansOptions{});

  // Every point of one cluster goes to the same centroid, and clusters do not share one.
  std::vector<size_t> label(4);
  for (size_t c = 0; c < 4; ++c) {
    label[c] = NearestCentroid(&points[c * 50 * dim], centroids.data(), 4, dim);
    for (size_t i = 0; i < 50; ++i) {
      EXPECT_EQ(NearestCentroid(&points[(c * 50 + i) * dim], centroids.data(), 4, dim), label[c]);
    }
  }
  std::sort(label.begin(), label.end());
  EXPECT_EQ(std::unique(label.begin(), label.end()) - label.begin(), 4);
}

TEST(KMeans, ReturnsKCentroidsForDuplicatePoints) {
  const std::vector<float> points(20 * 2, 1.0f);
  const auto centroids = TrainKMeans(points.data(), 20, 2, 5, KMeansOptions{});
  EXPECT_EQ(centroids.size(), 10u);
}

TEST(ClusterTree, UntrainedTreeIsRootOnly) {
  ClusterTree tree(3);
  EXPECT_EQ(tree.size(), 1u);
  EXPECT_FALSE(tree.trained());
  std::vector<NodeId> path;
  const float v[] = {1, 2, 3};
  tree.Path(v, &path);
  EXPECT_EQ(path, std::vector<NodeId>{kRootNode});
}

TEST(ClusterTree, LeavesRespectMaxLeafSize) {
  const size_t dim = 8;
  const auto points = ClusteredPoints(16, 100, dim, 2);
  TreeOptions options;
  options.branching = 4;
  options.max_leaf_size = 50;
  const ClusterTree tree = ClusterTree::Train(points.data(), 1600, dim, options);

  ASSERT_TRUE(tree.trained());
  EXPECT_GE(tree.depth(), 2u);
  std::vector<size_t> per_leaf(tree.size(), 0);
  std::vector<NodeId> path;
  for (size_t i = 0; i < 1600; ++i) {
    tree.Path(&points[i * dim], &path);
    ASSERT_EQ(path.front(), kRootNode);
    ASSERT_TRUE(tree.is_leaf(path.back()));
    for (size_t j = 1; j < path.size(); ++j) ASSERT_EQ(tree.parent(path[j]), path[j - 1]);
    per_leaf[path.back()]++;
  }
  for (NodeId node = 0; node < tree.size(); ++node) {
    EXPECT_LE(tree.children(node).size(), 4u);
    // Descent can route a point differently from its k-means assignment, so allow some slack.
    if (tree.is_leaf(node)) {
      EXPECT_LE(per_leaf[node], 100u) << "leaf " << node;
    }
  }
}

TEST(ClusterTree, SerializeRoundTrips) {
  const size_t dim = 4;
  const auto points = ClusteredPoints(8, 40, dim, 3);
  TreeOptions options;
  options.branching = 3;
  options.max_leaf_size = 30;
  const ClusterTree tree = ClusterTree::Train(points.data(), 320, dim, options);

  auto copy = ClusterTree::Deserialize(tree.Serialize());
  ASSERT_TRUE(copy.ok()) << copy.status();
  ASSERT_EQ(copy->size(), tree.size());
  std::vector<NodeId> a, b;
  for (size_t i = 0; i < 320; ++i) {
    tree.Path(&points[i * dim], &a);
    copy->Path(&points[i * dim], &b);
    ASSERT_EQ(a, b);
  }
}

TEST(ClusterTree, DeserializeRejectsDamage) {
  const ClusterTree tree(4);
  const std::string bytes = tree.Serialize();
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    SCOPED_TRACE(cut);
    EXPECT_EQ(ClusterTree::Deserialize(bytes.substr(0, cut)).status().code(),
              absl::StatusCode::kDataLoss);
  }
  std::string future = bytes;
  future[4] = 9;  // version
  EXPECT_EQ(ClusterTree::Deserialize(future).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace arbor::index

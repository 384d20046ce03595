// The shared clustering tree: hierarchical k-means over a sample of a collection.
//
// Node 0 is the root. Every node has a centroid (the mean of the sample points below it); an
// inner node has up to `branching` children. A vector's path is found by greedy descent: from
// the root, step to the child whose centroid is nearest, until a leaf. The path is a pure
// function of the tree and the vector, so it never needs to be stored.
//
// Immutable after construction: all const methods are safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "index/kmeans.h"

namespace arbor::index {

using NodeId = uint32_t;
inline constexpr NodeId kRootNode = 0;

struct TreeOptions {
  size_t branching = 16;      // children per inner node, at most
  size_t max_leaf_size = 256;  // sample points under a leaf, at most (unless max_depth stops it)
  size_t max_depth = 6;
  KMeansOptions kmeans;
};

class ClusterTree {
 public:
  // A tree of one node, the root, with a zero centroid: the state before training.
  explicit ClusterTree(size_t dim);

  // Trains a tree on `n` sample vectors. Inner nodes get min(branching, ceil(points /
  // max_leaf_size)) children, so leaves hold between about max_leaf_size / 2 and max_leaf_size
  // sample points.
  static ClusterTree Train(const float* sample, size_t n, size_t dim, const TreeOptions& options);

  size_t dim() const { return dim_; }
  size_t size() const { return parent_.size(); }
  bool trained() const { return size() > 1; }
  size_t depth() const { return depth_; }

  NodeId parent(NodeId node) const { return parent_[node]; }
  absl::Span<const NodeId> children(NodeId node) const {
    return absl::MakeConstSpan(children_.data() + first_child_[node], child_count_[node]);
  }
  bool is_leaf(NodeId node) const { return child_count_[node] == 0; }
  const float* centroid(NodeId node) const { return centroids_.data() + size_t{node} * dim_; }

  // Root-to-leaf path of `vec` by greedy descent; `path->front()` is the root.
  void Path(const float* vec, std::vector<NodeId>* path) const;

  size_t MemoryBytes() const;

  // Versioned byte encoding, for checkpoints.
  std::string Serialize() const;
  static absl::StatusOr<ClusterTree> Deserialize(const std::string& bytes);

 private:
  ClusterTree() = default;
  NodeId AddNode(NodeId parent, const float* centroid);
  void Finish();  // builds the child arrays from parent_

  size_t dim_ = 0;
  size_t depth_ = 0;
  std::vector<NodeId> parent_;  // parent_[kRootNode] == kRootNode
  std::vector<float> centroids_;
  std::vector<uint32_t> first_child_;
  std::vector<uint32_t> child_count_;
  std::vector<NodeId> children_;
};

}  // namespace arbor::index

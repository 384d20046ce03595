#include "index/cluster_tree.h"

#include <cstring>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "index/distance.h"

namespace arbor::index {
namespace {

constexpr uint32_t kTreeMagic = 0x54425241;  // "ARBT" little-endian
constexpr uint32_t kTreeVersion = 1;

std::vector<float> Mean(const float* data, const std::vector<uint32_t>& points, size_t dim) {
  std::vector<double> sum(dim, 0.0);
  for (uint32_t p : points) {
    for (size_t d = 0; d < dim; ++d) sum[d] += data[size_t{p} * dim + d];
  }
  std::vector<float> mean(dim);
  for (size_t d = 0; d < dim; ++d) mean[d] = static_cast<float>(sum[d] / points.size());
  return mean;
}

template <typename T>
void AppendRaw(std::string* out, const T* values, size_t count) {
  out->append(reinterpret_cast<const char*>(values), count * sizeof(T));
}

template <typename T>
bool ReadRaw(const std::string& bytes, size_t* offset, T* values, size_t count) {
  if (bytes.size() - *offset < count * sizeof(T)) return false;
  std::memcpy(values, bytes.data() + *offset, count * sizeof(T));
  *offset += count * sizeof(T);
  return true;
}

}  // namespace

ClusterTree::ClusterTree(size_t dim) : dim_(dim) {
  const std::vector<float> zero(dim, 0.0f);
  AddNode(kRootNode, zero.data());
  Finish();
}

NodeId ClusterTree::AddNode(NodeId parent, const float* centroid) {
  const NodeId id = static_cast<NodeId>(parent_.size());
  parent_.push_back(parent);
  centroids_.insert(centroids_.end(), centroid, centroid + dim_);
  return id;
}

ClusterTree ClusterTree::Train(const float* sample, size_t n, size_t dim,
                               const TreeOptions& options) {
  ClusterTree tree;
  tree.dim_ = dim;

  struct Pending {
    NodeId node;
    size_t depth;
    std::vector<uint32_t> points;
  };
  std::vector<uint32_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  std::vector<Pending> work;
  work.push_back({tree.AddNode(kRootNode, Mean(sample, all, dim).data()), 0, std::move(all)});

  // Breadth-first by a queue in `work`, so that node ids grow level by level.
  for (size_t next = 0; next < work.size(); ++next) {
    tree.depth_ = std::max(tree.depth_, work[next].depth);
    const size_t count = work[next].points.size();
    if (count <= options.max_leaf_size || work[next].depth >= options.max_depth) continue;

    const size_t k = std::min(options.branching,
                              (count + options.max_leaf_size - 1) / options.max_leaf_size);
    std::vector<float> local(count * dim);
    for (size_t i = 0; i < count; ++i) {
      std::memcpy(&local[i * dim], sample + size_t{work[next].points[i]} * dim,
                  dim * sizeof(float));
    }
    KMeansOptions kmeans = options.kmeans;
    kmeans.seed += work[next].node;
    const std::vector<float> centroids = TrainKMeans(local.data(), count, dim, k, kmeans);

    std::vector<std::vector<uint32_t>> groups(k);
    for (size_t i = 0; i < count; ++i) {
      groups[NearestCentroid(&local[i * dim], centroids.data(), k, dim)].push_back(
          work[next].points[i]);
    }
    const NodeId parent = work[next].node;
    const size_t child_depth = work[next].depth + 1;
    for (size_t c = 0; c < k; ++c) {
      if (groups[c].empty()) continue;
      // The child's centroid is the k-means centroid, which is what descent compares against.
      const NodeId child = tree.AddNode(parent, centroids.data() + c * dim);
      work.push_back({child, child_depth, std::move(groups[c])});
    }
    work[next].points.clear();
    work[next].points.shrink_to_fit();
  }

  tree.Finish();
  return tree;
}

void ClusterTree::Finish() {
  const size_t n = parent_.size();
  child_count_.assign(n, 0);
  for (NodeId node = 1; node < n; ++node) child_count_[parent_[node]]++;
  first_child_.assign(n, 0);
  uint32_t offset = 0;
  for (NodeId node = 0; node < n; ++node) {
    first_child_[node] = offset;
    offset += child_count_[node];
  }
  children_.assign(offset, 0);
  std::vector<uint32_t> filled(n, 0);
  for (NodeId node = 1; node < n; ++node) {
    const NodeId p = parent_[node];
    children_[first_child_[p] + filled[p]++] = node;
  }
}

void ClusterTree::Path(const float* vec, std::vector<NodeId>* path) const {
  path->clear();
  NodeId node = kRootNode;
  path->push_back(node);
  while (!is_leaf(node)) {
    NodeId best = children(node)[0];
    float best_distance = std::numeric_limits<float>::infinity();
    for (NodeId child : children(node)) {
      const float distance = L2Squared(vec, centroid(child), dim_);
      if (distance < best_distance) {
        best_distance = distance;
        best = child;
      }
    }
    node = best;
    path->push_back(node);
  }
}

size_t ClusterTree::MemoryBytes() const {
  return centroids_.capacity() * sizeof(float) +
         (parent_.capacity() + first_child_.capacity() + child_count_.capacity() +
          children_.capacity()) *
             sizeof(uint32_t);
}

std::string ClusterTree::Serialize() const {
  std::string out;
  const uint32_t header[] = {kTreeMagic, kTreeVersion, static_cast<uint32_t>(dim_),
                             static_cast<uint32_t>(parent_.size()),
                             static_cast<uint32_t>(depth_)};
  AppendRaw(&out, header, 5);
  AppendRaw(&out, parent_.data(), parent_.size());
  AppendRaw(&out, centroids_.data(), centroids_.size());
  return out;
}

absl::StatusOr<ClusterTree> ClusterTree::Deserialize(const std::string& bytes) {
  uint32_t header[5];
  size_t offset = 0;
  if (!ReadRaw(bytes, &offset, header, 5) || header[0] != kTreeMagic) {
    return absl::DataLossError("cluster tree checkpoint has no valid header");
  }
  if (header[1] != kTreeVersion) {
    return absl::DataLossError(absl::StrCat("cluster tree checkpoint has format version ",
                                            header[1], "; this build reads version ",
                                            kTreeVersion));
  }

  ClusterTree tree;
  tree.dim_ = header[2];
  tree.depth_ = header[4];
  tree.parent_.resize(header[3]);
  tree.centroids_.resize(size_t{header[3]} * tree.dim_);
  if (header[3] == 0 || !ReadRaw(bytes, &offset, tree.parent_.data(), tree.parent_.size()) ||
      !ReadRaw(bytes, &offset, tree.centroids_.data(), tree.centroids_.size()) ||
      offset != bytes.size()) {
    return absl::DataLossError(absl::StrCat("cluster tree checkpoint of ", header[3],
                                            " nodes is truncated or has trailing bytes"));
  }
  for (NodeId node = 1; node < tree.parent_.size(); ++node) {
    if (tree.parent_[node] >= node) {
      return absl::DataLossError(absl::StrCat("cluster tree checkpoint: node ", node,
                                              " has parent ", tree.parent_[node],
                                              ", which does not precede it"));
    }
  }
  tree.Finish();
  return tree;
}

}  // namespace arbor::index

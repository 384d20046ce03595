// Search quality of the Curator index on real data: Fashion-MNIST images (784-d, squared L2)
// owned by tenants of Zipf-like sizes, recall@10 against brute force with and without
// query-aware pruning.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "index/cluster_tree.h"
#include "index/curator_index.h"

namespace arbor::index {
namespace {

constexpr char kImages[] = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
constexpr char kLabels[] = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz";
constexpr char kQueries[] = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
constexpr size_t kDim = 784;
constexpr size_t kBase = 8000;
constexpr size_t kQueryCount = 200;
constexpr size_t kTenants = 60;
constexpr size_t kNeighbors = 10;

// Reads the first `count` bytes of a gzip idx file after its `header_bytes`-byte header.
std::vector<uint8_t> ReadIdx(const char* path, size_t header_bytes, size_t count) {
  gzFile file = gzopen(path, "rb");
  EXPECT_NE(file, nullptr) << path << " is missing; deploy/install-deps.sh installs it";
  if (file == nullptr) return {};
  std::vector<uint8_t> bytes(header_bytes + count);
  const int read = gzread(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
  EXPECT_EQ(read, static_cast<int>(bytes.size())) << path;
  return std::vector<uint8_t>(bytes.begin() + header_bytes, bytes.end());
}

struct Data {
  std::vector<float> base;     // kDim floats per vector; the id is the row
  std::vector<float> queries;  // kDim floats per query
  std::vector<TenantId> owner;
  std::vector<std::set<TenantId>> readers;  // by id, the owner included
};

// Tenant t owns about 1 / (t + 1) of the base, mostly images of its one or two preferred
// classes; 10% of the images are shared with one or two further tenants.
Data LoadData() {
  Data data;
  const auto pixels = ReadIdx(kImages, 16, kBase * kDim);
  const auto labels = ReadIdx(kLabels, 8, kBase);
  const auto queries = ReadIdx(kQueries, 16, kQueryCount * kDim);
  if (labels.size() != kBase) return data;
  data.base.assign(pixels.begin(), pixels.end());
  data.queries.assign(queries.begin(), queries.end());

  std::mt19937_64 rng(5);
  std::vector<double> weight(kTenants);
  std::vector<std::set<int>> preferred(kTenants);
  for (size_t t = 0; t < kTenants; ++t) {
    weight[t] = 1.0 / double(t + 1);
    while (preferred[t].size() < 1 + t % 2) preferred[t].insert(static_cast<int>(rng() % 10));
  }
  std::discrete_distribution<TenantId> any_tenant(weight.begin(), weight.end());
  for (size_t i = 0; i < kBase; ++i) {
    std::vector<double> by_class(kTenants, 0.0);
    for (size_t t = 0; t < kTenants; ++t) {
      if (preferred[t].contains(labels[i])) by_class[t] = weight[t];
    }
    const bool any_prefers = std::any_of(by_class.begin(), by_class.end(),
                                         [](double w) { return w > 0; });
    const bool use_class = any_prefers && rng() % 10 != 0;
    data.owner.push_back(use_class
                             ? std::discrete_distribution<TenantId>(by_class.begin(),
                                                                    by_class.end())(rng)
                             : any_tenant(rng));
    data.readers.push_back({data.owner.back()});
    if (rng() % 10 == 0) {
      for (size_t r = 0; r < 1 + rng() % 2; ++r) {
        data.readers.back().insert(static_cast<TenantId>(rng() % kTenants));
      }
    }
  }
  return data;
}

// The k-th smallest squared distance, in double precision, from the query to the vectors
// the tenant may read (the largest one when it reads fewer than k).
double KthDistance(const Data& data, TenantId tenant, const float* query) {
  std::vector<double> distances;
  for (size_t i = 0; i < data.owner.size(); ++i) {
    if (!data.readers[i].contains(tenant)) continue;
    double sum = 0;
    for (size_t d = 0; d < kDim; ++d) {
      const double diff = double(query[d]) - data.base[i * kDim + d];
      sum += diff * diff;
    }
    distances.push_back(sum);
  }
  std::sort(distances.begin(), distances.end());
  return distances[std::min(kNeighbors, distances.size()) - 1];
}

struct Quality {
  double recall = 0;
  size_t scanned_vectors = 0;
};

TEST(CuratorIndexRecall, FashionMnistWithAndWithoutPruning) {
  const Data data = LoadData();
  ASSERT_EQ(data.owner.size(), kBase);

  TreeOptions tree_options;
  tree_options.branching = 16;
  tree_options.max_leaf_size = 64;
  auto tree = std::make_shared<ClusterTree>(
      ClusterTree::Train(data.base.data(), kBase, kDim, tree_options));
  CuratorOptions options;
  options.split_threshold = 32;
  options.merge_threshold = 8;
  options.default_budget = 2 * options.split_threshold;
  CuratorIndex index(kDim, Metric::kL2, options);
  index.SetTree(tree);
  for (TenantId t = 0; t < kTenants; ++t) index.AddTenant(t, "t" + std::to_string(t));
  for (size_t i = 0; i < kBase; ++i) {
    index.Upsert({data.owner[i], i}, &data.base[i * kDim]);
    for (TenantId reader : data.readers[i]) {
      if (reader != data.owner[i]) index.Grant({data.owner[i], i}, reader);
    }
  }
  ASSERT_GE(index.TenantStats(0).max_depth, 2u);

  // Half of the queries go to tenants drawn by size, half to tenants drawn uniformly.
  std::mt19937_64 rng(6);
  std::vector<double> sizes(kTenants, 0);
  for (TenantId owner : data.owner) sizes[owner]++;
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
    const float* query = &data.queries[q * kDim];
    const double kth = KthDistance(data, tenant, query);
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

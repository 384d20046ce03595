// Test workloads on real data: Fashion-MNIST images (784-d, squared L2) owned by tenants of
// Zipf-like sizes, for the recall tests of the index alone (tests/unit/index) and inside the
// database (tests/unit/server). Header-only; needs GoogleTest and zlib.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace arbor::test_data {

inline constexpr char kTrainImages[] =
    "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
inline constexpr char kTrainLabels[] =
    "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz";
inline constexpr char kTestImages[] =
    "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
inline constexpr size_t kFashionDim = 784;

// Reads the first `count` bytes of a gzip idx file after its `header_bytes`-byte header.
// A missing or short file fails the calling test.
inline std::vector<uint8_t> ReadIdx(const char* path, size_t header_bytes, size_t count) {
  gzFile file = gzopen(path, "rb");
  EXPECT_NE(file, nullptr) << path << " is missing; deploy/install-deps.sh installs it";
  if (file == nullptr) return {};
  std::vector<uint8_t> bytes(header_bytes + count);
  const int read = gzread(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
  EXPECT_EQ(read, static_cast<int>(bytes.size())) << path;
  return std::vector<uint8_t>(bytes.begin() + header_bytes, bytes.end());
}

// Reads the first `count` test images as floats, kFashionDim per query.
inline std::vector<float> ReadQueries(size_t count) {
  const auto pixels = ReadIdx(kTestImages, 16, count * kFashionDim);
  return std::vector<float>(pixels.begin(), pixels.end());
}

struct Workload {
  std::vector<float> vectors;           // kFashionDim floats per vector, id = row
  std::vector<int> owner;               // tenant index per vector
  std::map<int, std::set<int>> shared;  // vector -> extra readers
  int tenants = 0;

  bool CanRead(int tenant, size_t id) const {
    if (owner[id] == tenant) return true;
    const auto it = shared.find(static_cast<int>(id));
    return it != shared.end() && it->second.contains(tenant);
  }
};

// Builds a workload of the first `count` training images, owned by `tenants` tenants. Tenant t
// has weight 1 / (t + 1) and prefers one to three classes, which give 90% of its vectors.
// 10% of the vectors are shared with one to three other tenants.
inline Workload MakeWorkload(size_t count, int tenants, uint64_t seed) {
  Workload workload;
  workload.tenants = tenants;
  const auto pixels = ReadIdx(kTrainImages, 16, count * kFashionDim);
  const auto labels = ReadIdx(kTrainLabels, 8, count);
  if (labels.size() != count) return workload;
  workload.vectors.assign(pixels.begin(), pixels.end());

  std::mt19937_64 rng(seed);
  std::vector<double> weight(tenants);
  for (int t = 0; t < tenants; ++t) weight[t] = 1.0 / (t + 1);
  std::vector<std::set<int>> classes(tenants);
  for (int t = 0; t < tenants; ++t) {
    const int n = std::uniform_int_distribution<int>(1, 3)(rng);
    while (static_cast<int>(classes[t].size()) < n) classes[t].insert(rng() % 10);
  }

  // A vector goes to a tenant that prefers its class, picked by weight; 10% go anywhere.
  std::discrete_distribution<int> any_tenant(weight.begin(), weight.end());
  for (size_t i = 0; i < count; ++i) {
    std::vector<double> w(tenants, 0.0);
    for (int t = 0; t < tenants; ++t) w[t] = classes[t].contains(labels[i]) ? weight[t] : 0.0;
    const bool preferred = std::uniform_real_distribution<double>(0, 1)(rng) < 0.9 &&
                           std::any_of(w.begin(), w.end(), [](double x) { return x > 0; });
    workload.owner.push_back(preferred ? std::discrete_distribution<int>(w.begin(), w.end())(rng)
                                       : any_tenant(rng));
  }

  for (size_t i = 0; i < count; ++i) {
    if (rng() % 10 != 0) continue;
    const int readers = std::uniform_int_distribution<int>(1, 3)(rng);
    for (int r = 0; r < readers; ++r) {
      const int t = static_cast<int>(rng() % tenants);
      if (t != workload.owner[i]) workload.shared[i].insert(t);
    }
  }
  return workload;
}

// The k-th smallest squared distance, in double precision, from `query` to the vectors
// `tenant` may read (the largest one when it reads fewer than k; 0 when it reads none).
inline double KthDistance(const Workload& workload, int tenant, const float* query, size_t k) {
  std::vector<double> distances;
  for (size_t i = 0; i < workload.owner.size(); ++i) {
    if (!workload.CanRead(tenant, i)) continue;
    double sum = 0;
    for (size_t d = 0; d < kFashionDim; ++d) {
      const double diff = double(query[d]) - workload.vectors[i * kFashionDim + d];
      sum += diff * diff;
    }
    distances.push_back(sum);
  }
  if (distances.empty()) return 0;
  std::sort(distances.begin(), distances.end());
  return distances[std::min(k, distances.size()) - 1];
}

}  // namespace arbor::test_data

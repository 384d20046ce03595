// k-means clustering of float32 vectors under squared Euclidean distance.
//
// Lloyd's algorithm from k distinct random points of the input. A cluster that ends an
// iteration empty takes half of the largest cluster: its centroid becomes a slightly perturbed
// copy of that cluster's centroid, so k centroids always come back. Deterministic for a given
// seed and input. Pure function; safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace arbor::index {

struct KMeansOptions {
  size_t iterations = 10;
  uint64_t seed = 1234;
};

// Returns k centroids (k * dim floats). REQUIRES: 1 <= k <= n.
std::vector<float> TrainKMeans(const float* data, size_t n, size_t dim, size_t k,
                               const KMeansOptions& options);

// Index of the centroid nearest to `vec` (ties to the lower index).
size_t NearestCentroid(const float* vec, const float* centroids, size_t k, size_t dim);

}  // namespace arbor::index

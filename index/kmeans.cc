#include "index/kmeans.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

#include "index/distance.h"

namespace arbor::index {
namespace {

void AssignAll(const float* data, size_t n, size_t dim, const std::vector<float>& centroids,
               size_t k, std::vector<uint32_t>* assignment) {
  for (size_t i = 0; i < n; ++i) {
    (*assignment)[i] = static_cast<uint32_t>(NearestCentroid(data + i * dim, centroids.data(), k, dim));
  }
}

// Recomputes centroids as the means of their points; returns the sizes of the clusters.
std::vector<size_t> UpdateCentroids(const float* data, size_t n, size_t dim,
                                    const std::vector<uint32_t>& assignment, size_t k,
                                    std::vector<float>* centroids) {
  std::vector<double> sums(k * dim, 0.0);
  std::vector<size_t> sizes(k, 0);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = assignment[i];
    sizes[c]++;
    for (size_t d = 0; d < dim; ++d) sums[c * dim + d] += data[i * dim + d];
  }
  for (size_t c = 0; c < k; ++c) {
    if (sizes[c] == 0) continue;
    for (size_t d = 0; d < dim; ++d) {
      (*centroids)[c * dim + d] = static_cast<float>(sums[c * dim + d] / sizes[c]);
    }
  }
  return sizes;
}

// Gives each empty cluster half of the largest one by splitting its centroid in two slightly
// different copies; the next assignment separates the points.
void SplitIntoEmpty(std::vector<size_t>& sizes, size_t dim, std::mt19937_64& rng,
                    std::vector<float>* centroids) {
  std::uniform_real_distribution<float> jitter(-1.0f, 1.0f);
  for (size_t empty = 0; empty < sizes.size(); ++empty) {
    if (sizes[empty] != 0) continue;
    const size_t largest = std::max_element(sizes.begin(), sizes.end()) - sizes.begin();
    if (sizes[largest] < 2) return;

    float* from = centroids->data() + largest * dim;
    float* to = centroids->data() + empty * dim;
    for (size_t d = 0; d < dim; ++d) {
      const float epsilon = 1e-4f * (std::abs(from[d]) + 1e-3f) * jitter(rng);
      to[d] = from[d] + epsilon;
      from[d] -= epsilon;
    }
    sizes[empty] = sizes[largest] / 2;
    sizes[largest] -= sizes[empty];
  }
}

}  // namespace

size_t NearestCentroid(const float* vec, const float* centroids, size_t k, size_t dim) {
  size_t best = 0;
  float best_distance = std::numeric_limits<float>::infinity();
  for (size_t c = 0; c < k; ++c) {
    const float distance = L2Squared(vec, centroids + c * dim, dim);
    if (distance < best_distance) {
      best_distance = distance;
      best = c;
    }
  }
  return best;
}

std::vector<float> TrainKMeans(const float* data, size_t n, size_t dim, size_t k,
                               const KMeansOptions& options) {
  std::mt19937_64 rng(options.seed);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);

  std::vector<float> centroids(k * dim);
  for (size_t c = 0; c < k; ++c) {
    std::copy(data + order[c] * dim, data + (order[c] + 1) * dim, centroids.begin() + c * dim);
  }

  std::vector<uint32_t> assignment(n);
  for (size_t iteration = 0; iteration < options.iterations; ++iteration) {
    AssignAll(data, n, dim, centroids, k, &assignment);
    std::vector<size_t> sizes = UpdateCentroids(data, n, dim, assignment, k, &centroids);
    SplitIntoEmpty(sizes, dim, rng, &centroids);
  }
  return centroids;
}

}  // namespace arbor::index

// Distance kernels for float32 vectors.
//
// Each kernel has a portable scalar version and an AVX2/FMA version. The AVX2 version is chosen
// once at start-up when the CPU reports both AVX2 and FMA; otherwise the scalar version is used.
// All functions are pure and safe to call from any thread.
#pragma once

#include <cstddef>
#include <string_view>

namespace arbor::index {

// How a collection compares vectors. Search always ranks by a distance where smaller is better:
// l2 uses the squared Euclidean distance, ip and cosine use the negated inner product (cosine on
// unit-length vectors, which callers normalise before they reach the index).
enum class Metric { kL2, kInnerProduct, kCosine };

std::string_view MetricName(Metric metric);

// A kernel computes one value over two arrays of `dim` floats.
using KernelFn = float (*)(const float* a, const float* b, size_t dim);

// A squared Euclidean distance that may stop early. When the distance is at most `bound`, it
// returns the same float as the unbounded kernel of its set. Otherwise it returns some value
// greater than `bound`, possibly a partial sum: every term is non-negative and rounding is
// monotone, so a partial sum over `bound` proves that the full sum is over it too.
using BoundedKernelFn = float (*)(const float* a, const float* b, size_t dim, float bound);

struct Kernels {
  KernelFn l2_squared;
  KernelFn inner_product;
  BoundedKernelFn l2_squared_bounded;
  std::string_view name;  // "avx2" or "scalar", for logs
};

// The portable kernels.
const Kernels& ScalarKernels();

// The AVX2/FMA kernels, or nullptr when the CPU lacks AVX2 or FMA.
const Kernels* Avx2Kernels();

// The fastest kernels this CPU supports, chosen on first call.
const Kernels& BestKernels();

// Squared Euclidean distance with the best kernel.
inline float L2Squared(const float* a, const float* b, size_t dim) {
  return BestKernels().l2_squared(a, b, dim);
}

// Inner product with the best kernel.
inline float InnerProduct(const float* a, const float* b, size_t dim) {
  return BestKernels().inner_product(a, b, dim);
}

// The distance used for ranking (smaller is better) between a query and a stored vector.
inline float RankingDistance(Metric metric, const float* query, const float* vec, size_t dim) {
  if (metric == Metric::kL2) return L2Squared(query, vec, dim);
  return -InnerProduct(query, vec, dim);
}

// Converts a ranking distance back to the score the API reports: the squared distance for l2,
// the inner product or cosine similarity for ip and cosine.
inline float ScoreFromDistance(Metric metric, float distance) {
  return metric == Metric::kL2 ? distance : -distance;
}

// Scales `vec` to unit length in place. Returns false, leaving `vec` unchanged, when its norm is
// zero or not finite.
bool NormalizeInPlace(float* vec, size_t dim);

}  // namespace arbor::index

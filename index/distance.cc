#include "index/distance.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

namespace arbor::index {
namespace {

float L2SquaredScalar(const float* a, const float* b, size_t dim) {
  float sum = 0.0f;
  for (size_t i = 0; i < dim; ++i) {
    const float d = a[i] - b[i];
    sum += d * d;
  }
  return sum;
}

// Checks the bound every kBoundCheckFloats terms: often enough to skip most of a far vector,
// rarely enough that the checks cost little next to the arithmetic.
constexpr size_t kBoundCheckFloats = 128;

float L2SquaredBoundedScalar(const float* a, const float* b, size_t dim, float bound) {
  float sum = 0.0f;
  for (size_t i = 0; i < dim; ++i) {
    const float d = a[i] - b[i];
    sum += d * d;
    if ((i + 1) % kBoundCheckFloats == 0 && sum > bound) return sum;
  }
  return sum;
}

float InnerProductScalar(const float* a, const float* b, size_t dim) {
  float sum = 0.0f;
  for (size_t i = 0; i < dim; ++i) sum += a[i] * b[i];
  return sum;
}

__attribute__((target("avx2,fma"))) float HorizontalSum(__m256 v) {
  const __m128 low = _mm256_castps256_ps128(v);
  const __m128 high = _mm256_extractf128_ps(v, 1);
  __m128 sum = _mm_add_ps(low, high);
  sum = _mm_hadd_ps(sum, sum);
  sum = _mm_hadd_ps(sum, sum);
  return _mm_cvtss_f32(sum);
}

// Two independent accumulators hide the FMA latency; the tail under 8 floats is scalar.
__attribute__((target("avx2,fma"))) float L2SquaredAvx2(const float* a, const float* b,
                                                        size_t dim) {
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    const __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
    acc1 = _mm256_fmadd_ps(d1, d1, acc1);
  }
  if (i + 8 <= dim) {
    const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
    i += 8;
  }
  float sum = HorizontalSum(_mm256_add_ps(acc0, acc1));
  for (; i < dim; ++i) {
    const float d = a[i] - b[i];
    sum += d * d;
  }
  return sum;
}

// L2SquaredAvx2 with a bound check between blocks of kBoundCheckFloats floats. The accumulators
// evolve exactly as in L2SquaredAvx2, so a vector that is not abandoned gets the same float.
__attribute__((target("avx2,fma"))) float L2SquaredBoundedAvx2(const float* a, const float* b,
                                                               size_t dim, float bound) {
  static_assert(kBoundCheckFloats % 16 == 0);
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  size_t i = 0;
  while (i + 16 <= dim) {
    const size_t block_end = std::min(dim - dim % 16, i + kBoundCheckFloats);
    for (; i < block_end; i += 16) {
      const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
      const __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
      acc0 = _mm256_fmadd_ps(d0, d0, acc0);
      acc1 = _mm256_fmadd_ps(d1, d1, acc1);
    }
    if (i + 16 <= dim) {
      const float partial = HorizontalSum(_mm256_add_ps(acc0, acc1));
      if (partial > bound) return partial;
    }
  }
  if (i + 8 <= dim) {
    const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
    i += 8;
  }
  float sum = HorizontalSum(_mm256_add_ps(acc0, acc1));
  for (; i < dim; ++i) {
    const float d = a[i] - b[i];
    sum += d * d;
  }
  return sum;
}

__attribute__((target("avx2,fma"))) float InnerProductAvx2(const float* a, const float* b,
                                                           size_t dim) {
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  if (i + 8 <= dim) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    i += 8;
  }
  float sum = HorizontalSum(_mm256_add_ps(acc0, acc1));
  for (; i < dim; ++i) sum += a[i] * b[i];
  return sum;
}

bool CpuHasAvx2Fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

}  // namespace

std::string_view MetricName(Metric metric) {
  switch (metric) {
    case Metric::kL2:
      return "l2";
    case Metric::kInnerProduct:
      return "ip";
    case Metric::kCosine:
      return "cosine";
  }
  return "unknown";
}

const Kernels& ScalarKernels() {
  static const Kernels kernels{&L2SquaredScalar, &InnerProductScalar, &L2SquaredBoundedScalar,
                               "scalar"};
  return kernels;
}

const Kernels* Avx2Kernels() {
  static const Kernels kernels{&L2SquaredAvx2, &InnerProductAvx2, &L2SquaredBoundedAvx2,
                               "avx2"};
  static const bool supported = CpuHasAvx2Fma();
  return supported ? &kernels : nullptr;
}

const Kernels& BestKernels() {
  static const Kernels& best = Avx2Kernels() != nullptr ? *Avx2Kernels() : ScalarKernels();
  return best;
}

bool NormalizeInPlace(float* vec, size_t dim) {
  double norm_squared = 0.0;
  for (size_t i = 0; i < dim; ++i) norm_squared += static_cast<double>(vec[i]) * vec[i];
  const double norm = std::sqrt(norm_squared);
  if (!(norm > 0.0) || !std::isfinite(norm)) return false;

  const double scale = 1.0 / norm;
  for (size_t i = 0; i < dim; ++i) vec[i] = static_cast<float>(vec[i] * scale);
  return true;
}

}  // namespace arbor::index

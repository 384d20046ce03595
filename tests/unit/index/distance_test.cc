#include "index/distance.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace arbor::index {
namespace {

std::vector<float> RandomVector(std::mt19937& rng, size_t dim) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(dim);
  for (float& x : v) x = normal(rng);
  return v;
}

double ExactL2(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return sum;
}

double ExactDot(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += double(a[i]) * b[i];
  return sum;
}

// Every length from 1 to 70 covers the 16-wide loop, the 8-wide step and each scalar tail.
TEST(Distance, ScalarMatchesDoublePrecision) {
  std::mt19937 rng(1);
  for (size_t dim : {1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 64, 70, 784}) {
    SCOPED_TRACE(dim);
    const auto a = RandomVector(rng, dim);
    const auto b = RandomVector(rng, dim);
    EXPECT_NEAR(ScalarKernels().l2_squared(a.data(), b.data(), dim), ExactL2(a, b),
                1e-4 * (1 + ExactL2(a, b)));
    EXPECT_NEAR(ScalarKernels().inner_product(a.data(), b.data(), dim), ExactDot(a, b),
                1e-4 * (1 + std::abs(ExactDot(a, b))));
  }
}

TEST(Distance, Avx2MatchesScalar) {
  const Kernels* avx2 = Avx2Kernels();
  if (avx2 == nullptr) GTEST_SKIP() << "CPU lacks AVX2/FMA; only the scalar kernels run here";

  std::mt19937 rng(2);
  for (size_t dim = 1; dim <= 70; ++dim) {
    SCOPED_TRACE(dim);
    const auto a = RandomVector(rng, dim);
    const auto b = RandomVector(rng, dim);
    const float scalar_l2 = ScalarKernels().l2_squared(a.data(), b.data(), dim);
    const float scalar_ip = ScalarKernels().inner_product(a.data(), b.data(), dim);
    EXPECT_NEAR(avx2->l2_squared(a.data(), b.data(), dim), scalar_l2, 1e-4f * (1 + scalar_l2));
    EXPECT_NEAR(avx2->inner_product(a.data(), b.data(), dim), scalar_ip,
                1e-4f * (1 + std::abs(scalar_ip)));
  }
}

// The bounded kernel returns the unbounded kernel's exact float when the distance is within
// the bound, and some value above the bound otherwise. The lengths straddle the 128-float check
// blocks, and the bounds lie below, at and above the distance.
void ExpectBoundedMatchesUnbounded(const Kernels& kernels) {
  std::mt19937 rng(3);
  for (size_t dim : {1, 8, 15, 16, 17, 127, 128, 129, 143, 255, 256, 257, 784}) {
    SCOPED_TRACE(dim);
    const auto a = RandomVector(rng, dim);
    const auto b = RandomVector(rng, dim);
    const float full = kernels.l2_squared(a.data(), b.data(), dim);
    for (float bound : {full, full * 1.5f, std::numeric_limits<float>::infinity()}) {
      EXPECT_EQ(kernels.l2_squared_bounded(a.data(), b.data(), dim, bound), full)
          << "bound " << bound;
    }
    for (float bound : {0.0f, full * 0.1f, full * 0.5f, full * 0.99f}) {
      EXPECT_GT(kernels.l2_squared_bounded(a.data(), b.data(), dim, bound), bound)
          << "bound " << bound;
    }
  }
}

TEST(Distance, ScalarBoundedMatchesUnbounded) { ExpectBoundedMatchesUnbounded(ScalarKernels()); }

TEST(Distance, Avx2BoundedMatchesUnbounded) {
  const Kernels* avx2 = Avx2Kernels();
  if (avx2 == nullptr) GTEST_SKIP() << "CPU lacks AVX2/FMA; only the scalar kernels run here";
  ExpectBoundedMatchesUnbounded(*avx2);
}

// A far vector is abandoned after the first block: the returned partial sum is below the full
// distance, which shows that the rest was not computed.
TEST(Distance, BoundedStopsEarlyOnFarVectors) {
  const size_t dim = 784;
  const std::vector<float> a(dim, 0.0f);
  const std::vector<float> b(dim, 1.0f);
  for (const Kernels* kernels : {&ScalarKernels(), Avx2Kernels()}) {
    if (kernels == nullptr) continue;
    SCOPED_TRACE(kernels->name);
    EXPECT_EQ(kernels->l2_squared_bounded(a.data(), b.data(), dim, 10.0f), 128.0f);
  }
}

TEST(Distance, BestKernelsPreferAvx2WhenAvailable) {
  const Kernels* avx2 = Avx2Kernels();
  EXPECT_EQ(BestKernels().name, avx2 != nullptr ? "avx2" : "scalar");
}

TEST(Distance, RankingDistanceOrdersByMetric) {
  const std::vector<float> q = {1, 0};
  const std::vector<float> near = {0.9f, 0.1f};
  const std::vector<float> far = {-1, 0};
  for (Metric m : {Metric::kL2, Metric::kInnerProduct, Metric::kCosine}) {
    SCOPED_TRACE(MetricName(m));
    EXPECT_LT(RankingDistance(m, q.data(), near.data(), 2),
              RankingDistance(m, q.data(), far.data(), 2));
  }
  EXPECT_FLOAT_EQ(ScoreFromDistance(Metric::kL2, 4.0f), 4.0f);
  EXPECT_FLOAT_EQ(ScoreFromDistance(Metric::kInnerProduct, -0.5f), 0.5f);
}

TEST(Distance, NormalizeRejectsZeroVector) {
  std::vector<float> zero(5, 0.0f);
  EXPECT_FALSE(NormalizeInPlace(zero.data(), zero.size()));
  EXPECT_EQ(zero, std::vector<float>(5, 0.0f));

  std::vector<float> v = {3, 4};
  ASSERT_TRUE(NormalizeInPlace(v.data(), v.size()));
  EXPECT_FLOAT_EQ(v[0], 0.6f);
  EXPECT_FLOAT_EQ(v[1], 0.8f);
}

}  // namespace
}  // namespace arbor::index

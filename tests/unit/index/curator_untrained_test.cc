// The contract of the index before a tree is trained: every tenant is one shortlist at the
// root, and search is an exact scan of what the tenant may read.
#include "index/curator_index.h"

#include <gtest/gtest.h>

#include "tests/unit/index/reference_model.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <tuple>
#include <vector>

namespace arbor::index {
namespace {

using reference::Model;

std::vector<float> RandomVector(std::mt19937& rng, size_t dim) {
  std::uniform_int_distribution<int> value(-4, 4);  // small integers make exact ties common
  std::vector<float> v(dim);
  for (float& x : v) x = static_cast<float>(value(rng));
  return v;
}

TEST(UntrainedCuratorIndex, UpsertReplacesValuesAndKeepsReaders) {
  CuratorIndex index(2, Metric::kL2, CuratorOptions{});
  index.AddTenant(1, "a");
  index.AddTenant(2, "b");
  const float v1[] = {1, 1};
  const float v2[] = {5, 5};
  EXPECT_TRUE(index.Upsert({1, 7}, v1));
  EXPECT_TRUE(index.Grant({1, 7}, 2));
  EXPECT_FALSE(index.Upsert({1, 7}, v2));

  const float q[] = {5, 5};
  auto hits = index.Search(2, q, 10, SearchOptions{});
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_FLOAT_EQ(hits[0].distance, 0.0f);
  EXPECT_EQ(index.SharedWith({1, 7}), std::vector<TenantId>{2});
}

TEST(UntrainedCuratorIndex, SameIdUnderTwoOwnersIsTwoVectors) {
  CuratorIndex index(1, Metric::kL2, CuratorOptions{});
  index.AddTenant(1, "a");
  index.AddTenant(2, "b");
  const float v[] = {1};
  EXPECT_TRUE(index.Upsert({1, 7}, v));
  EXPECT_TRUE(index.Upsert({2, 7}, v));
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.ReadableCount(1), 1u);
  EXPECT_EQ(index.ReadableCount(2), 1u);
}

TEST(UntrainedCuratorIndex, TiesBreakByOwnerNameThenId) {
  CuratorIndex index(1, Metric::kL2, CuratorOptions{});
  index.AddTenant(1, "zeta");
  index.AddTenant(2, "alpha");
  const float v[] = {3};
  index.Upsert({1, 1}, v);
  index.Upsert({2, 9}, v);
  index.Upsert({2, 4}, v);
  index.Grant({1, 1}, 2);

  auto hits = index.Search(2, v, 3, SearchOptions{});
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].key, (VectorKey{2, 4}));
  EXPECT_EQ(hits[1].key, (VectorKey{2, 9}));
  EXPECT_EQ(hits[2].key, (VectorKey{1, 1}));
}

TEST(UntrainedCuratorIndex, CosineRanksBySimilarity) {
  CuratorIndex index(2, Metric::kCosine, CuratorOptions{});
  index.AddTenant(1, "a");
  const float same_direction[] = {10, 0};
  const float diagonal[] = {1, 1};
  index.Upsert({1, 1}, same_direction);
  index.Upsert({1, 2}, diagonal);

  const float q[] = {2, 0};
  auto hits = index.Search(1, q, 2, SearchOptions{});
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].key.id, 1u);
  EXPECT_NEAR(ScoreFromDistance(Metric::kCosine, hits[0].distance), 1.0f, 1e-6f);
  EXPECT_NEAR(ScoreFromDistance(Metric::kCosine, hits[1].distance), std::sqrt(0.5f), 1e-6f);
}

TEST(UntrainedCuratorIndex, RemoveTenantDeletesOwnedAndDropsAccess) {
  CuratorIndex index(1, Metric::kL2, CuratorOptions{});
  index.AddTenant(1, "a");
  index.AddTenant(2, "b");
  const float v[] = {1};
  index.Upsert({1, 1}, v);
  index.Upsert({2, 2}, v);
  index.Grant({1, 1}, 2);
  index.Grant({2, 2}, 1);

  EXPECT_EQ(index.RemoveTenant(2), 1u);
  EXPECT_FALSE(index.Contains({2, 2}));
  EXPECT_EQ(index.ReadableCount(1), 1u);
  EXPECT_TRUE(index.SharedWith({1, 1}).empty());
  EXPECT_FALSE(index.HasTenant(2));
}

// Long random sequences of every operation, checked after each step against the model: counts,
// access lists and exact search results (ids, order and distances).
TEST(UntrainedCuratorIndex, RandomOperationsMatchModel) {
  constexpr size_t kDim = 3;
  std::mt19937 rng(42);
  CuratorIndex index(kDim, Metric::kL2, CuratorOptions{});
  Model model;
  TenantId next_tenant = 0;
  std::vector<TenantId> live;

  auto add_tenant = [&] {
    const TenantId t = next_tenant++;
    const std::string name = "t" + std::to_string((t * 7919) % 1000);  // names not in id order
    index.AddTenant(t, name);
    model.names[t] = name;
    live.push_back(t);
  };
  for (int i = 0; i < 5; ++i) add_tenant();

  auto pick = [&](const std::vector<TenantId>& v) {
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
  };

  for (int step = 0; step < 4000; ++step) {
    SCOPED_TRACE(step);
    const int op = std::uniform_int_distribution<int>(0, 99)(rng);
    const TenantId t = pick(live);
    const VectorId id = std::uniform_int_distribution<VectorId>(0, 30)(rng);
    const std::pair<TenantId, VectorId> key{t, id};

    if (op < 40) {
      const auto v = RandomVector(rng, kDim);
      const bool inserted = index.Upsert({t, id}, v.data());
      EXPECT_EQ(inserted, !model.vectors.contains(key));
      model.vectors[key] = v;
      model.readers[key].insert(t);
    } else if (op < 55) {
      EXPECT_EQ(index.Delete({t, id}), model.vectors.erase(key) == 1);
      model.readers.erase(key);
    } else if (op < 75) {
      if (!model.vectors.contains(key)) continue;
      const TenantId reader = pick(live);
      EXPECT_EQ(index.Grant({t, id}, reader), model.readers[key].insert(reader).second);
    } else if (op < 90) {
      const TenantId reader = pick(live);
      const bool had = model.vectors.contains(key) && reader != t &&
                       model.readers[key].erase(reader) == 1;
      EXPECT_EQ(index.Revoke({t, id}, reader), had);
    } else if (op < 93 && live.size() > 2) {
      index.RemoveTenant(t);
      live.erase(std::find(live.begin(), live.end(), t));
      for (auto it = model.vectors.begin(); it != model.vectors.end();) {
        if (it->first.first == t) {
          model.readers.erase(it->first);
          it = model.vectors.erase(it);
        } else {
          model.readers[it->first].erase(t);
          ++it;
        }
      }
    } else if (op < 96) {
      add_tenant();
    }

    for (TenantId tenant : live) {
      size_t readable = 0;
      for (const auto& [k, r] : model.readers) readable += r.contains(tenant);
      ASSERT_EQ(index.ReadableCount(tenant), readable);
    }
    ASSERT_EQ(index.size(), model.vectors.size());

    const TenantId searcher = pick(live);
    const auto q = RandomVector(rng, kDim);
    const size_t k = std::uniform_int_distribution<size_t>(1, 12)(rng);
    const auto expected = model.BruteForce(searcher, q, k);
    const auto hits = index.Search(searcher, q.data(), k, SearchOptions{});
    ASSERT_EQ(hits.size(), expected.size());
    for (size_t i = 0; i < hits.size(); ++i) {
      EXPECT_FLOAT_EQ(hits[i].distance, static_cast<float>(std::get<0>(expected[i])));
      EXPECT_EQ(index.TenantName(hits[i].key.owner), std::get<1>(expected[i]));
      EXPECT_EQ(hits[i].key.id, std::get<2>(expected[i]));
    }
  }
}

}  // namespace
}  // namespace arbor::index

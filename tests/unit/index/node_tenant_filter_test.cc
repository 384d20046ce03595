#include "index/node_tenant_filter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace arbor::index {
namespace {

// Tenant ids below this are inserted; ids from it up are probes that were never inserted.
constexpr TenantId kFirstProbeTenant = TenantId{1} << 31;

NodeTenantFilter MakeFilter(size_t nodes, double bits_per_key) {
  auto filter = NodeTenantFilter::Create(nodes, bits_per_key);
  EXPECT_TRUE(filter.ok()) << filter.status();
  return *std::move(filter);
}

// `count` distinct tenant ids below kFirstProbeTenant.
std::vector<TenantId> DistinctTenants(size_t count, std::mt19937_64& rng) {
  std::uniform_int_distribution<TenantId> id(0, kFirstProbeTenant - 1);
  std::set<TenantId> chosen;
  while (chosen.size() < count) chosen.insert(id(rng));
  std::vector<TenantId> tenants(chosen.begin(), chosen.end());
  std::shuffle(tenants.begin(), tenants.end(), rng);
  return tenants;
}

TEST(NodeTenantFilter, CreateRejectsBadBitsPerKey) {
  for (double bits_per_key : {0.0, 0.5, -8.0, 64.5, std::numeric_limits<double>::quiet_NaN()}) {
    SCOPED_TRACE(bits_per_key);
    auto filter = NodeTenantFilter::Create(10, bits_per_key);
    ASSERT_FALSE(filter.ok());
    EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(filter.status().message().find("bits_per_key"), absl::string_view::npos);
  }
  EXPECT_TRUE(NodeTenantFilter::Create(10, 1.0).ok());
  EXPECT_TRUE(NodeTenantFilter::Create(10, 64.0).ok());
}

TEST(NodeTenantFilter, HashCountFollowsBitsPerKey) {
  // round(bits_per_key * ln 2)
  EXPECT_EQ(MakeFilter(1, 1).hash_count(), 1u);
  EXPECT_EQ(MakeFilter(1, 4).hash_count(), 3u);
  EXPECT_EQ(MakeFilter(1, 8).hash_count(), 6u);
  EXPECT_EQ(MakeFilter(1, 12).hash_count(), 8u);
  EXPECT_EQ(MakeFilter(1, 16).hash_count(), 11u);
}

TEST(NodeTenantFilter, RebuildSizesEachNodeFromItsTenants) {
  NodeTenantFilter filter = MakeFilter(3, 9.5);
  filter.Rebuild(0, {1, 2, 3});
  filter.Rebuild(1, {}, 0);
  filter.Rebuild(2, {7}, 10);

  EXPECT_EQ(filter.bit_count(0), 29u);  // ceil(3 * 9.5)
  EXPECT_EQ(filter.capacity(0), 3u);
  EXPECT_EQ(filter.keys(0), 3u);
  EXPECT_EQ(filter.bit_count(1), 0u);
  EXPECT_EQ(filter.keys(1), 0u);
  EXPECT_EQ(filter.bit_count(2), 95u);  // sized for the capacity, not the one tenant
  EXPECT_EQ(filter.capacity(2), 10u);
  EXPECT_EQ(filter.LiveBits(), 29u + 95u);
}

TEST(NodeTenantFilter, EmptyNodeRejectsEveryTenant) {
  NodeTenantFilter filter = MakeFilter(2, 8);
  filter.Rebuild(1, {5, 6});
  for (TenantId tenant = 0; tenant < 10000; ++tenant) {
    ASSERT_FALSE(filter.MayContain(0, tenant)) << tenant;
  }
  EXPECT_EQ(filter.ExpectedFalsePositiveRate(0), 0.0);
}

// Random tenant sets, some built by Rebuild and some by Insert far past the sized capacity:
// every inserted tenant must be reported at its node, for every bits-per-key setting.
TEST(NodeTenantFilter, NoFalseNegatives) {
  std::mt19937_64 rng(11);
  for (double bits_per_key : {1.0, 4.0, 8.0, 12.0, 16.0}) {
    SCOPED_TRACE(bits_per_key);
    constexpr size_t kNodes = 64;
    NodeTenantFilter filter = MakeFilter(kNodes, bits_per_key);
    std::vector<std::vector<TenantId>> members(kNodes);
    for (NodeId node = 0; node < kNodes; ++node) {
      const size_t count = std::uniform_int_distribution<size_t>(0, 400)(rng);
      members[node] = DistinctTenants(count, rng);
      if (node % 2 == 0) {
        filter.Rebuild(node, members[node]);
      } else {
        for (TenantId tenant : members[node]) filter.Insert(node, tenant);
      }
    }
    for (NodeId node = 0; node < kNodes; ++node) {
      for (TenantId tenant : members[node]) {
        ASSERT_TRUE(filter.MayContain(node, tenant)) << "node " << node << " tenant " << tenant;
      }
    }
  }
}

// Rebuilds that change a node's size move its bits and, now and then, compact the array. The
// bits of the neighbouring filters, which may share a 64-bit word with the moved one, must
// survive every move.
TEST(NodeTenantFilter, NoFalseNegativesAcrossMovesAndCompaction) {
  std::mt19937_64 rng(12);
  constexpr size_t kNodes = 40;
  NodeTenantFilter filter = MakeFilter(kNodes, 7.3);  // 7.3 bits per key: filters end mid-word
  std::vector<std::vector<TenantId>> members(kNodes);
  std::uniform_int_distribution<NodeId> any_node(0, kNodes - 1);

  for (int step = 0; step < 600; ++step) {
    const NodeId node = any_node(rng);
    if (step % 3 == 0) {
      const TenantId tenant = DistinctTenants(1, rng)[0];
      filter.Insert(node, tenant);
      members[node].push_back(tenant);
    } else {
      members[node] = DistinctTenants(std::uniform_int_distribution<size_t>(0, 70)(rng), rng);
      filter.Rebuild(node, members[node]);
    }
    for (NodeId check = 0; check < kNodes; ++check) {
      for (TenantId tenant : members[check]) {
        ASSERT_TRUE(filter.MayContain(check, tenant))
            << "step " << step << " node " << check << " tenant " << tenant;
      }
    }
  }
}

// The measured false-positive rate of filters sized exactly for their keys, against
// (1 - e^(-k n / m))^k. Each case pools 20 filters (so that one filter's luck in how its bits
// collide does not decide the result) and probes each with 50,000 tenants never inserted.
TEST(NodeTenantFilter, FalsePositiveRateNearTheory) {
  struct Case {
    size_t keys;
    double bits_per_key;
  };
  const std::vector<Case> cases = {{40, 4},   {40, 8},   {400, 4},   {400, 8},
                                   {400, 12}, {4000, 8}, {4000, 12}, {4000, 16}};
  constexpr size_t kFilters = 20;
  constexpr size_t kProbesPerFilter = 50000;
  std::mt19937_64 rng(13);
  std::uniform_int_distribution<TenantId> probe_id(kFirstProbeTenant,
                                                   std::numeric_limits<TenantId>::max());

  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.keys << " keys, " << c.bits_per_key << " bits/key");
    NodeTenantFilter filter = MakeFilter(kFilters, c.bits_per_key);
    double expected = 0.0;
    size_t false_positives = 0;
    for (NodeId node = 0; node < kFilters; ++node) {
      filter.Rebuild(node, DistinctTenants(c.keys, rng));
      expected += filter.ExpectedFalsePositiveRate(node) * kProbesPerFilter;
      for (size_t i = 0; i < kProbesPerFilter; ++i) {
        false_positives += filter.MayContain(node, probe_id(rng));
      }
    }

    // A Bloom filter's true rate is slightly above the formula for small m, because the formula
    // treats the bits as independent. The bound is therefore 10% of the expectation plus five
    // standard deviations of a binomial count. A broken hash misses it by far more.
    const double tolerance = 0.10 * expected + 5.0 * std::sqrt(expected);
    EXPECT_NEAR(static_cast<double>(false_positives), expected, tolerance)
        << "measured rate " << false_positives / double(kFilters * kProbesPerFilter) << ", theory "
        << expected / double(kFilters * kProbesPerFilter);
  }
}

TEST(NodeTenantFilter, InsertSkipsReportedTenant) {
  NodeTenantFilter filter = MakeFilter(1, 8);
  EXPECT_TRUE(filter.Insert(0, 42));
  EXPECT_FALSE(filter.Insert(0, 42));
  EXPECT_EQ(filter.keys(0), 1u);
  EXPECT_EQ(filter.capacity(0), NodeTenantFilter::kMinCapacity);
  EXPECT_EQ(filter.bit_count(0), 8 * NodeTenantFilter::kMinCapacity);
  EXPECT_TRUE(filter.MayContain(0, 42));
}

TEST(NodeTenantFilter, NeedsRebuildPastCapacity) {
  NodeTenantFilter filter = MakeFilter(1, 10);
  filter.Rebuild(0, {1, 2}, 4);
  EXPECT_FALSE(filter.NeedsRebuild(0));

  // Insert skips tenants that happen to be false positives, so count the accepted ones.
  std::vector<TenantId> members = {1, 2};
  for (TenantId tenant = 3; filter.keys(0) <= filter.capacity(0); ++tenant) {
    if (filter.Insert(0, tenant)) members.push_back(tenant);
  }
  EXPECT_TRUE(filter.NeedsRebuild(0));

  filter.Rebuild(0, members, 2 * members.size());
  EXPECT_FALSE(filter.NeedsRebuild(0));
  EXPECT_EQ(filter.capacity(0), 2 * members.size());
  for (TenantId tenant : members) EXPECT_TRUE(filter.MayContain(0, tenant)) << tenant;
}

TEST(NodeTenantFilter, StaleKeysReportedUntilRebuild) {
  NodeTenantFilter filter = MakeFilter(1, 12);
  filter.Rebuild(0, {1, 2, 3, 4, 5, 6, 7, 8});

  // Tenants 1 and 2 leave: 2 stale keys of 8 reach the quarter that makes NeedsRebuild true.
  filter.RecordRemoval(0);
  EXPECT_FALSE(filter.NeedsRebuild(0));
  filter.RecordRemoval(0);
  EXPECT_EQ(filter.stale_keys(0), 2u);
  EXPECT_TRUE(filter.NeedsRebuild(0));
  EXPECT_TRUE(filter.MayContain(0, 1));
  EXPECT_TRUE(filter.MayContain(0, 2));

  filter.Rebuild(0, {3, 4, 5, 6, 7, 8});
  EXPECT_FALSE(filter.NeedsRebuild(0));
  EXPECT_EQ(filter.stale_keys(0), 0u);
  EXPECT_EQ(filter.keys(0), 6u);
  for (TenantId tenant = 3; tenant <= 8; ++tenant) EXPECT_TRUE(filter.MayContain(0, tenant));
}

TEST(NodeTenantFilter, RecordRemovalNeverExceedsKeys) {
  NodeTenantFilter filter = MakeFilter(1, 8);
  filter.Rebuild(0, {9});
  filter.RecordRemoval(0);
  filter.RecordRemoval(0);
  EXPECT_EQ(filter.stale_keys(0), 1u);
}

// A filter that was grown and rebuilt returns the same MayContain results as one built once from
// the same tenants, because Rebuild leaves nothing of the earlier contents behind.
TEST(NodeTenantFilter, RebuildMatchesFreshFilter) {
  std::mt19937_64 rng(14);
  const std::vector<TenantId> final_members = DistinctTenants(50, rng);

  NodeTenantFilter reused = MakeFilter(4, 8);
  for (TenantId tenant : DistinctTenants(300, rng)) reused.Insert(2, tenant);
  reused.Rebuild(1, DistinctTenants(20, rng));
  reused.Rebuild(2, DistinctTenants(50, rng));
  reused.Rebuild(2, final_members);

  NodeTenantFilter fresh = MakeFilter(4, 8);
  fresh.Rebuild(2, final_members);

  ASSERT_EQ(reused.bit_count(2), fresh.bit_count(2));
  size_t reported = 0;
  for (TenantId tenant = 0; tenant < 200000; ++tenant) {
    ASSERT_EQ(reused.MayContain(2, tenant), fresh.MayContain(2, tenant)) << tenant;
    reported += fresh.MayContain(2, tenant);
  }
  EXPECT_GT(reported, 0u);
}

TEST(NodeTenantFilter, CompactKeepsAnswersAndFreesBits) {
  std::mt19937_64 rng(15);
  constexpr size_t kNodes = 16;
  NodeTenantFilter filter = MakeFilter(kNodes, 6);
  for (NodeId node = 0; node < kNodes; ++node) filter.Rebuild(node, DistinctTenants(30, rng));
  // Growing rebuilds move every filter to the end of the array at least once.
  std::vector<std::vector<TenantId>> members(kNodes);
  for (NodeId node = 0; node < kNodes; ++node) {
    members[node] = DistinctTenants(31 + node, rng);
    filter.Rebuild(node, members[node]);
  }

  std::vector<bool> before;
  for (NodeId node = 0; node < kNodes; ++node) {
    for (TenantId tenant = 0; tenant < 5000; ++tenant) {
      before.push_back(filter.MayContain(node, tenant));
    }
  }
  filter.Compact();

  size_t i = 0;
  for (NodeId node = 0; node < kNodes; ++node) {
    for (TenantId tenant = 0; tenant < 5000; ++tenant) {
      ASSERT_EQ(filter.MayContain(node, tenant), before[i++]) << "node " << node;
    }
    for (TenantId tenant : members[node]) ASSERT_TRUE(filter.MayContain(node, tenant));
  }
  const size_t live_words = (filter.LiveBits() + 63) / 64;
  EXPECT_EQ(filter.MemoryBytes(),
            live_words * sizeof(uint64_t) + kNodes * NodeTenantFilter::HeaderBytes());
}

}  // namespace
}  // namespace arbor::index

// The Curator index inside the database, on real data: training in the background round,
// recall of the default budget against brute force, restart fidelity and retraining.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "server/database.h"
#include "tests/support/fashion_mnist_workload.h"
#include "tests/unit/server/test_support.h"

namespace arbor::server {
namespace {

using test_support::DataCalls;
using test_support::ScopedTempDir;

constexpr char kAdminKey[] = "index-test-admin-key-0123456789";
constexpr int kDim = static_cast<int>(test_data::kFashionDim);

using test_data::MakeWorkload;
using test_data::ReadQueries;
using test_data::Workload;

std::string TenantName(int t) { return absl::StrCat("t", t); }

class IndexTest : public ::testing::Test {
 protected:
  void Open() {
    DatabaseOptions options{dir_.path(), false, kAdminKey};
    options.maintenance_interval = absl::Hours(1);  // rounds run only when the test calls RunMaintenance
    auto database = Database::Open(options);
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database);
    data_ = std::make_unique<DataCalls>(database_.get());
    admin_.admin = true;
  }

  void Load(const Workload& workload) {
    v1::CreateCollectionRequest create;
    create.set_name("fm");
    create.set_dimension(kDim);
    create.set_metric(v1::METRIC_L2);
    v1::IndexSettings* index = create.mutable_index();
    index->set_branching(8);
    index->set_max_leaf_size(40);
    index->set_split_threshold(24);
    index->set_merge_threshold(6);
    index->set_train_threshold(1000);
    ASSERT_TRUE(database_->CreateCollection(admin_, create).ok());
    for (int t = 0; t < workload.tenants; ++t) {
      v1::CreateTenantRequest tenant;
      tenant.set_collection("fm");
      tenant.set_tenant(TenantName(t));
      ASSERT_TRUE(database_->CreateTenant(admin_, tenant).ok());
    }
    for (size_t i = 0; i < workload.owner.size(); ++i) {
      v1::UpsertRequest upsert;
      upsert.set_collection("fm");
      upsert.set_tenant(TenantName(workload.owner[i]));
      v1::Vector* vector = upsert.add_vectors();
      vector->set_id(i);
      vector->mutable_values()->Add(workload.vectors.begin() + i * kDim,
                                    workload.vectors.begin() + (i + 1) * kDim);
      ASSERT_TRUE(data_->Call(admin_, upsert).ok());
    }
    for (const auto& [i, readers] : workload.shared) {
      v1::ShareRequest share;
      share.set_collection("fm");
      share.set_tenant(TenantName(workload.owner[i]));
      share.add_ids(i);
      for (int t : readers) share.add_with_tenants(TenantName(t));
      ASSERT_TRUE(data_->Call(admin_, share).ok());
    }
  }

  v1::SearchResponse Search(int tenant, const float* query, int k, uint32_t budget,
                            bool exact = false) {
    v1::SearchRequest request;
    request.set_collection("fm");
    request.set_tenant(TenantName(tenant));
    request.mutable_query()->Add(query, query + kDim);
    request.mutable_params()->set_k(k);
    request.mutable_params()->set_budget(budget);
    request.mutable_params()->set_exact(exact);
    auto response = data_->Call(admin_, request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : v1::SearchResponse();
  }

  v1::CollectionInfo Describe() {
    v1::DescribeCollectionRequest request;
    request.set_name("fm");
    auto info = database_->DescribeCollection(admin_, request);
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? *info : v1::CollectionInfo();
  }

  ScopedTempDir dir_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<DataCalls> data_;
  Principal admin_;
};

TEST_F(IndexTest, DefaultBudgetReachesRecallOnRealData) {
  const Workload workload = MakeWorkload(4000, 50, 1);
  Open();
  Load(workload);
  EXPECT_FALSE(Describe().index().trained());

  database_->RunMaintenance();
  const v1::CollectionInfo info = Describe();
  ASSERT_TRUE(info.index().trained());
  EXPECT_GT(info.index().tree_nodes(), 8u);
  EXPECT_EQ(info.index().vectors_at_training(), 4000u);

  // The largest tenant's sub-tree must be several levels deep for the test to mean anything.
  v1::ListTenantsRequest list;
  list.set_collection("fm");
  auto tenants = database_->ListTenants(admin_, list);
  ASSERT_TRUE(tenants.ok());
  uint32_t deepest = 0;
  for (const auto& tenant : tenants->tenants()) deepest = std::max(deepest, tenant.max_depth());
  EXPECT_GE(deepest, 2u);

  // Queries: test images, the tenant drawn by size for half and uniformly for the other half.
  const auto queries = ReadQueries(200);
  std::mt19937_64 rng(2);
  std::vector<double> sizes(workload.tenants, 0);
  for (int owner : workload.owner) sizes[owner]++;
  std::discrete_distribution<int> by_size(sizes.begin(), sizes.end());
  size_t found = 0;
  size_t expected = 0;
  for (int q = 0; q < 200; ++q) {
    const int tenant = q % 2 == 0 ? by_size(rng) : static_cast<int>(rng() % workload.tenants);
    std::vector<float> query(queries.begin() + q * kDim, queries.begin() + (q + 1) * kDim);
    const double tenth = test_data::KthDistance(workload, tenant, query.data(), 10);
    const v1::SearchResponse exact = Search(tenant, query.data(), 10, 0, /*exact=*/true);
    const v1::SearchResponse hits = Search(tenant, query.data(), 10, 0);
    expected += exact.hits_size();
    for (const v1::Hit& hit : hits.hits()) found += hit.score() <= tenth * (1 + 1e-5);
  }
  const double recall = double(found) / double(expected);
  EXPECT_GE(recall, 0.95) << "recall@10 " << recall;
  std::printf("recall@10 with the default budget: %.4f over %zu expected hits\n", recall,
              expected);
}

TEST_F(IndexTest, RestartRestoresTheSamePlacement) {
  const Workload workload = MakeWorkload(3000, 40, 3);
  Open();
  Load(workload);
  database_->RunMaintenance();
  ASSERT_TRUE(Describe().index().trained());

  // Deletes after the training fold some sub-trees back, so the placement depends on history.
  for (size_t i = 0; i < workload.owner.size(); i += 3) {
    v1::DeleteRequest request;
    request.set_collection("fm");
    request.set_tenant(TenantName(workload.owner[i]));
    request.add_ids(i);
    ASSERT_TRUE(data_->Call(admin_, request).ok());
  }

  // A small budget makes results depend on which shortlists hold which vectors.
  const auto queries = ReadQueries(60);
  auto run_all = [&] {
    std::vector<std::string> results;
    for (int q = 0; q < 60; ++q) {
      results.push_back(
          Search(q % workload.tenants, &std::vector<float>(queries.begin() + q * kDim,
                                                           queries.begin() + (q + 1) * kDim)[0],
                 10, 30)
              .DebugString());
    }
    return results;
  };
  const std::vector<std::string> before = run_all();

  ASSERT_TRUE(database_->Close().ok());
  database_.reset();
  Open();
  ASSERT_TRUE(Describe().index().trained());
  const std::vector<std::string> after = run_all();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i], before[i]) << "query " << i;
}

TEST_F(IndexTest, RetrainsAfterGrowth) {
  const Workload workload = MakeWorkload(4000, 10, 4);
  Open();
  Workload first = workload;
  first.owner.resize(1000);
  first.shared.clear();
  Load(first);
  database_->RunMaintenance();
  ASSERT_EQ(Describe().index().vectors_at_training(), 1000u);

  // Growing to 4,000 vectors (the default growth factor of 4) triggers a new training.
  for (size_t i = 1000; i < 4000; ++i) {
    v1::UpsertRequest upsert;
    upsert.set_collection("fm");
    upsert.set_tenant(TenantName(workload.owner[i]));
    v1::Vector* vector = upsert.add_vectors();
    vector->set_id(i);
    vector->mutable_values()->Add(workload.vectors.begin() + i * kDim,
                                  workload.vectors.begin() + (i + 1) * kDim);
    ASSERT_TRUE(data_->Call(admin_, upsert).ok());
  }
  database_->RunMaintenance();
  EXPECT_EQ(Describe().index().vectors_at_training(), 4000u);
}

// A sample that fits in one leaf trains a tree of the root alone. That training must wait for
// the same growth as any other, instead of running again at every maintenance round.
TEST_F(IndexTest, RootOnlyTrainingWaitsForGrowth) {
  const Workload workload = MakeWorkload(120, 1, 1);
  Open();
  v1::CreateCollectionRequest create;
  create.set_name("small");
  create.set_dimension(kDim);
  create.set_metric(v1::METRIC_L2);
  create.mutable_index()->set_train_threshold(20);  // max_leaf_size stays 256
  ASSERT_TRUE(database_->CreateCollection(admin_, create).ok());
  v1::CreateTenantRequest tenant;
  tenant.set_collection("small");
  tenant.set_tenant("t0");
  ASSERT_TRUE(database_->CreateTenant(admin_, tenant).ok());

  const auto upsert_range = [&](size_t first, size_t end) {
    v1::UpsertRequest upsert;
    upsert.set_collection("small");
    upsert.set_tenant("t0");
    for (size_t i = first; i < end; ++i) {
      v1::Vector* vector = upsert.add_vectors();
      vector->set_id(i);
      vector->mutable_values()->Add(workload.vectors.begin() + i * kDim,
                                    workload.vectors.begin() + (i + 1) * kDim);
    }
    return data_->Call(admin_, upsert);
  };
  ASSERT_TRUE(upsert_range(0, 100).ok());
  database_->RunMaintenance();

  v1::DescribeCollectionRequest describe;
  describe.set_name("small");
  absl::StatusOr<v1::CollectionInfo> info = database_->DescribeCollection(admin_, describe);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_FALSE(info->index().trained());
  EXPECT_EQ(info->index().vectors_at_training(), 100u);

  ASSERT_TRUE(upsert_range(100, 120).ok());
  database_->RunMaintenance();
  info = database_->DescribeCollection(admin_, describe);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->index().vectors_at_training(), 100u);
}

}  // namespace
}  // namespace arbor::server

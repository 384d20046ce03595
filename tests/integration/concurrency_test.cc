// Several tenants write, delete, share and unshare at the same time while others search. Each
// tenant is the only writer of its own vectors, so each writer can keep an exact model of what
// it owns and shares. Afterwards, and again after a restart, every tenant must read exactly the
// vectors the models list.
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/integration/arbord_test_fixture.h"

namespace arbor::integration {
namespace {

using Ref = std::pair<std::string, uint64_t>;

constexpr size_t kDimension = 16;
constexpr uint64_t kIdSpace = 300;
const std::vector<std::string> kTenants = {"t0", "t1", "t2", "t3"};

// What one owner has written: its vectors and the tenants each is shared with.
struct OwnerModel {
  std::map<uint64_t, std::vector<float>> values;
  std::map<uint64_t, std::set<std::string>> shared_with;
};

class ConcurrencyTest : public ArbordTest {
 protected:
  // Runs random writes as `owner` until `stop`, updating `model` after each acknowledged call.
  // Returns the first failed call's status, or OK.
  grpc::Status RunWriter(const std::string& owner, const std::string& key, uint64_t seed,
                         const std::atomic<bool>& stop, OwnerModel* model) {
    ArborClient client(server_->address(), key);
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<uint64_t> random_id(0, kIdSpace - 1);
    std::uniform_int_distribution<int> random_action(0, 9);
    while (!stop.load()) {
      const int action = random_action(rng);
      std::vector<uint64_t> owned;
      for (const auto& [id, values] : model->values) owned.push_back(id);

      if (action < 5 || owned.size() < 10) {
        std::set<uint64_t> ids;
        while (ids.size() < 20) ids.insert(random_id(rng));
        std::vector<TestVector> batch;
        for (uint64_t id : ids) batch.push_back({id, RandomValues(rng, kDimension)});
        grpc::Status status = client.Upsert("busy", owner, batch);
        if (!status.ok()) return status;
        for (const TestVector& vector : batch) {
          model->values[vector.id] = vector.values;
          model->shared_with.try_emplace(vector.id);
        }
        continue;
      }

      std::shuffle(owned.begin(), owned.end(), rng);
      if (action < 7) {
        const std::vector<uint64_t> ids(owned.begin(), owned.begin() + 5);
        grpc::Status status = client.Delete("busy", owner, ids);
        if (!status.ok()) return status;
        for (uint64_t id : ids) {
          model->values.erase(id);
          model->shared_with.erase(id);
        }
        continue;
      }

      std::string reader;
      do {
        reader = kTenants[rng() % kTenants.size()];
      } while (reader == owner);
      const std::vector<uint64_t> ids(owned.begin(), owned.begin() + 10);
      if (action < 9) {
        grpc::Status status = client.Share("busy", owner, ids, {reader});
        if (!status.ok()) return status;
        for (uint64_t id : ids) model->shared_with[id].insert(reader);
      } else {
        grpc::Status status = client.Unshare("busy", owner, ids, {reader});
        if (!status.ok()) return status;
        for (uint64_t id : ids) model->shared_with[id].erase(reader);
      }
    }
    return grpc::Status::OK;
  }

  // Checks Count, List and the values of every readable vector of every tenant.
  void ExpectTenantsMatch(const std::map<std::string, OwnerModel>& models) {
    for (const std::string& reader : kTenants) {
      SCOPED_TRACE("reader " + reader);
      std::vector<Ref> expected;
      for (const auto& [owner, model] : models) {
        for (const auto& [id, values] : model.values) {
          if (owner == reader || model.shared_with.at(id).contains(reader)) {
            expected.emplace_back(owner, id);
          }
        }
      }
      std::sort(expected.begin(), expected.end());

      uint64_t count = 0;
      ASSERT_TRUE(IsOk(admin_->Count("busy", reader, &count)));
      EXPECT_EQ(count, expected.size());
      std::vector<Ref> listed;
      ASSERT_TRUE(IsOk(admin_->ListAll("busy", reader, 100, &listed)));
      EXPECT_EQ(listed, expected);

      for (const auto& [owner, model] : models) {
        std::vector<uint64_t> ids;
        for (const auto& [id, values] : model.values) ids.push_back(id);
        if (ids.empty()) continue;
        v1::GetResponse got;
        ASSERT_TRUE(IsOk(admin_->Get("busy", reader, ids, owner, &got)));
        for (const v1::Record& record : got.records()) {
          SCOPED_TRACE(absl::StrCat(owner, "/", record.id()));
          EXPECT_EQ(ValuesOf(record), model.values.at(record.id()));
          EXPECT_TRUE(owner == reader || model.shared_with.at(record.id()).contains(reader))
              << "readable without a share";
          if (owner == reader) {
            const std::set<std::string> shared(record.shared_with().begin(),
                                               record.shared_with().end());
            EXPECT_EQ(shared, model.shared_with.at(record.id()));
          }
        }
      }
    }
  }
};

TEST_F(ConcurrencyTest, WritersAndReadersAgreeWithModels) {
  ASSERT_TRUE(IsOk(admin_->CreateCollection("busy", kDimension, v1::METRIC_L2)));
  std::map<std::string, std::string> keys;
  for (const std::string& tenant : kTenants) {
    ASSERT_TRUE(IsOk(admin_->CreateTenant("busy", tenant)));
    ASSERT_TRUE(IsOk(admin_->CreateKey("busy", tenant, &keys[tenant])));
  }

  std::atomic<bool> stop{false};
  std::map<std::string, OwnerModel> models;
  std::map<std::string, grpc::Status> writer_results;
  std::vector<std::thread> threads;
  for (size_t i = 0; i < kTenants.size(); ++i) {
    const std::string& tenant = kTenants[i];
    OwnerModel* model = &models[tenant];
    grpc::Status* result = &writer_results[tenant];
    const std::string key = keys[tenant];
    threads.emplace_back([this, &stop, tenant, key, i, model, result] {
      *result = RunWriter(tenant, key, 1000 + i, stop, model);
    });
  }

  std::atomic<int> searches{0};
  std::mutex failures_mu;
  std::vector<std::string> reader_failures;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      ArborClient client(server_->address(), server_->admin_key());
      std::mt19937_64 rng(2000 + r);
      while (!stop.load()) {
        const std::string& reader = kTenants[rng() % kTenants.size()];
        v1::SearchResponse found;
        grpc::Status status =
            client.Search("busy", reader, RandomValues(rng, kDimension), 50, &found);
        std::string failure;
        if (!status.ok()) failure = Describe(status);
        std::set<Ref> seen;
        for (int h = 0; h < found.hits_size() && failure.empty(); ++h) {
          const v1::Hit& hit = found.hits(h);
          if (!seen.insert({hit.owner(), hit.id()}).second) failure = "a hit appeared twice";
          if (h > 0 && hit.score() < found.hits(h - 1).score()) failure = "hits out of order";
        }
        if (!failure.empty()) {
          std::lock_guard<std::mutex> lock(failures_mu);
          reader_failures.push_back(failure);
        }
        searches++;
      }
    });
  }

  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  stop.store(true);
  for (std::thread& thread : threads) thread.join();

  for (const auto& [tenant, status] : writer_results) {
    EXPECT_TRUE(IsOk(status)) << "writer " << tenant;
  }
  EXPECT_THAT(reader_failures, ::testing::IsEmpty());
  EXPECT_GT(searches.load(), 0);
  ASSERT_NO_FATAL_FAILURE(ExpectTenantsMatch(models));

  ASSERT_NO_FATAL_FAILURE(StopArbord());
  ASSERT_NO_FATAL_FAILURE(RestartArbord());
  ExpectTenantsMatch(models);
}

}  // namespace
}  // namespace arbor::integration

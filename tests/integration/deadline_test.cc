// Deadlines over gRPC: a call past its deadline ends with DEADLINE_EXCEEDED, whether the client
// or the server notices first, and an upsert is applied whole or not at all.
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/integration/arbord_test_fixture.h"

namespace arbor::integration {
namespace {

class DeadlineTest : public ArbordTest {
 protected:
  static constexpr size_t kDimension = 64;
  static constexpr size_t kLoaded = 20000;

  // Collection "big" (dimension 64, l2) with 20000 vectors of tenant "t". Its train_threshold
  // is out of reach, so every search stays an exact scan: a tree trained in the background
  // would make later batches much faster than the one the deadline is derived from.
  void SetUp() override {
    ArbordTest::SetUp();
    v1::CreateCollectionRequest create;
    create.set_name("big");
    create.set_dimension(kDimension);
    create.set_metric(v1::METRIC_L2);
    create.mutable_index()->set_train_threshold(1000000);
    v1::CollectionInfo info;
    ASSERT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::CreateCollection, create, &info)));
    ASSERT_TRUE(IsOk(admin_->CreateTenant("big", "t")));
    for (uint64_t first = 0; first < kLoaded; first += 5000) {
      ASSERT_TRUE(IsOk(admin_->Upsert("big", "t", RandomVectors(rng_, 5000, kDimension, first))));
    }
  }

  std::mt19937_64 rng_{64};
};

TEST_F(DeadlineTest, SearchBatchPastDeadline) {
  std::vector<std::vector<float>> queries;
  for (int i = 0; i < 1024; ++i) queries.push_back(RandomValues(rng_, kDimension));

  v1::SearchBatchResponse response;
  EXPECT_TRUE(HasStatus(admin_->SearchBatch("big", "t", queries, 10, &response,
                                            std::chrono::microseconds(1)),
                        grpc::StatusCode::DEADLINE_EXCEEDED));

  // The server is still fine, and the whole batch takes measurably long.
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(IsOk(admin_->SearchBatch("big", "t", queries, 10, &response)));
  const auto full = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  ASSERT_EQ(response.results_size(), 1024);
  std::cout << "SearchBatch of 1024 queries over " << kLoaded << " vectors took "
            << full.count() / 1000 << " ms\n";

  // A deadline of a twentieth of that passes while the server is working through the queries.
  if (full < std::chrono::milliseconds(50)) {
    GTEST_SKIP() << "the batch took only " << full.count()
                 << " us, too fast to expire a deadline inside it";
  }
  EXPECT_TRUE(HasStatus(admin_->SearchBatch("big", "t", queries, 10, &response, full / 20),
                        grpc::StatusCode::DEADLINE_EXCEEDED));
}

TEST_F(DeadlineTest, UpsertPastDeadlineAllOrNothing) {
  const std::vector<std::chrono::microseconds> timeouts = {
      std::chrono::microseconds(1),     std::chrono::microseconds(100),
      std::chrono::microseconds(500),   std::chrono::microseconds(1000),
      std::chrono::microseconds(2000),  std::chrono::microseconds(5000),
      std::chrono::microseconds(10000), std::chrono::microseconds(50000),
      std::chrono::seconds(10)};
  constexpr size_t kBatch = 2000;
  std::vector<std::vector<TestVector>> batches;
  std::vector<grpc::Status> results;
  for (size_t i = 0; i < timeouts.size(); ++i) {
    batches.push_back(RandomVectors(rng_, kBatch, kDimension, 1000000 + i * kBatch));
    results.push_back(admin_->Upsert("big", "t", batches.back(), nullptr, timeouts[i]));
    std::cout << "upsert with a " << timeouts[i].count() << " us deadline: "
              << Describe(results.back()) << "\n";
    EXPECT_TRUE(results.back().ok() ||
                results.back().error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
        << Describe(results.back());
  }
  EXPECT_EQ(results.front().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(IsOk(results.back()));

  // A call the client gave up on may still be running in the server; give it time to finish
  // before reading the final state.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  uint64_t present_batches = 0;
  for (size_t i = 0; i < batches.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("batch with a ", timeouts[i].count(), " us deadline"));
    std::vector<uint64_t> ids;
    for (const TestVector& vector : batches[i]) ids.push_back(vector.id);
    v1::GetResponse got;
    ASSERT_TRUE(IsOk(admin_->Get("big", "t", ids, "", &got)));
    const size_t present = static_cast<size_t>(got.records_size());
    EXPECT_TRUE(present == 0 || present == kBatch)
        << present << " of " << kBatch << " vectors present: the batch was applied in part";
    if (results[i].ok()) {
      EXPECT_EQ(present, kBatch) << "an acknowledged upsert is missing";
    }
    if (present == kBatch) {
      ++present_batches;
      for (size_t j = 0; j < kBatch; ++j) {
        ASSERT_EQ(ValuesOf(got.records(static_cast<int>(j))), batches[i][j].values);
      }
    }
  }
  uint64_t count = 0;
  ASSERT_TRUE(IsOk(admin_->Count("big", "t", &count)));
  EXPECT_EQ(count, kLoaded + present_batches * kBatch);
}

}  // namespace
}  // namespace arbor::integration

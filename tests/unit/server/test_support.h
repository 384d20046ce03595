// Helpers for the in-process server tests: status assertions, request builders, a temporary
// data directory and calls routed through Database::CollectionForData as a gRPC handler would.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "arbor/v1/admin.pb.h"
#include "arbor/v1/vector.pb.h"
#include "server/database.h"

namespace arbor::server::test_support {

inline const absl::Status& StatusOf(const absl::Status& status) { return status; }

template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

#define ARBOR_TEST_CONCAT_INNER(a, b) a##b
#define ARBOR_TEST_CONCAT(a, b) ARBOR_TEST_CONCAT_INNER(a, b)

// Fails the current test unless `expr` (an absl::Status or absl::StatusOr) is OK.
#define ASSERT_OK(expr)                                                        \
  do {                                                                         \
    const ::absl::Status arbor_test_status = ::arbor::server::test_support::StatusOf(expr); \
    ASSERT_TRUE(arbor_test_status.ok()) << arbor_test_status;                  \
  } while (false)

#define EXPECT_OK(expr)                                                        \
  do {                                                                         \
    const ::absl::Status arbor_test_status = ::arbor::server::test_support::StatusOf(expr); \
    EXPECT_TRUE(arbor_test_status.ok()) << arbor_test_status;                  \
  } while (false)

// Evaluates `expr` (an absl::StatusOr), fails the test unless it is OK, else moves its value into
// `lhs`, which may be a declaration.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ARBOR_ASSERT_OK_AND_ASSIGN_IMPL(ARBOR_TEST_CONCAT(arbor_test_statusor_, __LINE__), lhs, expr)

#define ARBOR_ASSERT_OK_AND_ASSIGN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                    \
  ASSERT_TRUE(statusor.ok()) << statusor.status();           \
  lhs = std::move(statusor).value()

// A vector as written by a test: id and values.
struct TestVector {
  uint64_t id;
  std::vector<float> values;
};

inline v1::UpsertRequest MakeUpsert(const std::string& collection, const std::string& tenant,
                                    const std::vector<TestVector>& vectors) {
  v1::UpsertRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  for (const TestVector& vector : vectors) {
    v1::Vector* added = request.add_vectors();
    added->set_id(vector.id);
    added->mutable_values()->Add(vector.values.begin(), vector.values.end());
  }
  return request;
}

inline v1::DeleteRequest MakeDelete(const std::string& collection, const std::string& tenant,
                                    const std::vector<uint64_t>& ids) {
  v1::DeleteRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  request.mutable_ids()->Add(ids.begin(), ids.end());
  return request;
}

inline v1::GetRequest MakeGet(const std::string& collection, const std::string& tenant,
                              const std::vector<uint64_t>& ids, const std::string& owner = "") {
  v1::GetRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  request.mutable_ids()->Add(ids.begin(), ids.end());
  request.set_owner(owner);
  return request;
}

inline v1::SearchRequest MakeSearch(const std::string& collection, const std::string& tenant,
                                    const std::vector<float>& query, int32_t k) {
  v1::SearchRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  request.mutable_query()->Add(query.begin(), query.end());
  request.mutable_params()->set_k(k);
  return request;
}

inline v1::SearchBatchRequest MakeSearchBatch(const std::string& collection,
                                              const std::string& tenant,
                                              const std::vector<std::vector<float>>& queries,
                                              int32_t k) {
  v1::SearchBatchRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  for (const std::vector<float>& query : queries) {
    request.add_queries()->mutable_values()->Add(query.begin(), query.end());
  }
  request.mutable_params()->set_k(k);
  return request;
}

inline v1::ShareRequest MakeShare(const std::string& collection, const std::string& tenant,
                                  const std::vector<uint64_t>& ids,
                                  const std::vector<std::string>& with_tenants) {
  v1::ShareRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  request.mutable_ids()->Add(ids.begin(), ids.end());
  for (const std::string& name : with_tenants) request.add_with_tenants(name);
  return request;
}

inline v1::UnshareRequest MakeUnshare(const std::string& collection, const std::string& tenant,
                                      const std::vector<uint64_t>& ids,
                                      const std::vector<std::string>& with_tenants) {
  v1::UnshareRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  request.mutable_ids()->Add(ids.begin(), ids.end());
  for (const std::string& name : with_tenants) request.add_with_tenants(name);
  return request;
}

inline v1::CountRequest MakeCount(const std::string& collection, const std::string& tenant) {
  v1::CountRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  return request;
}

inline v1::ListRequest MakeList(const std::string& collection, const std::string& tenant,
                                uint32_t page_size = 0, const std::string& page_token = "") {
  v1::ListRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  request.set_page_size(page_size);
  request.set_page_token(page_token);
  return request;
}

// Makes the data calls of VectorService in process: authorises with CollectionForData, then
// calls the Collection, with no deadline.
class DataCalls {
 public:
  explicit DataCalls(const Database* database) : database_(database) {}

  absl::StatusOr<v1::UpsertResponse> Call(const Principal& principal,
                                          const v1::UpsertRequest& request) const {
    auto collection = Route(principal, request);
    if (!collection.ok()) return collection.status();
    return (*collection)->Upsert(request.tenant(), request, absl::InfiniteFuture());
  }

  absl::StatusOr<v1::DeleteResponse> Call(const Principal& principal,
                                          const v1::DeleteRequest& request) const {
    auto collection = Route(principal, request);
    if (!collection.ok()) return collection.status();
    return (*collection)->Delete(request.tenant(), request, absl::InfiniteFuture());
  }

  absl::StatusOr<v1::GetResponse> Call(const Principal& principal,
                                       const v1::GetRequest& request) const {
    auto collection = Route(principal, request);
    if (!collection.ok()) return collection.status();
    return (*collection)->Get(request.tenant(), request);
  }

  absl::StatusOr<v1::SearchResponse> Call(const Principal& principal,
                                          const v1::SearchRequest& request) const {
    auto collection = Route(principal, request);
    if (!collection.ok()) return collection.status();
    return (*collection)->Search(request.tenant(), request);
  }

  absl::StatusOr<v1::SearchBatchResponse> Call(const Principal& principal,
                                               const v1::SearchBatchRequest& request) const {
    auto collection = Route(principal, request);
    if (!collection.ok()) return collection.status();
    return (*collection)->SearchBatch(request.tenant(), request, absl::InfiniteFuture());
  }

  absl::StatusOr<v1::ShareResponse> Call(const Principal& principal,
                                         const v1::ShareRequest& request) const {
    auto collection = Route(principal, request);
    if (!collection.ok()) return collection.status();
    return (*collection)->Share(request.tenant(), request, absl::InfiniteFuture());
  }

  absl::StatusOr<v1::UnshareResponse> Call(const Principal& principal,
                                           const v1::UnshareRequest& request) const {
    auto collection = Route(principal, request);
    if (!collection.ok()) return collection.status();
    return (*collection)->Unshare(request.tenant(), request, absl::InfiniteFuture());
  }

  absl::StatusOr<v1::CountResponse> Call(const Principal& principal,
                                         const v1::CountRequest& request) const {
    auto collection = Route(principal, request);
    if (!collection.ok()) return collection.status();
    return (*collection)->Count(request.tenant());
  }

  absl::StatusOr<v1::ListResponse> Call(const Principal& principal,
                                        const v1::ListRequest& request) const {
    auto collection = Route(principal, request);
    if (!collection.ok()) return collection.status();
    return (*collection)->List(request.tenant(), request);
  }

 private:
  template <typename Request>
  absl::StatusOr<std::shared_ptr<Collection>> Route(const Principal& principal,
                                                    const Request& request) const {
    return database_->CollectionForData(principal, request.collection(), request.tenant());
  }

  const Database* database_;
};

// A fresh directory under the test temporary directory, named after the running test and
// removed by the destructor. The name includes the process id unless `per_process` is false.
// A death test passes false, so that the parent removes what its child process left behind.
class ScopedTempDir {
 public:
  explicit ScopedTempDir(bool per_process = true) {
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = absl::StrCat("arbor_", test->test_suite_name(), "_", test->name());
    if (per_process) absl::StrAppend(&name, "_", getpid());
    std::replace(name.begin(), name.end(), '/', '_');  // parameterized tests have '/' in names
    path_ = ::testing::TempDir() + name;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScopedTempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace arbor::server::test_support

// Raw gRPC access to arbord for integration tests: channels with the API's 64 MiB message
// limit, calls with a bearer key and a deadline, and short helpers for common requests.
//
// The helpers return the grpc::Status so that tests can assert on failures as well as
// successes. ArborClient is thread-safe: gRPC stubs may be shared between threads.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "arbor/v1/admin.grpc.pb.h"
#include "arbor/v1/vector.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"

namespace arbor::integration {

// The maximum message size of the API, in both directions.
inline constexpr int kMaxMessageBytes = 64 << 20;

inline constexpr std::chrono::milliseconds kDefaultCallTimeout{std::chrono::seconds(30)};

// A channel to `address` ("127.0.0.1:PORT") with the 64 MiB send and receive limits. Each call
// returns a new channel, so each has its own connection.
std::shared_ptr<grpc::Channel> Connect(const std::string& address);

// Adds "authorization: Bearer <key>" (unless `key` is empty) and a deadline `timeout` from now.
void PrepareContext(grpc::ClientContext* context, const std::string& key,
                    std::chrono::microseconds timeout);

// Formats a status as "code N: 'message'" for assertion output.
std::string Describe(const grpc::Status& status);

// Passes when `status` is OK and prints its code and message otherwise.
::testing::AssertionResult IsOk(const grpc::Status& status);

// Passes when `status` has `code` and its message contains `fragment`.
::testing::AssertionResult HasStatus(const grpc::Status& status, grpc::StatusCode code,
                                     const std::string& fragment = "");

// A vector as written: id and values.
struct TestVector {
  uint64_t id = 0;
  std::vector<float> values;
};

class ArborClient {
 public:
  ArborClient(const std::string& address, std::string key);

  const std::string& key() const { return key_; }
  v1::AdminService::Stub& admin() { return *admin_; }
  v1::VectorService::Stub& vectors() { return *vectors_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  // Calls a unary method of either stub with this client's key and a deadline `timeout` from
  // now, e.g. Call(&v1::VectorService::Stub::Count, request, &response).
  template <typename Stub, typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response,
                    std::chrono::microseconds timeout = kDefaultCallTimeout) {
    grpc::ClientContext context;
    PrepareContext(&context, key_, timeout);
    return (StubFor<Stub>().*method)(&context, request, response);
  }

  // grpc.health.v1.Health/Check without a key.
  grpc::Status CheckHealth(const std::string& service,
                           grpc::health::v1::HealthCheckResponse* response);

  // Admin calls.
  grpc::Status CreateCollection(const std::string& name, uint32_t dimension, v1::Metric metric,
                                v1::CollectionInfo* info = nullptr);
  grpc::Status DescribeCollection(const std::string& name, v1::CollectionInfo* info);
  grpc::Status CreateTenant(const std::string& collection, const std::string& tenant,
                            v1::TenantInfo* info = nullptr);
  grpc::Status DropTenant(const std::string& collection, const std::string& tenant);
  // Creates a tenant key and returns its secret in `key` and its id in `key_id`.
  grpc::Status CreateKey(const std::string& collection, const std::string& tenant,
                         std::string* key, std::string* key_id = nullptr);
  grpc::Status RevokeKey(const std::string& collection, const std::string& key_id);
  // Every tenant of the collection, following next_page_token.
  grpc::Status ListAllTenants(const std::string& collection, uint32_t page_size,
                              std::vector<v1::TenantInfo>* tenants);

  // Data calls, acting as `tenant` of `collection`.
  grpc::Status Upsert(const std::string& collection, const std::string& tenant,
                      const std::vector<TestVector>& vectors,
                      v1::UpsertResponse* response = nullptr,
                      std::chrono::microseconds timeout = kDefaultCallTimeout);
  grpc::Status Delete(const std::string& collection, const std::string& tenant,
                      const std::vector<uint64_t>& ids, uint64_t* deleted_count = nullptr);
  grpc::Status Get(const std::string& collection, const std::string& tenant,
                   const std::vector<uint64_t>& ids, const std::string& owner,
                   v1::GetResponse* response);
  grpc::Status Search(const std::string& collection, const std::string& tenant,
                      const std::vector<float>& query, int32_t k, v1::SearchResponse* response);
  grpc::Status SearchBatch(const std::string& collection, const std::string& tenant,
                           const std::vector<std::vector<float>>& queries, int32_t k,
                           v1::SearchBatchResponse* response,
                           std::chrono::microseconds timeout = kDefaultCallTimeout);
  grpc::Status Share(const std::string& collection, const std::string& tenant,
                     const std::vector<uint64_t>& ids, const std::vector<std::string>& with,
                     uint64_t* granted_count = nullptr);
  grpc::Status Unshare(const std::string& collection, const std::string& tenant,
                       const std::vector<uint64_t>& ids, const std::vector<std::string>& with,
                       uint64_t* revoked_count = nullptr);
  grpc::Status Count(const std::string& collection, const std::string& tenant, uint64_t* count);
  // Every (owner, id) the tenant may read, following next_page_token.
  grpc::Status ListAll(const std::string& collection, const std::string& tenant,
                       uint32_t page_size, std::vector<std::pair<std::string, uint64_t>>* refs);

 private:
  template <typename Stub>
  Stub& StubFor();

  std::string key_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  std::unique_ptr<v1::VectorService::Stub> vectors_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

template <>
inline v1::AdminService::Stub& ArborClient::StubFor<v1::AdminService::Stub>() {
  return *admin_;
}
template <>
inline v1::VectorService::Stub& ArborClient::StubFor<v1::VectorService::Stub>() {
  return *vectors_;
}
template <>
inline grpc::health::v1::Health::Stub& ArborClient::StubFor<grpc::health::v1::Health::Stub>() {
  return *health_;
}

}  // namespace arbor::integration

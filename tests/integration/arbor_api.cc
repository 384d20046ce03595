#include "tests/integration/arbor_api.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace arbor::integration {
namespace {

// A status made up by the test client (not sent by arbord) for a paging loop that would never
// end.
grpc::Status RepeatedToken(const std::string& method) {
  return grpc::Status(grpc::StatusCode::INTERNAL,
                      absl::StrCat(method, " returned the page token it was sent; stopped paging"));
}

}  // namespace

std::shared_ptr<grpc::Channel> Connect(const std::string& address) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxSendMessageSize(kMaxMessageBytes);
  arguments.SetMaxReceiveMessageSize(kMaxMessageBytes);
  // Without this, channels with equal arguments share one connection, and a test that means to
  // use separate connections would not.
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
}

void PrepareContext(grpc::ClientContext* context, const std::string& key,
                    std::chrono::microseconds timeout) {
  if (!key.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", key));
  context->set_deadline(std::chrono::system_clock::now() + timeout);
}

std::string Describe(const grpc::Status& status) {
  return absl::StrCat("code ", static_cast<int>(status.error_code()), ": '",
                      status.error_message(), "'");
}

::testing::AssertionResult IsOk(const grpc::Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected OK, got " << Describe(status);
}

::testing::AssertionResult HasStatus(const grpc::Status& status, grpc::StatusCode code,
                                     const std::string& fragment) {
  if (status.error_code() != code) {
    return ::testing::AssertionFailure()
           << "expected code " << static_cast<int>(code) << ", got " << Describe(status);
  }
  if (!absl::StrContains(status.error_message(), fragment)) {
    return ::testing::AssertionFailure() << "expected a message containing '" << fragment
                                         << "', got " << Describe(status);
  }
  return ::testing::AssertionSuccess();
}

ArborClient::ArborClient(const std::string& address, std::string key)
    : key_(std::move(key)),
      channel_(Connect(address)),
      admin_(v1::AdminService::NewStub(channel_)),
      vectors_(v1::VectorService::NewStub(channel_)),
      health_(grpc::health::v1::Health::NewStub(channel_)) {}

grpc::Status ArborClient::CheckHealth(const std::string& service,
                                      grpc::health::v1::HealthCheckResponse* response) {
  grpc::ClientContext context;
  PrepareContext(&context, /*key=*/"", kDefaultCallTimeout);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  return health_->Check(&context, request, response);
}

grpc::Status ArborClient::CreateCollection(const std::string& name, uint32_t dimension,
                                           v1::Metric metric, v1::CollectionInfo* info) {
  v1::CreateCollectionRequest request;
  request.set_name(name);
  request.set_dimension(dimension);
  request.set_metric(metric);
  v1::CollectionInfo ignored;
  return Call(&v1::AdminService::Stub::CreateCollection, request,
              info != nullptr ? info : &ignored);
}

grpc::Status ArborClient::DescribeCollection(const std::string& name, v1::CollectionInfo* info) {
  v1::DescribeCollectionRequest request;
  request.set_name(name);
  return Call(&v1::AdminService::Stub::DescribeCollection, request, info);
}

grpc::Status ArborClient::CreateTenant(const std::string& collection, const std::string& tenant,
                                       v1::TenantInfo* info) {
  v1::CreateTenantRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  v1::TenantInfo ignored;
  return Call(&v1::AdminService::Stub::CreateTenant, request, info != nullptr ? info : &ignored);
}

grpc::Status ArborClient::DropTenant(const std::string& collection, const std::string& tenant) {
  v1::DropTenantRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  v1::DropTenantResponse response;
  return Call(&v1::AdminService::Stub::DropTenant, request, &response);
}

grpc::Status ArborClient::CreateKey(const std::string& collection, const std::string& tenant,
                                    std::string* key, std::string* key_id) {
  v1::CreateKeyRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  v1::CreateKeyResponse response;
  grpc::Status status = Call(&v1::AdminService::Stub::CreateKey, request, &response);
  if (key != nullptr) *key = response.key();
  if (key_id != nullptr) *key_id = response.key_id();
  return status;
}

grpc::Status ArborClient::RevokeKey(const std::string& collection, const std::string& key_id) {
  v1::RevokeKeyRequest request;
  request.set_collection(collection);
  request.set_key_id(key_id);
  v1::RevokeKeyResponse response;
  return Call(&v1::AdminService::Stub::RevokeKey, request, &response);
}

grpc::Status ArborClient::ListAllTenants(const std::string& collection, uint32_t page_size,
                                         std::vector<v1::TenantInfo>* tenants) {
  tenants->clear();
  v1::ListTenantsRequest request;
  request.set_collection(collection);
  request.set_page_size(page_size);
  while (true) {
    v1::ListTenantsResponse response;
    grpc::Status status = Call(&v1::AdminService::Stub::ListTenants, request, &response);
    if (!status.ok()) return status;
    tenants->insert(tenants->end(), response.tenants().begin(), response.tenants().end());
    if (response.next_page_token().empty()) return status;
    if (response.next_page_token() == request.page_token()) return RepeatedToken("ListTenants");
    request.set_page_token(response.next_page_token());
  }
}

grpc::Status ArborClient::Upsert(const std::string& collection, const std::string& tenant,
                                 const std::vector<TestVector>& vectors,
                                 v1::UpsertResponse* response,
                                 std::chrono::microseconds timeout) {
  v1::UpsertRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  for (const TestVector& vector : vectors) {
    v1::Vector* added = request.add_vectors();
    added->set_id(vector.id);
    added->mutable_values()->Add(vector.values.begin(), vector.values.end());
  }
  v1::UpsertResponse ignored;
  return Call(&v1::VectorService::Stub::Upsert, request,
              response != nullptr ? response : &ignored, timeout);
}

grpc::Status ArborClient::Delete(const std::string& collection, const std::string& tenant,
                                 const std::vector<uint64_t>& ids, uint64_t* deleted_count) {
  v1::DeleteRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  request.mutable_ids()->Add(ids.begin(), ids.end());
  v1::DeleteResponse response;
  grpc::Status status = Call(&v1::VectorService::Stub::Delete, request, &response);
  if (deleted_count != nullptr) *deleted_count = response.deleted_count();
  return status;
}

grpc::Status ArborClient::Get(const std::string& collection, const std::string& tenant,
                              const std::vector<uint64_t>& ids, const std::string& owner,
                              v1::GetResponse* response) {
  v1::GetRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  request.mutable_ids()->Add(ids.begin(), ids.end());
  request.set_owner(owner);
  return Call(&v1::VectorService::Stub::Get, request, response);
}

grpc::Status ArborClient::Search(const std::string& collection, const std::string& tenant,
                                 const std::vector<float>& query, int32_t k,
                                 v1::SearchResponse* response) {
  v1::SearchRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  request.mutable_query()->Add(query.begin(), query.end());
  request.mutable_params()->set_k(k);
  return Call(&v1::VectorService::Stub::Search, request, response);
}

grpc::Status ArborClient::SearchBatch(const std::string& collection, const std::string& tenant,
                                      const std::vector<std::vector<float>>& queries, int32_t k,
                                      v1::SearchBatchResponse* response,
                                      std::chrono::microseconds timeout) {
  v1::SearchBatchRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  for (const std::vector<float>& query : queries) {
    request.add_queries()->mutable_values()->Add(query.begin(), query.end());
  }
  request.mutable_params()->set_k(k);
  return Call(&v1::VectorService::Stub::SearchBatch, request, response, timeout);
}

grpc::Status ArborClient::Share(const std::string& collection, const std::string& tenant,
                                const std::vector<uint64_t>& ids,
                                const std::vector<std::string>& with, uint64_t* granted_count) {
  v1::ShareRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  request.mutable_ids()->Add(ids.begin(), ids.end());
  for (const std::string& name : with) request.add_with_tenants(name);
  v1::ShareResponse response;
  grpc::Status status = Call(&v1::VectorService::Stub::Share, request, &response);
  if (granted_count != nullptr) *granted_count = response.granted_count();
  return status;
}

grpc::Status ArborClient::Unshare(const std::string& collection, const std::string& tenant,
                                  const std::vector<uint64_t>& ids,
                                  const std::vector<std::string>& with, uint64_t* revoked_count) {
  v1::UnshareRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  request.mutable_ids()->Add(ids.begin(), ids.end());
  for (const std::string& name : with) request.add_with_tenants(name);
  v1::UnshareResponse response;
  grpc::Status status = Call(&v1::VectorService::Stub::Unshare, request, &response);
  if (revoked_count != nullptr) *revoked_count = response.revoked_count();
  return status;
}

grpc::Status ArborClient::Count(const std::string& collection, const std::string& tenant,
                                uint64_t* count) {
  v1::CountRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  v1::CountResponse response;
  grpc::Status status = Call(&v1::VectorService::Stub::Count, request, &response);
  *count = response.count();
  return status;
}

grpc::Status ArborClient::ListAll(const std::string& collection, const std::string& tenant,
                                  uint32_t page_size,
                                  std::vector<std::pair<std::string, uint64_t>>* refs) {
  refs->clear();
  v1::ListRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  request.set_page_size(page_size);
  while (true) {
    v1::ListResponse response;
    grpc::Status status = Call(&v1::VectorService::Stub::List, request, &response);
    if (!status.ok()) return status;
    for (const v1::VectorRef& ref : response.vectors()) refs->emplace_back(ref.owner(), ref.id());
    if (response.next_page_token().empty()) return status;
    if (response.next_page_token() == request.page_token()) return RepeatedToken("List");
    request.set_page_token(response.next_page_token());
  }
}

}  // namespace arbor::integration

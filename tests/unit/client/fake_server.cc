#include "tests/unit/client/fake_server.h"

#include <arpa/inet.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "arbor/v1/admin.grpc.pb.h"
#include "arbor/v1/vector.grpc.pb.h"

namespace arbor::client::testing {

// Tenants per ListTenants page, small so that tests exercise paging.
constexpr size_t kTenantPageSize = 2;

constexpr int64_t kCreatedUnixMs = 1700000000000;

struct FakeArborServer::State {
  std::mutex mutex;
  std::string admin_key;
  std::optional<grpc::Status> failure;
  std::map<std::string, v1::CollectionInfo> collections;
  std::map<std::string, std::set<std::string>> tenants;
  std::map<std::pair<std::string, std::string>, uint64_t> counts;
  std::vector<v1::KeyInfo> keys;
  RecordedRequests recorded;

  // Records the authorization header and checks it. Call with the mutex held.
  grpc::Status Authorize(grpc::ServerContext* context) {
    std::string header;
    auto found = context->client_metadata().find("authorization");
    if (found != context->client_metadata().end()) {
      header.assign(found->second.data(), found->second.size());
    }
    recorded.authorization_headers.push_back(header);
    if (failure.has_value()) {
      return *failure;
    }
    if (header != "Bearer " + admin_key) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "missing or invalid key");
    }
    return grpc::Status::OK;
  }

  grpc::Status CheckTenant(const std::string& collection, const std::string& tenant) {
    if (collections.count(collection) == 0) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "collection " + collection + " not found");
    }
    if (tenants[collection].count(tenant) == 0) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "tenant " + tenant + " not found");
    }
    return grpc::Status::OK;
  }
};

namespace {

using State = FakeArborServer::State;

class FakeAdminService final : public v1::AdminService::Service {
 public:
  explicit FakeAdminService(std::shared_ptr<State> state) : state_(std::move(state)) {}

  grpc::Status CreateCollection(grpc::ServerContext* context,
                                const v1::CreateCollectionRequest* request,
                                v1::CollectionInfo* response) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    grpc::Status status = state_->Authorize(context);
    if (!status.ok()) return status;
    if (state_->collections.count(request->name()) > 0) {
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                          "collection " + request->name() + " already exists");
    }
    response->set_name(request->name());
    response->set_dimension(request->dimension());
    response->set_metric(request->metric());
    response->set_created_unix_ms(kCreatedUnixMs);
    state_->collections[request->name()] = *response;
    return grpc::Status::OK;
  }

  grpc::Status DropCollection(grpc::ServerContext* context,
                              const v1::DropCollectionRequest* request,
                              v1::DropCollectionResponse*) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    grpc::Status status = state_->Authorize(context);
    if (!status.ok()) return status;
    if (state_->collections.erase(request->name()) == 0) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "collection " + request->name() + " not found");
    }
    return grpc::Status::OK;
  }

  grpc::Status ListCollections(grpc::ServerContext* context, const v1::ListCollectionsRequest*,
                               v1::ListCollectionsResponse* response) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    grpc::Status status = state_->Authorize(context);
    if (!status.ok()) return status;
    for (const auto& [name, info] : state_->collections) {
      *response->add_collections() = info;
    }
    return grpc::Status::OK;
  }

  grpc::Status DescribeCollection(grpc::ServerContext* context,
                                  const v1::DescribeCollectionRequest* request,
                                  v1::CollectionInfo* response) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    grpc::Status status = state_->Authorize(context);
    if (!status.ok()) return status;
    auto found = state_->collections.find(request->name());
    if (found == state_->collections.end()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "collection " + request->name() + " not found");
    }
    *response = found->second;
    return grpc::Status::OK;
  }

  grpc::Status CreateTenant(grpc::ServerContext* context, const v1::CreateTenantRequest* request,
                            v1::TenantInfo* response) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->recorded.create_tenants.push_back(*request);
    grpc::Status status = state_->Authorize(context);
    if (!status.ok()) return status;
    if (state_->collections.count(request->collection()) == 0) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "collection " + request->collection() + " not found");
    }
    if (!state_->tenants[request->collection()].insert(request->tenant()).second) {
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                          "tenant " + request->tenant() + " already exists");
    }
    response->set_collection(request->collection());
    response->set_name(request->tenant());
    response->set_created_unix_ms(kCreatedUnixMs);
    return grpc::Status::OK;
  }

  grpc::Status DropTenant(grpc::ServerContext* context, const v1::DropTenantRequest* request,
                          v1::DropTenantResponse*) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    grpc::Status status = state_->Authorize(context);
    if (!status.ok()) return status;
    status = state_->CheckTenant(request->collection(), request->tenant());
    if (!status.ok()) return status;
    state_->tenants[request->collection()].erase(request->tenant());
    return grpc::Status::OK;
  }

  // Pages hold kTenantPageSize tenants; the page token is the name of the next tenant.
  grpc::Status ListTenants(grpc::ServerContext* context, const v1::ListTenantsRequest* request,
                           v1::ListTenantsResponse* response) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->recorded.list_tenants.push_back(*request);
    grpc::Status status = state_->Authorize(context);
    if (!status.ok()) return status;
    const std::set<std::string>& names = state_->tenants[request->collection()];
    auto it = names.lower_bound(request->page_token());
    for (size_t i = 0; i < kTenantPageSize && it != names.end(); ++i, ++it) {
      v1::TenantInfo* info = response->add_tenants();
      info->set_collection(request->collection());
      info->set_name(*it);
      info->set_owned_count(state_->counts[{request->collection(), *it}]);
      info->set_readable_count(info->owned_count());
      info->set_created_unix_ms(kCreatedUnixMs);
    }
    if (it != names.end()) {
      response->set_next_page_token(*it);
    }
    return grpc::Status::OK;
  }

  grpc::Status CreateKey(grpc::ServerContext* context, const v1::CreateKeyRequest* request,
                         v1::CreateKeyResponse* response) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    grpc::Status status = state_->Authorize(context);
    if (!status.ok()) return status;
    status = state_->CheckTenant(request->collection(), request->tenant());
    if (!status.ok()) return status;
    std::string number = std::to_string(state_->keys.size() + 1);
    v1::KeyInfo info;
    info.set_key_id("key-" + number);
    info.set_collection(request->collection());
    info.set_tenant(request->tenant());
    info.set_created_unix_ms(kCreatedUnixMs);
    state_->keys.push_back(info);
    response->set_key_id(info.key_id());
    response->set_key("secret-" + number);
    return grpc::Status::OK;
  }

  grpc::Status ListKeys(grpc::ServerContext* context, const v1::ListKeysRequest* request,
                        v1::ListKeysResponse* response) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    grpc::Status status = state_->Authorize(context);
    if (!status.ok()) return status;
    for (const v1::KeyInfo& info : state_->keys) {
      if (info.collection() == request->collection() &&
          (request->tenant().empty() || info.tenant() == request->tenant())) {
        *response->add_keys() = info;
      }
    }
    return grpc::Status::OK;
  }

  grpc::Status RevokeKey(grpc::ServerContext* context, const v1::RevokeKeyRequest*,
                         v1::RevokeKeyResponse*) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->Authorize(context);
  }

 private:
  std::shared_ptr<State> state_;
};

class FakeVectorService final : public v1::VectorService::Service {
 public:
  explicit FakeVectorService(std::shared_ptr<State> state) : state_(std::move(state)) {}

  grpc::Status Upsert(grpc::ServerContext* context, const v1::UpsertRequest* request,
                      v1::UpsertResponse* response) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->recorded.upserts.push_back(*request);
    grpc::Status status = state_->Authorize(context);
    if (!status.ok()) return status;
    status = state_->CheckTenant(request->collection(), request->tenant());
    if (!status.ok()) return status;
    uint32_t dimension = state_->collections[request->collection()].dimension();
    for (const v1::Vector& vector : request->vectors()) {
      if (static_cast<uint32_t>(vector.values_size()) != dimension) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "vector " + std::to_string(vector.id()) + " has dimension " +
                                std::to_string(vector.values_size()) + ", expected " +
                                std::to_string(dimension));
      }
    }
    state_->counts[{request->collection(), request->tenant()}] += request->vectors_size();
    response->set_inserted_count(request->vectors_size());
    return grpc::Status::OK;
  }

  grpc::Status Delete(grpc::ServerContext* context, const v1::DeleteRequest* request,
                      v1::DeleteResponse* response) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    grpc::Status status = state_->Authorize(context);
    if (!status.ok()) return status;
    response->set_deleted_count(request->ids_size());
    return grpc::Status::OK;
  }

  // Returns a record for every id, with values {id, id + 0.5}.
  grpc::Status Get(grpc::ServerContext* context, const v1::GetRequest* request,
                   v1::GetResponse* response) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->recorded.gets.push_back(*request);
    grpc::Status status = state_->Authorize(context);
    if (!status.ok()) return status;
    for (uint64_t id : request->ids()) {
      v1::Record* record = response->add_records();
      record->set_owner(request->owner().empty() ? request->tenant() : request->owner());
      record->set_id(id);
      record->add_values(static_cast<float>(id));
      record->add_values(static_cast<float>(id) + 0.5f);
      record->add_shared_with("reader\"1");
    }
    return grpc::Status::OK;
  }

  // Returns k hits with ids 0..k-1 and scores 0.5 * id.
  grpc::Status Search(grpc::ServerContext* context, const v1::SearchRequest* request,
                      v1::SearchResponse* response) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->recorded.searches.push_back(*request);
    grpc::Status status = state_->Authorize(context);
    if (!status.ok()) return status;
    for (uint32_t i = 0; i < static_cast<uint32_t>(request->params().k()); ++i) {
      v1::Hit* hit = response->add_hits();
      hit->set_owner(request->tenant());
      hit->set_id(i);
      hit->set_score(0.5f * static_cast<float>(i));
    }
    return grpc::Status::OK;
  }

  // For each query returns one hit whose id is the query's first value, so tests can check
  // that results stay in query order.
  grpc::Status SearchBatch(grpc::ServerContext* context, const v1::SearchBatchRequest* request,
                           v1::SearchBatchResponse* response) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->recorded.search_batches.push_back(*request);
    grpc::Status status = state_->Authorize(context);
    if (!status.ok()) return status;
    for (const v1::Query& query : request->queries()) {
      v1::Hit* hit = response->add_results()->add_hits();
      hit->set_owner(request->tenant());
      hit->set_id(query.values_size() > 0 ? static_cast<uint64_t>(query.values(0)) : 0);
      hit->set_score(1.25f);
    }
    return grpc::Status::OK;
  }

  grpc::Status Share(grpc::ServerContext* context, const v1::ShareRequest* request,
                     v1::ShareResponse* response) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->recorded.shares.push_back(*request);
    grpc::Status status = state_->Authorize(context);
    if (!status.ok()) return status;
    response->set_granted_count(request->ids_size() * request->with_tenants_size());
    return grpc::Status::OK;
  }

  grpc::Status Unshare(grpc::ServerContext* context, const v1::UnshareRequest* request,
                       v1::UnshareResponse* response) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    grpc::Status status = state_->Authorize(context);
    if (!status.ok()) return status;
    response->set_revoked_count(request->ids_size() * request->with_tenants_size());
    return grpc::Status::OK;
  }

  grpc::Status Count(grpc::ServerContext* context, const v1::CountRequest* request,
                     v1::CountResponse* response) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    grpc::Status status = state_->Authorize(context);
    if (!status.ok()) return status;
    status = state_->CheckTenant(request->collection(), request->tenant());
    if (!status.ok()) return status;
    response->set_count(state_->counts[{request->collection(), request->tenant()}]);
    return grpc::Status::OK;
  }

  grpc::Status List(grpc::ServerContext* context, const v1::ListRequest*,
                    v1::ListResponse*) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->Authorize(context);
  }

 private:
  std::shared_ptr<State> state_;
};

}  // namespace

FakeArborServer::FakeArborServer(std::string admin_key) : state_(std::make_shared<State>()) {
  state_->admin_key = std::move(admin_key);
  admin_service_ = std::make_unique<FakeAdminService>(state_);
  vector_service_ = std::make_unique<FakeVectorService>(state_);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(admin_service_.get());
  builder.RegisterService(vector_service_.get());
  server_ = builder.BuildAndStart();
  SetServing(true);
}

FakeArborServer::~FakeArborServer() { server_->Shutdown(); }

std::string FakeArborServer::address() const { return "127.0.0.1:" + std::to_string(port_); }

void FakeArborServer::SetServing(bool serving) {
  server_->GetHealthCheckService()->SetServingStatus(serving);
}

void FakeArborServer::SetFailure(std::optional<grpc::Status> status) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->failure = std::move(status);
}

RecordedRequests FakeArborServer::recorded() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->recorded;
}

int UnusedLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

}  // namespace arbor::client::testing

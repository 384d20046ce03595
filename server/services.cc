#include "server/services.h"

#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace arbor::server {
namespace {

absl::StatusOr<Principal> Authenticate(const Database& database, grpc::ServerContext* context) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return database.Authenticate(std::nullopt);
  return database.Authenticate(absl::string_view(it->second.data(), it->second.size()));
}

absl::Time Deadline(grpc::ServerContext* context) {
  return absl::FromChrono(context->deadline());
}

grpc::Status Recovering() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "arbord is starting and still recovering its state from disk; retry "
                      "shortly (the health service reports SERVING once it is ready)");
}

// Runs `call(database, principal)` after authentication and stores an OK result in `response`.
template <typename Response, typename Call>
grpc::Status Serve(const DatabaseSlot& slot, grpc::ServerContext* context, Response* response,
                   Call&& call) {
  Database* database = slot.Get();
  if (database == nullptr) return Recovering();
  auto principal = Authenticate(*database, context);
  if (!principal.ok()) return ToGrpc(principal.status());

  absl::StatusOr<Response> result = call(*database, *principal);
  if (!result.ok()) return ToGrpc(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

// The same for calls whose response is empty.
template <typename Response, typename Call>
grpc::Status ServeEmpty(const DatabaseSlot& slot, grpc::ServerContext* context, Response*,
                        Call&& call) {
  Database* database = slot.Get();
  if (database == nullptr) return Recovering();
  auto principal = Authenticate(*database, context);
  if (!principal.ok()) return ToGrpc(principal.status());
  return ToGrpc(call(*database, *principal));
}

// Authorises a data call and passes the collection to `call`.
template <typename Request, typename Response, typename Call>
grpc::Status ServeData(const DatabaseSlot& slot, grpc::ServerContext* context,
                       const Request& request, Response* response, Call&& call) {
  return Serve(slot, context, response,
               [&](Database& database, const Principal& principal) -> absl::StatusOr<Response> {
                 auto collection = database.CollectionForData(principal, request.collection(),
                                                              request.tenant());
                 if (!collection.ok()) return collection.status();
                 return call(**collection);
               });
}

}  // namespace

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode share their numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

grpc::Status AdminServiceImpl::CreateCollection(grpc::ServerContext* context,
                                                const v1::CreateCollectionRequest* request,
                                                v1::CollectionInfo* response) {
  return Serve(*database_slot_, context, response, [&](Database& database, const Principal& p) {
    return database.CreateCollection(p, *request);
  });
}

grpc::Status AdminServiceImpl::DropCollection(grpc::ServerContext* context,
                                              const v1::DropCollectionRequest* request,
                                              v1::DropCollectionResponse* response) {
  return ServeEmpty(*database_slot_, context, response, [&](Database& database, const Principal& p) {
    return database.DropCollection(p, *request);
  });
}

grpc::Status AdminServiceImpl::ListCollections(grpc::ServerContext* context,
                                               const v1::ListCollectionsRequest*,
                                               v1::ListCollectionsResponse* response) {
  return Serve(*database_slot_, context, response,
               [&](Database& database, const Principal& p) { return database.ListCollections(p); });
}

grpc::Status AdminServiceImpl::DescribeCollection(grpc::ServerContext* context,
                                                  const v1::DescribeCollectionRequest* request,
                                                  v1::CollectionInfo* response) {
  return Serve(*database_slot_, context, response, [&](Database& database, const Principal& p) {
    return database.DescribeCollection(p, *request);
  });
}

grpc::Status AdminServiceImpl::CreateTenant(grpc::ServerContext* context,
                                            const v1::CreateTenantRequest* request,
                                            v1::TenantInfo* response) {
  return Serve(*database_slot_, context, response,
               [&](Database& database, const Principal& p) { return database.CreateTenant(p, *request); });
}

grpc::Status AdminServiceImpl::DropTenant(grpc::ServerContext* context,
                                          const v1::DropTenantRequest* request,
                                          v1::DropTenantResponse* response) {
  return ServeEmpty(*database_slot_, context, response,
                    [&](Database& database, const Principal& p) { return database.DropTenant(p, *request); });
}

grpc::Status AdminServiceImpl::ListTenants(grpc::ServerContext* context,
                                           const v1::ListTenantsRequest* request,
                                           v1::ListTenantsResponse* response) {
  return Serve(*database_slot_, context, response,
               [&](Database& database, const Principal& p) { return database.ListTenants(p, *request); });
}

grpc::Status AdminServiceImpl::CreateKey(grpc::ServerContext* context,
                                         const v1::CreateKeyRequest* request,
                                         v1::CreateKeyResponse* response) {
  return Serve(*database_slot_, context, response,
               [&](Database& database, const Principal& p) { return database.CreateKey(p, *request); });
}

grpc::Status AdminServiceImpl::ListKeys(grpc::ServerContext* context,
                                        const v1::ListKeysRequest* request,
                                        v1::ListKeysResponse* response) {
  return Serve(*database_slot_, context, response,
               [&](Database& database, const Principal& p) { return database.ListKeys(p, *request); });
}

grpc::Status AdminServiceImpl::RevokeKey(grpc::ServerContext* context,
                                         const v1::RevokeKeyRequest* request,
                                         v1::RevokeKeyResponse* response) {
  return ServeEmpty(*database_slot_, context, response,
                    [&](Database& database, const Principal& p) { return database.RevokeKey(p, *request); });
}

grpc::Status AdminServiceImpl::CreateBackup(grpc::ServerContext* context,
                                            const v1::CreateBackupRequest* request,
                                            v1::BackupInfo* response) {
  return Serve(*database_slot_, context, response, [&](Database& database, const Principal& p) {
    return database.CreateBackup(p, *request, Deadline(context));
  });
}

grpc::Status VectorServiceImpl::Upsert(grpc::ServerContext* context,
                                       const v1::UpsertRequest* request,
                                       v1::UpsertResponse* response) {
  return ServeData(*database_slot_, context, *request, response, [&](Collection& c) {
    return c.Upsert(request->tenant(), *request, Deadline(context));
  });
}

grpc::Status VectorServiceImpl::Delete(grpc::ServerContext* context,
                                       const v1::DeleteRequest* request,
                                       v1::DeleteResponse* response) {
  return ServeData(*database_slot_, context, *request, response, [&](Collection& c) {
    return c.Delete(request->tenant(), *request, Deadline(context));
  });
}

grpc::Status VectorServiceImpl::Get(grpc::ServerContext* context, const v1::GetRequest* request,
                                    v1::GetResponse* response) {
  return ServeData(*database_slot_, context, *request, response,
                   [&](Collection& c) { return c.Get(request->tenant(), *request); });
}

grpc::Status VectorServiceImpl::Search(grpc::ServerContext* context,
                                       const v1::SearchRequest* request,
                                       v1::SearchResponse* response) {
  return ServeData(*database_slot_, context, *request, response,
                   [&](Collection& c) { return c.Search(request->tenant(), *request); });
}

grpc::Status VectorServiceImpl::SearchBatch(grpc::ServerContext* context,
                                            const v1::SearchBatchRequest* request,
                                            v1::SearchBatchResponse* response) {
  return ServeData(*database_slot_, context, *request, response, [&](Collection& c) {
    return c.SearchBatch(request->tenant(), *request, Deadline(context));
  });
}

grpc::Status VectorServiceImpl::Share(grpc::ServerContext* context,
                                      const v1::ShareRequest* request,
                                      v1::ShareResponse* response) {
  return ServeData(*database_slot_, context, *request, response, [&](Collection& c) {
    return c.Share(request->tenant(), *request, Deadline(context));
  });
}

grpc::Status VectorServiceImpl::Unshare(grpc::ServerContext* context,
                                        const v1::UnshareRequest* request,
                                        v1::UnshareResponse* response) {
  return ServeData(*database_slot_, context, *request, response, [&](Collection& c) {
    return c.Unshare(request->tenant(), *request, Deadline(context));
  });
}

grpc::Status VectorServiceImpl::Count(grpc::ServerContext* context,
                                      const v1::CountRequest* request,
                                      v1::CountResponse* response) {
  return ServeData(*database_slot_, context, *request, response,
                   [&](Collection& c) { return c.Count(request->tenant()); });
}

grpc::Status VectorServiceImpl::List(grpc::ServerContext* context, const v1::ListRequest* request,
                                     v1::ListResponse* response) {
  return ServeData(*database_slot_, context, *request, response,
                   [&](Collection& c) { return c.List(request->tenant(), *request); });
}

}  // namespace arbor::server

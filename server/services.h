// gRPC adapters for AdminService and VectorService: they authenticate the request's bearer
// key, pass the request and its deadline to the Database, and map absl::Status codes one to one
// onto gRPC status codes. No database logic lives here.
//
// The services start before the database has been recovered, so that the health service can
// report NOT_SERVING meanwhile. Until the database is published, every call fails with
// UNAVAILABLE.
//
// Thread safety: the services hold only a DatabaseSlot, and the Database is thread-safe; gRPC
// calls their methods from many threads at once.
#pragma once

#include "arbor/v1/admin.grpc.pb.h"
#include "arbor/v1/vector.grpc.pb.h"
#include "server/database.h"

namespace arbor::server {

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  explicit AdminServiceImpl(const DatabaseSlot* database_slot) : database_slot_(database_slot) {}

  grpc::Status CreateCollection(grpc::ServerContext* context,
                                const v1::CreateCollectionRequest* request,
                                v1::CollectionInfo* response) override;
  grpc::Status DropCollection(grpc::ServerContext* context,
                              const v1::DropCollectionRequest* request,
                              v1::DropCollectionResponse* response) override;
  grpc::Status ListCollections(grpc::ServerContext* context,
                               const v1::ListCollectionsRequest* request,
                               v1::ListCollectionsResponse* response) override;
  grpc::Status DescribeCollection(grpc::ServerContext* context,
                                  const v1::DescribeCollectionRequest* request,
                                  v1::CollectionInfo* response) override;
  grpc::Status CreateTenant(grpc::ServerContext* context, const v1::CreateTenantRequest* request,
                            v1::TenantInfo* response) override;
  grpc::Status DropTenant(grpc::ServerContext* context, const v1::DropTenantRequest* request,
                          v1::DropTenantResponse* response) override;
  grpc::Status ListTenants(grpc::ServerContext* context, const v1::ListTenantsRequest* request,
                           v1::ListTenantsResponse* response) override;
  grpc::Status CreateKey(grpc::ServerContext* context, const v1::CreateKeyRequest* request,
                         v1::CreateKeyResponse* response) override;
  grpc::Status ListKeys(grpc::ServerContext* context, const v1::ListKeysRequest* request,
                        v1::ListKeysResponse* response) override;
  grpc::Status RevokeKey(grpc::ServerContext* context, const v1::RevokeKeyRequest* request,
                         v1::RevokeKeyResponse* response) override;
  grpc::Status CreateBackup(grpc::ServerContext* context, const v1::CreateBackupRequest* request,
                            v1::BackupInfo* response) override;

 private:
  const DatabaseSlot* const database_slot_;
};

class VectorServiceImpl final : public v1::VectorService::Service {
 public:
  explicit VectorServiceImpl(const DatabaseSlot* database_slot)
      : database_slot_(database_slot) {}

  grpc::Status Upsert(grpc::ServerContext* context, const v1::UpsertRequest* request,
                      v1::UpsertResponse* response) override;
  grpc::Status Delete(grpc::ServerContext* context, const v1::DeleteRequest* request,
                      v1::DeleteResponse* response) override;
  grpc::Status Get(grpc::ServerContext* context, const v1::GetRequest* request,
                   v1::GetResponse* response) override;
  grpc::Status Search(grpc::ServerContext* context, const v1::SearchRequest* request,
                      v1::SearchResponse* response) override;
  grpc::Status SearchBatch(grpc::ServerContext* context, const v1::SearchBatchRequest* request,
                           v1::SearchBatchResponse* response) override;
  grpc::Status Share(grpc::ServerContext* context, const v1::ShareRequest* request,
                     v1::ShareResponse* response) override;
  grpc::Status Unshare(grpc::ServerContext* context, const v1::UnshareRequest* request,
                       v1::UnshareResponse* response) override;
  grpc::Status Count(grpc::ServerContext* context, const v1::CountRequest* request,
                     v1::CountResponse* response) override;
  grpc::Status List(grpc::ServerContext* context, const v1::ListRequest* request,
                    v1::ListResponse* response) override;

 private:
  const DatabaseSlot* const database_slot_;
};

// Converts an absl::Status to the grpc::Status with the same code and message.
grpc::Status ToGrpc(const absl::Status& status);

}  // namespace arbor::server

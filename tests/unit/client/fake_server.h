// In-process gRPC server on 127.0.0.1 with fake AdminService and VectorService implementations
// and the standard health service, for testing the client and arborctl without arbord.
//
// The fakes keep just enough state for plausible responses (collections, tenants, per-tenant
// vector counts) and record every request, so tests can check what the client sent. Every call
// except health checks needs `authorization: Bearer <key>` with the key given to the constructor,
// else it fails with UNAUTHENTICATED.
//
// Thread safety: the recorded requests are guarded by a mutex, and the accessors return copies.

#ifndef ARBOR_TESTS_UNIT_CLIENT_FAKE_SERVER_H_
#define ARBOR_TESTS_UNIT_CLIENT_FAKE_SERVER_H_

#include <grpcpp/server.h>
#include <grpcpp/support/status.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arbor/v1/admin.pb.h"
#include "arbor/v1/vector.pb.h"

namespace arbor::client::testing {

// Requests received by the fake, in arrival order.
struct RecordedRequests {
  std::vector<std::string> authorization_headers;
  std::vector<v1::CreateTenantRequest> create_tenants;
  std::vector<v1::UpsertRequest> upserts;
  std::vector<v1::SearchRequest> searches;
  std::vector<v1::SearchBatchRequest> search_batches;
  std::vector<v1::ListTenantsRequest> list_tenants;
  std::vector<v1::ShareRequest> shares;
  std::vector<v1::GetRequest> gets;
};

class FakeArborServer {
 public:
  // Starts the server on a free loopback port.
  explicit FakeArborServer(std::string admin_key);
  ~FakeArborServer();

  // HOST:PORT to connect to.
  std::string address() const;

  // Sets the serving status that Health/Check returns for service "".
  void SetServing(bool serving);

  // Makes every later AdminService and VectorService call fail with `status`; nullopt restores
  // normal responses.
  void SetFailure(std::optional<grpc::Status> status);

  RecordedRequests recorded() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<grpc::Service> admin_service_;
  std::unique_ptr<grpc::Service> vector_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// Returns a loopback port that nothing listened on a moment ago.
int UnusedLoopbackPort();

}  // namespace arbor::client::testing

#endif  // ARBOR_TESTS_UNIT_CLIENT_FAKE_SERVER_H_

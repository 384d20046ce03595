// The real Arbor server (Database, AdminService, VectorService and the standard health service),
// run in-process on a free 127.0.0.1 port for testing the client and arborctl end to end.
//
// Each RealTestServer has its own data directory under the system temp dir, removed when the
// server is destroyed. The database runs with sync=false: the tests never crash the process, so
// fsync would only slow them down.
//
// Thread safety: address() and admin_key() are constant after Start(). SetServing() may be
// called from any thread.

#ifndef ARBOR_TESTS_UNIT_CLIENT_TEST_SERVER_H_
#define ARBOR_TESTS_UNIT_CLIENT_TEST_SERVER_H_

#include <grpcpp/server.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/database.h"
#include "server/services.h"

namespace arbor::client::testing {

class RealTestServer {
 public:
  // Creates a fresh data directory, opens the database with a newly generated admin key and
  // starts serving. The health service reports SERVING.
  static absl::StatusOr<std::unique_ptr<RealTestServer>> Start();

  // Stops the server (cancelling calls still running), closes the database and removes the
  // data directory.
  ~RealTestServer();

  RealTestServer(const RealTestServer&) = delete;
  RealTestServer& operator=(const RealTestServer&) = delete;

  // HOST:PORT to connect to, e.g. "127.0.0.1:41234".
  const std::string& address() const { return address_; }

  // The bearer key with full access.
  const std::string& admin_key() const { return admin_key_; }

  // Sets the status that grpc.health.v1.Health/Check reports for every service, including "".
  void SetServing(bool serving);

 private:
  RealTestServer() = default;

  std::filesystem::path data_dir_;
  std::string admin_key_;
  std::string address_;
  std::unique_ptr<server::Database> database_;
  server::DatabaseSlot database_slot_;
  std::unique_ptr<server::AdminServiceImpl> admin_service_;
  std::unique_ptr<server::VectorServiceImpl> vector_service_;
  std::unique_ptr<grpc::Server> server_;
};

// Returns a loopback port that nothing listened on a moment ago, or 0 when no socket could be
// bound.
int UnusedLoopbackPort();

}  // namespace arbor::client::testing

#endif  // ARBOR_TESTS_UNIT_CLIENT_TEST_SERVER_H_

#include "tests/unit/client/test_server.h"

#include <arpa/inet.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/keys.h"

namespace arbor::client::testing {
namespace {

// The same limit in both directions as arbord sets, so that large batches behave as in
// production.
constexpr int kMaxMessageBytes = 64 * 1024 * 1024;

absl::StatusOr<std::filesystem::path> MakeTempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "arbor_client_server_XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::ErrnoToStatus(errno, absl::StrCat("mkdtemp(", pattern, ") failed"));
  }
  return std::filesystem::path(pattern);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RealTestServer>> RealTestServer::Start() {
  std::unique_ptr<RealTestServer> server(new RealTestServer());

  absl::StatusOr<std::filesystem::path> data_dir = MakeTempDir();
  if (!data_dir.ok()) {
    return data_dir.status();
  }
  server->data_dir_ = *std::move(data_dir);
  server->admin_key_ = server::GenerateAdminKey();

  absl::StatusOr<std::unique_ptr<server::Database>> database =
      server::Database::Open({server->data_dir_.string(), /*sync=*/false, server->admin_key_});
  if (!database.ok()) {
    return database.status();
  }
  server->database_ = *std::move(database);
  server->database_slot_.Publish(server->database_.get());
  server->admin_service_ = std::make_unique<server::AdminServiceImpl>(&server->database_slot_);
  server->vector_service_ = std::make_unique<server::VectorServiceImpl>(&server->database_slot_);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.RegisterService(server->admin_service_.get());
  builder.RegisterService(server->vector_service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || port == 0) {
    return absl::UnavailableError("failed to start a gRPC server on 127.0.0.1:0");
  }
  server->server_->GetHealthCheckService()->SetServingStatus(true);
  server->address_ = absl::StrCat("127.0.0.1:", port);
  return server;
}

RealTestServer::~RealTestServer() {
  if (server_ != nullptr) {
    // A deadline of now cancels calls still running instead of waiting for them.
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
  }
  server_.reset();
  vector_service_.reset();
  admin_service_.reset();
  database_.reset();

  if (!data_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(data_dir_, ignored);
  }
}

void RealTestServer::SetServing(bool serving) {
  server_->GetHealthCheckService()->SetServingStatus(serving);
}

int UnusedLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return 0;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace arbor::client::testing

// C++ client for the Arbor gRPC API: AdminService, VectorService and the standard
// grpc.health.v1.Health service.
//
// Contract: every call sends `authorization: Bearer <key>` (except Health(), which sends no key),
// uses the deadline from ClientOptions, and returns the server's gRPC status as an absl::Status
// with the same code and message. No method throws.
//
// Thread safety: a Client is immutable after Connect(), and gRPC stubs are thread-safe, so one
// Client may be shared by any number of threads.

#ifndef ARBOR_CLIENT_CLIENT_H_
#define ARBOR_CLIENT_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "arbor/v1/admin.grpc.pb.h"
#include "arbor/v1/vector.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace arbor::client {

inline constexpr char kDefaultServerAddress[] = "127.0.0.1:7400";

// Max size of a message sent or received, in bytes. It matches the server's receive limit.
inline constexpr int kDefaultMaxMessageBytes = 64 * 1024 * 1024;

struct ClientOptions {
  // gRPC target, usually HOST:PORT.
  std::string server_address = kDefaultServerAddress;

  // Bearer key sent with every call except Health(). Empty sends no authorization header.
  std::string key;

  // Deadline of each call, counted from the moment the call starts.
  std::chrono::milliseconds deadline = std::chrono::seconds(60);

  // Max size of a sent and of a received message, in bytes.
  int max_message_bytes = kDefaultMaxMessageBytes;

  // Transport security. Without `enabled` the channel is plaintext.
  struct Tls {
    bool enabled = false;
    // PEM CA certificates that verify the server; empty means the system's default roots.
    std::string root_certs_pem;
    // PEM certificate chain and private key of the client, for servers that require mutual
    // TLS; both or neither.
    std::string cert_chain_pem;
    std::string private_key_pem;
    // Host name expected in the server's certificate, when it differs from the address's host
    // (e.g. connecting by IP address to a server whose certificate names only a DNS name).
    std::string server_name_override;
  };
  Tls tls;

  // When true, the client opens a TCP connection of its own. By default gRPC (1.51, Debian 12)
  // lets channels with the same target and options share one connection through its global
  // subchannel pool, so several Clients of one server multiplex their calls over it.
  bool own_connection = false;
};

class Client {
 public:
  // Creates a channel to options.server_address. The channel connects lazily, so an unreachable
  // server shows up as UNAVAILABLE on the first call, not here. Returns INVALID_ARGUMENT for an
  // empty address, a non-positive deadline or message size, a key with characters that cannot
  // be sent in a gRPC header (only printable ASCII is allowed), or a TLS client certificate
  // without its key (or the reverse).
  static absl::StatusOr<std::unique_ptr<Client>> Connect(const ClientOptions& options);

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // AdminService. Every call needs the admin key.
  absl::StatusOr<v1::CollectionInfo> CreateCollection(
      const v1::CreateCollectionRequest& request) const;
  absl::StatusOr<v1::DropCollectionResponse> DropCollection(
      const v1::DropCollectionRequest& request) const;
  absl::StatusOr<v1::ListCollectionsResponse> ListCollections(
      const v1::ListCollectionsRequest& request) const;
  absl::StatusOr<v1::CollectionInfo> DescribeCollection(
      const v1::DescribeCollectionRequest& request) const;
  absl::StatusOr<v1::TenantInfo> CreateTenant(const v1::CreateTenantRequest& request) const;
  absl::StatusOr<v1::DropTenantResponse> DropTenant(const v1::DropTenantRequest& request) const;
  absl::StatusOr<v1::ListTenantsResponse> ListTenants(const v1::ListTenantsRequest& request) const;
  absl::StatusOr<v1::CreateKeyResponse> CreateKey(const v1::CreateKeyRequest& request) const;
  absl::StatusOr<v1::ListKeysResponse> ListKeys(const v1::ListKeysRequest& request) const;
  absl::StatusOr<v1::RevokeKeyResponse> RevokeKey(const v1::RevokeKeyRequest& request) const;
  // request.path() is a path on the server's host. The server works for as long as the backup
  // takes, so callers backing up a large database need a long ClientOptions::deadline.
  absl::StatusOr<v1::BackupInfo> CreateBackup(const v1::CreateBackupRequest& request) const;

  // VectorService. Each call acts as request.tenant() of request.collection().
  absl::StatusOr<v1::UpsertResponse> Upsert(const v1::UpsertRequest& request) const;
  absl::StatusOr<v1::DeleteResponse> Delete(const v1::DeleteRequest& request) const;
  absl::StatusOr<v1::GetResponse> Get(const v1::GetRequest& request) const;
  absl::StatusOr<v1::SearchResponse> Search(const v1::SearchRequest& request) const;
  absl::StatusOr<v1::SearchBatchResponse> SearchBatch(const v1::SearchBatchRequest& request) const;
  absl::StatusOr<v1::ShareResponse> Share(const v1::ShareRequest& request) const;
  absl::StatusOr<v1::UnshareResponse> Unshare(const v1::UnshareRequest& request) const;
  absl::StatusOr<v1::CountResponse> Count(const v1::CountRequest& request) const;
  absl::StatusOr<v1::ListResponse> List(const v1::ListRequest& request) const;

  // Calls grpc.health.v1.Health/Check for the whole server (service ""), without a key.
  // Returns true when the server reports SERVING and false for any other serving status.
  absl::StatusOr<bool> Health() const;

  const ClientOptions& options() const { return options_; }

 private:
  Client(ClientOptions options, std::shared_ptr<grpc::Channel> channel);

  // Sets the deadline and, when send_key is true and a key is configured, the authorization
  // header.
  void PrepareContext(grpc::ClientContext* context, bool send_key) const;

  // Runs one unary call. `invoke(context, response)` calls the stub method.
  template <typename Response, typename Invoke>
  absl::StatusOr<Response> Call(Invoke invoke) const;

  const ClientOptions options_;
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<v1::AdminService::Stub> admin_stub_;
  const std::unique_ptr<v1::VectorService::Stub> vector_stub_;
  const std::unique_ptr<grpc::health::v1::Health::Stub> health_stub_;
};

// Converts a gRPC status to the absl::Status with the same code and message.
absl::Status FromGrpcStatus(const grpc::Status& status);

// Reads a bearer key from a key file. Lines that are empty or contain only whitespace, and lines
// whose first non-blank character is '#', are skipped. The first other line, with surrounding
// whitespace trimmed, is the key. Errors name the path: the errno-derived code when the file
// cannot be read, INVALID_ARGUMENT when it has no key line.
absl::StatusOr<std::string> ReadKeyFile(const std::string& path);

// Files of a TLS client configuration; an empty path is not read.
struct TlsFiles {
  std::string ca_file;    // PEM CAs that verify the server; empty for the system's roots
  std::string cert_file;  // PEM client certificate chain, for mutual TLS
  std::string key_file;   // PEM private key of cert_file
};

// Reads the files into an enabled ClientOptions::Tls. Errors name the file: the errno-derived
// code when it cannot be read, INVALID_ARGUMENT when it holds no PEM block or when only one of
// cert_file and key_file is given.
absl::StatusOr<ClientOptions::Tls> LoadTlsFiles(const TlsFiles& files);

}  // namespace arbor::client

#endif  // ARBOR_CLIENT_CLIENT_H_

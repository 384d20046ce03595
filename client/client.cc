#include "client/client.h"

#include <cerrno>
#include <cstdio>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpc/grpc.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace arbor::client {
namespace {

// gRPC accepts only printable ASCII (0x20..0x7E) in the value of a non-binary header.
bool IsValidHeaderValue(absl::string_view value) {
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) {
      return false;
    }
  }
  return true;
}

absl::Status ValidateOptions(const ClientOptions& options) {
  if (options.server_address.empty()) {
    return absl::InvalidArgumentError("server address is empty; expected HOST:PORT");
  }
  if (options.deadline <= std::chrono::milliseconds::zero()) {
    return absl::InvalidArgumentError(
        absl::StrCat("deadline must be positive, got ", options.deadline.count(), " ms"));
  }
  if (options.max_message_bytes <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("max message size must be positive, got ",
                                                   options.max_message_bytes, " bytes"));
  }
  if (!IsValidHeaderValue(options.key)) {
    return absl::InvalidArgumentError(
        "key contains characters other than printable ASCII, so it cannot be sent in the "
        "authorization header; check the key or key file");
  }
  if (options.tls.enabled &&
      options.tls.cert_chain_pem.empty() != options.tls.private_key_pem.empty()) {
    return absl::InvalidArgumentError(
        "TLS client certificate chain and private key must be given together");
  }
  return absl::OkStatus();
}

// Reads a whole file. `file_role` names the file in error messages, e.g. "key file".
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, absl::string_view file_role) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", file_role, " ", path));
  }

  std::string contents;
  char buffer[4096];
  size_t read_bytes = 0;
  while ((read_bytes = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    contents.append(buffer, read_bytes);
  }
  bool failed = std::ferror(file) != 0;
  int error_number = errno;
  std::fclose(file);

  if (failed) {
    return absl::ErrnoToStatus(error_number, absl::StrCat("failed to read ", file_role, " ", path));
  }
  return contents;
}

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status) {
  // grpc::StatusCode and absl::StatusCode share the canonical code numbers 0..16.
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  absl::Status valid = ValidateOptions(options);
  if (!valid.ok()) {
    return valid;
  }

  grpc::ChannelArguments arguments;
  arguments.SetMaxSendMessageSize(options.max_message_bytes);
  arguments.SetMaxReceiveMessageSize(options.max_message_bytes);
  if (options.own_connection) {
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (options.tls.enabled) {
    credentials = grpc::SslCredentials({options.tls.root_certs_pem, options.tls.private_key_pem,
                                        options.tls.cert_chain_pem});
    if (!options.tls.server_name_override.empty()) {
      arguments.SetSslTargetNameOverride(options.tls.server_name_override);
    }
  }
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options.server_address, credentials, arguments);
  if (channel == nullptr) {
    return absl::InternalError(
        absl::StrCat("failed to create a gRPC channel to ", options.server_address));
  }

  return std::unique_ptr<Client>(new Client(options, std::move(channel)));
}

Client::Client(ClientOptions options, std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      admin_stub_(v1::AdminService::NewStub(channel_)),
      vector_stub_(v1::VectorService::NewStub(channel_)),
      health_stub_(grpc::health::v1::Health::NewStub(channel_)) {}

void Client::PrepareContext(grpc::ClientContext* context, bool send_key) const {
  context->set_deadline(std::chrono::system_clock::now() + options_.deadline);
  if (send_key && !options_.key.empty()) {
    context->AddMetadata("authorization", absl::StrCat("Bearer ", options_.key));
  }
}

template <typename Response, typename Invoke>
absl::StatusOr<Response> Client::Call(Invoke invoke) const {
  grpc::ClientContext context;
  PrepareContext(&context, /*send_key=*/true);

  Response response;
  grpc::Status status = invoke(&context, &response);
  if (!status.ok()) {
    return FromGrpcStatus(status);
  }
  return response;
}

absl::StatusOr<v1::CollectionInfo> Client::CreateCollection(
    const v1::CreateCollectionRequest& request) const {
  return Call<v1::CollectionInfo>([&](grpc::ClientContext* context, v1::CollectionInfo* response) {
    return admin_stub_->CreateCollection(context, request, response);
  });
}

absl::StatusOr<v1::DropCollectionResponse> Client::DropCollection(
    const v1::DropCollectionRequest& request) const {
  return Call<v1::DropCollectionResponse>(
      [&](grpc::ClientContext* context, v1::DropCollectionResponse* response) {
        return admin_stub_->DropCollection(context, request, response);
      });
}

absl::StatusOr<v1::ListCollectionsResponse> Client::ListCollections(
    const v1::ListCollectionsRequest& request) const {
  return Call<v1::ListCollectionsResponse>(
      [&](grpc::ClientContext* context, v1::ListCollectionsResponse* response) {
        return admin_stub_->ListCollections(context, request, response);
      });
}

absl::StatusOr<v1::CollectionInfo> Client::DescribeCollection(
    const v1::DescribeCollectionRequest& request) const {
  return Call<v1::CollectionInfo>([&](grpc::ClientContext* context, v1::CollectionInfo* response) {
    return admin_stub_->DescribeCollection(context, request, response);
  });
}

absl::StatusOr<v1::TenantInfo> Client::CreateTenant(const v1::CreateTenantRequest& request) const {
  return Call<v1::TenantInfo>([&](grpc::ClientContext* context, v1::TenantInfo* response) {
    return admin_stub_->CreateTenant(context, request, response);
  });
}

absl::StatusOr<v1::DropTenantResponse> Client::DropTenant(
    const v1::DropTenantRequest& request) const {
  return Call<v1::DropTenantResponse>(
      [&](grpc::ClientContext* context, v1::DropTenantResponse* response) {
        return admin_stub_->DropTenant(context, request, response);
      });
}

absl::StatusOr<v1::ListTenantsResponse> Client::ListTenants(
    const v1::ListTenantsRequest& request) const {
  return Call<v1::ListTenantsResponse>(
      [&](grpc::ClientContext* context, v1::ListTenantsResponse* response) {
        return admin_stub_->ListTenants(context, request, response);
      });
}

absl::StatusOr<v1::CreateKeyResponse> Client::CreateKey(const v1::CreateKeyRequest& request) const {
  return Call<v1::CreateKeyResponse>(
      [&](grpc::ClientContext* context, v1::CreateKeyResponse* response) {
        return admin_stub_->CreateKey(context, request, response);
      });
}

absl::StatusOr<v1::ListKeysResponse> Client::ListKeys(const v1::ListKeysRequest& request) const {
  return Call<v1::ListKeysResponse>(
      [&](grpc::ClientContext* context, v1::ListKeysResponse* response) {
        return admin_stub_->ListKeys(context, request, response);
      });
}

absl::StatusOr<v1::RevokeKeyResponse> Client::RevokeKey(const v1::RevokeKeyRequest& request) const {
  return Call<v1::RevokeKeyResponse>(
      [&](grpc::ClientContext* context, v1::RevokeKeyResponse* response) {
        return admin_stub_->RevokeKey(context, request, response);
      });
}

absl::StatusOr<v1::BackupInfo> Client::CreateBackup(const v1::CreateBackupRequest& request) const {
  return Call<v1::BackupInfo>([&](grpc::ClientContext* context, v1::BackupInfo* response) {
    return admin_stub_->CreateBackup(context, request, response);
  });
}

absl::StatusOr<v1::UpsertResponse> Client::Upsert(const v1::UpsertRequest& request) const {
  return Call<v1::UpsertResponse>([&](grpc::ClientContext* context, v1::UpsertResponse* response) {
    return vector_stub_->Upsert(context, request, response);
  });
}

absl::StatusOr<v1::DeleteResponse> Client::Delete(const v1::DeleteRequest& request) const {
  return Call<v1::DeleteResponse>([&](grpc::ClientContext* context, v1::DeleteResponse* response) {
    return vector_stub_->Delete(context, request, response);
  });
}

absl::StatusOr<v1::GetResponse> Client::Get(const v1::GetRequest& request) const {
  return Call<v1::GetResponse>([&](grpc::ClientContext* context, v1::GetResponse* response) {
    return vector_stub_->Get(context, request, response);
  });
}

absl::StatusOr<v1::SearchResponse> Client::Search(const v1::SearchRequest& request) const {
  return Call<v1::SearchResponse>([&](grpc::ClientContext* context, v1::SearchResponse* response) {
    return vector_stub_->Search(context, request, response);
  });
}

absl::StatusOr<v1::SearchBatchResponse> Client::SearchBatch(
    const v1::SearchBatchRequest& request) const {
  return Call<v1::SearchBatchResponse>(
      [&](grpc::ClientContext* context, v1::SearchBatchResponse* response) {
        return vector_stub_->SearchBatch(context, request, response);
      });
}

absl::StatusOr<v1::ShareResponse> Client::Share(const v1::ShareRequest& request) const {
  return Call<v1::ShareResponse>([&](grpc::ClientContext* context, v1::ShareResponse* response) {
    return vector_stub_->Share(context, request, response);
  });
}

absl::StatusOr<v1::UnshareResponse> Client::Unshare(const v1::UnshareRequest& request) const {
  return Call<v1::UnshareResponse>(
      [&](grpc::ClientContext* context, v1::UnshareResponse* response) {
        return vector_stub_->Unshare(context, request, response);
      });
}

absl::StatusOr<v1::CountResponse> Client::Count(const v1::CountRequest& request) const {
  return Call<v1::CountResponse>([&](grpc::ClientContext* context, v1::CountResponse* response) {
    return vector_stub_->Count(context, request, response);
  });
}

absl::StatusOr<v1::ListResponse> Client::List(const v1::ListRequest& request) const {
  return Call<v1::ListResponse>([&](grpc::ClientContext* context, v1::ListResponse* response) {
    return vector_stub_->List(context, request, response);
  });
}

absl::StatusOr<bool> Client::Health() const {
  grpc::ClientContext context;
  PrepareContext(&context, /*send_key=*/false);

  grpc::health::v1::HealthCheckRequest request;
  request.set_service("");
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = health_stub_->Check(&context, request, &response);
  if (!status.ok()) {
    return FromGrpcStatus(status);
  }
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

absl::StatusOr<std::string> ReadKeyFile(const std::string& path) {
  absl::StatusOr<std::string> contents = ReadSmallFile(path, "key file");
  if (!contents.ok()) {
    return contents.status();
  }

  for (absl::string_view line : absl::StrSplit(*contents, '\n')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || trimmed.front() == '#') {
      continue;
    }
    return std::string(trimmed);
  }

  return absl::InvalidArgumentError(
      absl::StrCat("key file ", path, " contains no key: every line is empty or a '#' comment"));
}

absl::StatusOr<ClientOptions::Tls> LoadTlsFiles(const TlsFiles& files) {
  if (files.cert_file.empty() != files.key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a TLS client certificate and its key must be given together; got only the ",
        files.cert_file.empty() ? "key file " + files.key_file
                                : "certificate file " + files.cert_file));
  }

  ClientOptions::Tls tls;
  tls.enabled = true;
  const std::pair<const std::string*, std::string*> targets[] = {
      {&files.ca_file, &tls.root_certs_pem},
      {&files.cert_file, &tls.cert_chain_pem},
      {&files.key_file, &tls.private_key_pem},
  };
  for (const auto& [path, pem] : targets) {
    if (path->empty()) continue;
    absl::StatusOr<std::string> contents = ReadSmallFile(*path, "TLS file");
    if (!contents.ok()) return contents.status();
    if (contents->find("-----BEGIN ") == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("TLS file ", *path, " holds no PEM block (-----BEGIN ...)"));
    }
    *pem = *std::move(contents);
  }
  return tls;
}

}  // namespace arbor::client

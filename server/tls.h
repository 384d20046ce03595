// gRPC server credentials from arbord's TLS settings.
//
// Without --tls-cert and --tls-key the server is plaintext (insecure credentials). With both,
// it serves TLS; with --tls-client-ca as well, it requires and verifies a client certificate
// signed by one of those CAs (mutual TLS). The files are read and checked once at start-up:
// certificate rotation needs a restart.
#pragma once

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace arbor::server {

struct TlsFiles {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;

  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

// Returns the credentials for `files`. INVALID_ARGUMENT, naming the flag and the file, when
// only one of cert and key is given, a client CA is given without them, a file cannot be read or
// holds no PEM data of the expected kind, or the key does not belong to the certificate.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files);

}  // namespace arbor::server

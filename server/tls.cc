#include "server/tls.h"

#include <grpcpp/security/server_credentials.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace arbor::server {
namespace {

absl::StatusOr<std::string> ReadPemFile(const std::string& flag, const std::string& path) {
  std::ifstream input(path, std::ios::binary);
  if (!input.good()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", flag, " file \"", path, "\""));
  }
  std::ostringstream content;
  content << input.rdbuf();
  return content.str();
}

// The first error on OpenSSL's queue as text, which it then clears.
std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no PEM data found";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

// Parses `pem` as a certificate and a private key and checks that they belong together, so
// that a wrong file fails here with its name instead of as an opaque gRPC listen failure.
absl::Status CheckKeyPair(const TlsFiles& files, const std::string& cert_pem,
                          const std::string& key_pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(
      BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (cert == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("--tls-cert file \"", files.cert_file,
                                                   "\" holds no PEM certificate: ",
                                                   OpenSslError()));
  }

  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
      BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("--tls-key file \"", files.key_file,
                                                   "\" holds no unencrypted PEM private key: ",
                                                   OpenSslError()));
  }

  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("--tls-key file \"", files.key_file,
                                                   "\" does not match the certificate in "
                                                   "--tls-cert file \"",
                                                   files.cert_file, "\""));
  }
  return absl::OkStatus();
}

absl::Status CheckCaFile(const std::string& path, const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (cert == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-client-ca file \"", path, "\" holds no PEM certificate: ", OpenSslError()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files) {
  if (!files.enabled()) {
    if (!files.client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "--tls-client-ca needs --tls-cert and --tls-key: mutual TLS runs over TLS");
    }
    return grpc::InsecureServerCredentials();
  }
  if (files.cert_file.empty() || files.key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-cert and --tls-key must be given together; got only ",
        files.cert_file.empty() ? "--tls-key" : "--tls-cert"));
  }

  absl::StatusOr<std::string> cert = ReadPemFile("--tls-cert", files.cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPemFile("--tls-key", files.key_file);
  if (!key.ok()) return key.status();
  if (absl::Status pair = CheckKeyPair(files, *cert, *key); !pair.ok()) return pair;

  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({*key, *cert});
  if (!files.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadPemFile("--tls-client-ca", files.client_ca_file);
    if (!ca.ok()) return ca.status();
    if (absl::Status checked = CheckCaFile(files.client_ca_file, *ca); !checked.ok()) {
      return checked;
    }
    options.pem_root_certs = *ca;
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

}  // namespace arbor::server

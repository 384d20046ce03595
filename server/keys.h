// Bearer keys: generation, hashing, constant-time comparison and the key file format.
//
// A tenant key looks like "arbor_<key id>_<secret>": the key id (16 hex digits) is public and
// names the key in listings; the secret (64 hex digits, 256 random bits from OpenSSL's CSPRNG)
// is hashed with SHA-256 and only the hash is stored. The admin key is any string of at least
// 16 characters; generated ones look like "arbor_admin_<secret>".
//
// Key file format: lines that are empty or start with '#' are ignored; the first other line,
// without surrounding whitespace, is the key. Files written by arbord start with the line
// "# arbor key file v1".
//
// All functions are thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/schema.h"

namespace arbor::server {

inline constexpr size_t kMinAdminKeyLength = 16;

struct ParsedTenantKey {
  std::string key_id;
  std::string secret;
};

// A fresh random tenant key id and secret.
ParsedTenantKey GenerateTenantKey();
std::string FormatTenantKey(const ParsedTenantKey& key);
// Splits a tenant key into id and secret; nullopt when the text does not have that shape.
std::optional<ParsedTenantKey> ParseTenantKey(absl::string_view key);

std::string GenerateAdminKey();

storage::KeyHash Sha256(absl::string_view text);
bool HashesEqual(const storage::KeyHash& a, const storage::KeyHash& b);  // constant time

// Reads a key file. The error names the path.
absl::StatusOr<std::string> ReadKeyFile(const std::string& path);

// Writes a new key file with mode 0600, failing if the file exists.
absl::Status WriteKeyFile(const std::string& path, absl::string_view key);

// Resolves the admin key: the file at `key_file` when given, else `env_key` when not empty,
// else DATA_DIR/admin.key, which is created with a new key on first start. `created_path` is set
// when a file was created so that the caller can log where it is.
absl::StatusOr<std::string> ResolveAdminKey(const std::string& data_dir,
                                            const std::string& key_file,
                                            const std::string& env_key,
                                            std::string* created_path);

}  // namespace arbor::server

#include "server/keys.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace arbor::server {
namespace {

constexpr char kTenantPrefix[] = "arbor_";
constexpr size_t kKeyIdHexDigits = 16;
constexpr size_t kSecretHexDigits = 64;
constexpr char kKeyFileHeader[] = "# arbor key file v1\n";

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  // A RAND_bytes failure means OpenSSL could not seed its generator. Continuing could mint
  // predictable keys, so the process stops.
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    std::abort();
  }
  return absl::BytesToHexString(raw);
}

bool IsLowerHex(absl::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

}  // namespace

ParsedTenantKey GenerateTenantKey() {
  return ParsedTenantKey{RandomHex(kKeyIdHexDigits / 2), RandomHex(kSecretHexDigits / 2)};
}

std::string FormatTenantKey(const ParsedTenantKey& key) {
  return absl::StrCat(kTenantPrefix, key.key_id, "_", key.secret);
}

std::optional<ParsedTenantKey> ParseTenantKey(absl::string_view key) {
  if (!absl::ConsumePrefix(&key, kTenantPrefix)) return std::nullopt;
  if (key.size() != kKeyIdHexDigits + 1 + kSecretHexDigits) return std::nullopt;
  if (key[kKeyIdHexDigits] != '_') return std::nullopt;

  ParsedTenantKey parsed{std::string(key.substr(0, kKeyIdHexDigits)),
                         std::string(key.substr(kKeyIdHexDigits + 1))};
  if (!IsLowerHex(parsed.key_id) || !IsLowerHex(parsed.secret)) return std::nullopt;
  return parsed;
}

std::string GenerateAdminKey() { return absl::StrCat("arbor_admin_", RandomHex(32)); }

storage::KeyHash Sha256(absl::string_view text) {
  storage::KeyHash hash;
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), hash.data());
  return hash;
}

bool HashesEqual(const storage::KeyHash& a, const storage::KeyHash& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

absl::StatusOr<std::string> ReadKeyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read key file ", path, ": ", std::strerror(errno)));
  }
  std::string line;
  while (std::getline(in, line)) {
    const absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text.front() == '#') continue;
    return std::string(text);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("key file ", path, " contains no key (only blank or '#' lines)"));
}

absl::Status WriteKeyFile(const std::string& path, absl::string_view key) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create key file ", path, ": ", std::strerror(errno)));
  }
  const std::string content = absl::StrCat(kKeyFileHeader, key, "\n");
  const bool written = write(fd, content.data(), content.size()) ==
                       static_cast<ssize_t>(content.size());
  const bool synced = written && fsync(fd) == 0;
  close(fd);
  if (!synced) {
    unlink(path.c_str());
    return absl::InternalError(absl::StrCat("cannot write key file ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ResolveAdminKey(const std::string& data_dir,
                                            const std::string& key_file,
                                            const std::string& env_key,
                                            std::string* created_path) {
  std::string key;
  if (!key_file.empty()) {
    auto read = ReadKeyFile(key_file);
    if (!read.ok()) return read.status();
    key = *read;
  } else if (!env_key.empty()) {
    key = env_key;
  } else {
    const std::string path = data_dir + "/admin.key";
    if (std::filesystem::exists(path)) return ReadKeyFile(path);

    key = GenerateAdminKey();
    if (auto status = WriteKeyFile(path, key); !status.ok()) return status;
    *created_path = path;
    return key;
  }

  if (key.size() < kMinAdminKeyLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the admin key has ", key.size(), " characters; use at least ", kMinAdminKeyLength));
  }
  return key;
}

}  // namespace arbor::server

#include "server/backup.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "spdlog/spdlog.h"
#include "storage/data_dir.h"
#include "storage/status_macros.h"

#ifndef ARBOR_VERSION
#define ARBOR_VERSION "unknown"
#endif

namespace arbor::server {
namespace {

namespace fs = std::filesystem;

constexpr char kManifestMagic[] = "arbor-backup-manifest";
constexpr char kAdminKeyName[] = "admin.key";
constexpr char kDbDirName[] = "db";
constexpr char kRestoreStagingPrefix[] = ".restore-";
constexpr size_t kSha256HexDigits = 64;
// Files are read and copied in pieces of this size.
constexpr size_t kIoBufferBytes = 1 << 20;
// A manifest lists a few lines per RocksDB file; anything larger is not a manifest.
constexpr uintmax_t kMaxManifestBytes = 64 << 20;

std::string ErrnoText(int error) { return std::strerror(error); }

// SHA-256 over data fed in pieces.
class Sha256Stream {
 public:
  Sha256Stream() : context_(EVP_MD_CTX_new()) {
    ok_ = context_ != nullptr && EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) == 1;
  }

  void Update(const char* data, size_t size) {
    ok_ = ok_ && EVP_DigestUpdate(context_.get(), data, size) == 1;
  }

  // The digest as 64 lower-case hex digits.
  absl::StatusOr<std::string> FinishHex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    ok_ = ok_ && EVP_DigestFinal_ex(context_.get(), digest, &length) == 1;
    if (!ok_) return absl::InternalError("OpenSSL failed to compute a SHA-256 digest");
    return absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(digest), length));
  }

 private:
  struct Free {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> context_;
  bool ok_ = false;
};

absl::StatusOr<std::string> Sha256Hex(absl::string_view text) {
  Sha256Stream stream;
  stream.Update(text.data(), text.size());
  return stream.FinishHex();
}

// Closes a file descriptor when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Reads up to `size` bytes, retrying after EINTR. Returns 0 at the end of the file.
absl::StatusOr<size_t> ReadSome(int fd, char* buffer, size_t size, const fs::path& path) {
  while (true) {
    const ssize_t n = read(fd, buffer, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) {
      return absl::InternalError(absl::StrCat("reading ", path.string(), " failed: ",
                                              ErrnoText(errno)));
    }
  }
}

absl::Status WriteAll(int fd, const char* data, size_t size, const fs::path& path) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::InternalError(absl::StrCat("writing ", path.string(), " failed: ",
                                              ErrnoText(errno)));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status SyncFd(int fd, const fs::path& path) {
  if (fsync(fd) == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("fsync of ", path.string(), " failed: ",
                                          ErrnoText(errno)));
}

// Fsyncs a directory, so that the names created or renamed in it are on disk.
absl::Status SyncDirectory(const fs::path& dir) {
  const FileDescriptor fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    return absl::InternalError(absl::StrCat("opening directory ", dir.string(), " failed: ",
                                            ErrnoText(errno)));
  }
  return SyncFd(fd.get(), dir);
}

struct FileDigest {
  uint64_t size = 0;
  std::string sha256;
};

// Reads a whole file to compute its digest, and fsyncs it.
absl::StatusOr<FileDigest> DigestAndSyncFile(const fs::path& path) {
  const FileDescriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return absl::InternalError(absl::StrCat("opening ", path.string(), " failed: ",
                                            ErrnoText(errno)));
  }
  std::vector<char> buffer(kIoBufferBytes);
  Sha256Stream hash;
  FileDigest digest;
  while (true) {
    ASSIGN_OR_RETURN(const size_t n, ReadSome(fd.get(), buffer.data(), buffer.size(), path));
    if (n == 0) break;
    hash.Update(buffer.data(), n);
    digest.size += n;
  }
  RETURN_IF_ERROR(SyncFd(fd.get(), path));
  ASSIGN_OR_RETURN(digest.sha256, hash.FinishHex());
  return digest;
}

// Copies `from` to the new file `to` (created with `mode`, never overwritten), fsyncs the copy
// and returns the digest of the bytes copied.
absl::StatusOr<FileDigest> CopyFileDurably(const fs::path& from, const fs::path& to, mode_t mode) {
  const FileDescriptor in(open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) {
    return absl::InternalError(absl::StrCat("opening ", from.string(), " failed: ",
                                            ErrnoText(errno)));
  }
  const FileDescriptor out(open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (out.get() < 0) {
    return absl::InternalError(absl::StrCat("creating ", to.string(), " failed: ",
                                            ErrnoText(errno)));
  }

  std::vector<char> buffer(kIoBufferBytes);
  Sha256Stream hash;
  FileDigest digest;
  while (true) {
    ASSIGN_OR_RETURN(const size_t n, ReadSome(in.get(), buffer.data(), buffer.size(), from));
    if (n == 0) break;
    hash.Update(buffer.data(), n);
    RETURN_IF_ERROR(WriteAll(out.get(), buffer.data(), n, to));
    digest.size += n;
  }
  RETURN_IF_ERROR(SyncFd(out.get(), to));
  ASSIGN_OR_RETURN(digest.sha256, hash.FinishHex());
  return digest;
}

absl::StatusOr<std::string> ReadWholeFile(const fs::path& path) {
  const FileDescriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return absl::InternalError(absl::StrCat("opening ", path.string(), " failed: ",
                                            ErrnoText(errno)));
  }
  std::string text;
  std::vector<char> buffer(kIoBufferBytes);
  while (true) {
    ASSIGN_OR_RETURN(const size_t n, ReadSome(fd.get(), buffer.data(), buffer.size(), path));
    if (n == 0) return text;
    text.append(buffer.data(), n);
  }
}

absl::Status WriteFileDurably(const fs::path& path, absl::string_view content, mode_t mode) {
  const FileDescriptor fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (fd.get() < 0) {
    return absl::InternalError(absl::StrCat("creating ", path.string(), " failed: ",
                                            ErrnoText(errno)));
  }
  RETURN_IF_ERROR(WriteAll(fd.get(), content.data(), content.size(), path));
  return SyncFd(fd.get(), path);
}

bool IsPlainName(absl::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return c != '/' && absl::ascii_isgraph(static_cast<unsigned char>(c));
  });
}

// The only paths a backup may contain: "admin.key" and "db/NAME". Anything else, such as an
// absolute path or "..", could make a restore write outside the data directory.
bool IsValidBackupFilePath(absl::string_view path) {
  if (path == kAdminKeyName) return true;
  return absl::ConsumePrefix(&path, "db/") && IsPlainName(path);
}

bool IsLowerHex(absl::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
  });
}

// Whether `path` is `dir` or lies below it; both must be absolute and normalised.
bool IsWithin(const fs::path& path, const fs::path& dir) {
  auto path_it = path.begin();
  for (auto dir_it = dir.begin(); dir_it != dir.end(); ++dir_it, ++path_it) {
    if (dir_it->empty()) continue;  // the empty last element of a path ending in '/'
    if (path_it == path.end() || *path_it != *dir_it) return false;
  }
  return true;
}

absl::Status ManifestError(absl::string_view source, absl::string_view problem) {
  return absl::DataLossError(absl::StrCat(
      "backup manifest ", source, " is damaged: ", problem,
      "; the backup cannot be restored, so restore another one"));
}

// Parses "<key> <value>" on line `number` (counted from 1) into an integer.
template <typename Integer>
absl::Status ParseHeaderLine(absl::string_view line, absl::string_view key, size_t number,
                             absl::string_view source, Integer* value) {
  absl::string_view rest = line;
  if (!absl::ConsumePrefix(&rest, key) || !absl::ConsumePrefix(&rest, " ") ||
      !absl::SimpleAtoi(rest, value)) {
    return ManifestError(source, absl::StrCat("line ", number, " is '", line, "' but should be '",
                                              key, " <integer>'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<BackupFile> ParseFileLine(absl::string_view line, size_t number,
                                         absl::string_view source) {
  const std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
  BackupFile file;
  if (fields.size() != 4 || fields[0] != "file" || !absl::SimpleAtoi(fields[1], &file.size) ||
      fields[2].size() != kSha256HexDigits || !IsLowerHex(fields[2])) {
    return ManifestError(source, absl::StrCat("line ", number, " is '", line,
                                              "' but should be 'file <size> <sha256> <path>'"));
  }
  if (!IsValidBackupFilePath(fields[3])) {
    return ManifestError(source, absl::StrCat("line ", number, " names the path '", fields[3],
                                              "', which is neither admin.key nor db/NAME"));
  }
  file.sha256 = std::string(fields[2]);
  file.path = std::string(fields[3]);
  return file;
}

// Checks the first line. A newer format version is not damage, so it gets its own error.
absl::Status CheckManifestVersion(absl::string_view first_line, absl::string_view source) {
  absl::string_view rest = first_line;
  int version = 0;
  if (!absl::ConsumePrefix(&rest, kManifestMagic) || !absl::ConsumePrefix(&rest, " ") ||
      !absl::SimpleAtoi(rest, &version)) {
    return ManifestError(source, absl::StrCat("it does not start with '", kManifestMagic, " ",
                                              kBackupManifestVersion, "'"));
  }
  if (version != kBackupManifestVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup manifest ", source, " has format version ", version, " but this arbord (",
        ArbordVersion(), ") reads version ", kBackupManifestVersion,
        "; restore it with the arbord release that wrote it"));
  }
  return absl::OkStatus();
}

// Splits the text into the lines before the checksum line and checks the checksum.
absl::StatusOr<std::vector<absl::string_view>> CheckedManifestLines(absl::string_view text,
                                                                    absl::string_view source) {
  if (text.empty() || text.back() != '\n') {
    return ManifestError(source, "it does not end with a newline, so it was cut short");
  }
  const size_t last_start = text.rfind('\n', text.size() - 2);
  if (last_start == absl::string_view::npos) {
    return ManifestError(source, "it has only one line");
  }
  const absl::string_view body = text.substr(0, last_start + 1);
  absl::string_view checksum_line = text.substr(last_start + 1);
  checksum_line.remove_suffix(1);

  absl::string_view recorded = checksum_line;
  if (!absl::ConsumePrefix(&recorded, "sha256 ") || recorded.size() != kSha256HexDigits) {
    return ManifestError(source, absl::StrCat("its last line is '", checksum_line,
                                              "' but should be 'sha256 <digest>'"));
  }
  ASSIGN_OR_RETURN(const std::string computed, Sha256Hex(body));
  if (computed != recorded) {
    return ManifestError(source, absl::StrCat("its SHA-256 is ", computed, " but its last line "
                                              "records ", recorded));
  }

  std::vector<absl::string_view> lines = absl::StrSplit(body, '\n');
  lines.pop_back();  // the empty piece after the body's final newline
  return lines;
}

// Fails when restoring would overwrite something in the data directory.
absl::Status CheckRestoreTarget(const fs::path& backup_dir, const fs::path& data_dir,
                                const BackupManifest& manifest) {
  const fs::path db = data_dir / kDbDirName;
  std::error_code error;
  if (fs::exists(fs::symlink_status(db, error))) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory ", data_dir.string(), " already contains a database (", db.string(),
        "); restore only into a new or empty data directory: choose another --data-dir, or "
        "leave out --restore-from to start on the existing database"));
  }

  const bool backup_has_key =
      std::any_of(manifest.files.begin(), manifest.files.end(),
                  [](const BackupFile& file) { return file.path == kAdminKeyName; });
  const fs::path key = data_dir / kAdminKeyName;
  if (!backup_has_key || !fs::exists(fs::symlink_status(key, error))) return absl::OkStatus();

  ASSIGN_OR_RETURN(const FileDigest existing, DigestAndSyncFile(key));
  ASSIGN_OR_RETURN(const FileDigest restored, DigestAndSyncFile(backup_dir / kAdminKeyName));
  if (existing.sha256 != restored.sha256) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory ", data_dir.string(), " has an admin.key that differs from the backup's; "
        "move it away so that the backup's admin key is restored, or choose another --data-dir"));
  }
  return absl::OkStatus();
}

// Removes the staging directories of restores into `data_dir` that were interrupted.
// REQUIRES: the caller holds the data directory's lock, so no other restore is using them.
void RemoveStaleRestoreDirs(const fs::path& data_dir) {
  std::vector<fs::path> stale;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(data_dir, error)) {
    if (entry.path().filename().string().rfind(kRestoreStagingPrefix, 0) == 0) {
      stale.push_back(entry.path());
    }
  }

  for (const fs::path& path : stale) {
    std::error_code removed;
    fs::remove_all(path, removed);
    if (removed) {
      spdlog::warn("cannot remove {}, left by an interrupted restore: {}", path.string(),
                   removed.message());
    } else {
      spdlog::warn("removed {}, left by an interrupted restore", path.string());
    }
  }
}

// Copies every file of the manifest from the backup into `staging`, comparing each copy's
// size and digest with the manifest, and fsyncs the copies and directories.
absl::Status CopyVerifiedFiles(const std::string& backup_dir, const BackupManifest& manifest,
                               const fs::path& staging) {
  for (const BackupFile& file : manifest.files) {
    const fs::path from = fs::path(backup_dir) / file.path;
    const mode_t mode = file.path == kAdminKeyName ? 0600 : 0644;
    ASSIGN_OR_RETURN(const FileDigest copied, CopyFileDurably(from, staging / file.path, mode));
    if (copied.size != file.size || copied.sha256 != file.sha256) {
      return absl::DataLossError(absl::StrCat(
          "backup file ", from.string(), " does not match its manifest (", copied.size,
          " bytes with SHA-256 ", copied.sha256, ", expected ", file.size, " bytes with SHA-256 ",
          file.sha256, "); the backup is damaged, so restore another one"));
    }
  }
  RETURN_IF_ERROR(SyncDirectory(staging / kDbDirName));
  RETURN_IF_ERROR(SyncDirectory(staging));
  return absl::OkStatus();
}

// Moves the checked copy in `staging` into `data_dir`.
absl::Status MoveRestoredFiles(const fs::path& staging, const std::string& data_dir) {
  std::error_code error;
  // admin.key first, because db/ is what marks the data directory as restored. A restore that
  // stops between the two renames can be run again, since the same admin.key is accepted.
  const fs::path key = fs::path(data_dir) / kAdminKeyName;
  bool moved_key = false;
  if (fs::exists(staging / kAdminKeyName, error) && !fs::exists(key, error)) {
    fs::rename(staging / kAdminKeyName, key, error);
    if (error) {
      return absl::InternalError(absl::StrCat("moving the admin key to ", key.string(),
                                              " failed: ", error.message()));
    }
    moved_key = true;
  }
  fs::rename(staging / kDbDirName, fs::path(data_dir) / kDbDirName, error);
  if (error) {
    std::error_code ignored;
    if (moved_key) fs::remove(key, ignored);
    return absl::InternalError(absl::StrCat("moving the restored database into ", data_dir,
                                            " failed: ", error.message()));
  }
  RETURN_IF_ERROR(SyncDirectory(data_dir));
  return absl::OkStatus();
}

}  // namespace

std::string ArbordVersion() { return ARBOR_VERSION; }

absl::StatusOr<std::string> EncodeBackupManifest(const BackupManifest& manifest) {
  std::string body = absl::StrCat(kManifestMagic, " ", kBackupManifestVersion, "\n",
                                  "created_unix_ms ", manifest.created_unix_ms, "\n",
                                  "arbord_version ", manifest.arbord_version, "\n",
                                  "sequence_number ", manifest.sequence_number, "\n");
  for (const BackupFile& file : manifest.files) {
    absl::StrAppend(&body, "file ", file.size, " ", file.sha256, " ", file.path, "\n");
  }
  ASSIGN_OR_RETURN(const std::string checksum, Sha256Hex(body));
  absl::StrAppend(&body, "sha256 ", checksum, "\n");
  return body;
}

absl::StatusOr<BackupManifest> DecodeBackupManifest(absl::string_view text,
                                                    absl::string_view source) {
  const size_t first_end = text.find('\n');
  RETURN_IF_ERROR(CheckManifestVersion(text.substr(0, first_end), source));
  ASSIGN_OR_RETURN(const std::vector<absl::string_view> lines, CheckedManifestLines(text, source));
  if (lines.size() < 4) return ManifestError(source, "it has no header lines");

  BackupManifest manifest;
  RETURN_IF_ERROR(ParseHeaderLine(lines[1], "created_unix_ms", 2, source,
                                  &manifest.created_unix_ms));
  absl::string_view version = lines[2];
  if (!absl::ConsumePrefix(&version, "arbord_version ") || !IsPlainName(version)) {
    return ManifestError(source, absl::StrCat("line 3 is '", lines[2],
                                              "' but should be 'arbord_version <version>'"));
  }
  manifest.arbord_version = std::string(version);
  RETURN_IF_ERROR(ParseHeaderLine(lines[3], "sequence_number", 4, source,
                                  &manifest.sequence_number));

  for (size_t i = 4; i < lines.size(); ++i) {
    ASSIGN_OR_RETURN(BackupFile file, ParseFileLine(lines[i], i + 1, source));
    if (!manifest.files.empty() && file.path <= manifest.files.back().path) {
      return ManifestError(source, absl::StrCat("line ", i + 1, " lists ", file.path,
                                                " out of order or twice"));
    }
    manifest.files.push_back(std::move(file));
  }
  const bool has_current =
      std::any_of(manifest.files.begin(), manifest.files.end(),
                  [](const BackupFile& file) { return file.path == "db/CURRENT"; });
  if (!has_current) {
    return ManifestError(source, "it lists no db/CURRENT, so db/ is not a RocksDB database");
  }
  return manifest;
}

absl::StatusOr<fs::path> ValidateBackupPath(const std::string& path,
                                            const std::string& data_dir) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        "path is empty; give the absolute path of a new directory on the server's host");
  }
  if (std::any_of(path.begin(), path.end(),
                  [](char c) { return absl::ascii_iscntrl(static_cast<unsigned char>(c)); })) {
    return absl::InvalidArgumentError(absl::StrCat(
        "path '", absl::CEscape(path), "' contains a control character; use a plain path"));
  }
  fs::path target = fs::path(path).lexically_normal();
  if (!target.is_absolute()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "path '", path, "' is relative; it must be absolute, because it names a directory on "
        "the server's host"));
  }
  if (!target.has_filename() && target != target.root_path()) target = target.parent_path();

  std::error_code error;
  if (fs::exists(fs::symlink_status(target, error))) {
    return absl::AlreadyExistsError(absl::StrCat(
        "path '", target.string(), "' already exists; a backup is written only to a new "
        "directory, so choose a path that does not exist"));
  }
  const fs::path parent = target.parent_path();
  if (!fs::is_directory(parent, error)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the parent directory ", parent.string(), " of path '", target.string(),
        "' does not exist or is not a directory; create it first"));
  }

  const fs::path resolved = fs::weakly_canonical(parent, error) / target.filename();
  const fs::path data = fs::weakly_canonical(fs::absolute(data_dir), error);
  if (!error && IsWithin(resolved, data)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "path '", target.string(), "' is inside the data directory ", data.string(),
        "; put backups outside it, so that losing the data directory does not lose them"));
  }
  return target;
}

absl::StatusOr<fs::path> CreateBackupStagingDir(const fs::path& target) {
  std::string pattern =
      (target.parent_path() / absl::StrCat(".", target.filename().string(), ".partial-XXXXXX"))
          .string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create a staging directory in ", target.parent_path().string(), ": ",
        ErrnoText(errno), "; arbord needs write access to the parent directory of path"));
  }
  return fs::path(pattern);
}

absl::Status CopyAdminKeyIfPresent(const std::string& data_dir, const fs::path& staging) {
  const fs::path key = fs::path(data_dir) / kAdminKeyName;
  std::error_code error;
  if (!fs::exists(key, error)) return absl::OkStatus();
  return CopyFileDurably(key, staging / kAdminKeyName, 0600).status();
}

absl::StatusOr<BackupManifest> SealBackup(const fs::path& staging, BackupManifest manifest) {
  std::vector<std::string> paths;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(staging / kDbDirName, error)) {
    const std::string path = absl::StrCat(kDbDirName, "/", entry.path().filename().string());
    if (!entry.is_regular_file() || !IsValidBackupFilePath(path)) {
      return absl::InternalError(absl::StrCat(
          "the RocksDB checkpoint contains ", entry.path().string(),
          ", which is not a plain file that a backup manifest can list"));
    }
    paths.push_back(path);
  }
  if (error) {
    return absl::InternalError(absl::StrCat("listing ", (staging / kDbDirName).string(),
                                            " failed: ", error.message()));
  }
  if (fs::exists(staging / kAdminKeyName, error)) paths.push_back(kAdminKeyName);
  std::sort(paths.begin(), paths.end());

  manifest.files.clear();
  for (const std::string& path : paths) {
    ASSIGN_OR_RETURN(const FileDigest digest, DigestAndSyncFile(staging / path));
    manifest.files.push_back(BackupFile{path, digest.size, digest.sha256});
  }
  ASSIGN_OR_RETURN(const std::string manifest_text, EncodeBackupManifest(manifest));
  RETURN_IF_ERROR(WriteFileDurably(staging / kBackupManifestName, manifest_text, 0644));
  RETURN_IF_ERROR(SyncDirectory(staging / kDbDirName));
  RETURN_IF_ERROR(SyncDirectory(staging));
  return manifest;
}

absl::Status PublishBackup(const fs::path& staging, const fs::path& target) {
  // RENAME_NOREPLACE keeps a directory that appeared at the target since the path was checked:
  // a plain rename would replace it if it were empty.
  int result = renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE);
  if (result != 0 && (errno == EINVAL || errno == ENOSYS)) {
    // NOTE: file systems without RENAME_NOREPLACE get a check and a rename, with a short race.
    std::error_code error;
    if (!fs::exists(fs::symlink_status(target, error))) {
      result = rename(staging.c_str(), target.c_str());
    } else {
      errno = EEXIST;
    }
  }
  if (result != 0 && (errno == EEXIST || errno == ENOTEMPTY)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "path '", target.string(), "' was created by someone else during the backup; choose "
        "a path that does not exist"));
  }
  if (result != 0) {
    return absl::InternalError(absl::StrCat("renaming ", staging.string(), " to ",
                                            target.string(), " failed: ", ErrnoText(errno)));
  }
  return SyncDirectory(target.parent_path());
}

absl::StatusOr<BackupManifest> ReadBackupManifest(const std::string& backup_dir) {
  const fs::path dir(backup_dir);
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    return absl::NotFoundError(absl::StrCat("backup directory ", backup_dir,
                                            " does not exist or is not a directory"));
  }
  const fs::path manifest_path = dir / kBackupManifestName;
  if (!fs::is_regular_file(manifest_path, error)) {
    return absl::NotFoundError(absl::StrCat(
        backup_dir, " contains no ", kBackupManifestName,
        ": it is not an Arbor backup, or the backup was not completed"));
  }
  const uintmax_t manifest_bytes = fs::file_size(manifest_path, error);
  if (error || manifest_bytes > kMaxManifestBytes) {
    return ManifestError(manifest_path.string(),
                         absl::StrCat("its size could not be read or exceeds ",
                                      kMaxManifestBytes, " bytes"));
  }

  ASSIGN_OR_RETURN(const std::string text, ReadWholeFile(manifest_path));
  ASSIGN_OR_RETURN(BackupManifest manifest, DecodeBackupManifest(text, manifest_path.string()));

  for (const BackupFile& file : manifest.files) {
    const fs::path path = dir / file.path;
    const fs::file_status status = fs::status(path, error);
    if (!fs::is_regular_file(status)) {
      return absl::DataLossError(absl::StrCat(
          "backup ", backup_dir, " is missing ", file.path, ", which its manifest lists; the "
          "backup is damaged, so restore another one"));
    }
    const uintmax_t size = fs::file_size(path, error);
    if (error || size != file.size) {
      return absl::DataLossError(absl::StrCat(
          "backup file ", path.string(), " has ", size, " bytes but the manifest lists ",
          file.size, "; the backup is damaged, so restore another one"));
    }
  }
  return manifest;
}

absl::Status RestoreBackup(const std::string& backup_dir, const std::string& data_dir) {
  const absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(const BackupManifest manifest, ReadBackupManifest(backup_dir));
  ASSIGN_OR_RETURN(const storage::DataDirLock lock, storage::DataDirLock::Acquire(data_dir));
  RETURN_IF_ERROR(CheckRestoreTarget(backup_dir, data_dir, manifest));

  uint64_t bytes = 0;
  for (const BackupFile& file : manifest.files) bytes += file.size;
  spdlog::info("restoring backup {} (made by arbord {} at {}, sequence number {}, {} files, "
               "{} bytes) into {}",
               backup_dir, manifest.arbord_version,
               absl::FormatTime(absl::RFC3339_full, absl::FromUnixMillis(manifest.created_unix_ms),
                                absl::UTCTimeZone()),
               manifest.sequence_number, manifest.files.size(), bytes, data_dir);

  // The copy is made beside its final place and renamed there only once every file matched
  // its digest, so an interrupted restore leaves no db/ that looks complete.
  RemoveStaleRestoreDirs(data_dir);
  std::string pattern =
      (fs::path(data_dir) / absl::StrCat(kRestoreStagingPrefix, "XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create a staging directory in ", data_dir, ": ", ErrnoText(errno)));
  }
  const fs::path staging(pattern);
  absl::Cleanup remove_staging = [&staging] {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
  };
  std::error_code error;
  if (!fs::create_directory(staging / kDbDirName, error)) {
    return absl::InternalError(absl::StrCat("creating ", (staging / kDbDirName).string(),
                                            " failed: ", error.message()));
  }

  RETURN_IF_ERROR(CopyVerifiedFiles(backup_dir, manifest, staging));
  RETURN_IF_ERROR(MoveRestoredFiles(staging, data_dir));

  spdlog::info("restored {} files, {} bytes into {} in {} ms", manifest.files.size(), bytes,
               data_dir, absl::ToInt64Milliseconds(absl::Now() - start));
  return absl::OkStatus();
}

}  // namespace arbor::server

// Backups of a data directory: the backup layout and manifest, the steps that build a backup
// next to its target, and the restore into a new data directory.
//
// A backup is a directory that contains
//   db/              a RocksDB checkpoint of DATA_DIR/db, index checkpoints included (they are
//                    stored in RocksDB)
//   admin.key        a copy of DATA_DIR/admin.key, when that file existed
//   backup.manifest  every other file of the backup with its size and SHA-256 digest
// The backup is built in a staging directory beside the target (".NAME.partial-XXXXXX"). It is
// renamed to the target only after every file and the manifest are fsynced, so a directory at
// the target path is always a complete backup. A staging directory left by a crash can be
// deleted.
//
// Manifest format, version 1: text lines ending in '\n', fields separated by one space.
//   arbor-backup-manifest 1
//   created_unix_ms <int64>
//   arbord_version <text without spaces>
//   sequence_number <uint64>
//   file <size in bytes> <SHA-256, 64 lower-case hex digits> <path relative to the backup>
//   sha256 <SHA-256 of every byte before this line>
// There is one `file` line per file, sorted by path. A path is "admin.key" or "db/NAME", where
// NAME has no '/' and no whitespace or control characters.
//
// Thread safety: the functions share no state, but two calls must not work on the same
// directories at once. Database::CreateBackup runs one backup at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace arbor::server {

inline constexpr char kBackupManifestName[] = "backup.manifest";
inline constexpr int kBackupManifestVersion = 1;

struct BackupFile {
  std::string path;  // relative to the backup directory, e.g. "db/000012.sst"
  uint64_t size = 0;   // bytes
  std::string sha256;  // 64 lower-case hex digits
};

struct BackupManifest {
  int64_t created_unix_ms = 0;
  std::string arbord_version;
  uint64_t sequence_number = 0;
  std::vector<BackupFile> files;  // sorted by path
};

// The version of this arbord build, e.g. "0.1.0".
std::string ArbordVersion();

// Formats a manifest and appends its checksum line. INTERNAL when OpenSSL fails.
absl::StatusOr<std::string> EncodeBackupManifest(const BackupManifest& manifest);

// Parses and checks a manifest, named `source` in errors. Returns DATA_LOSS when the text is
// truncated, altered or malformed, and FAILED_PRECONDITION when it has another format version.
absl::StatusOr<BackupManifest> DecodeBackupManifest(absl::string_view text,
                                                    absl::string_view source);

// Checks the `path` field of a CreateBackup request against the file system and returns it
// normalised. Errors: INVALID_ARGUMENT when it is empty, relative, or inside `data_dir`,
// ALREADY_EXISTS when something exists at it, and FAILED_PRECONDITION when its parent directory
// is missing.
absl::StatusOr<std::filesystem::path> ValidateBackupPath(const std::string& path,
                                                         const std::string& data_dir);

// Creates an empty staging directory (mode 0700) beside `target`. FAILED_PRECONDITION when
// the parent directory is not writable.
absl::StatusOr<std::filesystem::path> CreateBackupStagingDir(const std::filesystem::path& target);

// Copies DATA_DIR/admin.key into the staging directory (mode 0600) when it exists.
absl::Status CopyAdminKeyIfPresent(const std::string& data_dir,
                                   const std::filesystem::path& staging);

// Reads and fsyncs every file of the staging directory (the RocksDB checkpoint in db/ and
// admin.key), records its size and digest in `manifest.files`, writes the manifest and fsyncs
// it and the directories. Returns the completed manifest.
absl::StatusOr<BackupManifest> SealBackup(const std::filesystem::path& staging,
                                          BackupManifest manifest);

// Renames the sealed staging directory to `target` and fsyncs the parent directory. Returns
// ALREADY_EXISTS, and replaces nothing, when something appeared at `target` in the meantime.
absl::Status PublishBackup(const std::filesystem::path& staging,
                           const std::filesystem::path& target);

// Reads the manifest of the backup in `backup_dir` and checks that every file it lists exists
// with the listed size. File contents are checked by RestoreBackup. Returns NOT_FOUND when the
// directory or its manifest is missing, and DATA_LOSS when the manifest or a file is damaged.
absl::StatusOr<BackupManifest> ReadBackupManifest(const std::string& backup_dir);

// Restores the backup in `backup_dir` into `data_dir`, which must not contain a database yet.
// It checks the manifest, locks `data_dir`, copies every file into a staging directory inside
// it while checking its digest, fsyncs, and renames the copy into place. Staging directories of
// interrupted restores are deleted first. The lock is released on return, so that the caller
// can open the database.
// Errors: those of ReadBackupManifest and DataDirLock::Acquire, FAILED_PRECONDITION when
// `data_dir` already has a database (DATA_DIR/db exists) or an admin.key that differs from the
// backup's, and DATA_LOSS when a file does not match its digest. After an error the data
// directory has no db/ and no new admin.key.
absl::Status RestoreBackup(const std::string& backup_dir, const std::string& data_dir);

}  // namespace arbor::server

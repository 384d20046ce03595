// In-process tests of backups: the manifest format, the checks of a backup path, a backup and
// restore through Database and RestoreBackup, and the restore's checks of damaged backups and
// of data directories that are not empty.
#include "server/backup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/database.h"
#include "server/keys.h"
#include "tests/unit/server/test_support.h"

namespace arbor::server {
namespace {

namespace fs = std::filesystem;

using ::arbor::server::test_support::DataCalls;
using ::arbor::server::test_support::MakeCount;
using ::arbor::server::test_support::MakeGet;
using ::arbor::server::test_support::MakeUpsert;
using ::arbor::server::test_support::ScopedTempDir;
using ::arbor::server::test_support::TestVector;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kAdminKey[] = "backup-test-admin-key-0123456789";
constexpr uint32_t kDimension = 16;
constexpr size_t kVectors = 2000;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

void WriteFile(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

// Names in `dir` that start with `prefix`.
std::vector<std::string> EntriesStartingWith(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0) names.push_back(name);
  }
  return names;
}

// The encoded manifest, or an empty string after a failed assertion.
std::string Encode(const BackupManifest& manifest) {
  const absl::StatusOr<std::string> text = EncodeBackupManifest(manifest);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : std::string();
}

BackupManifest SampleManifest() {
  BackupManifest manifest;
  manifest.created_unix_ms = 1714560000123;
  manifest.arbord_version = "0.1.0";
  manifest.sequence_number = 98765;
  manifest.files = {
      {"admin.key", 97, std::string(64, 'a')},
      {"db/000012.sst", 123456, std::string(64, '0')},
      {"db/CURRENT", 16, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
      {"db/MANIFEST-000005", 767, std::string(64, 'f')},
  };
  return manifest;
}

// ---- Manifest format ----

TEST(BackupManifest, RoundTrips) {
  const BackupManifest manifest = SampleManifest();
  const std::string text = Encode(manifest);
  EXPECT_THAT(text, ::testing::StartsWith("arbor-backup-manifest 1\ncreated_unix_ms 1714560000123\n"
                                          "arbord_version 0.1.0\nsequence_number 98765\n"
                                          "file 97 "));

  const absl::StatusOr<BackupManifest> decoded = DecodeBackupManifest(text, "test");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->created_unix_ms, manifest.created_unix_ms);
  EXPECT_EQ(decoded->arbord_version, manifest.arbord_version);
  EXPECT_EQ(decoded->sequence_number, manifest.sequence_number);
  ASSERT_EQ(decoded->files.size(), manifest.files.size());
  for (size_t i = 0; i < manifest.files.size(); ++i) {
    EXPECT_EQ(decoded->files[i].path, manifest.files[i].path);
    EXPECT_EQ(decoded->files[i].size, manifest.files[i].size);
    EXPECT_EQ(decoded->files[i].sha256, manifest.files[i].sha256);
  }
}

TEST(BackupManifest, RejectsEveryTruncation) {
  const std::string text = Encode(SampleManifest());
  for (size_t length = 0; length < text.size(); ++length) {
    const absl::StatusOr<BackupManifest> decoded =
        DecodeBackupManifest(text.substr(0, length), "cut.manifest");
    ASSERT_FALSE(decoded.ok()) << "accepted the first " << length << " bytes";
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss)
        << length << ": " << decoded.status();
  }
}

TEST(BackupManifest, RejectsEveryFlippedBit) {
  const std::string text = Encode(SampleManifest());
  const size_t first_line_end = text.find('\n');
  for (size_t i = 0; i < text.size(); ++i) {
    std::string damaged = text;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x01);
    const absl::StatusOr<BackupManifest> decoded = DecodeBackupManifest(damaged, "flip.manifest");
    ASSERT_FALSE(decoded.ok()) << "accepted a flipped bit in byte " << i;
    if (i > first_line_end) {
      EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss)
          << "byte " << i << ": " << decoded.status();
    }
  }
}

TEST(BackupManifest, RejectsNewerVersion) {
  std::string text = Encode(SampleManifest());
  text.replace(0, text.find('\n'), "arbor-backup-manifest 2");
  const absl::StatusOr<BackupManifest> decoded = DecodeBackupManifest(text, "new.manifest");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kFailedPrecondition) << decoded.status();
  EXPECT_THAT(std::string(decoded.status().message()), HasSubstr("format version 2"));
}

TEST(BackupManifest, RejectsPathsOutsideTheLayout) {
  for (const char* path : {"../x", "/etc/passwd", "db/a/b", "db/", "db/..", "db/.", "other",
                           "db/../../x", "admin.key2"}) {
    BackupManifest manifest = SampleManifest();
    manifest.files.push_back({path, 1, std::string(64, 'b')});
    std::sort(manifest.files.begin(), manifest.files.end(),
              [](const BackupFile& a, const BackupFile& b) { return a.path < b.path; });
    const absl::StatusOr<BackupManifest> decoded =
        DecodeBackupManifest(Encode(manifest), "paths.manifest");
    ASSERT_FALSE(decoded.ok()) << "accepted the path " << path;
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss) << path;
    EXPECT_THAT(std::string(decoded.status().message()), HasSubstr(path));
  }
}

TEST(BackupManifest, RejectsDuplicatesAndMissingCurrent) {
  BackupManifest twice = SampleManifest();
  twice.files.insert(twice.files.begin() + 2, twice.files[1]);
  const absl::StatusOr<BackupManifest> duplicate =
      DecodeBackupManifest(Encode(twice), "twice.manifest");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_THAT(std::string(duplicate.status().message()), HasSubstr("out of order or twice"));

  BackupManifest no_current = SampleManifest();
  no_current.files.erase(no_current.files.begin() + 2);
  const absl::StatusOr<BackupManifest> missing =
      DecodeBackupManifest(Encode(no_current), "nocurrent.manifest");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("db/CURRENT"));
}

// ---- Backup paths ----

TEST(ValidateBackupPath, ChecksEachRule) {
  ScopedTempDir dir;
  const fs::path root = dir.path();
  const fs::path data = root / "data";
  fs::create_directories(data / "db");
  fs::create_directories(root / "existing");
  WriteFile(root / "file", "x");
  fs::create_symlink(root / "nowhere", root / "dangling");
  fs::create_directory_symlink(data, root / "data-link");

  struct Case {
    std::string path;
    absl::StatusCode code;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"", absl::StatusCode::kInvalidArgument, "path is empty"},
      {"relative/backup", absl::StatusCode::kInvalidArgument, "is relative"},
      {(root / "new\nline").string(), absl::StatusCode::kInvalidArgument, "control character"},
      {(root / "existing").string(), absl::StatusCode::kAlreadyExists, "already exists"},
      {(root / "existing/").string(), absl::StatusCode::kAlreadyExists, "already exists"},
      {(root / "file").string(), absl::StatusCode::kAlreadyExists, "already exists"},
      {(root / "dangling").string(), absl::StatusCode::kAlreadyExists, "already exists"},
      {(root / "missing/backup").string(), absl::StatusCode::kFailedPrecondition,
       "does not exist"},
      {(root / "file/backup").string(), absl::StatusCode::kFailedPrecondition, "does not exist"},
      {(data / "backup").string(), absl::StatusCode::kInvalidArgument, "inside the data directory"},
      {(data / "db/backup").string(), absl::StatusCode::kInvalidArgument,
       "inside the data directory"},
      {(root / "existing/../data/backup").string(), absl::StatusCode::kInvalidArgument,
       "inside the data directory"},
      {(root / "data-link/backup").string(), absl::StatusCode::kInvalidArgument,
       "inside the data directory"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    const absl::StatusOr<fs::path> checked = ValidateBackupPath(c.path, data.string());
    ASSERT_FALSE(checked.ok());
    EXPECT_EQ(checked.status().code(), c.code) << checked.status();
    EXPECT_THAT(std::string(checked.status().message()), HasSubstr(c.message_part));
  }
}

TEST(ValidateBackupPath, AcceptsNewPathsOutsideDataDir) {
  ScopedTempDir dir;
  const fs::path root = dir.path();
  fs::create_directories(root / "data");

  // "data2" shares a prefix with "data" but is not inside it.
  for (const std::string& path : {(root / "data2").string(), (root / "backup").string(),
                                   (root / "existing/../backup").string()}) {
    const absl::StatusOr<fs::path> checked = ValidateBackupPath(path, (root / "data").string());
    ASSERT_TRUE(checked.ok()) << path << ": " << checked.status();
  }
  const absl::StatusOr<fs::path> slash =
      ValidateBackupPath((root / "backup/").string(), (root / "data").string());
  ASSERT_TRUE(slash.ok()) << slash.status();
  EXPECT_EQ(*slash, root / "backup");
}

TEST(PublishBackup, KeepsDirectoryCreatedMeanwhile) {
  ScopedTempDir dir;
  const fs::path target = fs::path(dir.path()) / "backup";
  const absl::StatusOr<fs::path> staging = CreateBackupStagingDir(target);
  ASSERT_TRUE(staging.ok()) << staging.status();
  EXPECT_EQ(staging->parent_path(), target.parent_path());
  WriteFile(*staging / "marker", "staged");

  // An empty directory is what a plain rename(2) would silently replace.
  fs::create_directory(target);
  const absl::Status published = PublishBackup(*staging, target);
  ASSERT_FALSE(published.ok());
  EXPECT_EQ(published.code(), absl::StatusCode::kAlreadyExists) << published;
  EXPECT_TRUE(fs::is_empty(target));
  EXPECT_EQ(ReadFile(*staging / "marker"), "staged");

  fs::remove(target);
  ASSERT_TRUE(PublishBackup(*staging, target).ok());
  EXPECT_EQ(ReadFile(target / "marker"), "staged");
  EXPECT_FALSE(fs::exists(*staging));
}

// ---- Backup and restore through Database ----

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = (fs::path(dir_.path()) / "data").string();
    fs::create_directories(data_dir_);
    ASSERT_TRUE(WriteKeyFile(data_dir_ + "/admin.key", kAdminKey).ok());
    ASSERT_NO_FATAL_FAILURE(OpenDatabase(data_dir_, &database_));
    admin_.admin = true;
  }

  // Opens a database whose maintenance runs only when the test calls RunMaintenance.
  static void OpenDatabase(const std::string& data_dir, std::unique_ptr<Database>* database) {
    DatabaseOptions options{data_dir, /*sync=*/false, kAdminKey};
    options.maintenance_interval = absl::Hours(1);
    absl::StatusOr<std::unique_ptr<Database>> opened = Database::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    *database = std::move(*opened);
  }

  // Creates collection "docs" with tenant "t" and kVectors random vectors, and trains its index.
  void Load(Database* database) {
    v1::CreateCollectionRequest create;
    create.set_name("docs");
    create.set_dimension(kDimension);
    create.set_metric(v1::METRIC_L2);
    v1::IndexSettings* index = create.mutable_index();
    index->set_branching(8);
    index->set_max_leaf_size(40);
    index->set_split_threshold(24);
    index->set_train_threshold(1000);
    ASSERT_TRUE(database->CreateCollection(admin_, create).ok());
    v1::CreateTenantRequest tenant;
    tenant.set_collection("docs");
    tenant.set_tenant("t");
    ASSERT_TRUE(database->CreateTenant(admin_, tenant).ok());

    std::mt19937 rng(17);
    std::normal_distribution<float> value;
    vectors_.clear();
    for (uint64_t id = 0; id < kVectors; ++id) {
      TestVector vector{id, std::vector<float>(kDimension)};
      for (float& v : vector.values) v = value(rng);
      vectors_.push_back(std::move(vector));
    }
    const DataCalls data(database);
    ASSERT_TRUE(data.Call(admin_, MakeUpsert("docs", "t", vectors_)).ok());
    database->RunMaintenance();
  }

  v1::CollectionInfo Describe(const Database& database) {
    v1::DescribeCollectionRequest request;
    request.set_name("docs");
    absl::StatusOr<v1::CollectionInfo> info = database.DescribeCollection(admin_, request);
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? *info : v1::CollectionInfo();
  }

  absl::StatusOr<v1::BackupInfo> Backup(const fs::path& path,
                                        absl::Time deadline = absl::InfiniteFuture()) {
    v1::CreateBackupRequest request;
    request.set_path(path.string());
    return database_->CreateBackup(admin_, request, deadline);
  }

  // Writes a backup of the loaded database to DIR/backup and returns its path.
  fs::path MakeBackup() {
    const fs::path path = fs::path(dir_.path()) / "backup";
    const absl::StatusOr<v1::BackupInfo> info = Backup(path);
    EXPECT_TRUE(info.ok()) << info.status();
    return path;
  }

  // The name of one SST file in the backup.
  static std::string SomeSstFile(const fs::path& backup) {
    for (const fs::directory_entry& entry : fs::directory_iterator(backup / "db")) {
      if (entry.path().extension() == ".sst") return "db/" + entry.path().filename().string();
    }
    ADD_FAILURE() << "no SST file in " << backup;
    return "";
  }

  // Expects RestoreBackup to fail with `code` and a message with `message_part`, and to leave
  // no database and no staging directory in a new data directory.
  void ExpectRestoreFails(const fs::path& backup, absl::StatusCode code,
                          const std::string& message_part) {
    const fs::path target = fs::path(dir_.path()) / "restored";
    const absl::Status restored = RestoreBackup(backup.string(), target.string());
    ASSERT_FALSE(restored.ok());
    EXPECT_EQ(restored.code(), code) << restored;
    EXPECT_THAT(std::string(restored.message()), HasSubstr(message_part));
    EXPECT_FALSE(fs::exists(target / "db"));
    EXPECT_FALSE(fs::exists(target / "admin.key"));
    if (fs::exists(target)) {
      EXPECT_THAT(EntriesStartingWith(target, ".restore-"), IsEmpty());
    }
  }

  ScopedTempDir dir_;
  std::string data_dir_;
  std::unique_ptr<Database> database_;
  Principal admin_;
  std::vector<TestVector> vectors_;
};

TEST_F(BackupTest, RestoresIntoNewDataDirectory) {
  ASSERT_NO_FATAL_FAILURE(Load(database_.get()));
  const v1::CollectionInfo before = Describe(*database_);
  ASSERT_TRUE(before.index().trained());
  ASSERT_GT(before.index().tree_nodes(), 1u);
  v1::CreateKeyRequest key_request;
  key_request.set_collection("docs");
  key_request.set_tenant("t");
  const absl::StatusOr<v1::CreateKeyResponse> tenant_key =
      database_->CreateKey(admin_, key_request);
  ASSERT_TRUE(tenant_key.ok()) << tenant_key.status();

  const fs::path path = fs::path(dir_.path()) / "backup";
  const absl::Time start = absl::Now();
  const absl::StatusOr<v1::BackupInfo> info = Backup(path);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->path(), path.string());
  EXPECT_GE(info->created_unix_ms(), absl::ToUnixMillis(start));
  EXPECT_GT(info->sequence_number(), 0u);
  EXPECT_EQ(info->collection_count(), 1u);
  EXPECT_EQ(info->arbord_version(), ArbordVersion());
  EXPECT_THAT(EntriesStartingWith(dir_.path(), ".backup.partial-"), IsEmpty());

  // The reply matches what is on disk.
  const absl::StatusOr<BackupManifest> manifest = ReadBackupManifest(path.string());
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  uint64_t bytes = fs::file_size(path / kBackupManifestName);
  for (const BackupFile& file : manifest->files) bytes += file.size;
  EXPECT_EQ(info->file_count(), manifest->files.size() + 1);
  EXPECT_EQ(info->bytes(), bytes);
  EXPECT_EQ(manifest->sequence_number, info->sequence_number());
  EXPECT_EQ(ReadFile(path / "admin.key"), ReadFile(fs::path(data_dir_) / "admin.key"));
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_all);

  const fs::path restored_dir = fs::path(dir_.path()) / "restored";
  ASSERT_TRUE(RestoreBackup(path.string(), restored_dir.string()).ok());
  EXPECT_EQ(ReadFile(restored_dir / "admin.key"), ReadFile(fs::path(data_dir_) / "admin.key"));
  EXPECT_THAT(EntriesStartingWith(restored_dir, ".restore-"), IsEmpty());
  std::unique_ptr<Database> restored;
  ASSERT_NO_FATAL_FAILURE(OpenDatabase(restored_dir.string(), &restored));

  // The same vectors, the same index without training, and the same tenant key.
  const v1::CollectionInfo after = Describe(*restored);
  EXPECT_EQ(after.vector_count(), kVectors);
  EXPECT_TRUE(after.index().trained());
  EXPECT_EQ(after.index().trained_unix_ms(), before.index().trained_unix_ms());
  EXPECT_EQ(after.index().tree_nodes(), before.index().tree_nodes());
  std::vector<uint64_t> ids;
  for (const TestVector& vector : vectors_) ids.push_back(vector.id);
  const absl::StatusOr<v1::GetResponse> got =
      DataCalls(restored.get()).Call(admin_, MakeGet("docs", "t", ids));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(static_cast<size_t>(got->records_size()), kVectors);
  for (size_t i = 0; i < kVectors; ++i) {
    ASSERT_EQ(got->records(static_cast<int>(i)).id(), vectors_[i].id);
    ASSERT_EQ(std::vector<float>(got->records(static_cast<int>(i)).values().begin(),
                                 got->records(static_cast<int>(i)).values().end()),
              vectors_[i].values)
        << "id " << vectors_[i].id;
  }
  EXPECT_TRUE(restored->Authenticate(absl::StrCat("Bearer ", tenant_key->key())).ok());
}

TEST_F(BackupTest, RestoreRemovesStaleStagingDirectory) {
  const fs::path path = MakeBackup();
  const fs::path restored_dir = fs::path(dir_.path()) / "restored";
  fs::create_directories(restored_dir / ".restore-AbC123/db");
  WriteFile(restored_dir / ".restore-AbC123/db/CURRENT", "MANIFEST-000001\n");
  WriteFile(restored_dir / "notes.txt", "kept");

  ASSERT_TRUE(RestoreBackup(path.string(), restored_dir.string()).ok());
  EXPECT_THAT(EntriesStartingWith(restored_dir, ".restore-"), IsEmpty());
  EXPECT_EQ(ReadFile(restored_dir / "notes.txt"), "kept");
  EXPECT_TRUE(fs::exists(restored_dir / "db/CURRENT"));
}

TEST_F(BackupTest, BackupOfEmptyDatabaseRestores) {
  const fs::path path = MakeBackup();
  const fs::path restored_dir = fs::path(dir_.path()) / "restored";
  ASSERT_TRUE(RestoreBackup(path.string(), restored_dir.string()).ok());
  std::unique_ptr<Database> restored;
  ASSERT_NO_FATAL_FAILURE(OpenDatabase(restored_dir.string(), &restored));
  const absl::StatusOr<v1::ListCollectionsResponse> listed = restored->ListCollections(admin_);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->collections_size(), 0);
}

TEST_F(BackupTest, BackupWithoutAdminKeyFile) {
  fs::remove(fs::path(data_dir_) / "admin.key");
  const fs::path path = MakeBackup();
  EXPECT_FALSE(fs::exists(path / "admin.key"));

  const fs::path restored_dir = fs::path(dir_.path()) / "restored";
  ASSERT_TRUE(RestoreBackup(path.string(), restored_dir.string()).ok());
  EXPECT_TRUE(fs::exists(restored_dir / "db/CURRENT"));
  EXPECT_FALSE(fs::exists(restored_dir / "admin.key"));
}

TEST_F(BackupTest, RejectsTenantKey) {
  Principal tenant;
  tenant.key_id = "0123456789abcdef";
  tenant.collection = "docs";
  tenant.tenant = "t";
  v1::CreateBackupRequest request;
  request.set_path((fs::path(dir_.path()) / "backup").string());
  const absl::StatusOr<v1::BackupInfo> info =
      database_->CreateBackup(tenant, request, absl::InfiniteFuture());
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(fs::exists(request.path()));
}

TEST_F(BackupTest, PastDeadlineLeavesNothing) {
  ASSERT_NO_FATAL_FAILURE(Load(database_.get()));
  const fs::path path = fs::path(dir_.path()) / "backup";
  const absl::StatusOr<v1::BackupInfo> info = Backup(path, absl::Now() - absl::Seconds(1));
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), absl::StatusCode::kDeadlineExceeded) << info.status();
  EXPECT_FALSE(fs::exists(path));
  EXPECT_THAT(EntriesStartingWith(dir_.path(), ".backup.partial-"), IsEmpty());

  // The failed call does not block the next one.
  EXPECT_TRUE(Backup(path).ok());
}

// Whether a call overlaps another depends on timing, so this checks what must hold either way:
// every call ends with a complete backup or with FAILED_PRECONDITION and nothing at its path.
TEST_F(BackupTest, ConcurrentBackupsAreRejected) {
  ASSERT_NO_FATAL_FAILURE(Load(database_.get()));
  constexpr int kCalls = 4;
  std::vector<absl::Status> results(kCalls);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      ready.fetch_add(1);
      while (ready.load() < kCalls) std::this_thread::yield();
      results[i] = Backup(fs::path(dir_.path()) / absl::StrCat("backup", i)).status();
    });
  }
  for (std::thread& thread : threads) thread.join();

  int completed = 0;
  for (int i = 0; i < kCalls; ++i) {
    const fs::path path = fs::path(dir_.path()) / absl::StrCat("backup", i);
    if (results[i].ok()) {
      ++completed;
      EXPECT_TRUE(ReadBackupManifest(path.string()).ok()) << path;
      continue;
    }
    EXPECT_EQ(results[i].code(), absl::StatusCode::kFailedPrecondition) << results[i];
    EXPECT_THAT(std::string(results[i].message()), HasSubstr("is in progress"));
    EXPECT_FALSE(fs::exists(path));
  }
  EXPECT_GE(completed, 1);
  std::cout << completed << " of " << kCalls << " simultaneous backups completed\n";
}

// ---- Restore checks ----

TEST_F(BackupTest, RestoreRejectsMissingFile) {
  ASSERT_NO_FATAL_FAILURE(Load(database_.get()));
  const fs::path backup = MakeBackup();
  const std::string sst = SomeSstFile(backup);
  fs::remove(backup / sst);
  ExpectRestoreFails(backup, absl::StatusCode::kDataLoss, absl::StrCat("is missing ", sst));
}

TEST_F(BackupTest, RestoreRejectsAlteredFile) {
  ASSERT_NO_FATAL_FAILURE(Load(database_.get()));
  const fs::path backup = MakeBackup();
  const std::string sst = SomeSstFile(backup);
  // The backup's SST may be a hard link to the live database's file, so the altered copy
  // replaces the link instead of changing the shared file.
  std::string content = ReadFile(backup / sst);
  content[content.size() / 2] = static_cast<char>(content[content.size() / 2] ^ 0x40);
  fs::remove(backup / sst);
  WriteFile(backup / sst, content);
  ExpectRestoreFails(backup, absl::StatusCode::kDataLoss, "does not match its manifest");
}

TEST_F(BackupTest, RestoreRejectsResizedFile) {
  ASSERT_NO_FATAL_FAILURE(Load(database_.get()));
  const fs::path backup = MakeBackup();
  const std::string sst = SomeSstFile(backup);
  const std::string content = ReadFile(backup / sst) + "x";
  fs::remove(backup / sst);
  WriteFile(backup / sst, content);
  ExpectRestoreFails(backup, absl::StatusCode::kDataLoss, "bytes but the manifest lists");
}

TEST_F(BackupTest, RestoreRejectsCorruptedManifest) {
  const fs::path backup = MakeBackup();
  std::string manifest = ReadFile(backup / kBackupManifestName);
  const size_t digit = manifest.find("sequence_number ") + std::string("sequence_number ").size();
  manifest[digit] = manifest[digit] == '7' ? '8' : '7';
  WriteFile(backup / kBackupManifestName, manifest);
  ExpectRestoreFails(backup, absl::StatusCode::kDataLoss, "is damaged");
}

TEST_F(BackupTest, RestoreRejectsDirectoryWithoutManifest) {
  const fs::path backup = MakeBackup();
  fs::remove(backup / kBackupManifestName);
  ExpectRestoreFails(backup, absl::StatusCode::kNotFound, "contains no backup.manifest");
  ExpectRestoreFails(fs::path(dir_.path()) / "nonexistent", absl::StatusCode::kNotFound,
                     "does not exist");
}

TEST_F(BackupTest, RestoreRejectsDataDirectoryWithDatabase) {
  ASSERT_NO_FATAL_FAILURE(Load(database_.get()));
  const fs::path backup = MakeBackup();

  // A closed database in the target directory is kept as it was.
  const fs::path other = fs::path(dir_.path()) / "other";
  {
    std::unique_ptr<Database> database;
    ASSERT_NO_FATAL_FAILURE(OpenDatabase(other.string(), &database));
  }
  std::vector<std::string> files_before;
  for (const fs::directory_entry& entry : fs::directory_iterator(other / "db")) {
    files_before.push_back(entry.path().filename().string());
  }
  const absl::Status restored = RestoreBackup(backup.string(), other.string());
  ASSERT_FALSE(restored.ok());
  EXPECT_EQ(restored.code(), absl::StatusCode::kFailedPrecondition) << restored;
  EXPECT_THAT(std::string(restored.message()), HasSubstr("already contains a database"));
  std::vector<std::string> files_after;
  for (const fs::directory_entry& entry : fs::directory_iterator(other / "db")) {
    files_after.push_back(entry.path().filename().string());
  }
  EXPECT_THAT(files_after, ::testing::UnorderedElementsAreArray(files_before));
  EXPECT_FALSE(fs::exists(other / "admin.key"));

  // A data directory in use by a running server is locked.
  const absl::Status running = RestoreBackup(backup.string(), data_dir_);
  ASSERT_FALSE(running.ok());
  EXPECT_EQ(running.code(), absl::StatusCode::kFailedPrecondition) << running;
  EXPECT_THAT(std::string(running.message()), HasSubstr("in use by another arbord"));
}

TEST_F(BackupTest, RestoreChecksExistingAdminKey) {
  const fs::path backup = MakeBackup();

  const fs::path differs = fs::path(dir_.path()) / "differs";
  fs::create_directories(differs);
  ASSERT_TRUE(WriteKeyFile((differs / "admin.key").string(), "another-admin-key-0123").ok());
  const absl::Status rejected = RestoreBackup(backup.string(), differs.string());
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.code(), absl::StatusCode::kFailedPrecondition) << rejected;
  EXPECT_THAT(std::string(rejected.message()), HasSubstr("differs from the backup's"));
  EXPECT_FALSE(fs::exists(differs / "db"));

  // The same key, as left by a restore that stopped after moving it, is accepted.
  const fs::path same = fs::path(dir_.path()) / "same";
  fs::create_directories(same);
  fs::copy_file(backup / "admin.key", same / "admin.key");
  const absl::Status accepted = RestoreBackup(backup.string(), same.string());
  ASSERT_TRUE(accepted.ok()) << accepted;
  EXPECT_TRUE(fs::exists(same / "db/CURRENT"));
}

}  // namespace
}  // namespace arbor::server

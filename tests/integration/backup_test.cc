// Backups of a running arbord over gRPC: bad requests, a backup taken while writers upsert and
// restored by a second arbord started with --restore-from, and restores that must be rejected.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/integration/arbord_test_fixture.h"

namespace arbor::integration {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kCollection[] = "live";
constexpr size_t kDimension = 16;
constexpr int kWriters = 3;
constexpr uint64_t kPreloaded = 1000;    // vectors per tenant before the writers start
constexpr uint64_t kFirstWrittenId = 100000;
constexpr uint64_t kNewPerRequest = 20;  // new ids in each writer request
// Request b also overwrites the ids that request b - kUpdateLag inserted.
constexpr uint64_t kUpdateLag = 3;

std::string WriterTenant(int writer) { return absl::StrCat("w", writer); }

// The values of `id` of `writer`'s tenant in its `generation`-th version (0 when inserted,
// 1 when overwritten), so that a check can tell the versions apart.
std::vector<float> VersionValues(int writer, uint64_t id, int generation) {
  std::mt19937_64 rng((static_cast<uint64_t>(writer) << 48) ^ (id << 1) ^
                      static_cast<uint64_t>(generation));
  return RandomValues(rng, kDimension);
}

std::vector<uint64_t> NewIds(uint64_t request) {
  std::vector<uint64_t> ids;
  for (uint64_t i = 0; i < kNewPerRequest; ++i) {
    ids.push_back(kFirstWrittenId + request * kNewPerRequest + i);
  }
  return ids;
}

std::vector<uint64_t> UpdatedIds(uint64_t request) {
  return request >= kUpdateLag ? NewIds(request - kUpdateLag) : std::vector<uint64_t>();
}

// One Upsert of a writer: when it was sent and when its reply arrived.
struct WriteRecord {
  Clock::time_point sent;
  Clock::time_point acknowledged;
};

class BackupTest : public ArbordTest {
 protected:
  void SetUp() override {
    ArbordTest::SetUp();
    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern = absl::StrCat(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp",
                                       "/arbor-backups-XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    backup_root_ = pattern;
  }

  void TearDown() override {
    ArbordTest::TearDown();
    restored_.reset();
    if (HasFailure()) {
      std::cerr << "backup directory kept: " << backup_root_ << "\n";
      return;
    }
    std::error_code ignored;
    fs::remove_all(backup_root_, ignored);
  }

  grpc::Status CreateBackup(ArborClient& client, const std::string& path,
                            v1::BackupInfo* info = nullptr) {
    v1::CreateBackupRequest request;
    request.set_path(path);
    v1::BackupInfo ignored;
    return client.Call(&v1::AdminService::Stub::CreateBackup, request,
                       info != nullptr ? info : &ignored, std::chrono::seconds(120));
  }

  // Creates the collection with an index that trains at 1,000 vectors and never retrains, one
  // tenant per writer with kPreloaded vectors, and waits until the index is trained.
  void LoadTrainedCollection(v1::CollectionInfo* trained) {
    v1::CreateCollectionRequest create;
    create.set_name(kCollection);
    create.set_dimension(kDimension);
    create.set_metric(v1::METRIC_L2);
    v1::IndexSettings* index = create.mutable_index();
    index->set_branching(8);
    index->set_max_leaf_size(40);
    index->set_split_threshold(24);
    index->set_train_threshold(1000);
    index->set_retrain_growth(1000);
    v1::CollectionInfo created;
    ASSERT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::CreateCollection, create, &created)));

    for (int w = 0; w < kWriters; ++w) {
      ASSERT_TRUE(IsOk(admin_->CreateTenant(kCollection, WriterTenant(w))));
      std::vector<TestVector> vectors;
      for (uint64_t id = 0; id < kPreloaded; ++id) {
        vectors.push_back({id, VersionValues(w, id, 0)});
      }
      ASSERT_TRUE(IsOk(admin_->Upsert(kCollection, WriterTenant(w), vectors)));
    }

    const Clock::time_point give_up = Clock::now() + std::chrono::seconds(60);
    while (true) {
      ASSERT_TRUE(IsOk(admin_->DescribeCollection(kCollection, trained)));
      if (trained->index().trained()) break;
      ASSERT_LT(Clock::now(), give_up) << "the index was not trained within 60 s";
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_GT(trained->index().tree_nodes(), 1u);
  }

  std::string backup_root_;
  std::unique_ptr<ArbordProcess> restored_;
};

TEST_F(BackupTest, BadRequestsGetPreciseCodes) {
  ASSERT_TRUE(IsOk(admin_->CreateCollection("docs", 2, v1::METRIC_L2)));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("docs", "alice")));
  std::string tenant_key;
  ASSERT_TRUE(IsOk(admin_->CreateKey("docs", "alice", &tenant_key)));

  using Code = grpc::StatusCode;
  const std::string inside = server_->data_dir() + "/backup";
  EXPECT_TRUE(HasStatus(CreateBackup(*admin_, "backups/b1"), Code::INVALID_ARGUMENT,
                        "path 'backups/b1' is relative; it must be absolute"));
  EXPECT_TRUE(HasStatus(CreateBackup(*admin_, ""), Code::INVALID_ARGUMENT, "path is empty"));
  EXPECT_TRUE(HasStatus(CreateBackup(*admin_, backup_root_), Code::ALREADY_EXISTS,
                        "path '" + backup_root_ + "' already exists"));
  EXPECT_TRUE(HasStatus(CreateBackup(*admin_, backup_root_ + "/missing/b1"),
                        Code::FAILED_PRECONDITION,
                        "the parent directory " + backup_root_ + "/missing of path"));
  EXPECT_TRUE(HasStatus(CreateBackup(*admin_, inside), Code::INVALID_ARGUMENT,
                        "is inside the data directory"));
  EXPECT_TRUE(HasStatus(CreateBackup(*ClientWithKey(tenant_key), backup_root_ + "/b1"),
                        Code::PERMISSION_DENIED, "needs the admin key"));
  EXPECT_TRUE(HasStatus(CreateBackup(*ClientWithKey(""), backup_root_ + "/b1"),
                        Code::UNAUTHENTICATED, "no authorization header"));

  // Nothing was written, not even a staging directory.
  EXPECT_TRUE(fs::is_empty(backup_root_));
  EXPECT_FALSE(fs::exists(inside));

  // The same server still makes a backup of a valid path.
  v1::BackupInfo info;
  ASSERT_TRUE(IsOk(CreateBackup(*admin_, backup_root_ + "/b1", &info)));
  EXPECT_EQ(info.path(), backup_root_ + "/b1");
  EXPECT_TRUE(fs::exists(backup_root_ + "/b1/backup.manifest"));
}

// Writers upsert without pause, each as its own tenant, before, during and after the backup.
// Each request inserts new ids and overwrites the ids of an earlier request. The restored data
// must be the state after some prefix of each writer's requests, so no request is half there
// and no request is there without the ones before it. That prefix must contain every request
// acknowledged before the backup call was sent.
TEST_F(BackupTest, RestoresEveryAcknowledgedWrite) {
  v1::CollectionInfo trained;
  ASSERT_NO_FATAL_FAILURE(LoadTrainedCollection(&trained));
  const std::string admin_key = server_->admin_key();

  std::atomic<bool> stop{false};
  std::vector<std::vector<WriteRecord>> records(kWriters);
  std::vector<grpc::Status> writer_errors(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      ArborClient client(server_->address(), admin_key);
      for (uint64_t r = 0; !stop.load(); ++r) {
        std::vector<TestVector> batch;
        for (uint64_t id : NewIds(r)) batch.push_back({id, VersionValues(w, id, 0)});
        for (uint64_t id : UpdatedIds(r)) batch.push_back({id, VersionValues(w, id, 1)});
        WriteRecord record;
        record.sent = Clock::now();
        const grpc::Status status = client.Upsert(kCollection, WriterTenant(w), batch, nullptr,
                                                  std::chrono::seconds(20));
        record.acknowledged = Clock::now();
        if (!status.ok()) {
          writer_errors[w] = status;
          return;
        }
        records[w].push_back(record);
      }
    });
  }

  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  const std::string backup_path = backup_root_ + "/backup";
  const int64_t sent_unix_ms = absl::ToUnixMillis(absl::Now());
  const Clock::time_point backup_sent = Clock::now();
  v1::BackupInfo info;
  const grpc::Status backup_status = CreateBackup(*admin_, backup_path, &info);
  const Clock::time_point backup_returned = Clock::now();
  const int64_t returned_unix_ms = absl::ToUnixMillis(absl::Now());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop.store(true);
  for (std::thread& writer : writers) writer.join();

  ASSERT_TRUE(IsOk(backup_status));
  for (int w = 0; w < kWriters; ++w) {
    ASSERT_TRUE(IsOk(writer_errors[w])) << "writer " << w;
  }
  EXPECT_EQ(info.path(), backup_path);
  EXPECT_GE(info.created_unix_ms(), sent_unix_ms);
  EXPECT_LE(info.created_unix_ms(), returned_unix_ms);
  EXPECT_GT(info.sequence_number(), 0u);
  EXPECT_GT(info.file_count(), 2u);
  EXPECT_GT(info.bytes(), kWriters * kPreloaded * kDimension * sizeof(float));
  EXPECT_EQ(info.collection_count(), 1u);
  EXPECT_LE(info.duration_ms(),
            std::chrono::duration_cast<std::chrono::milliseconds>(backup_returned - backup_sent)
                .count());

  // Writes went on while the backup ran.
  size_t acknowledged_before = 0;
  size_t completed_during = 0;
  size_t total = 0;
  for (const std::vector<WriteRecord>& writer : records) {
    for (const WriteRecord& record : writer) {
      ++total;
      if (record.acknowledged < backup_sent) ++acknowledged_before;
      if (record.sent > backup_sent && record.acknowledged < backup_returned) ++completed_during;
    }
  }
  std::cout << total << " upserts: " << acknowledged_before
            << " acknowledged before the backup call, " << completed_during
            << " sent and acknowledged during it (" << info.duration_ms() << " ms on the server, "
            << info.file_count() << " files, " << info.bytes() << " bytes)\n";
  EXPECT_GT(acknowledged_before, 0u);
  EXPECT_GT(completed_during, 0u) << "the backup held up writes";

  // The original server stops; a new one restores the backup into a fresh data directory.
  ASSERT_NO_FATAL_FAILURE(StopArbord());
  server_.reset();  // removes the original data directory unless the test has failed
  ArbordOptions options;
  options.extra_args = {"--restore-from", backup_path};
  absl::StatusOr<std::unique_ptr<ArbordProcess>> started = ArbordProcess::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  restored_ = std::move(*started);
  EXPECT_EQ(restored_->admin_key(), admin_key) << "the admin key was not restored";
  ArborClient client(restored_->address(), restored_->admin_key());

  // The index checkpoint was restored: the index is trained at once, by the same training.
  v1::CollectionInfo described;
  ASSERT_TRUE(IsOk(client.DescribeCollection(kCollection, &described)));
  EXPECT_TRUE(described.index().trained());
  EXPECT_EQ(described.index().trained_unix_ms(), trained.index().trained_unix_ms());
  EXPECT_EQ(described.index().tree_nodes(), trained.index().tree_nodes());
  EXPECT_EQ(described.index().vectors_at_training(), trained.index().vectors_at_training());

  uint64_t vectors_found = 0;
  for (int w = 0; w < kWriters; ++w) {
    SCOPED_TRACE(absl::StrCat("writer ", w));
    const std::string tenant = WriterTenant(w);
    const std::vector<WriteRecord>& writes = records[w];

    std::vector<std::pair<std::string, uint64_t>> listed;
    ASSERT_TRUE(IsOk(client.ListAll(kCollection, tenant, 5000, &listed)));
    std::vector<uint64_t> ids;
    for (const auto& [owner, id] : listed) ids.push_back(id);
    std::map<uint64_t, std::vector<float>> restored_values;
    for (size_t start = 0; start < ids.size(); start += 5000) {
      const std::vector<uint64_t> chunk(ids.begin() + start,
                                        ids.begin() + std::min(ids.size(), start + 5000));
      v1::GetResponse got;
      ASSERT_TRUE(IsOk(client.Get(kCollection, tenant, chunk, "", &got)));
      for (const v1::Record& record : got.records()) {
        restored_values[record.id()] = ValuesOf(record);
      }
    }
    uint64_t count = 0;
    ASSERT_TRUE(IsOk(client.Count(kCollection, tenant, &count)));
    EXPECT_EQ(count, listed.size());
    EXPECT_EQ(restored_values.size(), listed.size());
    vectors_found += restored_values.size();

    // Requests whose first new id is present form the restored prefix.
    uint64_t prefix = 0;
    while (prefix < writes.size() && restored_values.contains(NewIds(prefix).front())) {
      ++prefix;
    }
    uint64_t acknowledged = 0;
    while (acknowledged < writes.size() && writes[acknowledged].acknowledged < backup_sent) {
      ++acknowledged;
    }
    EXPECT_GE(prefix, acknowledged) << "a write acknowledged before the backup is missing";
    std::cout << tenant << ": " << acknowledged << " upserts acknowledged before the backup, "
              << prefix << " in it, " << writes.size() << " in all\n";

    // The exact state after `prefix` requests: every preloaded vector, each id of the prefix
    // in its latest version, and nothing else.
    std::map<uint64_t, std::vector<float>> expected;
    for (uint64_t id = 0; id < kPreloaded; ++id) expected[id] = VersionValues(w, id, 0);
    for (uint64_t r = 0; r < prefix; ++r) {
      for (uint64_t id : NewIds(r)) expected[id] = VersionValues(w, id, 0);
      for (uint64_t id : UpdatedIds(r)) expected[id] = VersionValues(w, id, 1);
    }
    EXPECT_EQ(restored_values.size(), expected.size());
    for (const auto& [id, values] : expected) {
      auto it = restored_values.find(id);
      if (it == restored_values.end()) {
        ADD_FAILURE() << "id " << id << " is missing";
      } else if (it->second != values) {
        ADD_FAILURE() << "id " << id << " has values that no acknowledged write left there";
      }
    }
    for (const auto& [id, values] : restored_values) {
      EXPECT_TRUE(expected.contains(id)) << "id " << id << " is not in the restored prefix";
    }

    // Searches use the restored index: each stored vector finds itself first.
    for (uint64_t id = 0; id < kPreloaded; id += 100) {
      v1::SearchResponse found;
      ASSERT_TRUE(IsOk(client.Search(kCollection, tenant, VersionValues(w, id, 0), 10, &found)));
      ASSERT_EQ(found.hits_size(), 10);
      EXPECT_EQ(found.hits(0).id(), id);
      EXPECT_EQ(found.hits(0).owner(), tenant);
      EXPECT_EQ(found.hits(0).score(), 0.0f);
    }
  }
  ASSERT_TRUE(IsOk(client.DescribeCollection(kCollection, &described)));
  EXPECT_EQ(described.vector_count(), vectors_found);

  // The restored server takes writes, and it has not retrained the index.
  ASSERT_TRUE(IsOk(client.Upsert(kCollection, WriterTenant(0), {{7, VersionValues(0, 7, 5)}})));
  uint64_t count = 0;
  ASSERT_TRUE(IsOk(client.Count(kCollection, WriterTenant(0), &count)));
  EXPECT_GT(count, 0u);
  const std::string log = restored_->ReadLog();
  EXPECT_TRUE(absl::StrContains(log, "restoring backup " + backup_path)) << log;
  EXPECT_FALSE(absl::StrContains(log, "training the index")) << log;
}

TEST_F(BackupTest, RestoreRejectsUnusableInput) {
  ASSERT_TRUE(IsOk(admin_->CreateCollection("docs", 2, v1::METRIC_L2)));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("docs", "alice")));
  ASSERT_TRUE(IsOk(admin_->Upsert("docs", "alice", {{1, {1, 2}}, {2, {3, 4}}})));
  const std::string backup_path = backup_root_ + "/backup";
  ASSERT_TRUE(IsOk(CreateBackup(*admin_, backup_path)));
  ASSERT_NO_FATAL_FAILURE(StopArbord());

  struct Case {
    std::string name;
    std::string data_dir;
    std::string backup;
    std::string message;
  };
  const std::string fresh = backup_root_ + "/fresh";
  const std::vector<Case> cases = {
      {"data directory with a database", server_->data_dir(), backup_path,
       "already contains a database"},
      {"missing backup", fresh, backup_root_ + "/nonexistent", "does not exist"},
      {"directory that is not a backup", fresh, backup_root_, "contains no backup.manifest"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string log_path = absl::StrCat(backup_root_, "/restore-", &c - cases.data(), ".log");
    absl::StatusOr<ExitStatus> exited = RunArbordUntilExit(
        {"--data-dir", c.data_dir, "--listen", "127.0.0.1:0", "--restore-from", c.backup},
        log_path, std::chrono::seconds(30));
    ASSERT_TRUE(exited.ok()) << exited.status();
    const std::string output = ReadFileOrEmpty(log_path);
    EXPECT_TRUE(exited->exited) << exited->ToString();
    EXPECT_EQ(exited->code, 1) << output;
    EXPECT_TRUE(absl::StrContains(output, c.message)) << output;
  }
  EXPECT_FALSE(fs::exists(fresh + "/db"));
  EXPECT_FALSE(fs::exists(fresh + "/admin.key"));

  // A damaged backup is rejected before anything is copied.
  std::string sst;
  for (const fs::directory_entry& entry : fs::directory_iterator(backup_path + "/db")) {
    if (entry.path().extension() == ".sst") sst = entry.path().filename().string();
  }
  ASSERT_FALSE(sst.empty());
  fs::remove(backup_path + "/db/" + sst);
  const std::string damaged_log = backup_root_ + "/restore-damaged.log";
  absl::StatusOr<ExitStatus> damaged = RunArbordUntilExit(
      {"--data-dir", fresh, "--listen", "127.0.0.1:0", "--restore-from", backup_path},
      damaged_log, std::chrono::seconds(30));
  ASSERT_TRUE(damaged.ok()) << damaged.status();
  const std::string output = ReadFileOrEmpty(damaged_log);
  EXPECT_EQ(damaged->code, 1) << output;
  EXPECT_TRUE(absl::StrContains(output, "is missing db/" + sst)) << output;
  EXPECT_FALSE(fs::exists(fresh + "/db"));

  // The original data directory is untouched and serves its data.
  ASSERT_NO_FATAL_FAILURE(RestartArbord());
  uint64_t count = 0;
  ASSERT_TRUE(IsOk(admin_->Count("docs", "alice", &count)));
  EXPECT_EQ(count, 2u);
}

}  // namespace
}  // namespace arbor::integration

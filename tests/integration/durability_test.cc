// Process-level behaviour: state kept across a clean restart and across kill -9, acknowledged
// writes surviving a crash in the middle of an import, the data directory lock, and SIGTERM
// while calls are in flight.
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/integration/arbord_test_fixture.h"

namespace arbor::integration {
namespace {

using Snapshot = std::map<std::string, std::string>;

// Tests here start arbord themselves, some with extra flags.
class DurabilityTest : public ArbordTest {
 protected:
  void SetUp() override {}

  // Everything a client can observe about `collections`, by item, as text. Floats are printed
  // with round-trip precision, so equal text means equal values.
  Snapshot TakeSnapshot(const std::vector<std::string>& collections) {
    Snapshot snapshot;
    std::mt19937_64 rng(99);
    for (const std::string& collection : collections) {
      v1::CollectionInfo info;
      EXPECT_TRUE(IsOk(admin_->DescribeCollection(collection, &info))) << collection;
      info.clear_bytes();  // an estimate that changes when RocksDB flushes or compacts
      info.mutable_index()->clear_memory_bytes();  // container capacities differ after a rebuild
      snapshot["collection/" + collection] = info.DebugString();

      std::vector<v1::TenantInfo> tenants;
      EXPECT_TRUE(IsOk(admin_->ListAllTenants(collection, 2, &tenants)));
      v1::ListKeysRequest keys_request;
      keys_request.set_collection(collection);
      v1::ListKeysResponse keys;
      EXPECT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::ListKeys, keys_request, &keys)));
      snapshot["keys/" + collection] = keys.DebugString();

      // The same queries for every tenant of the collection.
      std::vector<std::vector<float>> queries;
      for (int i = 0; i < 8; ++i) queries.push_back(RandomValues(rng, info.dimension()));

      for (const v1::TenantInfo& tenant : tenants) {
        const std::string prefix = collection + "/" + tenant.name();
        snapshot["tenant/" + prefix] = tenant.DebugString();
        uint64_t count = 0;
        EXPECT_TRUE(IsOk(admin_->Count(collection, tenant.name(), &count)));
        snapshot["count/" + prefix] = absl::StrCat(count);

        std::vector<std::pair<std::string, uint64_t>> refs;
        EXPECT_TRUE(IsOk(admin_->ListAll(collection, tenant.name(), 97, &refs)));
        std::map<std::string, std::vector<uint64_t>> ids_by_owner;
        for (const auto& [owner, id] : refs) ids_by_owner[owner].push_back(id);
        for (const auto& [owner, ids] : ids_by_owner) {
          v1::GetResponse got;
          EXPECT_TRUE(IsOk(admin_->Get(collection, tenant.name(), ids, owner, &got)));
          snapshot["get/" + prefix + "/" + owner] = got.DebugString();
        }

        v1::SearchBatchResponse found;
        EXPECT_TRUE(IsOk(admin_->SearchBatch(collection, tenant.name(), queries, 20, &found)));
        snapshot["search/" + prefix] = found.DebugString();
      }
    }
    return snapshot;
  }

  // Compares item by item, so that a failure names what differs.
  void ExpectSameSnapshot(const Snapshot& before, const Snapshot& after) {
    for (const auto& [item, text] : before) {
      auto it = after.find(item);
      if (it == after.end()) {
        ADD_FAILURE() << item << " is missing after the restart";
      } else {
        EXPECT_EQ(it->second, text) << item << " differs after the restart";
      }
    }
    for (const auto& [item, text] : after) {
      EXPECT_TRUE(before.contains(item)) << item << " appeared after the restart";
    }
  }

  std::string CreateKey(const std::string& collection, const std::string& tenant,
                        std::string* key_id = nullptr) {
    std::string key;
    EXPECT_TRUE(IsOk(admin_->CreateKey(collection, tenant, &key, key_id)));
    return key;
  }

  std::vector<uint64_t> Range(uint64_t first, uint64_t end) {
    std::vector<uint64_t> ids;
    for (uint64_t id = first; id < end; ++id) ids.push_back(id);
    return ids;
  }
};

TEST_F(DurabilityTest, RestartKeepsEverything) {
  ASSERT_NO_FATAL_FAILURE(StartArbord());
  std::mt19937_64 rng(7);

  ASSERT_TRUE(IsOk(admin_->CreateCollection("docs", 8, v1::METRIC_L2)));
  ASSERT_TRUE(IsOk(admin_->CreateCollection("faces", 5, v1::METRIC_COSINE)));
  ASSERT_TRUE(IsOk(admin_->CreateCollection("ip", 6, v1::METRIC_IP)));
  ASSERT_TRUE(IsOk(admin_->CreateCollection("temp", 2, v1::METRIC_L2)));
  for (const char* name : {"alice", "bob", "carol", "dave", "erin"}) {
    ASSERT_TRUE(IsOk(admin_->CreateTenant("docs", name)));
  }
  ASSERT_TRUE(IsOk(admin_->CreateTenant("faces", "x")));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("ip", "y")));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("ip", "z")));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("temp", "t")));

  ASSERT_TRUE(IsOk(admin_->Upsert("docs", "alice", RandomVectors(rng, 1000, 8, 0))));
  ASSERT_TRUE(IsOk(admin_->Upsert("docs", "bob", RandomVectors(rng, 500, 8, 0))));
  ASSERT_TRUE(IsOk(admin_->Upsert("docs", "dave", RandomVectors(rng, 100, 8, 0))));
  ASSERT_TRUE(IsOk(admin_->Upsert("faces", "x", RandomVectors(rng, 300, 5, 1))));
  ASSERT_TRUE(IsOk(admin_->Upsert("ip", "y", RandomVectors(rng, 200, 6, 1))));
  ASSERT_TRUE(IsOk(admin_->Upsert("temp", "t", RandomVectors(rng, 10, 2, 1))));

  ASSERT_TRUE(IsOk(admin_->Share("docs", "alice", Range(0, 100), {"bob"})));
  ASSERT_TRUE(IsOk(admin_->Share("docs", "alice", Range(50, 60), {"carol"})));
  ASSERT_TRUE(IsOk(admin_->Share("docs", "bob", Range(0, 10), {"alice"})));
  ASSERT_TRUE(IsOk(admin_->Share("docs", "dave", Range(0, 10), {"alice", "bob"})));
  ASSERT_TRUE(IsOk(admin_->Share("ip", "y", Range(1, 51), {"z"})));
  ASSERT_TRUE(IsOk(admin_->Upsert("docs", "alice", RandomVectors(rng, 10, 8, 0))));  // replace
  ASSERT_TRUE(IsOk(admin_->Delete("docs", "alice", Range(900, 1000))));
  ASSERT_TRUE(IsOk(admin_->Unshare("docs", "alice", Range(90, 100), {"bob"})));

  const std::string alice_key = CreateKey("docs", "alice");
  const std::string bob_key = CreateKey("docs", "bob");
  std::string revoked_key_id;
  const std::string revoked_key = CreateKey("docs", "alice", &revoked_key_id);
  const std::string dave_key = CreateKey("docs", "dave");
  const std::string temp_key = CreateKey("temp", "t");
  ASSERT_TRUE(IsOk(admin_->RevokeKey("docs", revoked_key_id)));
  ASSERT_TRUE(IsOk(admin_->DropTenant("docs", "dave")));
  ASSERT_TRUE(IsOk(admin_->DropTenant("docs", "erin")));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("docs", "erin")));
  v1::DropCollectionRequest drop;
  drop.set_name("temp");
  v1::DropCollectionResponse dropped;
  ASSERT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::DropCollection, drop, &dropped)));

  const std::vector<std::string> collections = {"docs", "faces", "ip"};
  const Snapshot before = TakeSnapshot(collections);
  ASSERT_EQ(before.at("count/docs/alice"), "910");  // 900 own + bob's 10 shared

  ASSERT_NO_FATAL_FAILURE(StopArbord());
  ASSERT_NO_FATAL_FAILURE(RestartArbord());

  ExpectSameSnapshot(before, TakeSnapshot(collections));
  v1::ListCollectionsResponse listed;
  ASSERT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::ListCollections,
                                v1::ListCollectionsRequest(), &listed)));
  EXPECT_EQ(listed.collections_size(), 3) << listed.DebugString();

  uint64_t count = 0;
  EXPECT_TRUE(IsOk(ClientWithKey(alice_key)->Count("docs", "alice", &count)));
  EXPECT_TRUE(IsOk(ClientWithKey(bob_key)->Count("docs", "bob", &count)));
  EXPECT_TRUE(HasStatus(ClientWithKey(revoked_key)->Count("docs", "alice", &count),
                        grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_TRUE(HasStatus(ClientWithKey(dave_key)->Count("docs", "dave", &count),
                        grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_TRUE(HasStatus(ClientWithKey(temp_key)->Count("temp", "t", &count),
                        grpc::StatusCode::UNAUTHENTICATED));

  // Ids handed out after the restart must not collide with existing ones: a new collection
  // and a new tenant start empty, and writing to them leaves the old data alone.
  ASSERT_TRUE(IsOk(admin_->CreateCollection("later", 8, v1::METRIC_L2)));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("later", "alice")));
  ASSERT_TRUE(IsOk(admin_->Count("later", "alice", &count)));
  EXPECT_EQ(count, 0u);
  ASSERT_TRUE(IsOk(admin_->CreateTenant("docs", "newbie")));
  ASSERT_TRUE(IsOk(admin_->Count("docs", "newbie", &count)));
  EXPECT_EQ(count, 0u);
  ASSERT_TRUE(IsOk(admin_->Upsert("later", "alice", RandomVectors(rng, 20, 8, 0))));
  ASSERT_TRUE(IsOk(admin_->Upsert("docs", "newbie", RandomVectors(rng, 5, 8, 0))));
  ASSERT_TRUE(IsOk(admin_->Count("docs", "alice", &count)));
  EXPECT_EQ(count, 910u);
  v1::CollectionInfo info;
  ASSERT_TRUE(IsOk(admin_->DescribeCollection("docs", &info)));
  EXPECT_EQ(info.vector_count(), 900u + 500u + 5u);

  // kill -9 skips the clean shutdown; RocksDB's write-ahead log must bring everything back.
  const std::vector<std::string> all = {"docs", "faces", "ip", "later"};
  const Snapshot before_kill = TakeSnapshot(all);
  absl::StatusOr<ExitStatus> killed = server_->Kill();
  ASSERT_TRUE(killed.ok()) << killed.status();
  EXPECT_EQ(killed->signal, SIGKILL) << killed->ToString();
  ASSERT_NO_FATAL_FAILURE(RestartArbord());
  ExpectSameSnapshot(before_kill, TakeSnapshot(all));
  EXPECT_TRUE(HasStatus(ClientWithKey(revoked_key)->Count("docs", "alice", &count),
                        grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_TRUE(IsOk(ClientWithKey(alice_key)->Count("docs", "alice", &count)));
}

TEST_F(DurabilityTest, SigintStopsCleanly) {
  ASSERT_NO_FATAL_FAILURE(StartArbord());
  ASSERT_TRUE(IsOk(admin_->CreateCollection("docs", 2, v1::METRIC_L2)));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("docs", "alice")));
  ASSERT_TRUE(IsOk(admin_->Upsert("docs", "alice", {{1, {1, 2}}})));

  admin_.reset();  // see StopArbord
  ASSERT_TRUE(server_->Signal(SIGINT).ok());
  absl::StatusOr<ExitStatus> ended = server_->Wait(std::chrono::seconds(30));
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_TRUE(ended->CleanExit()) << ended->ToString();
  EXPECT_FALSE(std::filesystem::exists(server_->data_dir() + "/arbord.addr"));

  ASSERT_NO_FATAL_FAILURE(RestartArbord());
  uint64_t count = 0;
  ASSERT_TRUE(IsOk(admin_->Count("docs", "alice", &count)));
  EXPECT_EQ(count, 1u);
}

// A writer imports batches until arbord is killed with SIGKILL. After a restart, every
// acknowledged batch is present with exactly its values, and every batch, including the one in
// flight at the kill, is either whole or absent. Runs with --sync true and false: a process
// crash leaves the operating system's buffers intact, so both must keep acknowledged writes.
class CrashTest : public DurabilityTest, public ::testing::WithParamInterface<bool> {
 protected:
  static constexpr size_t kBatchSize = 200;
  static constexpr size_t kDimension = 64;

  // Batch b contains ids b * 200 .. b * 200 + 199 with values drawn from a generator seeded with b,
  // so the check after the restart can compute them again.
  static std::vector<TestVector> Batch(uint64_t b) {
    std::mt19937_64 rng(b);
    return RandomVectors(rng, kBatchSize, kDimension, b * kBatchSize);
  }
};

TEST_P(CrashTest, KillDuringImportKeepsAcknowledgedBatches) {
  const bool sync = GetParam();
  ArbordOptions options;
  options.extra_args = {"--sync", sync ? "true" : "false"};
  ASSERT_NO_FATAL_FAILURE(StartArbord(options));
  ASSERT_TRUE(IsOk(admin_->CreateCollection("import", kDimension, v1::METRIC_L2)));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("import", "loader")));

  std::atomic<bool> stop{false};
  std::atomic<int64_t> attempted{-1};
  std::mutex mu;
  std::vector<uint64_t> acknowledged;
  grpc::Status writer_error;
  std::thread writer([&] {
    ArborClient client(server_->address(), server_->admin_key());
    for (uint64_t b = 0; !stop.load(); ++b) {
      const std::vector<TestVector> batch = Batch(b);
      attempted.store(static_cast<int64_t>(b));
      v1::UpsertResponse response;
      grpc::Status status = client.Upsert("import", "loader", batch, &response,
                                          std::chrono::seconds(10));
      std::lock_guard<std::mutex> lock(mu);
      if (!status.ok()) {
        writer_error = status;
        return;
      }
      acknowledged.push_back(b);
    }
  });

  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  absl::StatusOr<ExitStatus> killed = server_->Kill();
  stop.store(true);
  writer.join();
  ASSERT_TRUE(killed.ok()) << killed.status();
  EXPECT_EQ(killed->signal, SIGKILL) << killed->ToString();
  ASSERT_FALSE(acknowledged.empty()) << "no batch was acknowledged before the kill";
  const uint64_t last_attempted = static_cast<uint64_t>(attempted.load());
  std::cout << "acknowledged " << acknowledged.size() << " batches of " << kBatchSize
            << "; batch " << last_attempted << " was the last sent; the writer stopped with "
            << Describe(writer_error) << "\n";

  ASSERT_NO_FATAL_FAILURE(RestartArbord());
  std::set<uint64_t> acknowledged_set(acknowledged.begin(), acknowledged.end());
  uint64_t present_batches = 0;
  for (uint64_t b = 0; b <= last_attempted; ++b) {
    SCOPED_TRACE(absl::StrCat("batch ", b));
    const std::vector<TestVector> batch = Batch(b);
    std::vector<uint64_t> ids;
    for (const TestVector& vector : batch) ids.push_back(vector.id);
    v1::GetResponse got;
    ASSERT_TRUE(IsOk(admin_->Get("import", "loader", ids, "", &got)));

    const size_t present = static_cast<size_t>(got.records_size());
    EXPECT_TRUE(present == 0 || present == kBatchSize)
        << present << " of " << kBatchSize << " vectors present: the batch was half written";
    if (acknowledged_set.contains(b)) {
      EXPECT_EQ(present, kBatchSize) << "an acknowledged batch was lost";
    }
    if (present == kBatchSize) {
      ++present_batches;
      for (size_t i = 0; i < kBatchSize; ++i) {
        ASSERT_EQ(got.records(static_cast<int>(i)).id(), batch[i].id);
        ASSERT_EQ(ValuesOf(got.records(static_cast<int>(i))), batch[i].values)
            << "id " << batch[i].id;
      }
    }
  }
  // One writer sends one batch at a time, so only the batch in flight may be unacknowledged.
  EXPECT_GE(present_batches, acknowledged.size());
  EXPECT_LE(present_batches, acknowledged.size() + 1);

  uint64_t count = 0;
  ASSERT_TRUE(IsOk(admin_->Count("import", "loader", &count)));
  EXPECT_EQ(count, present_batches * kBatchSize);
  v1::CollectionInfo info;
  ASSERT_TRUE(IsOk(admin_->DescribeCollection("import", &info)));
  EXPECT_EQ(info.vector_count(), present_batches * kBatchSize);
}

INSTANTIATE_TEST_SUITE_P(Sync, CrashTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("SyncTrue")
                                             : std::string("SyncFalse");
                         });

// gRPC allows SO_REUSEPORT by default, and arbord turns it off. A second server on a port in use
// must therefore fail instead of silently taking some of the first one's connections.
TEST_F(DurabilityTest, SecondServerOnSamePortFails) {
  ASSERT_NO_FATAL_FAILURE(StartArbord());
  const std::string other_dir = server_->data_dir() + "/other";
  const std::string second_log = server_->data_dir() + "/second-arbord.log";
  absl::StatusOr<ExitStatus> second = RunArbordUntilExit(
      {"--data-dir", other_dir, "--listen", server_->address()}, second_log,
      std::chrono::seconds(20));
  ASSERT_TRUE(second.ok()) << second.status();
  const std::string output = ReadFileOrEmpty(second_log);
  EXPECT_TRUE(second->exited) << second->ToString() << "\n" << output;
  EXPECT_EQ(second->code, 1) << output;
  EXPECT_NE(output.find("cannot listen on " + server_->address()), std::string::npos) << output;

  grpc::health::v1::HealthCheckResponse health;
  ASSERT_TRUE(IsOk(admin_->CheckHealth("", &health)));
  EXPECT_EQ(health.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(DurabilityTest, SecondServerOnSameDirectoryFails) {
  ASSERT_NO_FATAL_FAILURE(StartArbord());
  ASSERT_TRUE(IsOk(admin_->CreateCollection("docs", 2, v1::METRIC_L2)));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("docs", "alice")));
  ASSERT_TRUE(IsOk(admin_->Upsert("docs", "alice", {{1, {1, 2}}})));

  const std::string second_log = server_->data_dir() + "/second-arbord.log";
  absl::StatusOr<ExitStatus> second = RunArbordUntilExit(
      {"--data-dir", server_->data_dir(), "--listen", "127.0.0.1:0"}, second_log,
      std::chrono::seconds(20));
  ASSERT_TRUE(second.ok()) << second.status();
  const std::string output = ReadFileOrEmpty(second_log);
  EXPECT_TRUE(second->exited) << second->ToString() << "\n" << output;
  EXPECT_NE(second->code, 0) << output;
  EXPECT_NE(output.find("in use by another arbord"), std::string::npos) << output;

  // The first server is undisturbed.
  EXPECT_EQ(ReadFileOrEmpty(server_->data_dir() + "/arbord.addr"), server_->address() + "\n");
  grpc::health::v1::HealthCheckResponse health;
  ASSERT_TRUE(IsOk(admin_->CheckHealth("", &health)));
  EXPECT_EQ(health.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  ASSERT_TRUE(IsOk(admin_->Upsert("docs", "alice", {{2, {3, 4}}})));
  uint64_t count = 0;
  ASSERT_TRUE(IsOk(admin_->Count("docs", "alice", &count)));
  EXPECT_EQ(count, 2u);

  // Once the first has stopped, the directory can be opened again.
  ASSERT_NO_FATAL_FAILURE(StopArbord());
  ASSERT_NO_FATAL_FAILURE(RestartArbord());
  ASSERT_TRUE(IsOk(admin_->Count("docs", "alice", &count)));
  EXPECT_EQ(count, 2u);
}

// SIGTERM while searches and upserts are in flight: arbord drains and exits 0, clients see
// only OK, UNAVAILABLE or CANCELLED, and every acknowledged upsert is there after a restart.
TEST_F(DurabilityTest, SigtermDuringInFlightCalls) {
  ArbordOptions options;
  options.extra_args = {"--shutdown-grace", "5"};
  ASSERT_NO_FATAL_FAILURE(StartArbord(options));
  constexpr size_t kDimension = 64;
  constexpr size_t kLoaded = 10000;
  ASSERT_TRUE(IsOk(admin_->CreateCollection("live", kDimension, v1::METRIC_L2)));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("live", "t")));
  std::mt19937_64 rng(5);
  for (uint64_t first = 0; first < kLoaded; first += 5000) {
    ASSERT_TRUE(IsOk(admin_->Upsert("live", "t", RandomVectors(rng, 5000, kDimension, first))));
  }
  std::vector<std::vector<float>> queries;
  for (int i = 0; i < 16; ++i) queries.push_back(RandomValues(rng, kDimension));

  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<grpc::StatusCode, int> codes;
  std::map<grpc::StatusCode, std::string> example_messages;
  std::vector<uint64_t> acknowledged_batches;
  auto record = [&](const grpc::Status& status) {
    std::lock_guard<std::mutex> lock(mu);
    codes[status.error_code()]++;
    example_messages.emplace(status.error_code(), status.error_message());
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      ArborClient client(server_->address(), server_->admin_key());
      while (!stop.load()) {
        v1::SearchBatchResponse response;
        grpc::Status status = client.SearchBatch("live", "t", queries, 10, &response,
                                                 std::chrono::seconds(20));
        record(status);
        if (status.ok() && response.results_size() != static_cast<int>(queries.size())) {
          ADD_FAILURE() << "an OK SearchBatch returned " << response.results_size()
                        << " results for " << queries.size() << " queries";
        }
        if (!status.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
  }
  threads.emplace_back([&] {
    ArborClient client(server_->address(), server_->admin_key());
    std::mt19937_64 writer_rng(6);
    for (uint64_t b = 0; !stop.load(); ++b) {
      grpc::Status status =
          client.Upsert("live", "t", RandomVectors(writer_rng, 100, kDimension, 100000 + b * 100),
                        nullptr, std::chrono::seconds(20));
      record(status);
      if (status.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        acknowledged_batches.push_back(b);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  });

  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ASSERT_TRUE(server_->Signal(SIGTERM).ok());
  absl::StatusOr<ExitStatus> ended = server_->Wait(std::chrono::seconds(30));
  // Calls keep coming for a moment after the exit, as they would from real clients.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop.store(true);
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_TRUE(ended->CleanExit()) << ended->ToString();

  for (const auto& [code, number] : codes) {
    std::cout << "status code " << static_cast<int>(code) << ": " << number << " calls, e.g. '"
              << example_messages[code] << "'\n";
    EXPECT_TRUE(code == grpc::StatusCode::OK || code == grpc::StatusCode::UNAVAILABLE ||
                code == grpc::StatusCode::CANCELLED)
        << number << " calls ended with code " << static_cast<int>(code) << ": '"
        << example_messages[code] << "'";
  }
  EXPECT_GT(codes[grpc::StatusCode::OK], 0);

  ASSERT_NO_FATAL_FAILURE(RestartArbord());
  uint64_t count = 0;
  ASSERT_TRUE(IsOk(admin_->Count("live", "t", &count)));
  EXPECT_GE(count, kLoaded + 100 * acknowledged_batches.size());
  EXPECT_EQ((count - kLoaded) % 100, 0u) << "an upsert batch was applied in part";
  std::vector<uint64_t> ids;
  for (uint64_t b : acknowledged_batches) {
    for (uint64_t i = 0; i < 100; ++i) ids.push_back(100000 + b * 100 + i);
  }
  for (size_t start = 0; start < ids.size(); start += 10000) {
    const std::vector<uint64_t> chunk(ids.begin() + start,
                                      ids.begin() + std::min(ids.size(), start + 10000));
    v1::GetResponse got;
    ASSERT_TRUE(IsOk(admin_->Get("live", "t", chunk, "", &got)));
    EXPECT_EQ(static_cast<size_t>(got.records_size()), chunk.size())
        << "acknowledged upserts are missing after the restart";
  }
}

}  // namespace
}  // namespace arbor::integration

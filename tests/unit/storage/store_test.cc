// Store (the RocksDB wrapper) and DataDirLock, each test in a fresh directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "storage/data_dir.h"
#include "storage/schema.h"
#include "storage/store.h"

namespace arbor::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// A directory of its own for each test, removed afterwards.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = absl::StrCat(::testing::TempDir(), "arbor_", test->test_suite_name(), "_",
                        test->name(), "_", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string DbPath() const { return dir_ + "/db"; }

  std::unique_ptr<Store> OpenStore() {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({DbPath(), /*sync=*/true});
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Every (key, value) in [start, end) of `family`.
  static std::vector<std::pair<std::string, std::string>> ScanAll(
      const Store& store, rocksdb::ColumnFamilyHandle* family, const std::string& start,
      const std::string& end) {
    std::vector<std::pair<std::string, std::string>> entries;
    const absl::Status status =
        store.Scan(family, start, end, [&](absl::string_view key, absl::string_view value) {
          entries.emplace_back(std::string(key), std::string(value));
          return absl::OkStatus();
        });
    EXPECT_TRUE(status.ok()) << status;
    return entries;
  }

  std::string dir_;
};

TEST_F(StoreTest, WriteThenGet) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);

  rocksdb::WriteBatch batch;
  batch.Put(store->catalog(), "cfm", "collection");
  batch.Put(store->records(), VectorKey(1, 2, 3), "vector");
  batch.Put(store->acl(), VectorKey(1, 2, 3), "acl");
  ASSERT_TRUE(store->Write(&batch).ok());

  EXPECT_EQ(*store->Get(store->catalog(), "cfm"), std::optional<std::string>("collection"));
  EXPECT_EQ(*store->Get(store->records(), VectorKey(1, 2, 3)),
            std::optional<std::string>("vector"));
  EXPECT_EQ(*store->Get(store->acl(), VectorKey(1, 2, 3)), std::optional<std::string>("acl"));
}

TEST_F(StoreTest, GetOfAbsentKeyIsNullopt) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const absl::StatusOr<std::optional<std::string>> value = store->Get(store->records(), "none");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_FALSE(value->has_value());
}

TEST_F(StoreTest, ColumnFamiliesAreSeparate) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  rocksdb::WriteBatch batch;
  batch.Put(store->records(), "same", "in records");
  ASSERT_TRUE(store->Write(&batch).ok());

  EXPECT_FALSE(store->Get(store->acl(), "same")->has_value());
  EXPECT_FALSE(store->Get(store->catalog(), "same")->has_value());
}

TEST_F(StoreTest, MultiGetKeepsPositions) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  rocksdb::WriteBatch batch;
  batch.Put(store->records(), "a", "1");
  batch.Put(store->records(), "c", "3");
  ASSERT_TRUE(store->Write(&batch).ok());

  const absl::StatusOr<std::vector<std::optional<std::string>>> values =
      store->MultiGet(store->records(), {"c", "b", "a", "c", "zz"});
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_THAT(*values, ElementsAre(std::optional<std::string>("3"), std::nullopt,
                                   std::optional<std::string>("1"),
                                   std::optional<std::string>("3"), std::nullopt));

  const absl::StatusOr<std::vector<std::optional<std::string>>> none =
      store->MultiGet(store->records(), {});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

TEST_F(StoreTest, ScanVisitsExactlyTheRangeInOrder) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  rocksdb::WriteBatch batch;
  // The keys are written out of order. Owners 4 and 6 surround owner 5 of collection 1, and
  // collection 2 has an owner 5 too.
  for (VectorId id : {256u, 1u, 255u, 0u}) {
    batch.Put(store->records(), VectorKey(1, 5, id), absl::StrCat("v", id));
  }
  batch.Put(store->records(), VectorKey(1, 4, 0xffffffffffffffffULL), "below");
  batch.Put(store->records(), VectorKey(1, 6, 0), "above");
  batch.Put(store->records(), VectorKey(2, 5, 0), "other collection");
  ASSERT_TRUE(store->Write(&batch).ok());

  EXPECT_THAT(ScanAll(*store, store->records(), OwnerRangeStart(1, 5), OwnerRangeEnd(1, 5)),
              ElementsAre(Pair(VectorKey(1, 5, 0), "v0"), Pair(VectorKey(1, 5, 1), "v1"),
                          Pair(VectorKey(1, 5, 255), "v255"),
                          Pair(VectorKey(1, 5, 256), "v256")));
  EXPECT_EQ(ScanAll(*store, store->records(), CollectionRangeStart(1), CollectionRangeEnd(1))
                .size(),
            6u);
  EXPECT_TRUE(ScanAll(*store, store->records(), OwnerRangeStart(1, 7), OwnerRangeEnd(1, 7))
                  .empty());
}

TEST_F(StoreTest, ScanStopsAtVisitorError) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  rocksdb::WriteBatch batch;
  for (VectorId id = 0; id < 5; ++id) batch.Put(store->records(), VectorKey(1, 1, id), "v");
  ASSERT_TRUE(store->Write(&batch).ok());

  int visited = 0;
  const absl::Status status = store->Scan(
      store->records(), CollectionRangeStart(1), CollectionRangeEnd(1),
      [&](absl::string_view, absl::string_view) {
        ++visited;
        return visited == 2 ? absl::DataLossError("stop here") : absl::OkStatus();
      });
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(status.message(), "stop here");
  EXPECT_EQ(visited, 2);
}

TEST_F(StoreTest, DeleteRangeInABatchRemovesOnlyTheRange) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  {
    rocksdb::WriteBatch batch;
    for (TenantId owner : {4u, 5u, 6u}) {
      for (VectorId id : {0u, 9u}) {
        batch.Put(store->records(), VectorKey(1, owner, id), "v");
        batch.Put(store->acl(), VectorKey(1, owner, id), "a");
      }
    }
    ASSERT_TRUE(store->Write(&batch).ok());
  }

  // One batch deletes owner 5 in both families and adds a record for owner 6.
  rocksdb::WriteBatch batch;
  batch.DeleteRange(store->records(), OwnerRangeStart(1, 5), OwnerRangeEnd(1, 5));
  batch.DeleteRange(store->acl(), OwnerRangeStart(1, 5), OwnerRangeEnd(1, 5));
  batch.Put(store->records(), VectorKey(1, 6, 1), "new");
  ASSERT_TRUE(store->Write(&batch).ok());

  std::vector<std::string> keys;
  for (const auto& [key, value] :
       ScanAll(*store, store->records(), CollectionRangeStart(1), CollectionRangeEnd(1))) {
    keys.push_back(key);
  }
  EXPECT_THAT(keys, ElementsAre(VectorKey(1, 4, 0), VectorKey(1, 4, 9), VectorKey(1, 6, 0),
                                VectorKey(1, 6, 1), VectorKey(1, 6, 9)));
  EXPECT_TRUE(
      ScanAll(*store, store->acl(), OwnerRangeStart(1, 5), OwnerRangeEnd(1, 5)).empty());
  EXPECT_EQ(ScanAll(*store, store->acl(), CollectionRangeStart(1), CollectionRangeEnd(1)).size(),
            4u);
  EXPECT_FALSE(store->Get(store->records(), VectorKey(1, 5, 0))->has_value());
}

TEST_F(StoreTest, ReopenKeepsData) {
  {
    std::unique_ptr<Store> store = OpenStore();
    ASSERT_NE(store, nullptr);
    rocksdb::WriteBatch batch;
    batch.Put(store->catalog(), "cfm", "collection");
    batch.Put(store->records(), VectorKey(1, 1, 1), "one");
    batch.Put(store->acl(), VectorKey(1, 1, 1), "readers");
    ASSERT_TRUE(store->Write(&batch).ok());
    rocksdb::WriteBatch deletion;
    deletion.Delete(store->records(), VectorKey(1, 1, 1));
    deletion.Put(store->records(), VectorKey(1, 1, 2), "two");
    ASSERT_TRUE(store->Write(&deletion).ok());
    ASSERT_TRUE(store->Close().ok());
    EXPECT_TRUE(store->Close().ok()) << "a second Close must be harmless";
  }
  {
    // Closed only by the destructor this time.
    std::unique_ptr<Store> store = OpenStore();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(*store->Get(store->catalog(), "cfm"), std::optional<std::string>("collection"));
    EXPECT_FALSE(store->Get(store->records(), VectorKey(1, 1, 1))->has_value());
    EXPECT_EQ(*store->Get(store->records(), VectorKey(1, 1, 2)),
              std::optional<std::string>("two"));
    EXPECT_EQ(*store->Get(store->acl(), VectorKey(1, 1, 1)),
              std::optional<std::string>("readers"));
    rocksdb::WriteBatch batch;
    batch.Put(store->records(), VectorKey(1, 1, 3), "three");
    ASSERT_TRUE(store->Write(&batch).ok());
  }
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(ScanAll(*store, store->records(), CollectionRangeStart(1), CollectionRangeEnd(1))
                .size(),
            2u);
}

TEST_F(StoreTest, ApproximateSizeCountsWrittenRange) {
  {
    std::unique_ptr<Store> store = OpenStore();
    ASSERT_NE(store, nullptr);
    rocksdb::WriteBatch batch;
    const std::string value(1000, 'x');
    for (VectorId id = 0; id < 200; ++id) batch.Put(store->records(), VectorKey(1, 1, id), value);
    ASSERT_TRUE(store->Write(&batch).ok());
  }
  // Closing flushed the memtable, so the records are in a table file now.
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_GT(store->ApproximateSize(store->records(), CollectionRangeStart(1),
                                   CollectionRangeEnd(1)),
            0u);
}

TEST_F(StoreTest, SecondOpenOfSameDatabaseFails) {
  std::unique_ptr<Store> first = OpenStore();
  ASSERT_NE(first, nullptr);
  const absl::StatusOr<std::unique_ptr<Store>> second = Store::Open({DbPath(), true});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
  EXPECT_THAT(second.status().message(), HasSubstr(DbPath()));
}

TEST_F(StoreTest, FutureFormatMarkerIsRejected) {
  {
    std::unique_ptr<Store> store = OpenStore();
    ASSERT_NE(store, nullptr);
  }
  {
    // Rewrite the marker in the default column family as a later release would.
    rocksdb::DBOptions options;
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, {}},
        {kCatalogFamily, {}},
        {kRecordsFamily, {}},
        {kAclFamily, {}},
        {kIndexFamily, {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, DbPath(), families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::WriteOptions sync;
    sync.sync = true;
    ASSERT_TRUE(db->Put(sync, "arbor_format_version", "2").ok());
    for (rocksdb::ColumnFamilyHandle* handle : handles) {
      ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
    }
    ASSERT_TRUE(db->Close().ok());
  }
  const absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({DbPath(), true});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr("format version 2"));
}

TEST_F(StoreTest, DataDirLockCreatesMissingDirectory) {
  const std::string nested = dir_ + "/a/b";
  absl::StatusOr<DataDirLock> lock = DataDirLock::Acquire(nested);
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_TRUE(std::filesystem::exists(nested + "/arbord.lock"));
}

TEST_F(StoreTest, SecondLockNamesDirectoryAndPid) {
  absl::StatusOr<DataDirLock> first = DataDirLock::Acquire(dir_);
  ASSERT_TRUE(first.ok()) << first.status();

  const absl::StatusOr<DataDirLock> second = DataDirLock::Acquire(dir_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr(dir_));
  EXPECT_THAT(second.status().message(), HasSubstr(absl::StrCat("pid ", getpid())));
}

TEST_F(StoreTest, DataDirLockReleasedAfterDestruction) {
  {
    absl::StatusOr<DataDirLock> first = DataDirLock::Acquire(dir_);
    ASSERT_TRUE(first.ok()) << first.status();
  }
  absl::StatusOr<DataDirLock> again = DataDirLock::Acquire(dir_);
  EXPECT_TRUE(again.ok()) << again.status();
}

TEST_F(StoreTest, DataDirLockMovesWithItsOwner) {
  absl::StatusOr<DataDirLock> first = DataDirLock::Acquire(dir_);
  ASSERT_TRUE(first.ok()) << first.status();
  {
    DataDirLock moved = std::move(*first);
    EXPECT_FALSE(DataDirLock::Acquire(dir_).ok()) << "the moved-to lock must still hold";
  }
  // `moved` is gone and the moved-from lock holds nothing.
  EXPECT_TRUE(DataDirLock::Acquire(dir_).ok());
}

TEST_F(StoreTest, DataDirLockMoveAssignmentReleasesPreviousLock) {
  const std::string other = dir_ + "/other";
  absl::StatusOr<DataDirLock> first = DataDirLock::Acquire(dir_);
  absl::StatusOr<DataDirLock> second = DataDirLock::Acquire(other);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();

  *first = std::move(*second);  // releases dir_, now holds `other`
  EXPECT_TRUE(DataDirLock::Acquire(dir_).ok());
  EXPECT_FALSE(DataDirLock::Acquire(other).ok());
}

}  // namespace
}  // namespace arbor::storage

// The RocksDB database that is Arbor's source of truth and write-ahead log.
//
// Store opens (or creates) the database in DATA_DIR/db with the column families listed in
// schema.h, and commits write batches: a batch is applied atomically, and when `sync` is on it is
// on disk (WAL fsynced) before Write returns. RocksDB errors are mapped to absl::Status codes:
// corruption becomes DataLoss, a busy lock FailedPrecondition, everything else Internal or
// Unavailable.
//
// Thread safety: every method may be called concurrently; RocksDB serialises writers itself.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace arbor::storage {

struct StoreOptions {
  std::string path;  // the RocksDB directory
  // Fsync the WAL before a write returns. Off trades the last writes before a power loss or an
  // OS crash (not a process crash) for throughput.
  bool sync = true;
};

// Figures for monitoring, read from RocksDB's properties and file metadata.
struct StoreStats {
  struct Family {
    std::string name;
    uint64_t sst_files = 0;
    uint64_t live_sst_bytes = 0;  // SST files of the current version
  };
  std::vector<Family> families;  // every column family, the default one included

  // Memory, in bytes.
  uint64_t memtable_bytes = 0;     // all memtables, flushed ones still pinned by readers included
  uint64_t block_cache_bytes = 0;  // summed over the distinct block caches of the families
  uint64_t table_reader_bytes = 0;  // index and filter blocks kept outside the block cache

  uint64_t pending_compaction_bytes = 0;  // RocksDB's estimate, summed over families
  uint64_t running_compactions = 0;
  uint64_t running_flushes = 0;
  uint64_t background_errors = 0;  // since the database was opened

  uint64_t wal_files = 0;  // live write-ahead log files
  uint64_t wal_bytes = 0;
};

class Store {
 public:
  static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  rocksdb::ColumnFamilyHandle* catalog() const { return catalog_; }
  rocksdb::ColumnFamilyHandle* records() const { return records_; }
  rocksdb::ColumnFamilyHandle* acl() const { return acl_; }
  rocksdb::ColumnFamilyHandle* index() const { return index_; }

  // Commits `batch` atomically (and durably when sync is on).
  absl::Status Write(rocksdb::WriteBatch* batch);

  // Reads one value; nullopt when the key is absent.
  absl::StatusOr<std::optional<std::string>> Get(rocksdb::ColumnFamilyHandle* family,
                                                 const std::string& key) const;

  // A consistent view of the database as of now, released when the last copy goes away.
  using Snapshot = std::shared_ptr<const rocksdb::Snapshot>;
  absl::StatusOr<Snapshot> GetSnapshot() const;

  // Reads several values of one column family, as of `snapshot` when given; an absent key
  // yields nullopt at its position.
  absl::StatusOr<std::vector<std::optional<std::string>>> MultiGet(
      rocksdb::ColumnFamilyHandle* family, const std::vector<std::string>& keys,
      const Snapshot& snapshot = nullptr) const;

  // Calls `visit(key, value)` for every key in [start, end) in order, or until `visit` returns
  // a non-OK status, which is returned.
  template <typename Visitor>
  absl::Status Scan(rocksdb::ColumnFamilyHandle* family, const std::string& start,
                    const std::string& end, Visitor&& visit) const;

  // Bytes the range takes on disk and in memtables (RocksDB's estimate).
  uint64_t ApproximateSize(rocksdb::ColumnFamilyHandle* family, const std::string& start,
                           const std::string& end) const;

  // Writes an openable copy of the database to `dir`, which must not exist yet, while writes go
  // on: memtables are flushed, SST files are hard-linked when `dir` is on the same file system
  // and copied otherwise, and the other files are copied. Returns a sequence number whose writes
  // the copy contains; writes committed during the call may be in it too.
  absl::StatusOr<uint64_t> CreateCheckpoint(const std::string& dir);

  // Reads the figures of StoreStats, without holding any lock of Arbor's. FailedPrecondition
  // after Close; RocksDB's errors in measuring memory or listing log files are mapped by
  // FromRocks.
  absl::StatusOr<StoreStats> Stats() const;

  // Flushes memtables and closes the database. Called by the destructor if not called before.
  // Every later call fails with FailedPrecondition. REQUIRES: no call is in flight.
  absl::Status Close();

 private:
  Store() = default;
  absl::Status CheckOpen() const;
  std::unique_ptr<rocksdb::Iterator> NewIterator(rocksdb::ColumnFamilyHandle* family,
                                                 const rocksdb::Slice* upper_bound) const;

  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions write_options_;
#if defined(__SANITIZE_THREAD__)
  // RocksDB's leader thread copies the batches of queued writers through atomics that an
  // uninstrumented librocksdb hides from ThreadSanitizer, which then reports the copies as races
  // without RocksDB frames to suppress. ThreadSanitizer builds serialise writes instead.
  std::mutex tsan_write_mu_;
#endif
  rocksdb::ColumnFamilyHandle* default_ = nullptr;
  rocksdb::ColumnFamilyHandle* catalog_ = nullptr;
  rocksdb::ColumnFamilyHandle* records_ = nullptr;
  rocksdb::ColumnFamilyHandle* acl_ = nullptr;
  rocksdb::ColumnFamilyHandle* index_ = nullptr;
  std::string path_;
};

// Maps a RocksDB status to an absl::Status whose message starts with `context`.
absl::Status FromRocks(const rocksdb::Status& status, absl::string_view context);

template <typename Visitor>
absl::Status Store::Scan(rocksdb::ColumnFamilyHandle* family, const std::string& start,
                         const std::string& end, Visitor&& visit) const {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
  const rocksdb::Slice upper(end);
  std::unique_ptr<rocksdb::Iterator> it = NewIterator(family, &upper);
  for (it->Seek(start); it->Valid(); it->Next()) {
    const absl::Status status = visit(absl::string_view(it->key().data(), it->key().size()),
                                          absl::string_view(it->value().data(), it->value().size()));
    if (!status.ok()) return status;
  }
  return FromRocks(it->status(), "scan failed");
}

}  // namespace arbor::storage

#include "storage/store.h"

#include "absl/strings/str_cat.h"
#include <unordered_set>

#include "rocksdb/filter_policy.h"
#include "rocksdb/metadata.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/transaction_log.h"
#include "rocksdb/utilities/memory_util.h"
#include "spdlog/spdlog.h"
#include "storage/schema.h"

namespace arbor::storage {
namespace {

constexpr char kFormatKey[] = "arbor_format_version";
constexpr char kFormatVersion[] = "1";

rocksdb::ColumnFamilyOptions FamilyOptions(bool point_lookups) {
  rocksdb::ColumnFamilyOptions options;
  options.OptimizeLevelStyleCompaction();
  if (point_lookups) {
    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  }
  return options;
}

// A fresh database gets the format marker; an existing one must carry a version this build reads.
absl::Status CheckFormat(rocksdb::DB* db, const std::string& path) {
  std::string version;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), kFormatKey, &version);
  if (s.IsNotFound()) {
    rocksdb::WriteOptions sync;
    sync.sync = true;
    return FromRocks(db->Put(sync, kFormatKey, kFormatVersion), "writing the format marker");
  }
  if (!s.ok()) return FromRocks(s, "reading the format marker");
  if (version != kFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("database ", path, " has format version ", version,
                     " but this arbord reads version ", kFormatVersion,
                     "; run the arbord release that wrote it"));
  }
  return absl::OkStatus();
}

// A property that RocksDB keeps for the whole database; 0 when it cannot be read.
uint64_t DatabaseProperty(rocksdb::DB* db, const std::string& property) {
  uint64_t value = 0;
  return db->GetIntProperty(property, &value) ? value : 0;
}

}  // namespace

absl::Status FromRocks(const rocksdb::Status& status, absl::string_view context) {
  if (status.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(context, ": ", status.ToString());
  if (status.IsCorruption()) return absl::DataLossError(message);
  if (status.IsIOError() && status.ToString().find("lock") != std::string::npos) {
    return absl::FailedPreconditionError(message);
  }
  if (status.IsBusy() || status.IsTryAgain() || status.IsTimedOut()) {
    return absl::UnavailableError(message);
  }
  if (status.IsNotFound()) return absl::NotFoundError(message);
  return absl::InternalError(message);
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  db_options.keep_log_file_num = 5;

  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, FamilyOptions(false)},
      {kCatalogFamily, FamilyOptions(true)},
      {kRecordsFamily, FamilyOptions(true)},
      {kAclFamily, FamilyOptions(true)},
      {kIndexFamily, FamilyOptions(false)},
  };

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, families, &handles, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("opening RocksDB at ", options.path));

  auto store = std::unique_ptr<Store>(new Store());
  store->db_.reset(raw);
  store->default_ = handles[0];
  store->catalog_ = handles[1];
  store->records_ = handles[2];
  store->acl_ = handles[3];
  store->index_ = handles[4];
  store->path_ = options.path;
  store->write_options_.sync = options.sync;

  if (auto status = CheckFormat(raw, options.path); !status.ok()) return status;
  return store;
}

Store::~Store() {
  const absl::Status status = Close();
  if (!status.ok()) spdlog::error("closing RocksDB at {} failed: {}", path_, status.ToString());
}

absl::Status Store::Close() {
  if (db_ == nullptr) return absl::OkStatus();

  rocksdb::FlushOptions flush;
  flush.wait = true;
  std::vector<rocksdb::ColumnFamilyHandle*> all = {catalog_, records_, acl_, index_};
  rocksdb::Status flushed = db_->Flush(flush, all);
  for (auto* handle : {default_, catalog_, records_, acl_, index_}) {
    db_->DestroyColumnFamilyHandle(handle);
  }
  // Null handles make a late WriteBatch::Put address the default family instead of freed
  // memory; Write then fails in CheckOpen.
  default_ = catalog_ = records_ = acl_ = index_ = nullptr;
  rocksdb::Status closed = db_->Close();
  db_.reset();

  if (!flushed.ok()) return FromRocks(flushed, "flushing memtables at close");
  return FromRocks(closed, "closing RocksDB");
}

absl::Status Store::CheckOpen() const {
  if (db_ != nullptr) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("the database at ", path_, " is closed"));
}

absl::Status Store::Write(rocksdb::WriteBatch* batch) {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
#if defined(__SANITIZE_THREAD__)
  std::lock_guard<std::mutex> serialise(tsan_write_mu_);
#endif
  return FromRocks(db_->Write(write_options_, batch), "committing a write batch");
}

absl::StatusOr<std::optional<std::string>> Store::Get(rocksdb::ColumnFamilyHandle* family,
                                                      const std::string& key) const {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), family, key, &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "reading a value");
  return value;
}

absl::StatusOr<Store::Snapshot> Store::GetSnapshot() const {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
  rocksdb::DB* db = db_.get();
  return Snapshot(db->GetSnapshot(),
                  [db](const rocksdb::Snapshot* snapshot) { db->ReleaseSnapshot(snapshot); });
}

absl::StatusOr<std::vector<std::optional<std::string>>> Store::MultiGet(
    rocksdb::ColumnFamilyHandle* family, const std::vector<std::string>& keys,
    const Snapshot& snapshot) const {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::ColumnFamilyHandle*> families(keys.size(), family);
  std::vector<std::string> values;
  rocksdb::ReadOptions read;
  read.snapshot = snapshot.get();
  std::vector<rocksdb::Status> statuses = db_->MultiGet(read, families, slices, &values);

  std::vector<std::optional<std::string>> result(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return FromRocks(statuses[i], "reading values");
    result[i] = std::move(values[i]);
  }
  return result;
}

absl::StatusOr<uint64_t> Store::CreateCheckpoint(const std::string& dir) {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(db_.get(), &raw);
  if (!s.ok()) return FromRocks(s, "preparing a checkpoint");
  const std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);

  uint64_t sequence_number = 0;
  // A log size of 0 makes RocksDB flush every column family first, so the checkpoint carries
  // little write-ahead log to replay when it is opened.
  s = checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0, &sequence_number);
  if (!s.ok()) return FromRocks(s, absl::StrCat("creating a checkpoint in ", dir));
  return sequence_number;
}

uint64_t Store::ApproximateSize(rocksdb::ColumnFamilyHandle* family, const std::string& start,
                                const std::string& end) const {
  if (db_ == nullptr) return 0;
  rocksdb::Range range(start, end);
  uint64_t size = 0;
  rocksdb::SizeApproximationOptions options;
  options.include_memtables = true;
  options.include_files = true;
  if (!db_->GetApproximateSizes(options, family, &range, 1, &size).ok()) return 0;
  return size;
}

absl::StatusOr<StoreStats> Store::Stats() const {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
  rocksdb::DB* db = db_.get();
  StoreStats stats;

  // Each family may have a block cache of its own, or share one; counting each cache once
  // needs the set of distinct caches.
  std::unordered_set<const rocksdb::Cache*> caches;
  for (rocksdb::ColumnFamilyHandle* family : {default_, catalog_, records_, acl_, index_}) {
    rocksdb::ColumnFamilyMetaData metadata;
    db->GetColumnFamilyMetaData(family, &metadata);
    stats.families.push_back({family->GetName(), metadata.file_count, metadata.size});

    const rocksdb::Options options = db->GetOptions(family);
    const auto* table = options.table_factory == nullptr
                            ? nullptr
                            : options.table_factory->GetOptions<rocksdb::BlockBasedTableOptions>();
    if (table != nullptr && table->block_cache != nullptr) caches.insert(table->block_cache.get());
  }

  std::map<rocksdb::MemoryUtil::UsageType, uint64_t> usage;
  const rocksdb::Status measured =
      rocksdb::MemoryUtil::GetApproximateMemoryUsageByType({db}, caches, &usage);
  if (!measured.ok()) return FromRocks(measured, "measuring RocksDB memory");
  stats.memtable_bytes = usage[rocksdb::MemoryUtil::kMemTableTotal];
  stats.block_cache_bytes = usage[rocksdb::MemoryUtil::kCacheTotal];
  stats.table_reader_bytes = usage[rocksdb::MemoryUtil::kTableReadersTotal];

  uint64_t pending = 0;
  if (db->GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimatePendingCompactionBytes,
                                   &pending)) {
    stats.pending_compaction_bytes = pending;
  }
  stats.running_compactions =
      DatabaseProperty(db, rocksdb::DB::Properties::kNumRunningCompactions);
  stats.running_flushes = DatabaseProperty(db, rocksdb::DB::Properties::kNumRunningFlushes);
  stats.background_errors = DatabaseProperty(db, rocksdb::DB::Properties::kBackgroundErrors);

  rocksdb::VectorLogPtr wal_files;
  const rocksdb::Status listed = db->GetSortedWalFiles(wal_files);
  if (!listed.ok()) return FromRocks(listed, "listing write-ahead log files");
  for (const std::unique_ptr<rocksdb::LogFile>& file : wal_files) {
    if (file->Type() != rocksdb::kAliveLogFile) continue;
    ++stats.wal_files;
    stats.wal_bytes += file->SizeFileBytes();
  }
  return stats;
}

std::unique_ptr<rocksdb::Iterator> Store::NewIterator(rocksdb::ColumnFamilyHandle* family,
                                                      const rocksdb::Slice* upper_bound) const {
  rocksdb::ReadOptions read;
  read.iterate_upper_bound = upper_bound;
  read.fill_cache = false;
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(read, family));
}

}  // namespace arbor::storage

#include "server/database_metrics.h"

#include <unistd.h>

#include <atomic>
#include <limits>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "spdlog/spdlog.h"

#ifndef ARBOR_VERSION
#define ARBOR_VERSION "unknown"
#endif

namespace arbor::server {
namespace {

// Failures to read a figure are logged at most once per this interval in total, so that
// frequent scrapes do not flood the log.
constexpr absl::Duration kWarningInterval = absl::Minutes(10);

// Writes a family, or nothing when it has no samples.
template <typename Value>
void WriteFamily(TextWriter& out, absl::string_view name, absl::string_view help, MetricType type,
                 const std::vector<std::pair<Labels, Value>>& samples) {
  if (samples.empty()) return;
  out.BeginFamily(name, help, type);
  for (const auto& [labels, value] : samples) out.WriteSample(name, labels, value);
}

// A family of one sample without labels.
template <typename Value>
void WriteSingle(TextWriter& out, absl::string_view name, absl::string_view help,
                 MetricType type, Value value) {
  out.BeginFamily(name, help, type);
  out.WriteSample(name, {}, value);
}

// One sample per collection of the value `field` selects.
template <typename Field>
void WritePerCollection(TextWriter& out, const DatabaseStats& stats, absl::string_view name,
                        absl::string_view help, Field field) {
  std::vector<std::pair<Labels, uint64_t>> samples;
  for (const CollectionStats& collection : stats.collections) {
    samples.push_back({{{"collection", collection.name}}, field(collection)});
  }
  WriteFamily(out, name, help, MetricType::kGauge, samples);
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Seconds since the epoch at which the system booted: the "btime" line of /proc/stat.
absl::StatusOr<int64_t> ReadBootTime() {
  absl::StatusOr<std::string> text = ReadWholeFile("/proc/stat");
  if (!text.ok()) return text.status();
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    int64_t seconds = 0;
    if (absl::ConsumePrefix(&line, "btime ") && absl::SimpleAtoi(line, &seconds)) return seconds;
  }
  return absl::NotFoundError("/proc/stat has no btime line");
}

// Clock ticks after boot at which this process started: field 22 of /proc/self/stat.
absl::StatusOr<int64_t> ReadStartTicks() {
  absl::StatusOr<std::string> text = ReadWholeFile("/proc/self/stat");
  if (!text.ok()) return text.status();
  // Field 2 is the command name in parentheses and may contain spaces, so fields are counted
  // from the last ')', after which field 3 comes first.
  const size_t paren = text->rfind(')');
  if (paren == std::string::npos) return absl::DataLossError("/proc/self/stat has no ')'");
  const std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(*text).substr(paren + 1), ' ', absl::SkipEmpty());
  constexpr size_t kStartTimeIndex = 22 - 3;
  int64_t ticks = 0;
  if (fields.size() <= kStartTimeIndex || !absl::SimpleAtoi(fields[kStartTimeIndex], &ticks)) {
    return absl::DataLossError("/proc/self/stat has no start time in field 22");
  }
  return ticks;
}

absl::StatusOr<uint64_t> ReadResidentBytes() {
  absl::StatusOr<std::string> text = ReadWholeFile("/proc/self/statm");
  if (!text.ok()) return text.status();
  const std::vector<absl::string_view> fields = absl::StrSplit(*text, ' ', absl::SkipEmpty());
  uint64_t pages = 0;
  if (fields.size() < 2 || !absl::SimpleAtoi(fields[1], &pages)) {
    return absl::DataLossError("/proc/self/statm has no resident page count");
  }
  return pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

// Everything the collector keeps between scrapes.
class DatabaseCollector {
 public:
  DatabaseCollector(const DatabaseSlot* database_slot, std::string data_dir)
      : database_slot_(database_slot), data_dir_(std::move(data_dir)) {
    // The start time does not change, so it is read once. When /proc cannot be read, uptime
    // counts from the creation of the collector instead.
    process_.start_time = absl::Now();
    const absl::Status read = ReadProcessStats(&process_);
    if (!read.ok()) {
      spdlog::warn("metrics: cannot read the process start time, so uptime counts from now: {}",
                   read.ToString());
    }
  }

  void Collect(TextWriter& out) {
    ProcessStats process = process_;
    process.resident_memory_bytes.reset();
    if (absl::StatusOr<uint64_t> resident = ReadResidentBytes(); resident.ok()) {
      process.resident_memory_bytes = *resident;
    } else {
      WarnRarely(absl::StrCat("cannot read the resident memory: ", resident.status().ToString()));
    }
    WriteProcessMetrics(process, absl::Now(), out);

    // During start-up the database is still recovering: only the process figures exist yet.
    const Database* database = database_slot_->Get();
    WriteSingle(out, "arbor_recovered",
                "1 once arbord has recovered its database and serves calls, 0 before.",
                MetricType::kGauge, uint64_t{database != nullptr ? 1u : 0u});
    if (database == nullptr) {
      WriteDataDirMetrics(DirectorySizeBytes(data_dir_), out);
      return;
    }

    const DatabaseStats stats = database->Stats();
    WriteCollectionMetrics(stats, out);

    absl::StatusOr<storage::StoreStats> store = database->StoreStats();
    if (!store.ok()) {
      WarnRarely(absl::StrCat("cannot read RocksDB figures: ", store.status().ToString()));
    }
    WriteMemoryMetrics(stats, store.ok() ? &*store : nullptr, out);
    if (store.ok()) WriteStoreMetrics(*store, out);

    WriteDataDirMetrics(DirectorySizeBytes(data_dir_), out);
  }

 private:
  void WarnRarely(const std::string& message) {
    const int64_t now_ms = absl::ToUnixMillis(absl::Now());
    int64_t last_ms = last_warning_ms_.load(std::memory_order_relaxed);
    if (now_ms - last_ms < absl::ToInt64Milliseconds(kWarningInterval)) return;
    if (!last_warning_ms_.compare_exchange_strong(last_ms, now_ms)) return;
    spdlog::warn("metrics: {}; the affected families are left out of scrapes (logged at most "
                 "every {} minutes)",
                 message, absl::ToInt64Minutes(kWarningInterval));
  }

  const DatabaseSlot* const database_slot_;
  const std::string data_dir_;
  ProcessStats process_;  // only its start time is used; constant after construction
  std::atomic<int64_t> last_warning_ms_{std::numeric_limits<int64_t>::min() / 2};
};

}  // namespace

absl::Status ReadProcessStats(ProcessStats* stats) {
  absl::StatusOr<uint64_t> resident = ReadResidentBytes();
  if (!resident.ok()) return resident.status();
  stats->resident_memory_bytes = *resident;

  absl::StatusOr<int64_t> boot = ReadBootTime();
  if (!boot.ok()) return boot.status();
  absl::StatusOr<int64_t> ticks = ReadStartTicks();
  if (!ticks.ok()) return ticks.status();
  const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  stats->start_time = absl::FromUnixSeconds(*boot) +
                      absl::Seconds(static_cast<double>(*ticks) / ticks_per_second);
  return absl::OkStatus();
}

void AddDatabaseCollector(MetricsRegistry* registry, const DatabaseSlot* database_slot,
                          std::string data_dir) {
  auto collector = std::make_shared<DatabaseCollector>(database_slot, std::move(data_dir));
  registry->AddCollector([collector](TextWriter& out) { collector->Collect(out); });
}

void WriteProcessMetrics(const ProcessStats& stats, absl::Time now, TextWriter& out) {
  out.BeginFamily("arbor_build_info", "Always 1; the label names the arbord version.",
                  MetricType::kGauge);
  out.WriteSample("arbor_build_info", {{"version", ARBOR_VERSION}}, uint64_t{1});
  WriteSingle(out, "arbor_process_start_time_seconds",
              "Start time of the arbord process, in seconds since the Unix epoch.",
              MetricType::kGauge, absl::ToDoubleSeconds(stats.start_time - absl::UnixEpoch()));
  WriteSingle(out, "arbor_uptime_seconds", "Seconds since the arbord process started.",
              MetricType::kGauge, absl::ToDoubleSeconds(now - stats.start_time));
  if (stats.resident_memory_bytes.has_value()) {
    WriteSingle(out, "arbor_process_resident_memory_bytes",
                "Resident set size of the arbord process, in bytes.", MetricType::kGauge,
                *stats.resident_memory_bytes);
  }
}

void WriteCollectionMetrics(const DatabaseStats& stats, TextWriter& out) {
  WriteSingle(out, "arbor_collections", "Collections in the database.", MetricType::kGauge,
              uint64_t{stats.collections.size()});
  WriteSingle(out, "arbor_tenant_keys", "Tenant keys that are not revoked, over all collections.",
              MetricType::kGauge, stats.tenant_keys);

  WritePerCollection(out, stats, "arbor_collection_vectors", "Vectors stored in the collection.",
                     [](const CollectionStats& c) { return c.vectors; });
  WritePerCollection(out, stats, "arbor_collection_tenants", "Tenants of the collection.",
                     [](const CollectionStats& c) { return c.tenants; });
  WritePerCollection(out, stats, "arbor_collection_index_trained",
                     "1 when the collection's index has a trained cluster tree, else 0 (searches "
                     "scan exactly).",
                     [](const CollectionStats& c) { return uint64_t{c.index_trained ? 1u : 0u}; });
  WritePerCollection(out, stats, "arbor_collection_index_tree_nodes",
                     "Nodes of the collection's cluster tree; 1 (the root) before training.",
                     [](const CollectionStats& c) { return c.tree_nodes; });
  WritePerCollection(out, stats, "arbor_collection_index_tree_depth",
                     "Depth of the collection's cluster tree.",
                     [](const CollectionStats& c) { return c.tree_depth; });

  std::vector<std::pair<Labels, uint64_t>> memory;
  for (const CollectionStats& collection : stats.collections) {
    memory.push_back({{{"collection", collection.name}, {"component", "vectors"}},
                      collection.index_vector_bytes});
    memory.push_back({{{"collection", collection.name}, {"component", "structures"}},
                      collection.index_structure_bytes});
  }
  WriteFamily(out, "arbor_collection_index_memory_bytes",
              "Memory of the collection's index, in bytes: vector values, or structures (slot "
              "table, cluster tree, tenant sub-trees and shortlists). Estimated from container "
              "capacities.",
              MetricType::kGauge, memory);
}

void WriteMemoryMetrics(const DatabaseStats& stats, const storage::StoreStats* store,
                        TextWriter& out) {
  uint64_t index_vectors = 0;
  uint64_t index_structures = 0;
  for (const CollectionStats& collection : stats.collections) {
    index_vectors += collection.index_vector_bytes;
    index_structures += collection.index_structure_bytes;
  }

  std::vector<std::pair<Labels, uint64_t>> memory = {
      {{{"component", "index_vectors"}}, index_vectors},
      {{{"component", "index_structures"}}, index_structures},
  };
  if (store != nullptr) {
    memory.push_back({{{"component", "rocksdb_memtables"}}, store->memtable_bytes});
    memory.push_back({{{"component", "rocksdb_block_cache"}}, store->block_cache_bytes});
    memory.push_back({{{"component", "rocksdb_table_readers"}}, store->table_reader_bytes});
  }
  WriteFamily(out, "arbor_memory_bytes",
              "Memory of arbord by component, in bytes; index figures are summed over "
              "collections. Components do not add up to the resident set size.",
              MetricType::kGauge, memory);
}

void WriteStoreMetrics(const storage::StoreStats& store, TextWriter& out) {
  std::vector<std::pair<Labels, uint64_t>> files;
  std::vector<std::pair<Labels, uint64_t>> bytes;
  for (const storage::StoreStats::Family& family : store.families) {
    files.push_back({{{"family", family.name}}, family.sst_files});
    bytes.push_back({{{"family", family.name}}, family.live_sst_bytes});
  }
  WriteFamily(out, "arbor_rocksdb_sst_files", "Live SST files, by RocksDB column family.",
              MetricType::kGauge, files);
  WriteFamily(out, "arbor_rocksdb_live_sst_bytes",
              "Bytes of live SST files, by RocksDB column family.", MetricType::kGauge, bytes);

  WriteSingle(out, "arbor_rocksdb_pending_compaction_bytes",
              "RocksDB's estimate of the bytes compaction must rewrite to settle the LSM tree.",
              MetricType::kGauge, store.pending_compaction_bytes);
  WriteSingle(out, "arbor_rocksdb_running_compactions", "RocksDB compactions running now.",
              MetricType::kGauge, store.running_compactions);
  WriteSingle(out, "arbor_rocksdb_running_flushes", "RocksDB memtable flushes running now.",
              MetricType::kGauge, store.running_flushes);
  WriteSingle(out, "arbor_rocksdb_background_errors_total",
              "Errors of RocksDB's background flushes and compactions since arbord opened it.",
              MetricType::kCounter, store.background_errors);
  WriteSingle(out, "arbor_rocksdb_wal_files", "Live RocksDB write-ahead log files.",
              MetricType::kGauge, store.wal_files);
  WriteSingle(out, "arbor_rocksdb_wal_bytes", "Bytes of live RocksDB write-ahead log files.",
              MetricType::kGauge, store.wal_bytes);
}

void WriteDataDirMetrics(uint64_t data_dir_bytes, TextWriter& out) {
  WriteSingle(out, "arbor_data_dir_bytes",
              "Bytes of all regular files under the data directory: RocksDB's files, the "
              "admin key, the lock and the address files.",
              MetricType::kGauge, data_dir_bytes);
}

uint64_t DirectorySizeBytes(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, error);
  uint64_t bytes = 0;
  for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    std::error_code entry_error;
    if (!it->is_regular_file(entry_error)) continue;
    const uintmax_t size = it->file_size(entry_error);
    if (!entry_error) bytes += size;
  }
  return bytes;
}

}  // namespace arbor::server

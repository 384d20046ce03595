// The gauges that arbord computes when /metrics is scraped: collections and their indexes,
// memory by component, RocksDB and data directory figures, and the process's memory and uptime.
// docs/metrics.md lists every family.
//
// Label values are collection names, RocksDB column family names and fixed words; no key or
// key id ever appears.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "server/database.h"
#include "server/metrics.h"
#include "storage/store.h"

namespace arbor::server {

// Figures of the arbord process.
struct ProcessStats {
  std::optional<uint64_t> resident_memory_bytes;  // unset when /proc could not be read
  absl::Time start_time;
};

// Reads the resident set size from /proc/self/statm, then the start time from /proc/self/stat
// and /proc/stat. Returns the first error; the figures read before it are set.
absl::Status ReadProcessStats(ProcessStats* stats);

// Adds one collector that writes every family below from the database in `database_slot`, the
// files under `data_dir` and /proc. Before the slot is published only the process and data
// directory figures are written. The published database must stay open while the registry may
// render.
void AddDatabaseCollector(MetricsRegistry* registry, const DatabaseSlot* database_slot,
                          std::string data_dir);

// The writers behind that collector, one group of families each. A family with no samples is
// left out.
void WriteProcessMetrics(const ProcessStats& stats, absl::Time now, TextWriter& out);
void WriteCollectionMetrics(const DatabaseStats& stats, TextWriter& out);
// `store` is null when RocksDB's figures could not be read; the index components are written
// anyway.
void WriteMemoryMetrics(const DatabaseStats& stats, const storage::StoreStats* store,
                        TextWriter& out);
void WriteStoreMetrics(const storage::StoreStats& store, TextWriter& out);
void WriteDataDirMetrics(uint64_t data_dir_bytes, TextWriter& out);

// The total size of the regular files under `dir`. Files that vanish during the walk (RocksDB
// deletes files after compactions) are skipped, so the figure can be low while RocksDB compacts.
// 0 when `dir` cannot be read.
uint64_t DirectorySizeBytes(const std::string& dir);

}  // namespace arbor::server

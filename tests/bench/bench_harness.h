// The measurement side of the benchmark: the interface every compared method implements, the
// timed query runs (QPS, latency), recall@k, resident memory, and JSON-lines output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "tests/bench/bench_workload.h"

namespace arbor::bench {

// One point of a method's sweep: `knob` is the search parameter ("budget", "nprobe", "ef",
// "exact") and `value` its setting. `method` is the row's label, so one built index can report
// under two labels (Arbor's approximate search and its exact scan).
struct KnobSetting {
  std::string method;
  std::string knob;
  size_t value = 0;
};

// Memory that a method's structures hold, counted from their sizes. `counted_bytes` is the
// figure compared between methods, and `parts` itemises it. `excluded` lists memory that the
// method allocates but that is reported beside the count instead of in it.
struct MemoryCount {
  size_t counted_bytes = 0;
  std::vector<std::pair<std::string, size_t>> parts;
  std::vector<std::pair<std::string, size_t>> excluded;
};

// A JSON object written field by field, for the results file.
class JsonObject {
 public:
  JsonObject& Add(const std::string& key, const std::string& value);
  JsonObject& Add(const std::string& key, const char* value) { return Add(key, std::string(value)); }
  JsonObject& Add(const std::string& key, double value);
  JsonObject& Add(const std::string& key, size_t value);
  JsonObject& Add(const std::string& key, bool value);
  JsonObject& Add(const std::string& key, const JsonObject& value);
  std::string Text() const { return "{" + body_ + "}"; }

 private:
  void Key(const std::string& key);
  std::string body_;
};

class SearchMethod {
 public:
  virtual ~SearchMethod() = default;

  virtual void Build(const Workload& workload) = 0;
  virtual std::vector<KnobSetting> Knobs() const = 0;
  // Called between sweeps, with no search running.
  virtual void ApplyKnob(const KnobSetting& knob) = 0;
  // Runs once at the start of every search thread, before timing starts.
  virtual void PrepareSearchThread() const {}
  // Writes the base ids of up to k neighbors of `query` that `tenant` may read, best first.
  // Must be safe to call from several threads at once.
  virtual void Search(uint32_t tenant, const float* query, size_t k,
                      std::vector<uint32_t>* ids) const = 0;
  // Searches several queries of one tenant in one call. Writes k ids per query, best first, to
  // `ids` (queries.size() * k entries, kNoId padding). The default calls Search once per query.
  // Must be safe to call from several threads at once.
  virtual void SearchBatch(uint32_t tenant, const std::vector<const float*>& queries, size_t k,
                           std::vector<uint32_t>* ids) const;
  // CPU time, in seconds, that processes outside this one have spent serving this method's
  // searches since they started (the arbord server of the end-to-end method). 0 for methods
  // that search in-process.
  virtual double ExternalCpuSeconds() const { return 0.0; }
  virtual MemoryCount CountMemory() const = 0;
  // Method-specific measurements taken after the sweep, such as write latencies. May modify the
  // index: nothing is searched afterwards.
  virtual JsonObject MeasureExtras() { return JsonObject(); }
  // Facts about the build worth reporting (thread counts, index shapes).
  virtual JsonObject Describe() const { return JsonObject(); }
};

struct RunOptions {
  size_t k = 10;
  double min_seconds = 0.3;  // each timed run repeats the queries until this much time passed
  size_t warmup_queries = 50;
  // 0 sends one Search call per query. A positive value sends SearchBatch calls of this many
  // consecutive queries of the mix, which must all belong to one tenant (see MakeBatchedMix).
  size_t batch_size = 0;
};

// Result of running one mix's queries on `threads` threads.
struct RunResult {
  double queries_per_second = 0.0;
  // Latency percentiles over every timed call: one query per call, or batch_size queries.
  double p50_us = 0.0;
  double p99_us = 0.0;
  // Thread CPU time per query (CLOCK_THREAD_CPUTIME_ID) of the search threads, which time spent
  // preempted by other processes does not inflate.
  double cpu_us_per_query = 0.0;
  // CPU time per query of this whole process (CLOCK_PROCESS_CPUTIME_ID, so gRPC's own threads
  // count too) and of SearchMethod::ExternalCpuSeconds, over the timed part of the run.
  double process_cpu_us_per_query = 0.0;
  double external_cpu_us_per_query = 0.0;
  std::vector<uint32_t> ids;  // k per query from the first pass, kNoId padding
};

RunResult RunQueries(const SearchMethod& method, const Workload& workload, const QueryMix& mix,
                     size_t threads, const RunOptions& options);

struct RecallResult {
  double recall = 0.0;   // mean over queries of (true neighbors found) / min(k, readable)
  size_t unreadable = 0;  // returned ids the tenant may not read: must stay 0
};

// A result counts as a true neighbor when the tenant may read it and its exact distance is at
// most the k-th true distance (times 1 + 1e-6, for ties).
RecallResult ComputeRecall(const Workload& workload, const QueryMix& mix,
                           const GroundTruth& truth, const std::vector<uint32_t>& ids, size_t k);

// VmRSS of this process from /proc/self/status, after returning freed heap pages to the system.
size_t ResidentBytes();

// Seconds since an arbitrary fixed point, from a monotonic clock.
double NowSeconds();

// CPU time of the calling thread in seconds (CLOCK_THREAD_CPUTIME_ID), which time spent
// preempted by other processes does not inflate.
double ThreadCpuSeconds();

}  // namespace arbor::bench

#include "tests/bench/bench_harness.h"

#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <latch>
#include <stdexcept>
#include <thread>

namespace arbor::bench {

// ---- JSON ----

void JsonObject::Key(const std::string& key) {
  if (!body_.empty()) body_ += ",";
  body_ += "\"" + key + "\":";
}

JsonObject& JsonObject::Add(const std::string& key, const std::string& value) {
  Key(key);
  body_ += "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      body_ += '\\';
      body_ += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      body_ += escaped;
    } else {
      body_ += c;
    }
  }
  body_ += "\"";
  return *this;
}

JsonObject& JsonObject::Add(const std::string& key, double value) {
  Key(key);
  if (!std::isfinite(value)) {
    body_ += "null";
    return *this;
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.9g", value);
  body_ += text;
  return *this;
}

JsonObject& JsonObject::Add(const std::string& key, size_t value) {
  Key(key);
  body_ += std::to_string(value);
  return *this;
}

JsonObject& JsonObject::Add(const std::string& key, bool value) {
  Key(key);
  body_ += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::Add(const std::string& key, const JsonObject& value) {
  Key(key);
  body_ += value.Text();
  return *this;
}

// ---- Timing ----

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double ThreadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return double(now.tv_sec) + double(now.tv_nsec) * 1e-9;
}

namespace {

double Percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0.0;
  const size_t index = std::min(values.size() - 1,
                                static_cast<size_t>(fraction * double(values.size())));
  std::nth_element(values.begin(), values.begin() + index, values.end());
  return values[index];
}

}  // namespace

RunResult RunQueries(const SearchMethod& method, const Workload& workload, const QueryMix& mix,
                     size_t threads, const RunOptions& options) {
  const size_t count = mix.tenants.size();
  const size_t k = options.k;
  RunResult result;
  result.ids.assign(count * k, kNoId);

  std::vector<std::vector<double>> latencies(threads);
  std::vector<size_t> done(threads, 0);
  std::vector<double> finish(threads, 0.0);
  std::vector<double> cpu_seconds(threads, 0.0);
  std::latch ready(static_cast<std::ptrdiff_t>(threads));
  std::atomic<bool> go{false};
  double start = 0.0;

  // Thread t owns queries [count * t / threads, count * (t + 1) / threads) and runs them in
  // passes until min_seconds have passed since the common start.
  auto worker = [&](size_t t) {
    method.PrepareSearchThread();
    const size_t first = count * t / threads;
    const size_t last = count * (t + 1) / threads;
    std::vector<uint32_t> ids;
    if (threads == 1) {
      for (size_t q = 0; q < std::min(count, options.warmup_queries); ++q) {
        method.Search(mix.tenants[q], workload.Query(mix, q), k, &ids);
      }
    }
    ready.count_down();
    while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
    const double cpu_start = ThreadCpuSeconds();

    for (size_t pass = 0;; ++pass) {
      for (size_t q = first; q < last; ++q) {
        const double before = NowSeconds();
        method.Search(mix.tenants[q], workload.Query(mix, q), k, &ids);
        const double after = NowSeconds();
        latencies[t].push_back(after - before);
        if (pass == 0) std::copy_n(ids.begin(), std::min(ids.size(), k), &result.ids[q * k]);
      }
      done[t] += last - first;
      finish[t] = NowSeconds();
      if (finish[t] - start >= options.min_seconds || first == last) break;
    }
    cpu_seconds[t] = ThreadCpuSeconds() - cpu_start;
  };

  std::vector<std::thread> workers;
  for (size_t t = 0; t < threads; ++t) workers.emplace_back(worker, t);
  ready.wait();
  start = NowSeconds();
  go.store(true, std::memory_order_release);
  for (auto& thread : workers) thread.join();

  size_t total = 0;
  double cpu_total = 0.0;
  double end = start;
  std::vector<double> all;
  for (size_t t = 0; t < threads; ++t) {
    total += done[t];
    cpu_total += cpu_seconds[t];
    end = std::max(end, finish[t]);
    all.insert(all.end(), latencies[t].begin(), latencies[t].end());
  }
  result.queries_per_second = double(total) / std::max(end - start, 1e-9);
  result.cpu_us_per_query = total > 0 ? cpu_total / double(total) * 1e6 : 0.0;
  result.p50_us = Percentile(all, 0.50) * 1e6;
  result.p99_us = Percentile(all, 0.99) * 1e6;
  return result;
}

// ---- Recall ----

RecallResult ComputeRecall(const Workload& workload, const QueryMix& mix,
                           const GroundTruth& truth, const std::vector<uint32_t>& ids, size_t k) {
  RecallResult result;
  double sum = 0.0;
  size_t scored = 0;
  std::vector<uint32_t> seen;
  for (size_t q = 0; q < mix.tenants.size(); ++q) {
    if (truth.counts[q] == 0) continue;
    const uint32_t tenant = mix.tenants[q];
    const double limit = truth.last_distance[q] * (1.0 + 1e-6);
    seen.clear();
    size_t found = 0;
    for (size_t i = 0; i < k; ++i) {
      const uint32_t id = ids[q * k + i];
      if (id == kNoId) continue;
      if (id >= workload.base_count || !workload.CanRead(tenant, id)) {
        result.unreadable++;
        continue;
      }
      if (std::find(seen.begin(), seen.end(), id) != seen.end()) continue;
      seen.push_back(id);
      const float* query = workload.Query(mix, q);
      if (ExactL2Squared(query, workload.BaseVector(id), workload.dim) <= limit) found++;
    }
    sum += double(std::min<size_t>(found, truth.counts[q])) / truth.counts[q];
    scored++;
  }
  result.recall = scored > 0 ? sum / double(scored) : 1.0;
  return result;
}

// ---- Memory ----

size_t ResidentBytes() {
  malloc_trim(0);
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  throw std::runtime_error("/proc/self/status has no VmRSS line");
}

}  // namespace arbor::bench

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

double ProcessCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return double(now.tv_sec) + double(now.tv_nsec) * 1e-9;
}

double Percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0.0;
  const size_t index = std::min(values.size() - 1,
                                static_cast<size_t>(fraction * double(values.size())));
  std::nth_element(values.begin(), values.begin() + index, values.end());
  return values[index];
}

// One call of a timed run: queries [first, first + count) of the mix, all of one tenant.
struct Call {
  size_t first = 0;
  size_t count = 0;
};

// Splits the mix into calls of one query, or of batch_size queries when that is positive.
std::vector<Call> SplitIntoCalls(const QueryMix& mix, size_t batch_size) {
  const size_t queries = mix.tenants.size();
  const size_t call_size = std::max<size_t>(batch_size, 1);
  std::vector<Call> calls;
  for (size_t first = 0; first < queries; first += call_size) {
    const Call call{first, std::min(call_size, queries - first)};
    for (size_t q = first + 1; q < first + call.count; ++q) {
      if (mix.tenants[q] != mix.tenants[first]) {
        throw std::runtime_error("mix " + mix.name + " has queries of tenants " +
                                 std::to_string(mix.tenants[first]) + " and " +
                                 std::to_string(mix.tenants[q]) + " in one batch of " +
                                 std::to_string(call_size) + "; batch only a MakeBatchedMix mix");
      }
    }
    calls.push_back(call);
  }
  return calls;
}

}  // namespace

void SearchMethod::SearchBatch(uint32_t tenant, const std::vector<const float*>& queries,
                               size_t k, std::vector<uint32_t>* ids) const {
  ids->assign(queries.size() * k, kNoId);
  std::vector<uint32_t> one_query;
  for (size_t i = 0; i < queries.size(); ++i) {
    Search(tenant, queries[i], k, &one_query);
    std::copy_n(one_query.begin(), std::min(one_query.size(), k), ids->begin() + i * k);
  }
}

RunResult RunQueries(const SearchMethod& method, const Workload& workload, const QueryMix& mix,
                     size_t threads, const RunOptions& options) {
  const size_t count = mix.tenants.size();
  const size_t k = options.k;
  const std::vector<Call> calls = SplitIntoCalls(mix, options.batch_size);
  RunResult result;
  result.ids.assign(count * k, kNoId);

  std::vector<std::vector<double>> latencies(threads);
  std::vector<size_t> done(threads, 0);
  std::vector<double> finish(threads, 0.0);
  std::vector<double> cpu_seconds(threads, 0.0);
  std::latch ready(static_cast<std::ptrdiff_t>(threads));
  std::atomic<bool> go{false};
  double start = 0.0;

  // Sends one call and leaves its ids (k per query, or fewer for a single query) in `ids`.
  auto send = [&](const Call& call, std::vector<const float*>* queries,
                  std::vector<uint32_t>* ids) {
    const uint32_t tenant = mix.tenants[call.first];
    if (options.batch_size == 0) {
      method.Search(tenant, workload.Query(mix, call.first), k, ids);
      return;
    }
    queries->clear();
    for (size_t q = call.first; q < call.first + call.count; ++q) {
      queries->push_back(workload.Query(mix, q));
    }
    method.SearchBatch(tenant, *queries, k, ids);
  };

  // Thread t owns calls [calls * t / threads, calls * (t + 1) / threads) and sends them in
  // passes until min_seconds have passed since the common start.
  auto worker = [&](size_t t) {
    method.PrepareSearchThread();
    const size_t first = calls.size() * t / threads;
    const size_t last = calls.size() * (t + 1) / threads;
    std::vector<const float*> queries;
    std::vector<uint32_t> ids;
    if (threads == 1) {
      size_t warmed = 0;
      for (size_t c = 0; c < calls.size() && warmed < options.warmup_queries; ++c) {
        send(calls[c], &queries, &ids);
        warmed += calls[c].count;
      }
    }
    size_t owned_queries = 0;
    for (size_t c = first; c < last; ++c) owned_queries += calls[c].count;
    ready.count_down();
    while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
    const double cpu_start = ThreadCpuSeconds();

    for (size_t pass = 0;; ++pass) {
      for (size_t c = first; c < last; ++c) {
        const double before = NowSeconds();
        send(calls[c], &queries, &ids);
        const double after = NowSeconds();
        latencies[t].push_back(after - before);
        if (pass == 0) {
          std::copy_n(ids.begin(), std::min(ids.size(), calls[c].count * k),
                      &result.ids[calls[c].first * k]);
        }
      }
      done[t] += owned_queries;
      finish[t] = NowSeconds();
      if (finish[t] - start >= options.min_seconds || first == last) break;
    }
    cpu_seconds[t] = ThreadCpuSeconds() - cpu_start;
  };

  std::vector<std::thread> workers;
  for (size_t t = 0; t < threads; ++t) workers.emplace_back(worker, t);
  ready.wait();
  const double process_cpu_start = ProcessCpuSeconds();
  const double external_cpu_start = method.ExternalCpuSeconds();
  start = NowSeconds();
  go.store(true, std::memory_order_release);
  for (auto& thread : workers) thread.join();
  const double process_cpu = ProcessCpuSeconds() - process_cpu_start;
  const double external_cpu = method.ExternalCpuSeconds() - external_cpu_start;

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
  const double per_query = total > 0 ? 1e6 / double(total) : 0.0;
  result.queries_per_second = double(total) / std::max(end - start, 1e-9);
  result.cpu_us_per_query = cpu_total * per_query;
  result.process_cpu_us_per_query = process_cpu * per_query;
  result.external_cpu_us_per_query = external_cpu * per_query;
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

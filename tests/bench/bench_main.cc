// arbor_bench: tenant-scoped search on Fashion-MNIST, Arbor's CuratorIndex against faiss and
// hnswlib baselines, and Arbor end to end through a real arbord. One process builds and sweeps
// one method (--method), so that its resident memory can be measured alone;
// tests/bench/run_benchmarks.sh runs every method and writes the report. Results are appended
// to --out as JSON lines.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "index/curator_index.h"
#include "tests/bench/bench_harness.h"
#include "tests/bench/bench_methods.h"
#include "tests/bench/bench_workload.h"
#include "tests/bench/pruning_bench.h"

namespace arbor::bench {
namespace {

struct Flags {
  std::string method;
  std::string out;
  std::string cache_dir = "bench-cache";
  bool quick = false;
  size_t search_threads = 2;
  size_t repeats = 3;
  size_t round = 1;
  WorkloadOptions workload;
  RunOptions run;
  ArborParams arbor;
  FaissSharedParams faiss_shared;
  FaissTenantParams faiss_tenant;
  HnswParams hnsw;
  PruningParams pruning;
  ArbordParams arbord;
  std::vector<size_t> arbord_streams = {1, 4, 16};
  // Both by default, so that every full run measures whether a connection per stream pays off.
  std::vector<std::string> arbord_channels = {"shared", "per-stream"};
  size_t arbord_batch_size = 16;
};

// Smaller defaults for --quick, applied to every option the command line did not set.
void ApplyQuickDefaults(const CLI::App& app, Flags* flags) {
  auto unset = [&](const char* name) { return app.count(name) == 0; };
  if (unset("--base-size")) flags->workload.base_size = 5000;
  if (unset("--tenants")) flags->workload.tenants = 50;
  if (unset("--queries")) flags->workload.queries_per_mix = 100;
  if (unset("--min-seconds")) flags->run.min_seconds = 0.05;
  if (unset("--repeats")) flags->repeats = 1;
  if (unset("--warmup-queries")) flags->run.warmup_queries = 10;
  if (unset("--budgets")) flags->arbor.budgets = {128, 512, 2048};
  if (unset("--noprune-budgets")) flags->arbor.noprune_budgets = {128, 512};
  if (unset("--deletes")) flags->arbor.deletes = 200;
  if (unset("--ivf-nprobes")) flags->faiss_shared.nprobes = {1, 4, 16, 64};
  if (unset("--tenant-nprobes")) flags->faiss_tenant.nprobes = {1, 4, 16};
  if (unset("--hnsw-efs")) flags->hnsw.efs = {16, 64, 256};
  if (unset("--pruning-bits-per-key")) flags->pruning.bits_per_key = {4, 8};
  if (unset("--arbord-budgets")) flags->arbord.budgets = {128, 512};
  if (unset("--arbord-channels")) flags->arbord_channels = {"shared"};
}

void AddFlags(CLI::App& app, Flags* flags) {
  app.add_option("--method", flags->method,
                 "groundtruth (compute or check the cached ground truth), arbor, arbord "
                 "(end to end through a real arbord), faiss-ivf-shared, faiss-ivf-tenant, "
                 "hnsw-tenant, or pruning (Bloom filters against exact node sets in Arbor's "
                 "search traversal)")
      ->required()
      ->check(CLI::IsMember({"groundtruth", "arbor", "arbord", "faiss-ivf-shared",
                             "faiss-ivf-tenant", "hnsw-tenant", "pruning"}));
  app.add_option("--out", flags->out, "JSON-lines file the results are appended to")->required();
  app.add_option("--cache-dir", flags->cache_dir, "directory of the ground-truth cache files")
      ->capture_default_str();
  app.add_flag("--quick", flags->quick,
               "smoke-test size: 5,000 base vectors, 50 tenants, 100 queries per mix and "
               "short sweeps, unless set explicitly");
  app.add_option("--search-threads", flags->search_threads,
                 "threads of the second QPS measurement (the first uses 1)")
      ->capture_default_str();

  WorkloadOptions& w = flags->workload;
  app.add_option("--data-dir", w.data_dir, "directory of the Fashion-MNIST idx .gz files")
      ->capture_default_str();
  app.add_option("--base-size", w.base_size, "training images in the base; 0 means all 60,000")
      ->capture_default_str();
  app.add_option("--tenants", w.tenants, "number of tenants")->capture_default_str();
  app.add_option("--zipf", w.zipf_exponent, "Zipf exponent of the tenants' owned counts")
      ->capture_default_str();
  app.add_option("--preferred-fraction", w.preferred_fraction,
                 "fraction of a tenant's vectors drawn from its 1 to 3 preferred classes")
      ->capture_default_str();
  app.add_option("--shared-fraction", w.shared_fraction,
                 "fraction of the base vectors shared with further tenants")
      ->capture_default_str();
  app.add_option("--max-extra-readers", w.max_extra_readers,
                 "a shared vector gets 1 to this many further readers")
      ->capture_default_str();
  app.add_option("--queries", w.queries_per_mix, "queries per mix")->capture_default_str();
  app.add_flag("--tenant-class-queries", w.tenant_class_queries,
               "draw each query from the class of a random vector its tenant can read, instead "
               "of any test image");
  app.add_option("--k", w.k, "neighbors per query")->capture_default_str();
  app.add_option("--seed", w.seed, "seed of the workload and of every method")
      ->capture_default_str();

  app.add_option("--round", flags->round,
                 "round number written into every record, when a script runs the methods in "
                 "several rounds")
      ->capture_default_str();
  app.add_option("--repeats", flags->repeats,
                 "timed runs per knob, mix and thread count; the fastest is reported")
      ->capture_default_str();
  app.add_option("--min-seconds", flags->run.min_seconds,
                 "each timed run repeats its queries for at least this many seconds")
      ->capture_default_str();
  app.add_option("--warmup-queries", flags->run.warmup_queries,
                 "untimed queries before each 1-thread run")
      ->capture_default_str();

  ArborParams& a = flags->arbor;
  app.add_option("--branching", a.branching, "Arbor tree: children per inner node")
      ->capture_default_str();
  app.add_option("--max-leaf-size", a.max_leaf_size, "Arbor tree: sample points per leaf, at most")
      ->capture_default_str();
  app.add_option("--max-depth", a.max_depth, "Arbor tree: depth limit")->capture_default_str();
  app.add_option("--tree-sample", a.tree_sample,
                 "Arbor tree: base vectors it is trained on; 0 means all")
      ->capture_default_str();
  app.add_option("--kmeans-iterations", a.kmeans_iterations,
                 "k-means iterations of Arbor's tree and of every faiss IVF quantizer")
      ->capture_default_str();
  app.add_option("--split-threshold", a.split_threshold,
                 "Arbor: a tenant's shortlist longer than this at an inner node is split")
      ->capture_default_str();
  app.add_option("--merge-threshold", a.merge_threshold,
                 "Arbor: a split node with this many of the tenant's vectors or fewer folds")
      ->capture_default_str();
  app.add_option("--budgets", a.budgets, "Arbor: SearchOptions.budget values to sweep")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--prune-epsilon", a.prune_epsilon,
                 "Arbor: CuratorOptions.prune_epsilon of the rows \"arbor\"; negative turns "
                 "query-aware pruning off")
      ->capture_default_str();
  app.add_option("--noprune-budgets", a.noprune_budgets,
                 "Arbor: SearchOptions.budget values to sweep with pruning turned off (rows "
                 "\"arbor-noprune\"); the flag without values skips them "
                 "(default 64,96,128,192,256,512,1024; 128,512 with --quick)")
      ->expected(0, -1)
      ->delimiter(',');
  app.add_option("--extra-prune-epsilons", a.extra_prune_epsilons,
                 "Arbor: further prune_epsilon values, each swept over --budgets in rows "
                 "\"arbor-eps=VALUE\" (which the report leaves out), for choosing the default")
      ->delimiter(',');
  app.add_option("--deletes", a.deletes, "Arbor: vectors deleted one by one for delete latency")
      ->capture_default_str();

  app.add_option("--ivf-nlist", flags->faiss_shared.nlist,
                 "shared IVF: lists; 0 means 4 * sqrt(base vectors)")
      ->capture_default_str();
  app.add_option("--ivf-train-size", flags->faiss_shared.train_size,
                 "shared IVF: training vectors, a seeded random sample; 0 means 40 per list")
      ->capture_default_str();
  app.add_option("--ivf-nprobes", flags->faiss_shared.nprobes,
                 "shared IVF: nprobe values to sweep (nlist itself is always added)")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--tenant-ivf-min-size", flags->faiss_tenant.min_ivf_size,
                 "per-tenant faiss: tenants with fewer readable vectors get an IndexFlatL2")
      ->capture_default_str();
  app.add_option("--tenant-nprobes", flags->faiss_tenant.nprobes,
                 "per-tenant IVF: nprobe values to sweep")
      ->delimiter(',')
      ->capture_default_str();

  app.add_option("--hnsw-m", flags->hnsw.m, "hnswlib: M")->capture_default_str();
  app.add_option("--hnsw-ef-construction", flags->hnsw.ef_construction,
                 "hnswlib: ef_construction")
      ->capture_default_str();
  app.add_option("--hnsw-efs", flags->hnsw.efs, "hnswlib: ef values to sweep")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--build-threads", flags->hnsw.build_threads,
                 "hnswlib: tenants' indexes built at once")
      ->capture_default_str();

  app.add_option("--pruning-bits-per-key", flags->pruning.bits_per_key,
                 "pruning: Bloom filter bits per key to sweep")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--pruning-budgets", flags->pruning.budgets,
                 "pruning: SearchOptions.budget values the traversal runs with")
      ->delimiter(',')
      ->capture_default_str();
  ArbordParams& e = flags->arbord;
  app.add_option("--arbord-binary", e.binary, "end to end: the arbord executable")
      ->capture_default_str();
  app.add_option("--arbord-budgets", e.budgets,
                 "end to end: SearchParams.budget values to sweep (compared with the arbor "
                 "rows of the same budget)")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--arbord-streams", flags->arbord_streams,
                 "end to end: numbers of concurrent search streams (client threads) to run")
      ->delimiter(',')
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--arbord-channels", flags->arbord_channels,
                 "end to end: shared (every stream uses one gRPC channel and connection) "
                 "and/or per-stream (a channel and connection per stream)")
      ->delimiter(',')
      ->check(CLI::IsMember({"shared", "per-stream"}))
      ->capture_default_str();
  app.add_option("--arbord-batch-size", flags->arbord_batch_size,
                 "end to end: queries per SearchBatch call in the batched mode")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--arbord-upsert-batch", e.upsert_batch, "end to end: vectors per Upsert call")
      ->check(CLI::Range(1, 16384))
      ->capture_default_str();
  app.add_option("--arbord-sync", e.sync,
                 "end to end: arbord --sync (fsync every commit); false loads faster and does "
                 "not change searches")
      ->capture_default_str();
}

// The 1-, 5- and 15-minute load averages, to show how busy the shared machine was.
std::string LoadAverage() {
  std::ifstream file("/proc/loadavg");
  std::string one_minute, five_minutes, fifteen_minutes;
  file >> one_minute >> five_minutes >> fifteen_minutes;
  return one_minute + " " + five_minutes + " " + fifteen_minutes;
}

JsonObject MemoryJson(const std::vector<std::pair<std::string, size_t>>& parts) {
  JsonObject object;
  for (const auto& [name, bytes] : parts) object.Add(name, bytes);
  return object;
}

JsonObject WorkloadJson(const Workload& workload, bool from_cache) {
  std::vector<size_t> owned(workload.readable.size(), 0);
  for (uint32_t tenant : workload.owner) owned[tenant]++;
  std::vector<size_t> readable;
  for (const auto& ids : workload.readable) readable.push_back(ids.size());
  std::sort(owned.begin(), owned.end());
  std::sort(readable.begin(), readable.end());
  auto median = [](const std::vector<size_t>& v) { return v[v.size() / 2]; };
  size_t placements = 0;
  for (size_t count : readable) placements += count;
  return JsonObject()
      .Add("type", "workload")
      .Add("description", workload.options.Describe())
      .Add("base_vectors", workload.base_count)
      .Add("dim", workload.dim)
      .Add("tenants", workload.readable.size())
      .Add("owned_min", owned.front())
      .Add("owned_median", median(owned))
      .Add("owned_max", owned.back())
      .Add("readable_min", readable.front())
      .Add("readable_median", median(readable))
      .Add("readable_max", readable.back())
      .Add("grants", workload.grants.size())
      .Add("zipf_exponent", workload.options.zipf_exponent)
      .Add("preferred_fraction", workload.options.preferred_fraction)
      .Add("shared_fraction", workload.options.shared_fraction)
      .Add("max_extra_readers", workload.options.max_extra_readers)
      .Add("seed", size_t(workload.options.seed))
      .Add("readable_total", placements)
      .Add("owned_in_preferred_class", workload.owned_in_preferred_class)
      .Add("queries_per_mix", workload.options.queries_per_mix)
      .Add("ground_truth_from_cache", from_cache);
}

std::unique_ptr<SearchMethod> MakeMethod(const Flags& flags) {
  if (flags.method == "arbor") return MakeArborMethod(flags.arbor);
  if (flags.method == "arbord") return MakeArbordMethod(flags.arbord);
  if (flags.method == "faiss-ivf-shared") return MakeFaissSharedIvf(flags.faiss_shared);
  if (flags.method == "faiss-ivf-tenant") return MakeFaissTenantIvf(flags.faiss_tenant);
  return MakeHnswTenant(flags.hnsw);
}

using Emit = std::function<void(const JsonObject&)>;

// Times every knob and mix on 1 and on --search-threads threads, and emits one "row" each.
void SweepInProcess(const Flags& flags, SearchMethod& method, const Workload& workload,
                    const std::vector<GroundTruth>& truths, const RunOptions& run,
                    const Emit& emit) {
  for (const KnobSetting& knob : method.Knobs()) {
    method.ApplyKnob(knob);
    for (size_t m = 0; m < workload.mixes.size(); ++m) {
      const QueryMix& mix = workload.mixes[m];
      // Best of `repeats` runs: other processes on the machine only ever slow a run down.
      RunResult single;
      RunResult multi;
      for (size_t repeat = 0; repeat < flags.repeats; ++repeat) {
        RunResult single_run = RunQueries(method, workload, mix, 1, run);
        if (repeat == 0 || single_run.queries_per_second > single.queries_per_second) {
          single = std::move(single_run);
        }
        RunResult multi_run = RunQueries(method, workload, mix, flags.search_threads, run);
        if (repeat == 0 || multi_run.queries_per_second > multi.queries_per_second) {
          multi = std::move(multi_run);
        }
      }
      const RecallResult recall = ComputeRecall(workload, mix, truths[m], single.ids, run.k);
      std::fprintf(stderr, "[%s] %-12s %s=%-5zu recall %.4f  QPS %.0f / %.0f  CPU %.1f us\n",
                   knob.method.c_str(), mix.name.c_str(), knob.knob.c_str(), knob.value,
                   recall.recall, single.queries_per_second, multi.queries_per_second,
                   single.cpu_us_per_query);
      emit(JsonObject()
               .Add("type", "row")
               .Add("process", flags.method)
               .Add("round", flags.round)
               .Add("method", knob.method)
               .Add("mix", mix.name)
               .Add("knob", knob.knob)
               .Add("value", knob.value)
               .Add("recall", recall.recall)
               .Add("unreadable_results", recall.unreadable)
               .Add("qps_1t", single.queries_per_second)
               .Add("qps_nt", multi.queries_per_second)
               .Add("threads_nt", flags.search_threads)
               .Add("repeats", flags.repeats)
               .Add("min_seconds", run.min_seconds)
               .Add("cpu_us_1t", single.cpu_us_per_query)
               .Add("p50_us", single.p50_us)
               .Add("p99_us", single.p99_us));
    }
  }
}

// The query sets of the end-to-end sweep: the workload's mixes for single-query calls, and one
// MakeBatchedMix of each for SearchBatch calls, with the ground truth of both.
struct EndToEndQueries {
  std::vector<GroundTruth> truths;
  std::vector<QueryMix> batched_mixes;
  std::vector<GroundTruth> batched_truths;
};

// Times every knob, mix, channel mode, stream count and call mode (single queries, then
// SearchBatch calls) of the end-to-end method, and emits one "e2e" row each.
void SweepEndToEnd(const Flags& flags, EndToEndMethod& method, const Workload& workload,
                   const EndToEndQueries& queries, const RunOptions& run, const Emit& emit) {
  const bool shared_listed = std::find(flags.arbord_channels.begin(), flags.arbord_channels.end(),
                                       "shared") != flags.arbord_channels.end();
  for (const KnobSetting& knob : method.Knobs()) {
    method.ApplyKnob(knob);
    for (size_t m = 0; m < workload.mixes.size(); ++m) {
      for (const std::string& channels : flags.arbord_channels) {
        method.UseChannelPerStream(channels == "per-stream");
        for (size_t streams : flags.arbord_streams) {
          // One stream on its own channel is the shared-channel run again.
          if (streams == 1 && channels == "per-stream" && shared_listed) continue;
          for (const bool batched : {false, true}) {
            RunOptions options = run;
            options.batch_size = batched ? flags.arbord_batch_size : 0;
            const QueryMix& mix = batched ? queries.batched_mixes[m] : workload.mixes[m];
            const GroundTruth& truth = batched ? queries.batched_truths[m] : queries.truths[m];

            RunResult best;
            for (size_t repeat = 0; repeat < flags.repeats; ++repeat) {
              RunResult result = RunQueries(method, workload, mix, streams, options);
              if (repeat == 0 || result.queries_per_second > best.queries_per_second) {
                best = std::move(result);
              }
            }
            const std::string errors = method.TakeSearchErrors();
            if (!errors.empty()) {
              throw std::runtime_error("end to end, mix " + mix.name + ", " +
                                       std::to_string(streams) + " streams: " + errors);
            }
            const RecallResult recall = ComputeRecall(workload, mix, truth, best.ids, run.k);
            std::fprintf(stderr,
                         "[arbord] %-12s %s=%-5zu %-6s %2zu streams, %-10s channels: recall "
                         "%.4f  QPS %.0f  p50 %.0f us  CPU client %.1f + server %.1f us\n",
                         workload.mixes[m].name.c_str(), knob.knob.c_str(), knob.value,
                         batched ? "batch" : "single", streams, channels.c_str(), recall.recall,
                         best.queries_per_second, best.p50_us, best.process_cpu_us_per_query,
                         best.external_cpu_us_per_query);
            emit(JsonObject()
                     .Add("type", "e2e")
                     .Add("process", flags.method)
                     .Add("round", flags.round)
                     .Add("method", knob.method)
                     .Add("mix", workload.mixes[m].name)
                     .Add("mode", batched ? "batch" : "single")
                     .Add("queries_per_call", batched ? flags.arbord_batch_size : size_t{1})
                     .Add("queries", mix.tenants.size())
                     .Add("streams", streams)
                     .Add("channels", channels)
                     .Add("knob", knob.knob)
                     .Add("value", knob.value)
                     .Add("recall", recall.recall)
                     .Add("unreadable_results", recall.unreadable)
                     .Add("qps", best.queries_per_second)
                     .Add("p50_us", best.p50_us)
                     .Add("p99_us", best.p99_us)
                     .Add("client_thread_cpu_us", best.cpu_us_per_query)
                     .Add("client_cpu_us", best.process_cpu_us_per_query)
                     .Add("server_cpu_us", best.external_cpu_us_per_query)
                     .Add("repeats", flags.repeats)
                     .Add("min_seconds", run.min_seconds));
          }
        }
      }
    }
  }
}

// Times the in-process method on the batched mixes at the end-to-end budgets, with the queries
// of each SearchBatch call run one after the other on 1 and on --search-threads threads, and
// emits one "batched_reference" row each. The end-to-end SearchBatch rows are compared with
// these, because their queries differ from the mixes' own.
void SweepBatchedReference(const Flags& flags, SearchMethod& method, const Workload& workload,
                           const EndToEndQueries& queries, const RunOptions& run,
                           const Emit& emit) {
  RunOptions options = run;
  options.batch_size = flags.arbord_batch_size;
  for (const KnobSetting& knob : method.Knobs()) {
    const bool end_to_end_budget =
        knob.knob == "budget" && std::find(flags.arbord.budgets.begin(), flags.arbord.budgets.end(),
                                           knob.value) != flags.arbord.budgets.end();
    if (!end_to_end_budget) continue;
    method.ApplyKnob(knob);
    for (size_t m = 0; m < workload.mixes.size(); ++m) {
      const QueryMix& mix = queries.batched_mixes[m];
      RunResult single;
      RunResult multi;
      for (size_t repeat = 0; repeat < flags.repeats; ++repeat) {
        RunResult single_run = RunQueries(method, workload, mix, 1, options);
        if (repeat == 0 || single_run.queries_per_second > single.queries_per_second) {
          single = std::move(single_run);
        }
        RunResult multi_run = RunQueries(method, workload, mix, flags.search_threads, options);
        if (repeat == 0 || multi_run.queries_per_second > multi.queries_per_second) {
          multi = std::move(multi_run);
        }
      }
      const RecallResult recall =
          ComputeRecall(workload, mix, queries.batched_truths[m], single.ids, run.k);
      std::fprintf(stderr, "[%s] %s, %s=%zu: recall %.4f  QPS %.0f / %.0f  CPU %.1f us\n",
                   knob.method.c_str(), mix.name.c_str(), knob.knob.c_str(), knob.value,
                   recall.recall, single.queries_per_second, multi.queries_per_second,
                   single.cpu_us_per_query);
      emit(JsonObject()
               .Add("type", "batched_reference")
               .Add("process", flags.method)
               .Add("round", flags.round)
               .Add("method", knob.method)
               .Add("mix", workload.mixes[m].name)
               .Add("queries_per_call", flags.arbord_batch_size)
               .Add("queries", mix.tenants.size())
               .Add("knob", knob.knob)
               .Add("value", knob.value)
               .Add("recall", recall.recall)
               .Add("unreadable_results", recall.unreadable)
               .Add("qps_1t", single.queries_per_second)
               .Add("qps_nt", multi.queries_per_second)
               .Add("threads_nt", flags.search_threads)
               .Add("cpu_us_1t", single.cpu_us_per_query));
    }
  }
}

// Builds each mix's MakeBatchedMix and its ground truth (cached like the mixes' own).
void MakeBatchedQueries(const Flags& flags, const Workload& workload, EndToEndQueries* queries) {
  const double start = NowSeconds();
  for (const QueryMix& mix : workload.mixes) {
    queries->batched_mixes.push_back(MakeBatchedMix(workload, mix, flags.arbord_batch_size));
  }
  bool from_cache = false;
  queries->batched_truths = LoadOrComputeGroundTruth(
      workload, queries->batched_mixes,
      "batched, " + std::to_string(flags.arbord_batch_size) + " queries per tenant",
      flags.cache_dir, &from_cache);
  std::fprintf(stderr, "[%s] batched mixes of %zu queries per tenant, ground truth %s, %.1f s\n",
               flags.method.c_str(), flags.arbord_batch_size,
               from_cache ? "from cache" : "computed", NowSeconds() - start);
}

int Run(const Flags& flags) {
  std::ofstream out(flags.out, std::ios::app);
  if (!out) {
    std::fprintf(stderr, "arbor_bench: cannot open --out %s for appending\n", flags.out.c_str());
    return 1;
  }
  const Emit emit = [&](const JsonObject& object) { out << object.Text() << "\n" << std::flush; };

  double start = NowSeconds();
  const Workload workload = BuildWorkload(flags.workload);
  bool from_cache = false;
  EndToEndQueries queries;
  queries.truths = LoadOrComputeGroundTruth(workload, flags.cache_dir, &from_cache);
  std::fprintf(stderr, "[%s] workload of %zu vectors and %zu grants, ground truth %s, %.1f s\n",
               flags.method.c_str(), workload.base_count, workload.grants.size(),
               from_cache ? "from cache" : "computed", NowSeconds() - start);
  if (flags.method == "groundtruth") {
    emit(WorkloadJson(workload, from_cache));
    return 0;
  }
  if (flags.method == "pruning") {
    PruningParams pruning = flags.pruning;
    pruning.k = flags.workload.k;
    pruning.min_seconds = flags.run.min_seconds;
    pruning.repeats = flags.repeats;
    pruning.round = flags.round;
    RunPruningComparison(workload, flags.arbor, pruning, emit);
    return 0;
  }
  // The in-process arbor method times the batched mixes too, as the reference of the
  // end-to-end SearchBatch rows.
  if (flags.method == "arbord" || flags.method == "arbor") {
    MakeBatchedQueries(flags, workload, &queries);
  }

  std::unique_ptr<SearchMethod> method = MakeMethod(flags);
  const size_t rss_before = ResidentBytes();
  start = NowSeconds();
  method->Build(workload);
  const double build_seconds = NowSeconds() - start;
  const size_t rss_after = ResidentBytes();
  const MemoryCount memory = method->CountMemory();
  std::fprintf(stderr, "[%s] built in %.1f s, %.1f MB counted, RSS +%.1f MB\n",
               flags.method.c_str(), build_seconds, memory.counted_bytes / 1e6,
               (double(rss_after) - double(rss_before)) / 1e6);

  const std::string load_before_sweep = LoadAverage();
  RunOptions run = flags.run;
  run.k = flags.workload.k;
  if (auto* end_to_end = dynamic_cast<EndToEndMethod*>(method.get())) {
    SweepEndToEnd(flags, *end_to_end, workload, queries, run, emit);
  } else {
    SweepInProcess(flags, *method, workload, queries.truths, run, emit);
    if (flags.method == "arbor") SweepBatchedReference(flags, *method, workload, queries, run, emit);
  }

  JsonObject record;
  record.Add("type", "method")
      .Add("process", flags.method)
      .Add("round", flags.round)
      .Add("build_s", build_seconds)
      .Add("rss_before_bytes", rss_before)
      .Add("rss_after_bytes", rss_after)
      .Add("memory_counted_bytes", memory.counted_bytes)
      .Add("memory_parts", MemoryJson(memory.parts))
      .Add("memory_excluded", MemoryJson(memory.excluded))
      .Add("load_before_sweep", load_before_sweep)
      .Add("load_after_sweep", LoadAverage())
      .Add("describe", method->Describe());
  record.Add("extras", method->MeasureExtras());
  emit(record);
  return 0;
}

}  // namespace
}  // namespace arbor::bench

int main(int argc, char** argv) {
  arbor::bench::Flags flags;
  flags.arbor.budgets = {16, 32, 48, 64, 96, 128, 192, 256, 512, 1024, 2048, 8192};
  flags.arbor.noprune_budgets = {64, 96, 128, 192, 256, 512, 1024};
  flags.faiss_shared.nprobes = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  flags.faiss_tenant.nprobes = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64};
  flags.hnsw.efs = {10, 16, 24, 32, 48, 64, 96, 128, 256};
  flags.pruning.bits_per_key = {4, 8, 12, 16};
  // 96 was the smallest budget of the sweep above that reached recall@10 >= 0.95 on the
  // proportional mix when this mode was added; 1024 is the index's default budget for k = 10.
  flags.pruning.budgets = {96, 1024};
  flags.arbord.binary = ARBORD_PATH;
  flags.arbord.budgets = {96, 256};

  CLI::App app{"Tenant-scoped vector search benchmark: Arbor against faiss and hnswlib"};
  AddFlags(app, &flags);
  CLI11_PARSE(app, argc, argv);
  if (flags.quick) arbor::bench::ApplyQuickDefaults(app, &flags);
  // CLI11 records one empty string when the flag is given without values.
  const auto& noprune_results = app["--noprune-budgets"]->results();
  if (app.count("--noprune-budgets") > 0 &&
      std::all_of(noprune_results.begin(), noprune_results.end(),
                  [](const std::string& value) { return value.empty(); })) {
    flags.arbor.noprune_budgets.clear();
  }
  flags.arbor.seed = flags.workload.seed;
  flags.faiss_tenant.kmeans_iterations = flags.arbor.kmeans_iterations;
  flags.faiss_shared.kmeans_iterations = flags.arbor.kmeans_iterations;
  flags.arbord.index = flags.arbor;
  if (flags.arbord_streams.empty() || flags.arbord_channels.empty()) {
    std::fprintf(stderr, "arbor_bench: --arbord-streams and --arbord-channels need a value\n");
    return 2;
  }
  flags.arbord.max_streams = *std::max_element(flags.arbord_streams.begin(),
                                               flags.arbord_streams.end());

  try {
    return arbor::bench::Run(flags);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "arbor_bench --method %s failed: %s\n", flags.method.c_str(),
                 error.what());
    return 1;
  }
}

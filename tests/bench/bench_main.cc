// arbor_bench: tenant-scoped search on Fashion-MNIST, Arbor's CuratorIndex against faiss and
// hnswlib baselines. One process builds and sweeps one method (--method), so that its resident
// memory can be measured alone; tests/bench/run_benchmarks.sh runs every method and writes the
// report. Results are appended to --out as JSON lines.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "index/curator_index.h"
#include "tests/bench/bench_harness.h"
#include "tests/bench/bench_methods.h"
#include "tests/bench/bench_workload.h"

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
}

void AddFlags(CLI::App& app, Flags* flags) {
  app.add_option("--method", flags->method,
                 "groundtruth (compute or check the cached ground truth), arbor, "
                 "faiss-ivf-shared, faiss-ivf-tenant or hnsw-tenant")
      ->required()
      ->check(CLI::IsMember({"groundtruth", "arbor", "faiss-ivf-shared", "faiss-ivf-tenant",
                             "hnsw-tenant"}));
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
  if (flags.method == "faiss-ivf-shared") return MakeFaissSharedIvf(flags.faiss_shared);
  if (flags.method == "faiss-ivf-tenant") return MakeFaissTenantIvf(flags.faiss_tenant);
  return MakeHnswTenant(flags.hnsw);
}

int Run(const Flags& flags) {
  std::ofstream out(flags.out, std::ios::app);
  if (!out) {
    std::fprintf(stderr, "arbor_bench: cannot open --out %s for appending\n", flags.out.c_str());
    return 1;
  }
  auto emit = [&](const JsonObject& object) { out << object.Text() << "\n" << std::flush; };

  double start = NowSeconds();
  const Workload workload = BuildWorkload(flags.workload);
  bool from_cache = false;
  const std::vector<GroundTruth> truths =
      LoadOrComputeGroundTruth(workload, flags.cache_dir, &from_cache);
  std::fprintf(stderr, "[%s] workload of %zu vectors and %zu grants, ground truth %s, %.1f s\n",
               flags.method.c_str(), workload.base_count, workload.grants.size(),
               from_cache ? "from cache" : "computed", NowSeconds() - start);
  if (flags.method == "groundtruth") {
    emit(WorkloadJson(workload, from_cache));
    return 0;
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
  for (const KnobSetting& knob : method->Knobs()) {
    method->ApplyKnob(knob);
    for (size_t m = 0; m < workload.mixes.size(); ++m) {
      const QueryMix& mix = workload.mixes[m];
      // Best of `repeats` runs: other processes on the machine only ever slow a run down.
      RunResult single;
      RunResult multi;
      for (size_t repeat = 0; repeat < flags.repeats; ++repeat) {
        RunResult single_run = RunQueries(*method, workload, mix, 1, run);
        if (repeat == 0 || single_run.queries_per_second > single.queries_per_second) {
          single = std::move(single_run);
        }
        RunResult multi_run = RunQueries(*method, workload, mix, flags.search_threads, run);
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
  flags.arbor.prune_epsilon = arbor::index::kDefaultPruneEpsilon;
  flags.arbor.noprune_budgets = {64, 96, 128, 192, 256, 512, 1024};
  flags.faiss_shared.nprobes = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  flags.faiss_tenant.nprobes = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64};
  flags.hnsw.efs = {10, 16, 24, 32, 48, 64, 96, 128, 256};

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

  try {
    return arbor::bench::Run(flags);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "arbor_bench --method %s failed: %s\n", flags.method.c_str(),
                 error.what());
    return 1;
  }
}

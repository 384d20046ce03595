// Arbor's CuratorIndex in-process: a tree trained on a sample of the base and installed with
// SetTree on the empty index, then every owner's vectors upserted and every share granted.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <numeric>
#include <random>
#include <string>

#include "index/cluster_tree.h"
#include "index/curator_index.h"
#include "index/distance.h"
#include "tests/bench/bench_methods.h"

namespace arbor::bench {
namespace {

using index::ClusterTree;
using index::CuratorIndex;
using index::CuratorOptions;
using index::SearchOptions;
using index::VectorKey;

class ArborMethod : public SearchMethod {
 public:
  explicit ArborMethod(const ArborParams& params) : params_(params) {
    for (float epsilon : params_.extra_prune_epsilons) {
      char label[32];
      std::snprintf(label, sizeof(label), "arbor-eps=%g", epsilon);
      epsilon_of_label_.emplace_back(label, epsilon);
    }
  }

  void Build(const Workload& workload) override {
    workload_ = &workload;

    double start = NowSeconds();
    tree_ = TrainArborTree(workload, params_);
    train_seconds_ = NowSeconds() - start;
    index_ = NewArborIndex(workload, params_, tree_);

    // Each upsert is timed alone as well, to show the slow ones (the vector array's growth).
    insert_micros_.reserve(workload.base_count);
    start = NowSeconds();
    for (uint32_t id = 0; id < workload.base_count; ++id) {
      const double before = NowSeconds();
      index_->Upsert(VectorKey{workload.owner[id], id}, workload.BaseVector(id));
      insert_micros_.push_back((NowSeconds() - before) * 1e6);
    }
    insert_seconds_ = NowSeconds() - start;
    std::sort(insert_micros_.begin(), insert_micros_.end());

    start = NowSeconds();
    for (const auto& [id, reader] : workload.grants) {
      index_->Grant(VectorKey{workload.owner[id], id}, reader);
    }
    grant_seconds_ = NowSeconds() - start;
  }

  std::vector<KnobSetting> Knobs() const override {
    std::vector<KnobSetting> knobs;
    for (size_t budget : params_.budgets) knobs.push_back({"arbor", "budget", budget});
    for (size_t budget : params_.noprune_budgets) {
      knobs.push_back({"arbor-noprune", "budget", budget});
    }
    for (const auto& [label, epsilon] : epsilon_of_label_) {
      for (size_t budget : params_.budgets) knobs.push_back({label, "budget", budget});
    }
    knobs.push_back({"arbor-exact", "exact", 0});
    return knobs;
  }

  void ApplyKnob(const KnobSetting& knob) override {
    search_options_ = SearchOptions{};
    search_options_.exact = knob.knob == "exact";
    search_options_.budget = search_options_.exact ? 0 : knob.value;
    if (knob.method == "arbor-noprune") search_options_.prune_epsilon = -1.0f;
    for (const auto& [label, epsilon] : epsilon_of_label_) {
      if (knob.method == label) search_options_.prune_epsilon = epsilon;
    }
    MeasureSearchCost(knob);
  }

  void Search(uint32_t tenant, const float* query, size_t k,
              std::vector<uint32_t>* ids) const override {
    const auto neighbors = index_->Search(tenant, query, k, search_options_);
    ids->clear();
    for (const auto& neighbor : neighbors) ids->push_back(static_cast<uint32_t>(neighbor.key.id));
  }

  MemoryCount CountMemory() const override {
    MemoryCount memory;
    memory.counted_bytes = index_->MemoryBytes();
    memory.parts.emplace_back("CuratorIndex::MemoryBytes", memory.counted_bytes);
    memory.parts.emplace_back("of which raw vectors",
                              index_->size() * workload_->dim * sizeof(float));
    memory.parts.emplace_back("of which tree", tree_->MemoryBytes());
    return memory;
  }

  JsonObject Describe() const override {
    size_t shortlists = 0;
    size_t split_nodes = 0;
    size_t max_depth = 0;
    for (uint32_t tenant = 0; tenant < workload_->readable.size(); ++tenant) {
      const auto stats = index_->TenantStats(tenant);
      shortlists += stats.shortlists;
      split_nodes += stats.split_nodes;
      max_depth = std::max(max_depth, stats.max_depth);
    }
    size_t leaves = 0;
    for (index::NodeId node = 0; node < tree_->size(); ++node) leaves += tree_->is_leaf(node);
    return JsonObject()
        .Add("tree_nodes", tree_->size())
        .Add("tree_leaves", leaves)
        .Add("tree_depth", tree_->depth())
        .Add("tenant_shortlists", shortlists)
        .Add("tenant_split_nodes", split_nodes)
        .Add("tenant_max_shortlist_depth", max_depth)
        .Add("prune_epsilon", double(params_.prune_epsilon))
        .Add("tree_train_s", train_seconds_)
        .Add("insert_s", insert_seconds_)
        .Add("insert_vectors_per_s", double(workload_->base_count) / insert_seconds_)
        .Add("insert_p50_us", insert_micros_[insert_micros_.size() / 2])
        .Add("insert_p99_us", insert_micros_[insert_micros_.size() * 99 / 100])
        .Add("insert_max_us", insert_micros_.back())
        .Add("grant_s", grant_seconds_)
        .Add("grants_per_s", double(workload_->grants.size()) / grant_seconds_)
        .Add("distance_kernels", std::string(index::BestKernels().name))
        .Add("build_threads", size_t{1});
  }

  // Every query of every mix once, untimed, with the work of each search counted: a cost
  // measure that other processes on the machine cannot disturb.
  void MeasureSearchCost(const KnobSetting& knob) {
    for (const QueryMix& mix : workload_->mixes) {
      index::SearchStats total;
      for (size_t q = 0; q < mix.tenants.size(); ++q) {
        index::SearchStats stats;
        index_->Search(mix.tenants[q], workload_->Query(mix, q), workload_->options.k,
                       search_options_, &stats);
        total.scanned_vectors += stats.scanned_vectors;
        total.scanned_shortlists += stats.scanned_shortlists;
        total.centroid_distances += stats.centroid_distances;
      }
      const double queries = std::max<double>(1.0, double(mix.tenants.size()));
      const double vectors = double(total.scanned_vectors) / queries;
      const double centroids = double(total.centroid_distances) / queries;
      const double shortlists = double(total.scanned_shortlists) / queries;
      std::fprintf(stderr,
                   "[%s] %-12s %s=%-5zu per query: %.1f vectors, %.1f centroids, %.2f "
                   "shortlists scanned\n",
                   knob.method.c_str(), mix.name.c_str(), knob.knob.c_str(), knob.value, vectors,
                   centroids, shortlists);
      search_cost_.Add(knob.method + " " + knob.knob + "=" + std::to_string(knob.value) + " " +
                           mix.name,
                       JsonObject()
                           .Add("vectors_per_query", vectors)
                           .Add("centroid_distances_per_query", centroids)
                           .Add("shortlists_per_query", shortlists));
    }
  }

  // After the sweep: the search costs measured per knob, the placement invariants, a full re-placement by SetTree, then timed
  // deletes of random vectors (shared ones included).
  JsonObject MeasureExtras() override {
    JsonObject extras;
    extras.Add("search_cost", search_cost_);
    const std::string violation = index_->CheckInvariants();
    extras.Add("invariants_ok", violation.empty());
    if (!violation.empty()) extras.Add("invariant_violation", violation);

    double start = NowSeconds();
    index_->SetTree(tree_);
    extras.Add("set_tree_replace_s", NowSeconds() - start);

    std::vector<uint32_t> ids(workload_->base_count);
    std::iota(ids.begin(), ids.end(), 0);
    std::mt19937_64 rng(params_.seed + 1);
    std::shuffle(ids.begin(), ids.end(), rng);
    ids.resize(std::min(params_.deletes, ids.size()));

    std::vector<double> micros;
    double shared_sum = 0.0;
    size_t shared_count = 0;
    for (uint32_t id : ids) {
      const VectorKey key{workload_->owner[id], id};
      const bool shared = !index_->SharedWith(key).empty();
      start = NowSeconds();
      index_->Delete(key);
      const double elapsed = (NowSeconds() - start) * 1e6;
      micros.push_back(elapsed);
      if (shared) {
        shared_sum += elapsed;
        shared_count++;
      }
    }
    const double sum = std::accumulate(micros.begin(), micros.end(), 0.0);
    std::sort(micros.begin(), micros.end());
    extras.Add("deletes", micros.size())
        .Add("delete_mean_us", micros.empty() ? 0.0 : sum / double(micros.size()))
        .Add("delete_p50_us", micros.empty() ? 0.0 : micros[micros.size() / 2])
        .Add("delete_p99_us", micros.empty() ? 0.0 : micros[micros.size() * 99 / 100])
        .Add("delete_max_us", micros.empty() ? 0.0 : micros.back())
        .Add("deletes_shared", shared_count)
        .Add("delete_shared_mean_us", shared_count ? shared_sum / double(shared_count) : 0.0);

    const std::string after = index_->CheckInvariants();
    extras.Add("invariants_ok_after_deletes", after.empty());
    return extras;
  }

 private:
  ArborParams params_;
  std::vector<std::pair<std::string, float>> epsilon_of_label_;  // rows "arbor-eps=VALUE"
  const Workload* workload_ = nullptr;
  std::shared_ptr<const ClusterTree> tree_;
  std::unique_ptr<CuratorIndex> index_;
  SearchOptions search_options_;
  JsonObject search_cost_;  // by row label: mean work per query
  double train_seconds_ = 0.0;
  double insert_seconds_ = 0.0;
  std::vector<double> insert_micros_;  // sorted
  double grant_seconds_ = 0.0;
};

}  // namespace

std::shared_ptr<const ClusterTree> TrainArborTree(const Workload& workload,
                                                  const ArborParams& params) {
  // Tree on a seeded random sample of the base.
  const size_t dim = workload.dim;
  std::vector<uint32_t> ids(workload.base_count);
  std::iota(ids.begin(), ids.end(), 0);
  std::mt19937_64 rng(params.seed);
  std::shuffle(ids.begin(), ids.end(), rng);
  const size_t sample_count = params.tree_sample == 0
                                  ? workload.base_count
                                  : std::min(params.tree_sample, workload.base_count);
  std::vector<float> sample(sample_count * dim);
  for (size_t i = 0; i < sample_count; ++i) {
    std::copy_n(workload.BaseVector(ids[i]), dim, sample.begin() + i * dim);
  }
  index::TreeOptions tree_options;
  tree_options.branching = params.branching;
  tree_options.max_leaf_size = params.max_leaf_size;
  tree_options.max_depth = params.max_depth;
  tree_options.kmeans.iterations = params.kmeans_iterations;
  tree_options.kmeans.seed = params.seed;
  return std::make_shared<const ClusterTree>(
      ClusterTree::Train(sample.data(), sample_count, dim, tree_options));
}

std::unique_ptr<CuratorIndex> NewArborIndex(const Workload& workload, const ArborParams& params,
                                            std::shared_ptr<const ClusterTree> tree) {
  CuratorOptions options;
  options.split_threshold = params.split_threshold;
  options.merge_threshold = params.merge_threshold;
  options.prune_epsilon = params.prune_epsilon;
  auto index = std::make_unique<CuratorIndex>(workload.dim, index::Metric::kL2, options);
  index->SetTree(std::move(tree));
  for (uint32_t tenant = 0; tenant < workload.readable.size(); ++tenant) {
    char name[16];
    std::snprintf(name, sizeof(name), "t%05u", tenant);
    index->AddTenant(tenant, name);
  }
  return index;
}

std::unique_ptr<SearchMethod> MakeArborMethod(const ArborParams& params) {
  return std::make_unique<ArborMethod>(params);
}

}  // namespace arbor::bench

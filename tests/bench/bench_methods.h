// The compared methods. Each lives in its own translation unit, so that only the hnswlib one is
// compiled with -march=native and the faiss and hnswlib headers never meet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "index/cluster_tree.h"
#include "index/curator_index.h"
#include "tests/bench/bench_harness.h"

namespace arbor::bench {

struct ArborParams {
  size_t branching = 16;
  size_t max_leaf_size = 256;
  size_t max_depth = 6;
  size_t kmeans_iterations = 10;
  size_t tree_sample = 0;  // base vectors the tree is trained on; 0 means all
  size_t split_threshold = 128;
  size_t merge_threshold = 32;
  std::vector<size_t> budgets;
  // CuratorOptions::prune_epsilon of the index; negative turns pruning off.
  float prune_epsilon = index::kDefaultPruneEpsilon;
  // Budgets of the rows "arbor-noprune": the same index searched with pruning turned off.
  std::vector<size_t> noprune_budgets;
  // Further SearchOptions.prune_epsilon values, each swept over `budgets` in rows
  // "arbor-eps=VALUE".
  std::vector<float> extra_prune_epsilons;
  size_t deletes = 2000;
  uint64_t seed = 42;
};

// Arbor's CuratorIndex; reports rows "arbor" (budget sweep), "arbor-noprune" (budget sweep
// without query-aware pruning) and "arbor-exact".
std::unique_ptr<SearchMethod> MakeArborMethod(const ArborParams& params);

// The two build steps that every Arbor measurement shares: the tree, trained on a seeded random
// sample of the base, and an empty index on that tree with every tenant of the workload added.
std::shared_ptr<const index::ClusterTree> TrainArborTree(const Workload& workload,
                                                         const ArborParams& params);
std::unique_ptr<index::CuratorIndex> NewArborIndex(const Workload& workload,
                                                   const ArborParams& params,
                                                   std::shared_ptr<const index::ClusterTree> tree);

struct ArbordParams {
  std::string binary;  // arbord executable
  // branching, max_leaf_size, split_threshold and merge_threshold go into the collection's
  // IndexSettings, so that the server's index has the in-process method's settings.
  ArborParams index;
  std::vector<size_t> budgets;  // SearchParams.budget values to sweep
  size_t upsert_batch = 1000;   // vectors per Upsert call
  bool sync = false;            // arbord --sync, which fsyncs every commit
  size_t max_streams = 16;      // clients created for the channel-per-stream mode
};

// Arbor end to end: a real arbord on 127.0.0.1, loaded and searched through the C++ client
// library (client/client.h). Reports rows "arbord" (budget sweep).
class EndToEndMethod : public SearchMethod {
 public:
  // Makes every search thread started afterwards use its own client, and so its own gRPC
  // channel and TCP connection (true), or all threads share one client, channel and
  // connection (false, the default).
  virtual void UseChannelPerStream(bool per_stream) = 0;
  // Returns a description of the searches that failed since the last call, or "" when none
  // did. Failed searches return no ids, so they also lower the recall.
  virtual std::string TakeSearchErrors() = 0;
};

std::unique_ptr<EndToEndMethod> MakeArbordMethod(const ArbordParams& params);

struct FaissSharedParams {
  size_t nlist = 0;  // 0 means 4 * sqrt(base vectors)
  size_t train_size = 0;  // training vectors; 0 means 40 per list (all when fewer)
  size_t kmeans_iterations = 10;
  std::vector<size_t> nprobes;
};

// One faiss IndexIVFFlat over every base vector, searched through a per-tenant bitmap selector.
std::unique_ptr<SearchMethod> MakeFaissSharedIvf(const FaissSharedParams& params);

struct FaissTenantParams {
  size_t min_ivf_size = 1000;  // tenants with fewer readable vectors get an IndexFlatL2
  size_t kmeans_iterations = 10;
  std::vector<size_t> nprobes;
};

// One faiss index per tenant holding every vector it may read.
std::unique_ptr<SearchMethod> MakeFaissTenantIvf(const FaissTenantParams& params);

struct HnswParams {
  size_t m = 16;
  size_t ef_construction = 200;
  std::vector<size_t> efs;
  size_t build_threads = 2;
  uint64_t seed = 100;
};

// One hnswlib HierarchicalNSW per tenant holding every vector it may read.
std::unique_ptr<SearchMethod> MakeHnswTenant(const HnswParams& params);

}  // namespace arbor::bench

// `arbor_bench --method pruning`: the structure that records which tree nodes hold a tenant's
// vectors, measured in two designs on the benchmark workload's CuratorIndex.
//   - exact: CuratorIndex's per-tenant hash map from node to entry (split flag, count,
//     shortlist), probed once per node the search pops and once per child of a split node.
//   - bloom: a NodeTenantFilter per bits-per-key setting, plus a per-node hash map from tenant to
//     shortlist, which tells the search where to stop. Its keys are either the nodes of each
//     tenant's sub-tree ("subtree") or every node on the path of each of the tenant's vectors
//     ("paths", which Insert can maintain without knowing where the tenant is split).
// For each design it reports the bytes of the structure and, over both query mixes at each
// budget, the membership checks, false positives and wasted node visits of the best-first
// traversal that CuratorIndex::Search runs, and their CPU time.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "tests/bench/bench_harness.h"
#include "tests/bench/bench_methods.h"
#include "tests/bench/bench_workload.h"

namespace arbor::bench {

struct PruningParams {
  std::vector<double> bits_per_key;
  std::vector<size_t> budgets;  // SearchOptions.budget values the traversal is run with
  size_t k = 10;                // neighbors of the CuratorIndex::Search timed for context
  double min_seconds = 0.3;     // each timed pass repeats the queries for at least this long
  size_t repeats = 3;           // timed passes per measurement; the fastest is reported
  size_t round = 1;
};

// Builds the index as the arbor method does and writes records of type "pruning-memory" (one
// per structure) and "pruning-row" (one per structure, mix and budget) through `emit`. A row's
// shortlist_mismatches counts the queries whose Bloom traversal reached other shortlists than
// the exact one. It stays 0 unless a filter gave a false negative. Throws std::runtime_error
// for a bits-per-key setting that NodeTenantFilter rejects.
void RunPruningComparison(const Workload& workload, const ArborParams& arbor,
                          const PruningParams& params,
                          const std::function<void(const JsonObject&)>& emit);

}  // namespace arbor::bench

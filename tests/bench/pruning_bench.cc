#include "tests/bench/pruning_bench.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <queue>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "index/cluster_tree.h"
#include "index/curator_index.h"
#include "index/distance.h"
#include "index/node_tenant_filter.h"

namespace arbor::bench {
namespace {

using index::ClusterTree;
using index::CuratorIndex;
using index::kRootNode;
using index::NodeId;
using index::NodeTenantFilter;
using index::TenantId;
using index::VectorKey;

// A copy of one tenant's sub-tree with the layout of CuratorIndex's private entry (count, split
// flag, shortlist), so that probing it costs what probing the index's own map costs. The
// shortlists have the index's lengths but hold zeros: the traversal reads only their sizes.
struct ExactEntry {
  uint32_t below = 0;
  bool split = false;
  std::vector<uint32_t> shortlist;
};
using ExactNodeMap = absl::flat_hash_map<NodeId, ExactEntry>;

// The Bloom design's lookup at one node: tenant to shortlist, for the tenants whose shortlist
// is at that node.
using ShortlistMap = absl::flat_hash_map<TenantId, std::vector<uint32_t>>;

// Bytes a SwissTable allocates for `capacity` slots, following Abseil 20220623's layout: one
// control byte per slot plus 16, padded to the slot alignment, then the slots.
size_t HashMapAllocBytes(size_t capacity, size_t slot_bytes, size_t slot_align) {
  if (capacity == 0) return 0;
  const size_t control = (capacity + 16 + slot_align - 1) / slot_align * slot_align;
  return control + capacity * slot_bytes;
}

template <typename Map>
size_t HashMapAllocBytes(const Map& map) {
  using Entry = typename Map::value_type;
  return HashMapAllocBytes(map.capacity(), sizeof(Entry), alignof(Entry));
}

// Both designs' inputs, read from the index after every vector is placed.
struct Snapshot {
  std::vector<ExactNodeMap> exact;                     // by tenant
  std::vector<ShortlistMap> shortlists;                // by node
  std::vector<std::vector<TenantId>> subtree_tenants;  // by node: tenants with an entry there
  std::vector<std::vector<TenantId>> path_tenants;     // by node: tenants with a vector below
  size_t split_entries = 0;
  size_t shortlist_entries = 0;
  size_t exact_map_bytes = 0;      // the index's own maps, by TenantNodeMapShape
  size_t exact_slot_bytes = 0;     // one entry of the index's map
  size_t placements_off_path = 0;  // (vector, reader) whose shortlist node is not on its path
};

void SortUnique(std::vector<TenantId>* tenants) {
  std::sort(tenants->begin(), tenants->end());
  tenants->erase(std::unique(tenants->begin(), tenants->end()), tenants->end());
}

void ReadSubTrees(const CuratorIndex& index, size_t tenants, Snapshot* snapshot) {
  for (TenantId tenant = 0; tenant < tenants; ++tenant) {
    ExactNodeMap& copy = snapshot->exact[tenant];
    for (const CuratorIndex::TenantNodeInfo& info : index.TenantNodes(tenant)) {
      ExactEntry& entry = copy[info.node];
      entry.below = static_cast<uint32_t>(info.below);
      entry.split = info.split;
      entry.shortlist.assign(info.shortlist_size, 0);
      snapshot->subtree_tenants[info.node].push_back(tenant);
      if (info.split) {
        snapshot->split_entries++;
        continue;
      }
      snapshot->shortlist_entries++;
      snapshot->shortlists[info.node][tenant].assign(info.shortlist_size, 0);
    }
    const CuratorIndex::NodeMapShape shape = index.TenantNodeMapShape(tenant);
    snapshot->exact_map_bytes +=
        HashMapAllocBytes(shape.capacity, shape.slot_bytes, shape.slot_align);
    snapshot->exact_slot_bytes = shape.slot_bytes;
  }
}

// Every node on the path of every vector gets the vector's readers. Also checks that the index
// keeps each (vector, reader) at a node of that path.
void ReadPaths(const Workload& workload, const CuratorIndex& index, Snapshot* snapshot) {
  std::vector<std::vector<uint32_t>> readers(workload.base_count);
  for (uint32_t id = 0; id < workload.base_count; ++id) readers[id].push_back(workload.owner[id]);
  for (const auto& [id, reader] : workload.grants) readers[id].push_back(reader);

  std::vector<NodeId> path;
  for (uint32_t id = 0; id < workload.base_count; ++id) {
    index.tree().Path(workload.BaseVector(id), &path);
    for (uint32_t reader : readers[id]) {
      for (NodeId node : path) snapshot->path_tenants[node].push_back(reader);
      const auto shortlist_node = index.ShortlistNode(VectorKey{workload.owner[id], id}, reader);
      if (!shortlist_node || std::find(path.begin(), path.end(), *shortlist_node) == path.end()) {
        snapshot->placements_off_path++;
      }
    }
  }
  for (auto& tenants : snapshot->path_tenants) SortUnique(&tenants);
}

Snapshot TakeSnapshot(const Workload& workload, const CuratorIndex& index) {
  Snapshot snapshot;
  const size_t nodes = index.tree().size();
  snapshot.exact.resize(workload.readable.size());
  snapshot.shortlists.resize(nodes);
  snapshot.subtree_tenants.resize(nodes);
  snapshot.path_tenants.resize(nodes);
  ReadSubTrees(index, workload.readable.size(), &snapshot);
  for (auto& tenants : snapshot.subtree_tenants) SortUnique(&tenants);
  ReadPaths(workload, index, &snapshot);
  return snapshot;
}

// ---- The traversal of CuratorIndex::Search, without the shortlist scans ----

// Events of one traversal. NoObserver compiles them away in the timed passes.
struct NoObserver {
  void Check(NodeId, bool) {}
  void Lookup(NodeId, bool) {}
  void Visit(NodeId) {}
  void Scan(NodeId) {}
  void Distance(NodeId) {}
};

// One membership probe: a node-map or filter check, or (Bloom design) a shortlist lookup.
struct Probe {
  NodeId node;
  bool shortlist_lookup;
};

// Totals over a mix's queries.
struct TraversalCounts {
  size_t checks = 0;            // membership checks: node-map probes or filter probes
  size_t lookups = 0;           // Bloom design: probes of a node's shortlist map
  size_t positive_answers = 0;  // checks and lookups that returned true
  size_t false_negatives = 0;   // checks that rejected a node where the tenant has an entry
  size_t negatives = 0;         // checks of nodes where the tenant has no entry
  size_t false_positives = 0;   // of those, the checks that returned true
  double expected_false_positives = 0.0;  // the filters' theoretical rates, summed over negatives
  size_t visits = 0;                      // nodes taken from the frontier
  size_t wasted_visits = 0;               // of those, nodes where the tenant has no entry
  size_t distances = 0;                   // centroid distances computed
  size_t wasted_distances = 0;            // of those, to nodes where the tenant has no entry
  size_t candidates = 0;                  // shortlist entries reached
};

// (node, tenant) pairs, so that repeated queries of one tenant count once.
using NodeTenantPairs = absl::flat_hash_set<uint64_t>;

uint64_t PairKey(NodeId node, TenantId tenant) { return (uint64_t{node} << 32) | tenant; }

// Counts what a traversal did, judged against the tenant's exact sub-tree, and records its
// probes for the replay and the shortlists it reached for the comparison of the designs.
struct CountingObserver {
  const ExactNodeMap* truth;
  const NodeTenantFilter* filter;  // null for the exact design
  TenantId tenant;
  TraversalCounts* counts;
  std::vector<Probe>* probes;
  std::vector<NodeId>* scanned;
  NodeTenantPairs* negative_pairs;
  NodeTenantPairs* false_positive_pairs;

  void Check(NodeId node, bool answer) {
    counts->checks++;
    probes->push_back(Probe{node, false});
    counts->positive_answers += answer;
    if (truth->contains(node)) {
      counts->false_negatives += !answer;
      return;
    }
    counts->negatives++;
    negative_pairs->insert(PairKey(node, tenant));
    if (answer) {
      counts->false_positives++;
      false_positive_pairs->insert(PairKey(node, tenant));
    }
    if (filter != nullptr) {
      counts->expected_false_positives += filter->ExpectedFalsePositiveRate(node);
    }
  }
  void Lookup(NodeId node, bool found) {
    counts->lookups++;
    counts->positive_answers += found;
    probes->push_back(Probe{node, true});
  }
  void Visit(NodeId node) {
    counts->visits++;
    if (!truth->contains(node)) counts->wasted_visits++;
  }
  void Scan(NodeId node) { scanned->push_back(node); }
  void Distance(NodeId node) {
    counts->distances++;
    if (!truth->contains(node)) counts->wasted_distances++;
  }
};

using Frontier = std::priority_queue<std::pair<float, NodeId>,
                                     std::vector<std::pair<float, NodeId>>, std::greater<>>;

float CentroidDistance(const ClusterTree& tree, const float* query, NodeId node) {
  return index::L2Squared(query, tree.centroid(node), tree.dim());
}

// CuratorIndex::Search's best-first loop over the exact node map, probing it where Search does.
// Returns the shortlist entries reached.
// NOTE: this and TraverseBloom copy Search's loop as it was when this mode was added; a change
// to Search's visiting order or stopping rule must be made here too, or the counts drift.
template <typename Observer>
size_t TraverseExact(const ClusterTree& tree, const ExactNodeMap& nodes, const float* query,
                     size_t budget, Observer& observer) {
  Frontier frontier;
  frontier.emplace(0.0f, kRootNode);
  size_t gathered = 0;
  while (!frontier.empty() && gathered < budget) {
    const NodeId node = frontier.top().second;
    frontier.pop();
    observer.Visit(node);
    auto entry = nodes.find(node);
    observer.Check(node, entry != nodes.end());
    if (entry == nodes.end()) continue;

    if (!entry->second.split) {
      observer.Scan(node);
      gathered += entry->second.shortlist.size();
      continue;
    }
    for (NodeId child : tree.children(node)) {
      const bool member = nodes.contains(child);
      observer.Check(child, member);
      if (!member) continue;
      observer.Distance(child);
      frontier.emplace(CentroidDistance(tree, query, child), child);
    }
  }
  return gathered;
}

// The same loop in the Bloom design: a node enters the frontier when its filter reports the
// tenant, and a popped node is scanned when its shortlist map has the tenant, else expanded.
template <typename Observer>
size_t TraverseBloom(const ClusterTree& tree, const NodeTenantFilter& filter,
                     const std::vector<ShortlistMap>& shortlists, TenantId tenant,
                     const float* query, size_t budget, Observer& observer) {
  Frontier frontier;
  const bool root_member = filter.MayContain(kRootNode, tenant);
  observer.Check(kRootNode, root_member);
  if (root_member) frontier.emplace(0.0f, kRootNode);
  size_t gathered = 0;
  while (!frontier.empty() && gathered < budget) {
    const NodeId node = frontier.top().second;
    frontier.pop();
    observer.Visit(node);
    auto shortlist = shortlists[node].find(tenant);
    observer.Lookup(node, shortlist != shortlists[node].end());
    if (shortlist != shortlists[node].end()) {
      observer.Scan(node);
      gathered += shortlist->second.size();
      continue;
    }

    // The tenant is split here, or the node was a false positive: the children's filters
    // decide, so a false positive costs a visit, a map lookup and one check per child.
    for (NodeId child : tree.children(node)) {
      const bool member = filter.MayContain(child, tenant);
      observer.Check(child, member);
      if (!member) continue;
      observer.Distance(child);
      frontier.emplace(CentroidDistance(tree, query, child), child);
    }
  }
  return gathered;
}

// ---- Timing ----

// Keeps the timed passes' results alive, so that the compiler cannot drop the work.
volatile size_t g_sink = 0;

// CPU seconds per query of `pass`, which runs every query once and returns a checksum: the
// fastest of `repeats` timed runs, each repeating the pass for at least `min_seconds`.
template <typename Pass>
double CpuSecondsPerQuery(size_t queries, const PruningParams& params, const Pass& pass) {
  double best = std::numeric_limits<double>::infinity();
  for (size_t repeat = 0; repeat < std::max<size_t>(1, params.repeats); ++repeat) {
    size_t passes = 0;
    size_t checksum = 0;
    const double start = ThreadCpuSeconds();
    double elapsed = 0.0;
    do {
      checksum += pass();
      passes++;
      elapsed = ThreadCpuSeconds() - start;
    } while (elapsed < params.min_seconds);
    g_sink = g_sink + checksum;
    best = std::min(best, elapsed / double(passes * queries));
  }
  return best;
}

// One design's results on one mix at one budget.
struct DesignRun {
  TraversalCounts counts;
  std::vector<Probe> probes;
  std::vector<size_t> first_probe;           // by query, into probes; one extra entry at the end
  std::vector<std::vector<NodeId>> scanned;  // by query
  NodeTenantPairs negative_pairs;
  NodeTenantPairs false_positive_pairs;
  double traversal_seconds = 0.0;  // CPU per query
  double probe_seconds = 0.0;      // CPU per query, probes replayed alone
};

// Runs `traverse(query index, observer)` over the mix with counting, then times it bare and
// times `replay(query index, probes)` alone.
template <typename Traverse, typename Replay>
DesignRun MeasureDesign(const QueryMix& mix, const std::vector<const ExactNodeMap*>& truths,
                        const NodeTenantFilter* filter, const PruningParams& params,
                        const Traverse& traverse, const Replay& replay) {
  const size_t queries = mix.tenants.size();
  DesignRun run;
  run.scanned.resize(queries);
  for (size_t q = 0; q < queries; ++q) {
    run.first_probe.push_back(run.probes.size());
    CountingObserver observer{
        truths[q],   filter,          mix.tenants[q],      &run.counts,
        &run.probes, &run.scanned[q], &run.negative_pairs, &run.false_positive_pairs};
    run.counts.candidates += traverse(q, observer);
  }
  run.first_probe.push_back(run.probes.size());

  // The replay must return the traversal's results, or it would time different work.
  size_t replay_hits = 0;
  for (size_t q = 0; q < queries; ++q) {
    replay_hits += replay(q, run.probes.data() + run.first_probe[q],
                          run.probes.data() + run.first_probe[q + 1]);
  }
  if (replay_hits != run.counts.positive_answers) {
    throw std::logic_error("replayed probes returned true " + std::to_string(replay_hits) +
                           " times, but the traversal's probes " +
                           std::to_string(run.counts.positive_answers) + " times");
  }

  run.traversal_seconds = CpuSecondsPerQuery(queries, params, [&] {
    size_t checksum = 0;
    NoObserver none;
    for (size_t q = 0; q < queries; ++q) checksum += traverse(q, none);
    return checksum;
  });
  run.probe_seconds = CpuSecondsPerQuery(queries, params, [&] {
    size_t checksum = 0;
    for (size_t q = 0; q < queries; ++q) {
      checksum += replay(q, run.probes.data() + run.first_probe[q],
                         run.probes.data() + run.first_probe[q + 1]);
    }
    return checksum;
  });
  return run;
}

// ---- Records ----

JsonObject RowJson(const std::string& structure, const std::string& keys, double bits_per_key,
                   const QueryMix& mix, size_t budget, const DesignRun& run,
                   size_t scanned_mismatches, size_t round) {
  const double queries = double(mix.tenants.size());
  const TraversalCounts& c = run.counts;
  return JsonObject()
      .Add("type", "pruning-row")
      .Add("round", round)
      .Add("structure", structure)
      .Add("keys", keys)
      .Add("bits_per_key", bits_per_key)
      .Add("mix", mix.name)
      .Add("budget", budget)
      .Add("queries", mix.tenants.size())
      .Add("checks_per_query", double(c.checks) / queries)
      .Add("lookups_per_query", double(c.lookups) / queries)
      .Add("negatives", c.negatives)
      .Add("false_negatives", c.false_negatives)
      .Add("false_positives", c.false_positives)
      .Add("distinct_negatives", run.negative_pairs.size())
      .Add("distinct_false_positives", run.false_positive_pairs.size())
      .Add("false_positive_rate",
           c.negatives ? double(c.false_positives) / double(c.negatives) : 0.0)
      .Add("expected_false_positive_rate",
           c.negatives ? c.expected_false_positives / double(c.negatives) : 0.0)
      .Add("visits_per_query", double(c.visits) / queries)
      .Add("wasted_visits_per_query", double(c.wasted_visits) / queries)
      .Add("distances_per_query", double(c.distances) / queries)
      .Add("wasted_distances_per_query", double(c.wasted_distances) / queries)
      .Add("candidates_per_query", double(c.candidates) / queries)
      .Add("probe_cpu_ns", run.probe_seconds * 1e9)
      .Add("traversal_cpu_us", run.traversal_seconds * 1e6)
      .Add("shortlist_mismatches", scanned_mismatches);
}

JsonObject ExactMemoryJson(const Snapshot& snapshot, const CuratorIndex& index, size_t round) {
  const size_t entries = snapshot.split_entries + snapshot.shortlist_entries;
  const size_t map_objects = snapshot.exact.size() * sizeof(ExactNodeMap);
  return JsonObject()
      .Add("type", "pruning-memory")
      .Add("round", round)
      .Add("structure", "exact")
      .Add("keys", "subtree")
      .Add("bits_per_key", 0.0)
      .Add("entries", entries)
      .Add("split_entries", snapshot.split_entries)
      .Add("shortlist_entries", snapshot.shortlist_entries)
      .Add("entry_bytes", snapshot.exact_slot_bytes)
      .Add("map_bytes", snapshot.exact_map_bytes)
      .Add("map_object_bytes", map_objects)
      .Add("split_entry_bytes", snapshot.split_entries * (snapshot.exact_slot_bytes + 1))
      .Add("total_bytes", snapshot.exact_map_bytes + map_objects)
      .Add("index_bytes", index.MemoryBytes())
      .Add("tree_nodes", index.tree().size())
      .Add("placements_off_path", snapshot.placements_off_path);
}

JsonObject BloomMemoryJson(const std::string& keys, const NodeTenantFilter& filter,
                           const std::vector<std::vector<TenantId>>& members,
                           const Snapshot& snapshot, size_t round) {
  size_t key_count = 0;
  size_t nodes_with_keys = 0;
  size_t max_keys = 0;
  for (const auto& tenants : members) {
    key_count += tenants.size();
    nodes_with_keys += !tenants.empty();
    max_keys = std::max(max_keys, tenants.size());
  }
  const size_t map_objects = snapshot.shortlists.size() * sizeof(ShortlistMap);
  size_t shortlist_bytes = 0;
  for (const ShortlistMap& map : snapshot.shortlists) shortlist_bytes += HashMapAllocBytes(map);
  const size_t header_bytes = filter.node_count() * NodeTenantFilter::HeaderBytes();
  const size_t filter_bytes = filter.MemoryBytes() - header_bytes;
  return JsonObject()
      .Add("type", "pruning-memory")
      .Add("round", round)
      .Add("structure", "bloom")
      .Add("keys", keys)
      .Add("bits_per_key", filter.bits_per_key())
      .Add("hash_count", filter.hash_count())
      .Add("filter_keys", key_count)
      .Add("nodes_with_keys", nodes_with_keys)
      .Add("max_keys_per_node", max_keys)
      .Add("filter_bits", filter.LiveBits())
      .Add("filter_bytes", filter_bytes)
      .Add("header_bytes", header_bytes)
      .Add("shortlist_entry_bytes", sizeof(ShortlistMap::value_type))
      .Add("shortlist_map_bytes", shortlist_bytes)
      .Add("map_object_bytes", map_objects)
      .Add("total_bytes", filter.MemoryBytes() + shortlist_bytes + map_objects);
}

NodeTenantFilter BuildFilter(double bits_per_key,
                             const std::vector<std::vector<TenantId>>& members) {
  auto filter = NodeTenantFilter::Create(members.size(), bits_per_key);
  if (!filter.ok()) {
    throw std::runtime_error("invalid --pruning-bits-per-key: " +
                             std::string(filter.status().message()));
  }
  for (NodeId node = 0; node < members.size(); ++node) filter->Rebuild(node, members[node]);
  filter->Compact();
  return *std::move(filter);
}

// CPU time per query of CuratorIndex::Search at `budget`, shortlist scans included, to show
// what share of a query the traversal's probes are.
double SearchSeconds(const CuratorIndex& index, const Workload& workload, const QueryMix& mix,
                     size_t budget, const PruningParams& params) {
  index::SearchOptions options;
  options.budget = budget;
  return CpuSecondsPerQuery(mix.tenants.size(), params, [&] {
    size_t checksum = 0;
    for (size_t q = 0; q < mix.tenants.size(); ++q) {
      checksum += index.Search(mix.tenants[q], workload.Query(mix, q), params.k, options).size();
    }
    return checksum;
  });
}

size_t CountMismatches(const DesignRun& a, const DesignRun& b) {
  size_t mismatches = 0;
  for (size_t q = 0; q < a.scanned.size(); ++q) mismatches += a.scanned[q] != b.scanned[q];
  return mismatches;
}

}  // namespace

void RunPruningComparison(const Workload& workload, const ArborParams& arbor,
                          const PruningParams& params,
                          const std::function<void(const JsonObject&)>& emit) {
  // The index, built as the arbor method builds it.
  std::unique_ptr<CuratorIndex> index =
      NewArborIndex(workload, arbor, TrainArborTree(workload, arbor));
  for (uint32_t id = 0; id < workload.base_count; ++id) {
    index->Upsert(VectorKey{workload.owner[id], id}, workload.BaseVector(id));
  }
  for (const auto& [id, reader] : workload.grants) {
    index->Grant(VectorKey{workload.owner[id], id}, reader);
  }
  const ClusterTree& tree = index->tree();
  const Snapshot snapshot = TakeSnapshot(workload, *index);
  emit(ExactMemoryJson(snapshot, *index, params.round));

  struct BloomDesign {
    std::string keys;
    NodeTenantFilter filter;
  };
  std::vector<BloomDesign> designs;
  for (const char* keys : {"subtree", "paths"}) {
    const auto& members =
        std::string(keys) == "subtree" ? snapshot.subtree_tenants : snapshot.path_tenants;
    for (double bits_per_key : params.bits_per_key) {
      designs.push_back(BloomDesign{keys, BuildFilter(bits_per_key, members)});
      emit(BloomMemoryJson(keys, designs.back().filter, members, snapshot, params.round));
    }
  }

  for (const QueryMix& mix : workload.mixes) {
    std::vector<const ExactNodeMap*> truths;
    for (uint32_t tenant : mix.tenants) truths.push_back(&snapshot.exact[tenant]);

    for (size_t budget : params.budgets) {
      const DesignRun exact = MeasureDesign(
          mix, truths, nullptr, params,
          [&](size_t q, auto& observer) {
            return TraverseExact(tree, *truths[q], workload.Query(mix, q), budget, observer);
          },
          [&](size_t q, const Probe* begin, const Probe* end) {
            size_t hits = 0;
            for (const Probe* probe = begin; probe != end; ++probe) {
              hits += truths[q]->contains(probe->node);
            }
            return hits;
          });
      emit(RowJson("exact", "subtree", 0.0, mix, budget, exact, 0, params.round)
               .Add("search_cpu_us", SearchSeconds(*index, workload, mix, budget, params) * 1e6));
      std::fprintf(stderr, "[pruning] %-12s budget %-5zu exact: %.1f checks/query, %.0f ns\n",
                   mix.name.c_str(), budget, double(exact.counts.checks) / mix.tenants.size(),
                   exact.probe_seconds * 1e9);

      for (const BloomDesign& design : designs) {
        const DesignRun bloom = MeasureDesign(
            mix, truths, &design.filter, params,
            [&](size_t q, auto& observer) {
              return TraverseBloom(tree, design.filter, snapshot.shortlists, mix.tenants[q],
                                   workload.Query(mix, q), budget, observer);
            },
            [&](size_t q, const Probe* begin, const Probe* end) {
              const TenantId tenant = mix.tenants[q];
              size_t hits = 0;
              for (const Probe* probe = begin; probe != end; ++probe) {
                hits += probe->shortlist_lookup ? snapshot.shortlists[probe->node].contains(tenant)
                                                : design.filter.MayContain(probe->node, tenant);
              }
              return hits;
            });
        const size_t mismatches = CountMismatches(exact, bloom);
        emit(RowJson("bloom", design.keys, design.filter.bits_per_key(), mix, budget, bloom,
                     mismatches, params.round));
        std::fprintf(stderr,
                     "[pruning] %-12s budget %-5zu bloom %s %g bits/key: FP rate %.4f, %.2f "
                     "wasted visits/query, %.0f ns, %zu mismatches\n",
                     mix.name.c_str(), budget, design.keys.c_str(), design.filter.bits_per_key(),
                     bloom.counts.negatives
                         ? double(bloom.counts.false_positives) / bloom.counts.negatives
                         : 0.0,
                     double(bloom.counts.wasted_visits) / mix.tenants.size(),
                     bloom.probe_seconds * 1e9, mismatches);
      }
    }
  }
}

}  // namespace arbor::bench

// A Curator-style multi-tenant index: one shared clustering tree, and for every tenant a
// sub-tree of it that keeps the tenant's readable vectors in shortlists.
//
// Placement. Each vector has a path in the shared tree (ClusterTree::Path). For tenant T, a node
// on that path is either split (T's vectors there live further down) or has a shortlist of T.
// A vector readable by T sits in the shortlist at the first node of its path that is not split
// for T. Split nodes of T are closed upward: the root is split before any of its children.
//   - When T's shortlist at an inner node grows past `split_threshold`, the node is split: its
//     vectors move to the shortlists of the children on their paths (recursively while a child
//     is still over the threshold).
//   - When T's vectors under a split node fall to `merge_threshold` or fewer, the node folds
//     back: everything below it becomes one shortlist at that node. merge_threshold is below
//     split_threshold, so a node does not flip between the two states on every write.
// The placement thus depends on the order of writes, not only on the data; SplitNodes() exports
// it and RestoreSplitNodes() re-applies it, so a checkpoint restores it exactly.
//
// A vector is stored once, in a slot of a shared array, however many tenants may read it. Each
// reader's shortlist contains the slot number. Before a tree is trained, the tree is the root alone
// and every tenant has one shortlist at the root: search is an exact scan.
//
// Search for T walks T's sub-tree best first by the distance from the query to node centroids
// and scans whole shortlists exactly until `budget` candidates are scanned. Query-aware pruning
// stops it earlier at nodes far beyond the first shortlist (CuratorOptions::prune_epsilon). The
// rule is the query-aware dynamic pruning of SPANN (Chen et al., NeurIPS 2021). Neither limit applies before k candidates are scanned, so a
// search returns fewer than k results only when T can read fewer than k vectors.
//
// Thread safety: const methods may run concurrently with each other; every non-const method
// needs exclusive access. The caller provides the lock.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "index/cluster_tree.h"
#include "index/distance.h"
#include "index/types.h"
#include "index/vector_arena.h"

namespace arbor::index {

class TopK;

// The default of CuratorOptions::prune_epsilon, chosen on the Fashion-MNIST benchmark
// (tests/bench, docs/benchmarks.md): it keeps recall@10 at or above 0.95 at the default budget.
inline constexpr float kDefaultPruneEpsilon = 1.0f;

// The default of CuratorOptions::default_budget_fraction. Ten tenants of 6,000 Fashion-MNIST
// vectors of one class each, queried with images of their class, need a budget of about 8% of
// the tenant for recall@10 0.95 (tests/bench, --tenant-class-queries); 10% leaves a margin.
inline constexpr double kDefaultBudgetFraction = 0.1;

struct CuratorOptions {
  size_t split_threshold = 128;  // a shortlist longer than this at an inner node is split
  size_t merge_threshold = 32;   // a split node with this many vectors or fewer below folds
  // Candidates gathered when a search names no budget:
  //   max(default_budget, 16 * k, default_budget_fraction * vectors the tenant can read).
  // The fraction keeps recall up for large tenants whose data is dense around their queries.
  size_t default_budget = 1024;
  double default_budget_fraction = kDefaultBudgetFraction;
  // Query-aware pruning. Let d0 be the distance from the query to the centroid of the first
  // shortlist the search scans. Once k candidates are scanned, the search stops at the first
  // node (shortlist or split node) whose centroid is farther than d0 + prune_epsilon * |d0|.
  // For l2 and cosine the distance is the Euclidean one (not squared), so the limit is
  // (1 + prune_epsilon) * d0. For ip it is the negated inner product: a node is pruned when
  // its centroid's inner product with the query falls below s0 - prune_epsilon * |s0|, where
  // s0 is the first shortlist's. A negative value turns pruning off; 0 is the strictest.
  float prune_epsilon = kDefaultPruneEpsilon;
};

struct SearchOptions {
  // Candidate vectors to scan; 0 means the index default. The search takes whole shortlists,
  // so it may scan somewhat more, and it always scans at least k when the tenant can read k.
  size_t budget = 0;
  bool exact = false;  // scan every vector the tenant may read
  // Replaces CuratorOptions::prune_epsilon for this search; unset keeps the index setting.
  std::optional<float> prune_epsilon;
};

// The work one search did, for tests and benchmarks: a cost measure that does not depend on
// the machine.
struct SearchStats {
  size_t scanned_vectors = 0;     // exact distances to stored vectors
  size_t scanned_shortlists = 0;
  size_t centroid_distances = 0;  // distances to tree nodes' centroids
};

// Sizes of one tenant's sub-tree, for describe and tests.
struct TenantTreeStats {
  size_t readable = 0;
  size_t shortlists = 0;
  size_t split_nodes = 0;
  size_t max_depth = 0;
};

class CuratorIndex {
 public:
  CuratorIndex(size_t dim, Metric metric, CuratorOptions options);

  CuratorIndex(const CuratorIndex&) = delete;
  CuratorIndex& operator=(const CuratorIndex&) = delete;

  size_t dim() const { return dim_; }
  Metric metric() const { return metric_; }
  const ClusterTree& tree() const { return *tree_; }
  const CuratorOptions& options() const { return options_; }

  // Replaces the shared tree and re-places every vector of every tenant from the root.
  // REQUIRES: tree->dim() == dim().
  void SetTree(std::shared_ptr<const ClusterTree> tree);

  // The two steps of SetTree, for swapping a tree in while searches and writes go on:
  //   1. ComputeLeaves, under a shared lock and in chunks of slots so that writers can run in
  //      between: the leaf of each slot under the new tree (the slow part: a tree descent per
  //      vector), with the slot's version at that moment.
  //   2. InstallTree, under the exclusive lock: recomputes the leaves of slots written since
  //      step 1, then re-places every vector (no distance computations besides those).
  struct LeafAssignment {
    std::vector<NodeId> leaves;      // by slot
    std::vector<uint32_t> versions;  // by slot, the version the leaf was computed for
  };
  size_t slot_capacity() const { return slots_.size(); }
  void ComputeLeaves(const ClusterTree& tree, size_t first_slot, size_t count,
                     LeafAssignment* assignment) const;
  void InstallTree(std::shared_ptr<const ClusterTree> tree, LeafAssignment assignment);

  void AddTenant(TenantId tenant, std::string name);
  // Deletes the tenant's own vectors for every reader and drops its access to the rest. Returns
  // the number of owned vectors deleted.
  size_t RemoveTenant(TenantId tenant);
  bool HasTenant(TenantId tenant) const { return tenants_.contains(tenant); }
  const std::string& TenantName(TenantId tenant) const { return names_[tenant]; }

  // Inserts a vector readable by its owner, or replaces the values of an existing one while
  // keeping its readers (re-placing it where its path changed). Returns true when the key was
  // new. REQUIRES: the owner is registered; `values` has dim() finite floats, not all zero
  // under cosine.
  bool Upsert(VectorKey key, const float* values);
  // Deletes a vector for every reader. Returns false when the key does not exist.
  bool Delete(VectorKey key);
  // Lets `reader` read the vector. Returns true when the grant is new.
  // REQUIRES: the key exists and `reader` is registered.
  bool Grant(VectorKey key, TenantId reader);
  // Withdraws a grant. Returns true when `reader` had one. The owner's own access is permanent.
  bool Revoke(VectorKey key, TenantId reader);

  bool Contains(VectorKey key) const { return slot_of_.contains(key); }
  bool CanRead(VectorKey key, TenantId reader) const;
  std::vector<TenantId> SharedWith(VectorKey key) const;
  std::vector<VectorKey> ReadableKeys(TenantId tenant) const;
  size_t ReadableCount(TenantId tenant) const;
  size_t OwnedCount(TenantId tenant) const;
  size_t size() const { return slot_of_.size(); }

  // The k best vectors that `tenant` may read, best first, ties by (owner name, id). Fills
  // `stats` when it is not null.
  std::vector<Neighbor> Search(TenantId tenant, const float* query, size_t k,
                               const SearchOptions& options,
                               SearchStats* stats = nullptr) const;

  // Split nodes of every tenant, and re-applying them: RestoreSplitNodes on an index with the
  // same tree and vectors reproduces the exported placement exactly.
  std::vector<std::pair<TenantId, std::vector<NodeId>>> SplitNodes() const;
  void RestoreSplitNodes(TenantId tenant, const std::vector<NodeId>& split_nodes);

  // Where `tenant` keeps the vector: the node of the shortlist that contains it, or nullopt when
  // the tenant cannot read it.
  std::optional<NodeId> ShortlistNode(VectorKey key, TenantId tenant) const;

  TenantTreeStats TenantStats(TenantId tenant) const;

  // One entry of a tenant's sub-tree: a node where the tenant is split or keeps a shortlist.
  struct TenantNodeInfo {
    NodeId node = kRootNode;
    bool split = false;
    size_t below = 0;           // the tenant's vectors whose placement passes through the node
    size_t shortlist_size = 0;  // 0 at a split node
  };
  // The entries of the tenant's sub-tree, in no particular order; empty for an unknown tenant.
  // For tools that compare pruning structures (tests/bench); costs O(entries).
  std::vector<TenantNodeInfo> TenantNodes(TenantId tenant) const;

  // Allocation of the hash map that stores a tenant's sub-tree: `capacity` slots of
  // `slot_bytes` bytes each (a node id and its entry) aligned to `slot_align`, plus the map's
  // control bytes.
  struct NodeMapShape {
    size_t capacity = 0;
    size_t slot_bytes = 0;
    size_t slot_align = 0;
  };
  NodeMapShape TenantNodeMapShape(TenantId tenant) const;

  // Checks every placement invariant; returns a description of the first violation, or an
  // empty string. Costs O(total placements); for tests.
  std::string CheckInvariants() const;

  // Bytes held by the index: vectors, slot table, tree, tenant sub-trees (estimated from the
  // containers' capacities). Walks every slot and tenant node, so it costs O(size()).
  size_t MemoryBytes() const;
  // The part of MemoryBytes() that stores vector values: whole chunks, free slots included. O(1).
  size_t VectorMemoryBytes() const { return vectors_.allocated_bytes(); }

  // Copies of the vectors, for training a tree: `max_count` slots sampled evenly.
  std::vector<float> SampleVectors(size_t max_count) const;

 private:
  using Slot = uint32_t;

  struct ReaderRef {
    TenantId tenant;
    NodeId node;        // node of the reader's shortlist that contains the slot
    uint32_t position;  // index of the slot in that shortlist
  };

  struct SlotInfo {
    VectorKey key;
    NodeId leaf = kRootNode;
    absl::InlinedVector<ReaderRef, 1> readers;  // readers[0] is the owner; empty when free
  };

  struct TenantNode {
    uint32_t below = 0;  // the tenant's vectors whose placement passes through this node
    bool split = false;
    std::vector<Slot> shortlist;  // empty when split
  };

  struct TenantTree {
    absl::flat_hash_map<NodeId, TenantNode> nodes;
    size_t owned = 0;
  };

  float* SlotVector(Slot slot) { return vectors_.At(slot); }
  const float* SlotVector(Slot slot) const { return vectors_.At(slot); }

  Slot AllocateSlot();
  void StoreValues(Slot slot, const float* values);
  void FreeSlot(Slot slot);
  // Root-to-leaf path of the slot's leaf, reusing `path`.
  void PathOf(Slot slot, std::vector<NodeId>* path) const;
  NodeId ChildOnPath(Slot slot, NodeId node) const;

  // Places `slot` in `tenant`'s sub-tree, splitting a shortlist that grows too long.
  void Place(TenantId tenant, Slot slot);
  // Takes `slot` out of `tenant`'s sub-tree (the reader entry is removed by the caller), then
  // folds the highest split node that fell to the merge threshold.
  void Unplace(TenantId tenant, Slot slot, NodeId shortlist_node, uint32_t position);
  void AppendToShortlist(TenantId tenant, NodeId node, TenantNode& entry, Slot slot);
  void Split(TenantId tenant, NodeId node);
  void Merge(TenantId tenant, NodeId node);
  void CollectBelow(TenantTree& tree, NodeId node, std::vector<Slot>* slots);
  ReaderRef* FindReader(Slot slot, TenantId tenant);
  void RemoveReader(Slot slot, TenantId tenant);

  // A node waiting in the best-first frontier of a search.
  struct FrontierEntry {
    float distance;  // from the query to the node's centroid, in the order the tree uses
    NodeId node;
    const TenantNode* entry;  // the searched tenant's entry at `node`
  };

  size_t DefaultBudget(size_t k, size_t readable) const;
  // Distance from the query to the node's centroid: squared L2, or the negated inner product
  // for ip (cosine uses L2 on unit vectors, as the tree was clustered).
  float CentroidDistance(const float* query, NodeId node) const;
  // The centroid distance past which pruning stops a search, given the first shortlist's.
  float PruneLimit(float first_distance, float epsilon) const;
  // Walks the tenant's sub-tree best first; see the file comment for when it stops.
  void SearchSubTree(const TenantTree& tree, const float* query, size_t k, size_t budget,
                     float epsilon, TopK* top, SearchStats* stats) const;
  void ScanInto(const std::vector<Slot>& shortlist, const float* query, TopK* top) const;

  const size_t dim_;
  const Metric metric_;
  const CuratorOptions options_;
  std::shared_ptr<const ClusterTree> tree_;

  // By slot. Growing never moves a stored vector (a doubling array stalled an upsert for
  // ~50 ms at 100 MB), and huge pages cut the TLB misses of scans.
  VectorArena vectors_;
  std::vector<SlotInfo> slots_;
  std::vector<uint32_t> versions_;  // by slot; changes whenever the slot's values change
  std::vector<Slot> free_slots_;
  absl::flat_hash_map<VectorKey, Slot> slot_of_;
  absl::flat_hash_map<TenantId, TenantTree> tenants_;
  std::vector<std::string> names_;  // by TenantId, for tie-breaking and results
};

}  // namespace arbor::index

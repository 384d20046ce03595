// Per-node Bloom filters over tenant ids: for each node of the shared cluster tree, an
// approximate set of the tenants that have vectors below the node. A search for tenant T can
// skip every node whose filter rejects T. This is the pruning structure of the Curator index
// (Jin et al., 2024, "Curator: Efficient Indexing for Multi-Tenant Vector Databases",
// arXiv:2401.07119), kept beside CuratorIndex's exact per-tenant node maps so that the two can
// be measured against each other (tests/bench, `arbor_bench --method pruning`).
//
// Guarantees. MayContain never returns false for a tenant inserted since the node's last Rebuild
// (no false negatives). For other tenants it returns true with a probability close to
// (1 - e^(-k n / m))^k, for n keys in m bits and k hash functions.
//
// Sizing. Every node's filter is sized on its own: Rebuild sizes it for the tenants it is given
// (or a larger capacity), at `bits_per_key` bits per key, with k = round(bits_per_key * ln 2)
// hash functions: the integer nearest to the k that minimises the false-positive rate. Positions
// come from double hashing: probe i of tenant t at node v is h1 + i * h2, where h1 and h2 are the
// two 32-bit halves of a 64-bit mix of (v, t). The node id is mixed in so that a tenant that is
// a false positive at one node is not one at every node of the same size.
//
// Deletes. A Bloom filter cannot delete a key: clearing its bits would also remove other keys
// that share them. The owner therefore records a removal with RecordRemoval, which leaves the
// tenant as a stale key (always reported), and rebuilds the node's filter from the node's
// current tenants once NeedsRebuild returns true. Rebuilding was chosen over a counting Bloom
// filter for two reasons. First, counters of 4 bits take four times the memory, and memory is
// what a filter is meant to save over an exact set. Second, Insert skips a tenant that the filter
// already reports, so a counter would miss the keys skipped as false positives, and the
// matching delete would then clear bits of other keys: a false negative.
//
// Storage. The bits of all nodes lie end to end in one array, without padding between nodes.
// A rebuild that changes a node's size moves its bits to the end of the array. The array is
// compacted when the abandoned bits outnumber the live ones.
//
// Thread safety: const methods may run concurrently with each other; every non-const method
// needs exclusive access. The caller provides the lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "index/cluster_tree.h"
#include "index/types.h"

namespace arbor::index {

class NodeTenantFilter {
 public:
  static constexpr double kMinBitsPerKey = 1.0;
  static constexpr double kMaxBitsPerKey = 64.0;
  // Keys that a node's filter is sized for when Insert finds it without bits.
  static constexpr size_t kMinCapacity = 4;

  // Empty filters for nodes 0 .. node_count - 1. Returns InvalidArgument when bits_per_key is
  // outside [kMinBitsPerKey, kMaxBitsPerKey] or node_count does not fit a NodeId.
  static absl::StatusOr<NodeTenantFilter> Create(size_t node_count, double bits_per_key);

  size_t node_count() const { return filters_.size(); }
  double bits_per_key() const { return bits_per_key_; }
  size_t hash_count() const { return hash_count_; }

  // Replaces the node's filter with one that contains exactly `tenants`, sized for
  // max(capacity, tenants.size()) keys. Clears the stale and over-capacity state. Duplicates in
  // `tenants` are counted as separate keys. REQUIRES: node < node_count().
  void Rebuild(NodeId node, absl::Span<const TenantId> tenants, size_t capacity = 0);

  // Adds `tenant` to the node's filter, sizing a filter without bits for kMinCapacity keys
  // first. Returns false, and changes nothing, when the filter already reports the tenant (as a
  // key or as a false positive). Past its capacity a filter still accepts keys, with a rising
  // false-positive rate: see NeedsRebuild. REQUIRES: node < node_count().
  bool Insert(NodeId node, TenantId tenant);

  // Records that a tenant left the node. Its bits stay set, so the filter keeps reporting it
  // until the next Rebuild. REQUIRES: node < node_count().
  void RecordRemoval(NodeId node);

  // False when the tenant has certainly no vectors below the node; true when it has, or when
  // it is a false positive or a stale key. REQUIRES: node < node_count().
  bool MayContain(NodeId node, TenantId tenant) const;

  // True when the node's filter holds more keys than it was sized for, or when stale keys make
  // up a quarter of its keys or more. Either way its false-positive rate is above the target
  // for bits_per_key, and the owner should Rebuild it from the node's current tenants.
  bool NeedsRebuild(NodeId node) const;

  // Keys inserted since the last Rebuild, stale ones included.
  size_t keys(NodeId node) const { return filters_[node].keys; }
  size_t stale_keys(NodeId node) const { return filters_[node].stale; }
  size_t capacity(NodeId node) const { return filters_[node].capacity; }
  size_t bit_count(NodeId node) const { return filters_[node].bit_count; }

  // (1 - e^(-k n / m))^k for the node's n keys in m bits; 0 for a filter without keys.
  double ExpectedFalsePositiveRate(NodeId node) const;

  // Moves every filter's bits together and frees the abandoned bits and the array's spare
  // capacity. Rebuild and Insert compact on their own once the abandoned bits outnumber the live
  // ones; a caller that has finished building can call this to count memory without slack.
  void Compact();

  // Bits that the nodes' filters use now, without headers or abandoned bits.
  size_t LiveBits() const { return used_bits_ - abandoned_bits_; }
  // Bytes held: the bit array and the per-node headers, by the containers' capacities.
  size_t MemoryBytes() const;
  // Bytes of one node's header, for reports that itemise MemoryBytes.
  static constexpr size_t HeaderBytes() { return sizeof(NodeFilter); }

 private:
  struct NodeFilter {
    uint64_t first_bit = 0;  // position of the filter's first bit in words_
    uint32_t bit_count = 0;
    uint32_t capacity = 0;  // keys the filter was sized for
    uint32_t keys = 0;
    uint32_t stale = 0;
  };

  NodeTenantFilter(size_t node_count, double bits_per_key, size_t hash_count);

  size_t BitsFor(size_t capacity) const;
  // Gives the node a zeroed filter of `bit_count` bits, reusing its bits when the size is the
  // same and otherwise moving it to the end of the array.
  void Resize(NodeId node, size_t bit_count);
  void CompactIfWasteful();
  void SetProbes(const NodeFilter& filter, NodeId node, TenantId tenant);

  double bits_per_key_ = 0.0;
  size_t hash_count_ = 0;
  std::vector<NodeFilter> filters_;  // by node
  std::vector<uint64_t> words_;      // every filter's bits, end to end
  uint64_t used_bits_ = 0;           // bits of words_ handed out, abandoned ones included
  uint64_t abandoned_bits_ = 0;      // bits left behind by filters that moved
};

}  // namespace arbor::index

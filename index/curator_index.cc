#include "index/curator_index.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "index/topk.h"

namespace arbor::index {

CuratorIndex::CuratorIndex(size_t dim, Metric metric, CuratorOptions options)
    : dim_(dim),
      metric_(metric),
      options_(options),
      tree_(std::make_shared<ClusterTree>(dim)),
      vectors_(dim) {
  assert(options_.merge_threshold < options_.split_threshold);
}

// ---- Tenants ----

void CuratorIndex::AddTenant(TenantId tenant, std::string name) {
  assert(!tenants_.contains(tenant));
  tenants_.emplace(tenant, TenantTree{});
  if (names_.size() <= tenant) names_.resize(size_t{tenant} + 1);
  names_[tenant] = std::move(name);
}

size_t CuratorIndex::RemoveTenant(TenantId tenant) {
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return 0;

  std::vector<Slot> slots;
  for (auto& [node, entry] : it->second.nodes) {
    slots.insert(slots.end(), entry.shortlist.begin(), entry.shortlist.end());
  }

  // The tenant's own sub-tree is dropped whole below, so only other readers are unplaced.
  size_t deleted = 0;
  for (Slot slot : slots) {
    SlotInfo& info = slots_[slot];
    if (info.key.owner != tenant) {
      RemoveReader(slot, tenant);
      continue;
    }
    while (info.readers.size() > 1) {
      const ReaderRef ref = info.readers.back();
      Unplace(ref.tenant, slot, ref.node, ref.position);
      info.readers.pop_back();
    }
    slot_of_.erase(info.key);
    FreeSlot(slot);
    ++deleted;
  }

  tenants_.erase(tenant);
  names_[tenant].clear();
  return deleted;
}

// ---- Vectors ----

bool CuratorIndex::Upsert(VectorKey key, const float* values) {
  assert(tenants_.contains(key.owner));
  auto it = slot_of_.find(key);
  if (it == slot_of_.end()) {
    const Slot slot = AllocateSlot();
    slots_[slot].key = key;
    StoreValues(slot, values);
    slots_[slot].readers.push_back(ReaderRef{key.owner, kRootNode, 0});
    Place(key.owner, slot);
    tenants_[key.owner].owned++;
    slot_of_.emplace(key, slot);
    return true;
  }

  // New values may change the vector's path: every reader re-places it.
  const Slot slot = it->second;
  const NodeId old_leaf = slots_[slot].leaf;
  StoreValues(slot, values);
  const NodeId new_leaf = slots_[slot].leaf;
  if (new_leaf == old_leaf) return false;

  const auto readers = slots_[slot].readers;
  slots_[slot].leaf = old_leaf;
  for (const ReaderRef& ref : readers) {
    const ReaderRef current = *FindReader(slot, ref.tenant);
    Unplace(ref.tenant, slot, current.node, current.position);
  }
  slots_[slot].leaf = new_leaf;
  for (const ReaderRef& ref : readers) Place(ref.tenant, slot);
  return false;
}

bool CuratorIndex::Delete(VectorKey key) {
  auto it = slot_of_.find(key);
  if (it == slot_of_.end()) return false;

  const Slot slot = it->second;
  SlotInfo& info = slots_[slot];
  while (!info.readers.empty()) {
    const ReaderRef ref = info.readers.back();
    Unplace(ref.tenant, slot, ref.node, ref.position);
    info.readers.pop_back();
  }
  tenants_[key.owner].owned--;
  slot_of_.erase(it);
  FreeSlot(slot);
  return true;
}

bool CuratorIndex::Grant(VectorKey key, TenantId reader) {
  auto it = slot_of_.find(key);
  assert(it != slot_of_.end());
  assert(tenants_.contains(reader));
  if (FindReader(it->second, reader) != nullptr) return false;

  slots_[it->second].readers.push_back(ReaderRef{reader, kRootNode, 0});
  Place(reader, it->second);
  return true;
}

bool CuratorIndex::Revoke(VectorKey key, TenantId reader) {
  auto it = slot_of_.find(key);
  if (it == slot_of_.end() || reader == key.owner) return false;

  const ReaderRef* ref = FindReader(it->second, reader);
  if (ref == nullptr) return false;
  Unplace(reader, it->second, ref->node, ref->position);
  RemoveReader(it->second, reader);
  return true;
}

bool CuratorIndex::CanRead(VectorKey key, TenantId reader) const {
  auto it = slot_of_.find(key);
  if (it == slot_of_.end()) return false;
  for (const ReaderRef& ref : slots_[it->second].readers) {
    if (ref.tenant == reader) return true;
  }
  return false;
}

std::vector<TenantId> CuratorIndex::SharedWith(VectorKey key) const {
  std::vector<TenantId> result;
  auto it = slot_of_.find(key);
  if (it == slot_of_.end()) return result;
  const auto& readers = slots_[it->second].readers;
  for (size_t i = 1; i < readers.size(); ++i) result.push_back(readers[i].tenant);
  return result;
}

std::vector<VectorKey> CuratorIndex::ReadableKeys(TenantId tenant) const {
  std::vector<VectorKey> keys;
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return keys;
  for (const auto& [node, entry] : it->second.nodes) {
    for (Slot slot : entry.shortlist) keys.push_back(slots_[slot].key);
  }
  return keys;
}

size_t CuratorIndex::ReadableCount(TenantId tenant) const {
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return 0;
  auto root = it->second.nodes.find(kRootNode);
  return root == it->second.nodes.end() ? 0 : root->second.below;
}

size_t CuratorIndex::OwnedCount(TenantId tenant) const {
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? 0 : it->second.owned;
}

// ---- Search ----

size_t CuratorIndex::DefaultBudget(size_t k, size_t readable) const {
  const auto share =
      static_cast<size_t>(std::ceil(options_.default_budget_fraction * double(readable)));
  return std::max({options_.default_budget, 16 * k, share});
}

float CuratorIndex::CentroidDistance(const float* query, NodeId node) const {
  if (metric_ == Metric::kInnerProduct) return -InnerProduct(query, tree_->centroid(node), dim_);
  return L2Squared(query, tree_->centroid(node), dim_);
}

float CuratorIndex::PruneLimit(float first_distance, float epsilon) const {
  if (epsilon < 0) return std::numeric_limits<float>::infinity();
  if (metric_ == Metric::kInnerProduct) return first_distance + epsilon * std::abs(first_distance);
  // Centroid distances are squared here, and the ratio applies to the distances themselves.
  return (1 + epsilon) * (1 + epsilon) * first_distance;
}

void CuratorIndex::ScanInto(const std::vector<Slot>& shortlist, const float* query,
                            TopK* top) const {
  const Kernels& kernels = BestKernels();
  const bool l2 = metric_ == Metric::kL2;
  const size_t n = shortlist.size();
  for (size_t i = 0; i < n; ++i) {
    // Vectors are scattered over memory, so every cache line of the next one (and its key,
    // read when it enters the top k) is requested while this one is compared.
    if (i + 1 < n) {
      __builtin_prefetch(&slots_[shortlist[i + 1]].key);
      const char* next = reinterpret_cast<const char*>(SlotVector(shortlist[i + 1]));
      for (size_t byte = 0; byte < dim_ * sizeof(float); byte += 64) {
        __builtin_prefetch(next + byte);
      }
    }

    // Under l2 the kernel stops early once the partial sum exceeds the k-th best distance.
    const float* vec = SlotVector(shortlist[i]);
    const float threshold = top->Threshold();
    const float distance = l2 ? kernels.l2_squared_bounded(query, vec, dim_, threshold)
                              : -kernels.inner_product(query, vec, dim_);
    // A NaN distance is kept while fewer than k are held, so that no readable vector is lost.
    if (!(distance > threshold)) top->Push(distance, slots_[shortlist[i]].key);
  }
}

void CuratorIndex::SearchSubTree(const TenantTree& tree, const float* query, size_t k,
                                 size_t budget, float epsilon, TopK* top,
                                 SearchStats* stats) const {
  auto root = tree.nodes.find(kRootNode);
  if (root == tree.nodes.end()) return;

  // A min-heap by distance, reused by the thread's later searches to save the allocation.
  thread_local std::vector<FrontierEntry> frontier;
  const auto farther = [](const FrontierEntry& a, const FrontierEntry& b) {
    return a.distance > b.distance;
  };
  frontier.clear();
  frontier.push_back({0.0f, kRootNode, &root->second});

  size_t scanned = 0;
  float limit = std::numeric_limits<float>::infinity();
  bool scanned_first = false;
  while (!frontier.empty()) {
    std::pop_heap(frontier.begin(), frontier.end(), farther);
    const FrontierEntry next = frontier.back();
    frontier.pop_back();
    // The budget and the pruning limit only stop a search that has scanned k candidates.
    if (scanned >= k && (scanned >= budget || next.distance > limit)) break;

    if (!next.entry->split) {
      if (!scanned_first) {
        limit = PruneLimit(next.distance, epsilon);
        scanned_first = true;
      }
      ScanInto(next.entry->shortlist, query, top);
      scanned += next.entry->shortlist.size();
      stats->scanned_shortlists++;
      continue;
    }
    for (NodeId child : tree_->children(next.node)) {
      auto entry = tree.nodes.find(child);
      if (entry == tree.nodes.end()) continue;
      frontier.push_back({CentroidDistance(query, child), child, &entry->second});
      std::push_heap(frontier.begin(), frontier.end(), farther);
      stats->centroid_distances++;
    }
  }
  stats->scanned_vectors += scanned;
}

std::vector<Neighbor> CuratorIndex::Search(TenantId tenant, const float* query, size_t k,
                                           const SearchOptions& options,
                                           SearchStats* stats) const {
  SearchStats unused;
  if (stats == nullptr) stats = &unused;
  *stats = SearchStats{};
  auto it = tenants_.find(tenant);
  if (it == tenants_.end() || k == 0) return {};
  const TenantTree& tree = it->second;

  thread_local std::vector<float> normalized;
  if (metric_ == Metric::kCosine) {
    normalized.assign(query, query + dim_);
    NormalizeInPlace(normalized.data(), dim_);
    query = normalized.data();
  }

  TopK top(k, &names_);
  if (options.exact || !tree_->trained()) {
    for (const auto& [node, entry] : tree.nodes) {
      if (entry.split) continue;
      ScanInto(entry.shortlist, query, &top);
      stats->scanned_vectors += entry.shortlist.size();
      stats->scanned_shortlists++;
    }
    return top.Take();
  }
  const size_t budget =
      options.budget > 0 ? options.budget : DefaultBudget(k, ReadableCount(tenant));
  const float epsilon = options.prune_epsilon.value_or(options_.prune_epsilon);
  SearchSubTree(tree, query, k, budget, epsilon, &top, stats);
  return top.Take();
}

// ---- Placement ----

void CuratorIndex::PathOf(Slot slot, std::vector<NodeId>* path) const {
  path->clear();
  for (NodeId node = slots_[slot].leaf;; node = tree_->parent(node)) {
    path->push_back(node);
    if (node == kRootNode) break;
  }
  std::reverse(path->begin(), path->end());
}

NodeId CuratorIndex::ChildOnPath(Slot slot, NodeId node) const {
  NodeId child = slots_[slot].leaf;
  while (tree_->parent(child) != node) child = tree_->parent(child);
  return child;
}

void CuratorIndex::AppendToShortlist(TenantId tenant, NodeId node, TenantNode& entry,
                                     Slot slot) {
  ReaderRef* ref = FindReader(slot, tenant);
  ref->node = node;
  ref->position = static_cast<uint32_t>(entry.shortlist.size());
  entry.shortlist.push_back(slot);
}

void CuratorIndex::Place(TenantId tenant, Slot slot) {
  TenantTree& tree = tenants_[tenant];
  NodeId node = kRootNode;
  while (true) {
    TenantNode& entry = tree.nodes[node];
    entry.below++;
    if (entry.split) {
      node = ChildOnPath(slot, node);
      continue;
    }
    AppendToShortlist(tenant, node, entry, slot);
    if (entry.shortlist.size() > options_.split_threshold && !tree_->is_leaf(node)) {
      Split(tenant, node);
    }
    return;
  }
}

void CuratorIndex::Split(TenantId tenant, NodeId node) {
  TenantTree& tree = tenants_[tenant];
  std::vector<Slot> moving = std::move(tree.nodes[node].shortlist);
  tree.nodes[node].shortlist.clear();
  tree.nodes[node].split = true;

  std::vector<NodeId> children;
  for (Slot slot : moving) {
    const NodeId child = ChildOnPath(slot, node);
    TenantNode& entry = tree.nodes[child];
    entry.below++;
    AppendToShortlist(tenant, child, entry, slot);
    children.push_back(child);
  }

  std::sort(children.begin(), children.end());
  children.erase(std::unique(children.begin(), children.end()), children.end());
  for (NodeId child : children) {
    if (tree.nodes[child].shortlist.size() > options_.split_threshold && !tree_->is_leaf(child)) {
      Split(tenant, child);
    }
  }
}

void CuratorIndex::Unplace(TenantId tenant, Slot slot, NodeId shortlist_node,
                           uint32_t position) {
  TenantTree& tree = tenants_[tenant];
  std::vector<Slot>& shortlist = tree.nodes[shortlist_node].shortlist;
  const Slot moved = shortlist.back();
  shortlist[position] = moved;
  shortlist.pop_back();
  if (moved != slot) FindReader(moved, tenant)->position = position;

  std::vector<NodeId> path;
  PathOf(slot, &path);
  path.resize(std::find(path.begin(), path.end(), shortlist_node) - path.begin() + 1);
  for (NodeId node : path) tree.nodes[node].below--;

  // Counts shrink toward the leaf, so the emptied entries are a suffix of the path.
  while (!path.empty() && tree.nodes[path.back()].below == 0) {
    tree.nodes.erase(path.back());
    path.pop_back();
  }
  for (NodeId node : path) {
    const TenantNode& entry = tree.nodes[node];
    if (entry.split && entry.below <= options_.merge_threshold) {
      Merge(tenant, node);
      return;
    }
  }
}

void CuratorIndex::CollectBelow(TenantTree& tree, NodeId node, std::vector<Slot>* slots) {
  for (NodeId child : tree_->children(node)) {
    auto it = tree.nodes.find(child);
    if (it == tree.nodes.end()) continue;
    if (it->second.split) CollectBelow(tree, child, slots);
    slots->insert(slots->end(), it->second.shortlist.begin(), it->second.shortlist.end());
    tree.nodes.erase(child);
  }
}

void CuratorIndex::Merge(TenantId tenant, NodeId node) {
  TenantTree& tree = tenants_[tenant];
  std::vector<Slot> slots;
  CollectBelow(tree, node, &slots);

  TenantNode& entry = tree.nodes[node];
  entry.split = false;
  entry.shortlist.clear();
  for (Slot slot : slots) AppendToShortlist(tenant, node, entry, slot);
}

CuratorIndex::ReaderRef* CuratorIndex::FindReader(Slot slot, TenantId tenant) {
  for (ReaderRef& ref : slots_[slot].readers) {
    if (ref.tenant == tenant) return &ref;
  }
  return nullptr;
}

void CuratorIndex::RemoveReader(Slot slot, TenantId tenant) {
  auto& readers = slots_[slot].readers;
  for (size_t i = 0; i < readers.size(); ++i) {
    if (readers[i].tenant == tenant) {
      readers.erase(readers.begin() + i);
      return;
    }
  }
}

// ---- Tree changes and checkpoints ----

void CuratorIndex::SetTree(std::shared_ptr<const ClusterTree> tree) {
  LeafAssignment assignment;
  ComputeLeaves(*tree, 0, slots_.size(), &assignment);
  InstallTree(std::move(tree), std::move(assignment));
}

void CuratorIndex::ComputeLeaves(const ClusterTree& tree, size_t first_slot, size_t count,
                                 LeafAssignment* assignment) const {
  const size_t end = std::min(slots_.size(), first_slot + count);
  if (assignment->leaves.size() < end) {
    assignment->leaves.resize(end, kRootNode);
    assignment->versions.resize(end, 0);
  }
  std::vector<NodeId> path;
  for (size_t slot = first_slot; slot < end; ++slot) {
    if (slots_[slot].readers.empty()) continue;
    tree.Path(SlotVector(static_cast<Slot>(slot)), &path);
    assignment->leaves[slot] = path.back();
    assignment->versions[slot] = versions_[slot];
  }
}

void CuratorIndex::InstallTree(std::shared_ptr<const ClusterTree> tree,
                               LeafAssignment assignment) {
  assert(tree->dim() == dim_);
  tree_ = std::move(tree);

  std::vector<NodeId> path;
  for (auto& [tenant, sub_tree] : tenants_) sub_tree.nodes.clear();
  for (Slot slot = 0; slot < slots_.size(); ++slot) {
    if (slots_[slot].readers.empty()) continue;

    const bool current = slot < assignment.leaves.size() &&
                         assignment.versions[slot] == versions_[slot];
    if (current) {
      slots_[slot].leaf = assignment.leaves[slot];
    } else {
      tree_->Path(SlotVector(slot), &path);
      slots_[slot].leaf = path.back();
    }
    for (const ReaderRef& ref : std::vector<ReaderRef>(slots_[slot].readers.begin(),
                                                      slots_[slot].readers.end())) {
      Place(ref.tenant, slot);
    }
  }
}

std::vector<std::pair<TenantId, std::vector<NodeId>>> CuratorIndex::SplitNodes() const {
  std::vector<std::pair<TenantId, std::vector<NodeId>>> result;
  for (const auto& [tenant, tree] : tenants_) {
    std::vector<NodeId> split;
    for (const auto& [node, entry] : tree.nodes) {
      if (entry.split) split.push_back(node);
    }
    if (split.empty()) continue;
    std::sort(split.begin(), split.end());
    result.emplace_back(tenant, std::move(split));
  }
  return result;
}

void CuratorIndex::RestoreSplitNodes(TenantId tenant, const std::vector<NodeId>& split_nodes) {
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return;
  TenantTree& tree = it->second;

  std::vector<Slot> slots;
  for (auto& [node, entry] : tree.nodes) {
    slots.insert(slots.end(), entry.shortlist.begin(), entry.shortlist.end());
  }
  std::sort(slots.begin(), slots.end());
  tree.nodes.clear();

  // Only nodes that exist in this tree and whose ancestors are split too are kept, so that a
  // stale checkpoint cannot break the upward closure.
  absl::flat_hash_set<NodeId> split(split_nodes.begin(), split_nodes.end());
  for (NodeId node : split_nodes) {
    if (node >= tree_->size() || tree_->is_leaf(node)) continue;
    bool closed = true;
    for (NodeId up = node; up != kRootNode; up = tree_->parent(up)) {
      closed = closed && split.contains(tree_->parent(up));
    }
    if (closed) tree.nodes[node].split = true;
  }

  for (Slot slot : slots) {
    NodeId node = kRootNode;
    while (true) {
      TenantNode& entry = tree.nodes[node];
      entry.below++;
      if (!entry.split) {
        AppendToShortlist(tenant, node, entry, slot);
        break;
      }
      node = ChildOnPath(slot, node);
    }
  }

  // Split nodes that received nothing are dropped; then thresholds are enforced, in case
  // vectors changed after the checkpoint.
  absl::erase_if(tree.nodes, [](const auto& item) { return item.second.below == 0; });
  for (NodeId node = 0; node < tree_->size(); ++node) {
    auto entry = tree.nodes.find(node);
    if (entry != tree.nodes.end() && entry->second.split &&
        entry->second.below <= options_.merge_threshold) {
      Merge(tenant, node);
    }
  }
  for (NodeId node = 0; node < tree_->size(); ++node) {
    auto entry = tree.nodes.find(node);
    if (entry != tree.nodes.end() && !entry->second.split &&
        entry->second.shortlist.size() > options_.split_threshold && !tree_->is_leaf(node)) {
      Split(tenant, node);
    }
  }
}

std::optional<NodeId> CuratorIndex::ShortlistNode(VectorKey key, TenantId tenant) const {
  auto it = slot_of_.find(key);
  if (it == slot_of_.end()) return std::nullopt;
  for (const ReaderRef& ref : slots_[it->second].readers) {
    if (ref.tenant == tenant) return ref.node;
  }
  return std::nullopt;
}

TenantTreeStats CuratorIndex::TenantStats(TenantId tenant) const {
  TenantTreeStats stats;
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return stats;
  stats.readable = ReadableCount(tenant);
  for (const auto& [node, entry] : it->second.nodes) {
    if (entry.split) {
      stats.split_nodes++;
      continue;
    }
    stats.shortlists++;
    size_t depth = 0;
    for (NodeId up = node; up != kRootNode; up = tree_->parent(up)) ++depth;
    stats.max_depth = std::max(stats.max_depth, depth);
  }
  return stats;
}

std::vector<CuratorIndex::TenantNodeInfo> CuratorIndex::TenantNodes(TenantId tenant) const {
  std::vector<TenantNodeInfo> nodes;
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return nodes;
  for (const auto& [node, entry] : it->second.nodes) {
    nodes.push_back(TenantNodeInfo{node, entry.split, entry.below, entry.shortlist.size()});
  }
  return nodes;
}

CuratorIndex::NodeMapShape CuratorIndex::TenantNodeMapShape(TenantId tenant) const {
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return {};
  using Entry = decltype(it->second.nodes)::value_type;
  return NodeMapShape{it->second.nodes.capacity(), sizeof(Entry), alignof(Entry)};
}

std::string CuratorIndex::CheckInvariants() const {
  std::vector<NodeId> path;
  absl::flat_hash_map<TenantId, absl::flat_hash_map<NodeId, uint32_t>> expected_below;

  for (Slot slot = 0; slot < slots_.size(); ++slot) {
    const SlotInfo& info = slots_[slot];
    if (info.readers.empty()) continue;
    tree_->Path(SlotVector(slot), &path);
    if (path.back() != info.leaf) {
      return absl::StrCat("slot ", slot, " is kept under leaf ", info.leaf,
                          " but the tree routes it to leaf ", path.back());
    }
    for (const ReaderRef& ref : info.readers) {
      auto tenant = tenants_.find(ref.tenant);
      if (tenant == tenants_.end()) return absl::StrCat("slot ", slot, ": unknown reader");
      const auto& nodes = tenant->second.nodes;
      for (NodeId node : path) {
        expected_below[ref.tenant][node]++;
        auto entry = nodes.find(node);
        if (entry == nodes.end()) {
          return absl::StrCat("tenant ", ref.tenant, " has no entry at node ", node,
                              " on the path of slot ", slot);
        }
        if (entry->second.split) continue;
        if (node != ref.node) {
          return absl::StrCat("slot ", slot, " of tenant ", ref.tenant, " belongs at node ",
                              node, " but its reference says ", ref.node);
        }
        const auto& list = entry->second.shortlist;
        if (ref.position >= list.size() || list[ref.position] != slot) {
          return absl::StrCat("slot ", slot, " is not at position ", ref.position,
                              " of tenant ", ref.tenant, "'s shortlist at node ", node);
        }
        break;
      }
    }
  }

  for (const auto& [tenant, tree] : tenants_) {
    size_t listed = 0;
    for (const auto& [node, entry] : tree.nodes) {
      const uint32_t expected = expected_below[tenant][node];
      if (entry.below != expected) {
        return absl::StrCat("tenant ", tenant, " node ", node, ": below is ", entry.below,
                            ", expected ", expected);
      }
      if (expected == 0) return absl::StrCat("tenant ", tenant, " keeps empty node ", node);
      if (node != kRootNode && !tree.nodes.at(tree_->parent(node)).split) {
        return absl::StrCat("tenant ", tenant, " node ", node, " has an unsplit parent");
      }
      if (entry.split && entry.below <= options_.merge_threshold) {
        return absl::StrCat("tenant ", tenant, " node ", node, " is split with only ",
                            entry.below, " vectors below");
      }
      if (!entry.split && entry.shortlist.size() > options_.split_threshold &&
          !tree_->is_leaf(node)) {
        return absl::StrCat("tenant ", tenant, " shortlist at node ", node, " has ",
                            entry.shortlist.size(), " vectors, over the split threshold");
      }
      listed += entry.shortlist.size();
    }
    if (listed != ReadableCount(tenant)) {
      return absl::StrCat("tenant ", tenant, " lists ", listed, " vectors but counts ",
                          ReadableCount(tenant));
    }
  }
  return "";
}

size_t CuratorIndex::MemoryBytes() const {
  size_t bytes = VectorMemoryBytes() + tree_->MemoryBytes();
  bytes += slots_.capacity() * sizeof(SlotInfo) + free_slots_.capacity() * sizeof(Slot);
  bytes += slot_of_.capacity() * (sizeof(VectorKey) + sizeof(Slot) + 1);
  for (const SlotInfo& info : slots_) {
    if (info.readers.size() > 1) bytes += info.readers.capacity() * sizeof(ReaderRef);
  }
  for (const auto& [tenant, tree] : tenants_) {
    bytes += sizeof(TenantId) + sizeof(TenantTree);
    bytes += tree.nodes.capacity() * (sizeof(NodeId) + sizeof(TenantNode) + 1);
    for (const auto& [node, entry] : tree.nodes) {
      bytes += entry.shortlist.capacity() * sizeof(Slot);
    }
  }
  return bytes;
}

std::vector<float> CuratorIndex::SampleVectors(size_t max_count) const {
  std::vector<Slot> live;
  for (Slot slot = 0; slot < slots_.size(); ++slot) {
    if (!slots_[slot].readers.empty()) live.push_back(slot);
  }
  const size_t count = std::min(max_count, live.size());
  std::vector<float> sample(count * dim_);
  for (size_t i = 0; i < count; ++i) {
    const Slot slot = live[i * live.size() / count];
    std::memcpy(&sample[i * dim_], SlotVector(slot), dim_ * sizeof(float));
  }
  return sample;
}

// ---- Slots ----

CuratorIndex::Slot CuratorIndex::AllocateSlot() {
  if (!free_slots_.empty()) {
    const Slot slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  const Slot slot = static_cast<Slot>(slots_.size());
  slots_.emplace_back();
  versions_.push_back(0);
  vectors_.Grow(size_t{slot} + 1);
  return slot;
}

void CuratorIndex::StoreValues(Slot slot, const float* values) {
  float* target = SlotVector(slot);
  std::memcpy(target, values, dim_ * sizeof(float));
  if (metric_ == Metric::kCosine) NormalizeInPlace(target, dim_);
  versions_[slot]++;

  if (!tree_->trained()) {
    slots_[slot].leaf = kRootNode;
    return;
  }
  std::vector<NodeId> path;
  tree_->Path(target, &path);
  slots_[slot].leaf = path.back();
}

void CuratorIndex::FreeSlot(Slot slot) {
  slots_[slot].key = VectorKey{};
  slots_[slot].readers.clear();
  slots_[slot].leaf = kRootNode;
  versions_[slot]++;
  free_slots_.push_back(slot);
}

}  // namespace arbor::index

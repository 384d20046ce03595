// In-memory vectors of one collection with per-tenant access lists and exact search.
//
// Every vector is stored once, however many tenants may read it. Each tenant keeps the list of
// slots it may read, so an exact search for tenant T costs O(vectors T can read), independent of
// the collection's size. This is the state of a collection before a clustering tree exists: each
// tenant is one shortlist at the root.
//
// Vectors of a cosine collection are normalised to unit length on insert, and queries on search,
// so that cosine similarity becomes an inner product.
//
// Thread safety: const methods may run concurrently with each other; every non-const method
// needs exclusive access. The caller provides the lock.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "index/distance.h"
#include "index/types.h"

namespace arbor::index {

class FlatIndex {
 public:
  FlatIndex(size_t dim, Metric metric);

  FlatIndex(const FlatIndex&) = delete;
  FlatIndex& operator=(const FlatIndex&) = delete;

  size_t dim() const { return dim_; }
  Metric metric() const { return metric_; }

  // Registers a tenant. REQUIRES: `tenant` is not registered.
  void AddTenant(TenantId tenant, std::string name);

  // Removes a tenant: deletes every vector it owns (for all readers) and drops its access to
  // vectors others shared with it. Returns the number of owned vectors deleted.
  size_t RemoveTenant(TenantId tenant);

  bool HasTenant(TenantId tenant) const { return tenants_.contains(tenant); }

  // Inserts a vector readable by its owner, or replaces the values of an existing one while
  // keeping its readers. Returns true when the key was new.
  // REQUIRES: the owner is registered; `values` has dim() finite floats, not all zero under
  // cosine.
  bool Upsert(VectorKey key, const float* values);

  // Deletes a vector for every reader. Returns false when the key does not exist.
  bool Delete(VectorKey key);

  // Lets `reader` read the vector. Returns true when the grant is new.
  // REQUIRES: the key exists and `reader` is registered.
  bool Grant(VectorKey key, TenantId reader);

  // Withdraws a grant. Returns true when `reader` had one. The owner's own access is permanent.
  bool Revoke(VectorKey key, TenantId reader);

  bool Contains(VectorKey key) const { return slot_of_.contains(key); }

  // Whether `reader` may read the vector (false for a missing key).
  bool CanRead(VectorKey key, TenantId reader) const;

  // Tenants other than the owner that may read the vector, in grant order.
  std::vector<TenantId> SharedWith(VectorKey key) const;

  // Keys `tenant` may read, in no particular order.
  std::vector<VectorKey> ReadableKeys(TenantId tenant) const;

  size_t ReadableCount(TenantId tenant) const;
  size_t OwnedCount(TenantId tenant) const;
  size_t size() const { return slot_of_.size(); }

  // Bytes held for vectors, slot metadata and access lists (an estimate of the allocations).
  size_t MemoryBytes() const;

  // The k vectors nearest to `query` among those `tenant` may read, best first, ties broken by
  // (owner name, id). Returns fewer than k only when the tenant can read fewer.
  // REQUIRES: `query` has dim() finite floats, not all zero under cosine.
  std::vector<Neighbor> SearchExact(TenantId tenant, const float* query, size_t k) const;

  // Name of a registered tenant, for mapping results back.
  const std::string& TenantName(TenantId tenant) const { return names_[tenant]; }

 private:
  using Slot = uint32_t;

  // A reader of a slot and the slot's position in that reader's readable list, so that
  // revoking is O(readers) instead of a search through the reader's list.
  struct ReaderRef {
    TenantId tenant;
    uint32_t position;
  };

  struct SlotInfo {
    VectorKey key;
    absl::InlinedVector<ReaderRef, 2> readers;  // readers[0] is the owner; empty when free
  };

  struct TenantState {
    std::vector<Slot> readable;
    size_t owned = 0;
  };

  float* SlotVector(Slot slot) { return vectors_.data() + static_cast<size_t>(slot) * dim_; }
  const float* SlotVector(Slot slot) const {
    return vectors_.data() + static_cast<size_t>(slot) * dim_;
  }

  Slot AllocateSlot();
  void StoreValues(Slot slot, const float* values);
  void AddReader(Slot slot, TenantId reader);
  void RemoveReaderAt(Slot slot, size_t reader_index);
  void FreeSlot(Slot slot);

  const size_t dim_;
  const Metric metric_;

  std::vector<float> vectors_;  // slot-major, dim_ floats per slot
  std::vector<SlotInfo> slots_;
  std::vector<Slot> free_slots_;
  absl::flat_hash_map<VectorKey, Slot> slot_of_;
  absl::flat_hash_map<TenantId, TenantState> tenants_;
  std::vector<std::string> names_;  // indexed by TenantId; empty for unknown ids
};

}  // namespace arbor::index

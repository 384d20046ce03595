// Identifiers shared by the index structures.
#pragma once

#include <cstdint>

#include "absl/hash/hash.h"

namespace arbor::index {

// A tenant inside one collection. Ids are assigned by the caller and never reused.
using TenantId = uint32_t;

// A vector id chosen by its owner tenant.
using VectorId = uint64_t;

// The key of a vector: two tenants may both own id 7.
struct VectorKey {
  TenantId owner = 0;
  VectorId id = 0;

  friend bool operator==(const VectorKey& a, const VectorKey& b) {
    return a.owner == b.owner && a.id == b.id;
  }

  template <typename H>
  friend H AbslHashValue(H h, const VectorKey& key) {
    return H::combine(std::move(h), key.owner, key.id);
  }
};

// One search result. `distance` is the ranking distance (smaller is better).
struct Neighbor {
  float distance = 0.0f;
  VectorKey key;
};

}  // namespace arbor::index

// What Arbor keeps in each RocksDB column family, and how keys and values are laid out.
//
//   catalog  'c' name                          -> CollectionRecord
//            't' be32(collection) name         -> TenantRecord
//            'k' key_id                        -> KeyRecord
//            'm' "next_collection_id"          -> fixed32
//   records  be32(collection) be32(owner) be64(id) -> vector values (VectorValue)
//   acl      be32(collection) be32(owner) be64(id) -> tenants the owner shared with (AclValue);
//            absent when the vector is not shared
//   index    be32(collection) 't'               -> the collection's cluster tree checkpoint
//            be32(collection) 's'               -> every tenant's split nodes (EncodeSplitNodes)
//
// Records and access lists have the same key, so a collection's or an owner's data is one key
// range in each column family and can be deleted with DeleteRange. The access list lives apart
// from the vector so that sharing rewrites a few bytes, not the vector.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/encoding.h"

namespace arbor::storage {

inline constexpr char kCatalogFamily[] = "catalog";
inline constexpr char kRecordsFamily[] = "records";
inline constexpr char kAclFamily[] = "acl";
inline constexpr char kIndexFamily[] = "index";

// The prune_epsilon of a collection whose record has format version 1, which has no such
// field. Every collection was searched with 1.0 before the setting was stored.
inline constexpr float kVersion1PruneEpsilon = 1.0f;

// Index settings of a collection, as resolved at creation (no zero fields).
struct IndexSettingsRecord {
  uint32_t branching = 0;
  uint32_t max_leaf_size = 0;
  uint32_t split_threshold = 0;
  uint32_t merge_threshold = 0;
  uint64_t train_threshold = 0;
  uint32_t retrain_growth = 0;
  // Query-aware pruning of index searches (index::CuratorOptions::prune_epsilon). A negative
  // value turns it off.
  float prune_epsilon = kVersion1PruneEpsilon;
};

struct CollectionRecord {
  CollectionId id = 0;
  std::string name;
  uint32_t dimension = 0;
  uint8_t metric = 0;  // 1 l2, 2 ip, 3 cosine (the arbor.v1.Metric numbers)
  int64_t created_unix_ms = 0;
  TenantId next_tenant_id = 1;
  IndexSettingsRecord index;
};

struct TenantRecord {
  TenantId id = 0;
  std::string name;
  int64_t created_unix_ms = 0;
};

using KeyHash = std::array<uint8_t, 32>;  // SHA-256 of the key's secret

struct KeyRecord {
  std::string key_id;
  CollectionId collection_id = 0;
  TenantId tenant_id = 0;
  KeyHash hash{};
  int64_t created_unix_ms = 0;
};

// Catalog keys.
std::string CollectionKey(absl::string_view name);
std::string CollectionKeyPrefix();
std::string TenantKey(CollectionId collection, absl::string_view name);
std::string TenantKeyPrefix(CollectionId collection);
std::string ApiKeyKey(absl::string_view key_id);
std::string ApiKeyKeyPrefix();
std::string NextCollectionIdKey();

// Record and access-list keys, and the bounds of the ranges that DeleteRange and scans use.
std::string VectorKey(CollectionId collection, TenantId owner, VectorId id);
std::string CollectionRangeStart(CollectionId collection);
std::string CollectionRangeEnd(CollectionId collection);
std::string OwnerRangeStart(CollectionId collection, TenantId owner);
std::string OwnerRangeEnd(CollectionId collection, TenantId owner);

// Index checkpoint keys; a collection's checkpoint is the range [CollectionRangeStart,
// CollectionRangeEnd) of the index column family.
std::string TreeCheckpointKey(CollectionId collection);
std::string SplitNodesKey(CollectionId collection);

struct DecodedVectorKey {
  CollectionId collection;
  TenantId owner;
  VectorId id;
};
absl::StatusOr<DecodedVectorKey> DecodeVectorKey(absl::string_view key);

std::string EncodeCollection(const CollectionRecord& record);
absl::StatusOr<CollectionRecord> DecodeCollection(absl::string_view bytes);
std::string EncodeTenant(const TenantRecord& record);
absl::StatusOr<TenantRecord> DecodeTenant(absl::string_view bytes);
std::string EncodeKey(const KeyRecord& record);
absl::StatusOr<KeyRecord> DecodeKey(absl::string_view bytes);

std::string EncodeVector(const float* values, size_t dim);
// Fails with DataLoss unless `bytes` contains exactly `dim` floats.
absl::Status DecodeVector(absl::string_view bytes, size_t dim, float* out);

// When a tree was trained and how many vectors the collection had then, stored with the tree.
struct TreeCheckpoint {
  int64_t trained_unix_ms = 0;
  uint64_t vectors_at_training = 0;
  std::string tree;  // the index library's own versioned encoding
};
std::string EncodeTreeCheckpoint(const TreeCheckpoint& checkpoint);
absl::StatusOr<TreeCheckpoint> DecodeTreeCheckpoint(absl::string_view bytes);

using SplitNodes = std::vector<std::pair<TenantId, std::vector<uint32_t>>>;
std::string EncodeSplitNodes(const SplitNodes& split_nodes);
absl::StatusOr<SplitNodes> DecodeSplitNodes(absl::string_view bytes);

std::string EncodeAcl(const std::vector<TenantId>& readers);
absl::StatusOr<std::vector<TenantId>> DecodeAcl(absl::string_view bytes);

}  // namespace arbor::storage

#include "storage/schema.h"

#include "absl/strings/str_cat.h"
#include "storage/status_macros.h"

namespace arbor::storage {
namespace {

constexpr uint8_t kCatalogVersion = 1;
// Collection records have their own format version, because tenant and key records did not
// change. Version 2 appends index.prune_epsilon, and version 1 records still decode with
// kVersion1PruneEpsilon.
constexpr uint8_t kCollectionVersion = 2;
constexpr uint8_t kVectorVersion = 1;
constexpr uint8_t kAclVersion = 1;
constexpr uint8_t kIndexVersion = 1;
constexpr size_t kVectorKeySize = 4 + 4 + 8;

std::string Prefixed(char tag, absl::string_view rest) {
  std::string key(1, tag);
  key.append(rest.data(), rest.size());
  return key;
}

}  // namespace

std::string CollectionKey(absl::string_view name) { return Prefixed('c', name); }
std::string CollectionKeyPrefix() { return "c"; }

std::string TenantKey(CollectionId collection, absl::string_view name) {
  std::string key = TenantKeyPrefix(collection);
  key.append(name.data(), name.size());
  return key;
}

std::string TenantKeyPrefix(CollectionId collection) {
  std::string key = "t";
  AppendBigEndian32(&key, collection);
  return key;
}

std::string ApiKeyKey(absl::string_view key_id) { return Prefixed('k', key_id); }
std::string ApiKeyKeyPrefix() { return "k"; }
std::string NextCollectionIdKey() { return "mnext_collection_id"; }

std::string VectorKey(CollectionId collection, TenantId owner, VectorId id) {
  std::string key;
  key.reserve(kVectorKeySize);
  AppendBigEndian32(&key, collection);
  AppendBigEndian32(&key, owner);
  AppendBigEndian64(&key, id);
  return key;
}

std::string CollectionRangeStart(CollectionId collection) {
  std::string key;
  AppendBigEndian32(&key, collection);
  return key;
}

// Collection ids stop below 2^32 - 1, so the next id is always a valid exclusive bound.
std::string CollectionRangeEnd(CollectionId collection) {
  return CollectionRangeStart(collection + 1);
}

std::string OwnerRangeStart(CollectionId collection, TenantId owner) {
  std::string key = CollectionRangeStart(collection);
  AppendBigEndian32(&key, owner);
  return key;
}

std::string OwnerRangeEnd(CollectionId collection, TenantId owner) {
  if (owner == UINT32_MAX) return CollectionRangeEnd(collection);
  return OwnerRangeStart(collection, owner + 1);
}

std::string TreeCheckpointKey(CollectionId collection) {
  std::string key = CollectionRangeStart(collection);
  key.push_back('t');
  return key;
}

std::string SplitNodesKey(CollectionId collection) {
  std::string key = CollectionRangeStart(collection);
  key.push_back('s');
  return key;
}

absl::StatusOr<DecodedVectorKey> DecodeVectorKey(absl::string_view key) {
  if (key.size() != kVectorKeySize) {
    return absl::DataLossError(absl::StrCat("record key has ", key.size(),
                                            " bytes, expected ", kVectorKeySize));
  }
  return DecodedVectorKey{ReadBigEndian32(key.substr(0, 4)), ReadBigEndian32(key.substr(4, 4)),
                          ReadBigEndian64(key.substr(8, 8))};
}

std::string EncodeCollection(const CollectionRecord& record) {
  ValueWriter w(kCollectionVersion);
  w.U32(record.id);
  w.String(record.name);
  w.U32(record.dimension);
  w.U8(record.metric);
  w.I64(record.created_unix_ms);
  w.U32(record.next_tenant_id);
  w.U32(record.index.branching);
  w.U32(record.index.max_leaf_size);
  w.U32(record.index.split_threshold);
  w.U32(record.index.merge_threshold);
  w.U64(record.index.train_threshold);
  w.U32(record.index.retrain_growth);
  w.F32(record.index.prune_epsilon);
  return w.Take();
}

absl::StatusOr<CollectionRecord> DecodeCollection(absl::string_view bytes) {
  ValueReader r(bytes, "collection record");
  RETURN_IF_ERROR(r.ExpectVersion(1, kCollectionVersion));
  CollectionRecord record;
  ASSIGN_OR_RETURN(record.id, r.U32());
  ASSIGN_OR_RETURN(record.name, r.String());
  ASSIGN_OR_RETURN(record.dimension, r.U32());
  ASSIGN_OR_RETURN(record.metric, r.U8());
  ASSIGN_OR_RETURN(record.created_unix_ms, r.I64());
  ASSIGN_OR_RETURN(record.next_tenant_id, r.U32());
  ASSIGN_OR_RETURN(record.index.branching, r.U32());
  ASSIGN_OR_RETURN(record.index.max_leaf_size, r.U32());
  ASSIGN_OR_RETURN(record.index.split_threshold, r.U32());
  ASSIGN_OR_RETURN(record.index.merge_threshold, r.U32());
  ASSIGN_OR_RETURN(record.index.train_threshold, r.U64());
  ASSIGN_OR_RETURN(record.index.retrain_growth, r.U32());
  if (r.version() >= 2) {
    ASSIGN_OR_RETURN(record.index.prune_epsilon, r.F32());
  }
  RETURN_IF_ERROR(r.ExpectEnd());
  return record;
}

std::string EncodeTenant(const TenantRecord& record) {
  ValueWriter w(kCatalogVersion);
  w.U32(record.id);
  w.String(record.name);
  w.I64(record.created_unix_ms);
  return w.Take();
}

absl::StatusOr<TenantRecord> DecodeTenant(absl::string_view bytes) {
  ValueReader r(bytes, "tenant record");
  RETURN_IF_ERROR(r.ExpectVersion(1, kCatalogVersion));
  TenantRecord record;
  ASSIGN_OR_RETURN(record.id, r.U32());
  ASSIGN_OR_RETURN(record.name, r.String());
  ASSIGN_OR_RETURN(record.created_unix_ms, r.I64());
  RETURN_IF_ERROR(r.ExpectEnd());
  return record;
}

std::string EncodeKey(const KeyRecord& record) {
  ValueWriter w(kCatalogVersion);
  w.String(record.key_id);
  w.U32(record.collection_id);
  w.U32(record.tenant_id);
  w.String(absl::string_view(reinterpret_cast<const char*>(record.hash.data()),
                            record.hash.size()));
  w.I64(record.created_unix_ms);
  return w.Take();
}

absl::StatusOr<KeyRecord> DecodeKey(absl::string_view bytes) {
  ValueReader r(bytes, "key record");
  RETURN_IF_ERROR(r.ExpectVersion(1, kCatalogVersion));
  KeyRecord record;
  ASSIGN_OR_RETURN(record.key_id, r.String());
  ASSIGN_OR_RETURN(record.collection_id, r.U32());
  ASSIGN_OR_RETURN(record.tenant_id, r.U32());
  ASSIGN_OR_RETURN(std::string hash, r.String());
  if (hash.size() != record.hash.size()) {
    return absl::DataLossError(absl::StrCat("key record '", record.key_id, "' has a ",
                                            hash.size(), "-byte hash, expected 32"));
  }
  std::copy(hash.begin(), hash.end(), record.hash.begin());
  ASSIGN_OR_RETURN(record.created_unix_ms, r.I64());
  RETURN_IF_ERROR(r.ExpectEnd());
  return record;
}

std::string EncodeVector(const float* values, size_t dim) {
  ValueWriter w(kVectorVersion);
  w.Floats(values, dim);
  return w.Take();
}

absl::Status DecodeVector(absl::string_view bytes, size_t dim, float* out) {
  ValueReader r(bytes, "vector record");
  RETURN_IF_ERROR(r.ExpectVersion(1, kVectorVersion));
  if (r.remaining() != dim * sizeof(float)) {
    return absl::DataLossError(absl::StrCat("vector record has ", r.remaining(),
                                            " bytes, expected ", dim, " floats"));
  }
  return r.Floats(out, dim);
}

std::string EncodeTreeCheckpoint(const TreeCheckpoint& checkpoint) {
  ValueWriter w(kIndexVersion);
  w.I64(checkpoint.trained_unix_ms);
  w.U64(checkpoint.vectors_at_training);
  w.String(checkpoint.tree);
  return w.Take();
}

absl::StatusOr<TreeCheckpoint> DecodeTreeCheckpoint(absl::string_view bytes) {
  ValueReader r(bytes, "cluster tree checkpoint");
  RETURN_IF_ERROR(r.ExpectVersion(1, kIndexVersion));
  TreeCheckpoint checkpoint;
  ASSIGN_OR_RETURN(checkpoint.trained_unix_ms, r.I64());
  ASSIGN_OR_RETURN(checkpoint.vectors_at_training, r.U64());
  ASSIGN_OR_RETURN(checkpoint.tree, r.String());
  RETURN_IF_ERROR(r.ExpectEnd());
  return checkpoint;
}

std::string EncodeSplitNodes(const SplitNodes& split_nodes) {
  ValueWriter w(kIndexVersion);
  w.U32(static_cast<uint32_t>(split_nodes.size()));
  for (const auto& [tenant, nodes] : split_nodes) {
    w.U32(tenant);
    w.U32(static_cast<uint32_t>(nodes.size()));
    for (uint32_t node : nodes) w.U32(node);
  }
  return w.Take();
}

absl::StatusOr<SplitNodes> DecodeSplitNodes(absl::string_view bytes) {
  ValueReader r(bytes, "split nodes checkpoint");
  RETURN_IF_ERROR(r.ExpectVersion(1, kIndexVersion));
  ASSIGN_OR_RETURN(const uint32_t tenants, r.U32());
  SplitNodes split_nodes;
  for (uint32_t i = 0; i < tenants; ++i) {
    ASSIGN_OR_RETURN(const uint32_t tenant, r.U32());
    ASSIGN_OR_RETURN(const uint32_t count, r.U32());
    if (r.remaining() < size_t{count} * 4) {
      return absl::DataLossError(absl::StrCat("split nodes checkpoint: tenant ", tenant,
                                              " lists ", count, " nodes but only ",
                                              r.remaining(), " bytes remain"));
    }
    std::vector<uint32_t> nodes(count);
    for (uint32_t& node : nodes) {
      ASSIGN_OR_RETURN(node, r.U32());
    }
    split_nodes.emplace_back(tenant, std::move(nodes));
  }
  RETURN_IF_ERROR(r.ExpectEnd());
  return split_nodes;
}

std::string EncodeAcl(const std::vector<TenantId>& readers) {
  ValueWriter w(kAclVersion);
  w.U32(static_cast<uint32_t>(readers.size()));
  for (TenantId reader : readers) w.U32(reader);
  return w.Take();
}

absl::StatusOr<std::vector<TenantId>> DecodeAcl(absl::string_view bytes) {
  ValueReader r(bytes, "access list");
  RETURN_IF_ERROR(r.ExpectVersion(1, kAclVersion));
  ASSIGN_OR_RETURN(uint32_t count, r.U32());
  if (r.remaining() != size_t{count} * 4) {
    return absl::DataLossError(absl::StrCat("access list of ", count, " readers has ",
                                            r.remaining(), " bytes"));
  }
  std::vector<TenantId> readers(count);
  for (TenantId& reader : readers) {
    ASSIGN_OR_RETURN(reader, r.U32());
  }
  return readers;
}

}  // namespace arbor::storage

// One collection: its tenants, its vectors in memory, and the data calls on them.
//
// Writes follow one path: validate against the current state, build a RocksDB write batch,
// commit it, then apply the same change to memory. A request that fails validation or whose
// commit fails changes nothing; a committed one is applied whole, so a reader never sees half a
// batch.
//
// Thread safety: all public methods are safe to call concurrently.
//  - writer_mu_ serialises writers (data writes, tenant changes, drop). It is held across the
//    commit, so the state a writer validated against cannot change before it applies.
//  - state_mu_ guards the in-memory state. Searches and reads take it shared. A writer takes it
//    exclusively only to apply a committed batch, never during disk I/O (recovery aside).
// Lock order: Database's mutexes, then writer_mu_, then state_mu_.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "arbor/v1/admin.pb.h"
#include "arbor/v1/vector.pb.h"
#include "index/curator_index.h"
#include "storage/schema.h"
#include "storage/store.h"

namespace arbor::server {

// Figures of one collection for monitoring.
struct CollectionStats {
  std::string name;
  uint64_t vectors = 0;
  uint64_t tenants = 0;
  bool index_trained = false;
  uint64_t tree_nodes = 0;  // 1 (the root) before training
  uint64_t tree_depth = 0;
  uint64_t index_vector_bytes = 0;     // vector values, in fixed-size chunks
  uint64_t index_structure_bytes = 0;  // slot table, tree, tenant sub-trees and shortlists
};

class Collection {
 public:
  // `record` is the collection's catalog entry; tenants and vectors are added by Load* before
  // the collection is shared with other threads.
  Collection(storage::CollectionRecord record, storage::Store* store);

  Collection(const Collection&) = delete;
  Collection& operator=(const Collection&) = delete;

  // Constant after construction.
  const std::string& name() const { return record_.name; }
  storage::CollectionId id() const { return record_.id; }
  uint32_t dimension() const { return record_.dimension; }
  v1::Metric metric() const { return static_cast<v1::Metric>(record_.metric); }

  // Recovery: called single-threaded at start-up, in this order. LoadRecords also restores the
  // index checkpoint: the tree before the vectors, each tenant's split nodes after them.
  void LoadTenant(const storage::TenantRecord& tenant);
  absl::Status LoadRecords();

  // Index maintenance, called by the Database's background thread.
  // Whether the collection has reached its training threshold without a tree, or has grown
  // retrain_growth times since the last training.
  bool NeedsTraining() const;
  // Trains a new tree on a sample, computes every vector's leaf under it while searches and
  // writes go on, swaps it in, and checkpoints it.
  absl::Status TrainIndex();
  // Writes each tenant's split nodes when writes happened since the last checkpoint and either
  // `force` is set or the last checkpoint is older than `max_age`.
  absl::Status MaybeCheckpoint(bool force, absl::Duration max_age);

  // Admin calls.
  v1::CollectionInfo Describe() const;
  // Holds the state lock shared for O(vectors) to size the index, as Describe does.
  CollectionStats Stats() const;
  absl::StatusOr<v1::TenantInfo> CreateTenant(const std::string& name);
  // Deletes the tenant's vectors and its access to others' in one batch; also deletes the
  // catalog entries of `key_ids` (the tenant's keys) in that batch.
  absl::Status DropTenant(const std::string& name, const std::vector<std::string>& key_ids);
  absl::StatusOr<v1::ListTenantsResponse> ListTenants(uint32_t page_size,
                                                      const std::string& page_token) const;
  // The tenant's id, or NOT_FOUND.
  absl::StatusOr<storage::TenantId> FindTenant(const std::string& name) const;
  // The name of a tenant id, or empty when unknown.
  std::string TenantName(storage::TenantId tenant) const;

  // Appends deletions of every record, access list and tenant entry to `batch`, and marks the
  // collection dropped once `commit` succeeds so that later writers get NOT_FOUND.
  absl::Status Drop(const std::function<absl::Status(rocksdb::WriteBatch*)>& commit);

  // Data calls; `tenant` is the name the request acts as, already authorised. `deadline` is
  // checked before the commit, so a request past it changes nothing.
  absl::StatusOr<v1::UpsertResponse> Upsert(const std::string& tenant,
                                            const v1::UpsertRequest& request,
                                            absl::Time deadline);
  absl::StatusOr<v1::DeleteResponse> Delete(const std::string& tenant,
                                            const v1::DeleteRequest& request,
                                            absl::Time deadline);
  absl::StatusOr<v1::GetResponse> Get(const std::string& tenant,
                                      const v1::GetRequest& request) const;
  absl::StatusOr<v1::SearchResponse> Search(const std::string& tenant,
                                            const v1::SearchRequest& request) const;
  absl::StatusOr<v1::SearchBatchResponse> SearchBatch(const std::string& tenant,
                                                      const v1::SearchBatchRequest& request,
                                                      absl::Time deadline) const;
  absl::StatusOr<v1::ShareResponse> Share(const std::string& tenant,
                                          const v1::ShareRequest& request, absl::Time deadline);
  absl::StatusOr<v1::UnshareResponse> Unshare(const std::string& tenant,
                                              const v1::UnshareRequest& request,
                                              absl::Time deadline);
  absl::StatusOr<v1::CountResponse> Count(const std::string& tenant) const;
  absl::StatusOr<v1::ListResponse> List(const std::string& tenant,
                                        const v1::ListRequest& request) const;

 private:
  struct TenantEntry {
    storage::TenantId id;
    int64_t created_unix_ms;
  };

  absl::StatusOr<storage::TenantId> FindTenantLocked(const std::string& name) const
      ABSL_SHARED_LOCKS_REQUIRED(state_mu_);
  absl::Status CheckWritable() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  absl::Status Commit(rocksdb::WriteBatch* batch, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  absl::StatusOr<std::vector<storage::TenantId>> ResolveShareTargets(
      const std::string& owner_name, const google::protobuf::RepeatedPtrField<std::string>& names) const
      ABSL_SHARED_LOCKS_REQUIRED(state_mu_);
  absl::Status ValidateOwnedIds(storage::TenantId owner,
                                const google::protobuf::RepeatedField<uint64_t>& ids) const
      ABSL_SHARED_LOCKS_REQUIRED(state_mu_);
  void FillHits(const std::vector<index::Neighbor>& neighbors, v1::SearchResponse* out) const
      ABSL_SHARED_LOCKS_REQUIRED(state_mu_);
  v1::TenantInfo TenantInfoLocked(const std::string& name, const TenantEntry& entry) const
      ABSL_SHARED_LOCKS_REQUIRED(state_mu_);
  void PutAcl(rocksdb::WriteBatch* batch, index::VectorKey key,
              const std::vector<storage::TenantId>& readers) const;
  absl::Status LoadIndexCheckpoint() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_);
  absl::Status RestoreSplitNodes() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_);
  // Writes the split nodes, and the tree when `with_tree`. REQUIRES: writer_mu_.
  absl::Status WriteCheckpoint(bool with_tree) ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  // Counts an applied write for the checkpoint schedule.
  void NoteWrite() { writes_since_checkpoint_.fetch_add(1, std::memory_order_relaxed); }

  storage::Store* const store_;

  mutable absl::Mutex writer_mu_;
  storage::CollectionRecord record_;  // next_tenant_id changes under writer_mu_ and state_mu_
  bool dropped_ ABSL_GUARDED_BY(writer_mu_) = false;

  absl::Time last_checkpoint_ ABSL_GUARDED_BY(writer_mu_) = absl::Now();
  std::atomic<uint64_t> writes_since_checkpoint_{0};

  mutable absl::Mutex state_mu_;
  index::CuratorIndex index_ ABSL_GUARDED_BY(state_mu_);
  absl::btree_map<std::string, TenantEntry> tenants_ ABSL_GUARDED_BY(state_mu_);
  int64_t trained_unix_ms_ ABSL_GUARDED_BY(state_mu_) = 0;
  uint64_t vectors_at_training_ ABSL_GUARDED_BY(state_mu_) = 0;
};

}  // namespace arbor::server

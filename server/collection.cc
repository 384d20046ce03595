#include "server/collection.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/validation.h"
#include "spdlog/spdlog.h"
#include "storage/status_macros.h"

namespace arbor::server {
namespace {

// Training samples at most this many vectors: enough for a tree of a few thousand nodes, and a
// bounded cost (hierarchical k-means is linear in the sample).
constexpr size_t kMaxTrainingSample = 50000;
// Vectors whose leaf is computed per shared-lock hold while a new tree is swapped in.
constexpr size_t kLeafChunk = 4096;
// A search that names no budget gathers this many full shortlists' worth of candidates.
constexpr size_t kDefaultBudgetShortlists = 2;

index::CuratorOptions CuratorOptionsFor(const storage::IndexSettingsRecord& settings) {
  index::CuratorOptions options;
  options.split_threshold = settings.split_threshold;
  options.merge_threshold = settings.merge_threshold;
  // The budget is counted in shortlists' worth of vectors, so it follows the settings.
  options.default_budget = kDefaultBudgetShortlists * settings.split_threshold;
  options.prune_epsilon = settings.prune_epsilon;
  return options;
}

index::Metric ToIndexMetric(uint8_t metric) {
  switch (metric) {
    case v1::METRIC_IP:
      return index::Metric::kInnerProduct;
    case v1::METRIC_COSINE:
      return index::Metric::kCosine;
    default:
      return index::Metric::kL2;
  }
}

int64_t NowUnixMs() { return absl::ToUnixMillis(absl::Now()); }

index::SearchOptions ToSearchOptions(const v1::SearchParams& params) {
  index::SearchOptions options;
  options.budget = params.budget();
  options.exact = params.exact();
  if (params.has_prune_epsilon()) options.prune_epsilon = params.prune_epsilon();
  return options;
}

absl::Status DeadlineExceeded() {
  return absl::DeadlineExceededError(
      "the request's deadline passed before its batch was committed; nothing was written");
}

// Rejects the same id twice in one request: the result would depend on the order.
absl::Status CheckUniqueIds(absl::string_view field,
                            const google::protobuf::RepeatedField<uint64_t>& ids) {
  absl::flat_hash_set<uint64_t> seen;
  seen.reserve(ids.size());
  for (int i = 0; i < ids.size(); ++i) {
    if (!seen.insert(ids[i]).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "] repeats id ", ids[i], "; each id may appear once"));
    }
  }
  return absl::OkStatus();
}

// Page tokens of List: web-safe base64 of "<owner>/<id>", the last entry of the previous page.
std::string EncodeListToken(const std::string& owner, uint64_t id) {
  return absl::WebSafeBase64Escape(absl::StrCat(owner, "/", id));
}

absl::StatusOr<std::pair<std::string, uint64_t>> DecodeListToken(const std::string& token) {
  std::string decoded;
  std::pair<std::string, uint64_t> position;
  const size_t slash = absl::WebSafeBase64Unescape(token, &decoded) ? decoded.rfind('/')
                                                                      : std::string::npos;
  if (slash == std::string::npos ||
      !absl::SimpleAtoi(decoded.substr(slash + 1), &position.second)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_token '", token, "' is not a token returned by List; omit it to start over"));
  }
  position.first = decoded.substr(0, slash);
  return position;
}

}  // namespace

Collection::Collection(storage::CollectionRecord record, storage::Store* store)
    : store_(store),
      record_(std::move(record)),
      index_(record_.dimension, ToIndexMetric(record_.metric), CuratorOptionsFor(record_.index)) {}

void Collection::LoadTenant(const storage::TenantRecord& tenant) {
  absl::MutexLock lock(&state_mu_);
  tenants_[tenant.name] = TenantEntry{tenant.id, tenant.created_unix_ms};
  index_.AddTenant(tenant.id, tenant.name);
}

absl::Status Collection::LoadRecords() {
  absl::MutexLock lock(&state_mu_);
  RETURN_IF_ERROR(LoadIndexCheckpoint());
  std::vector<float> values(record_.dimension);
  size_t skipped = 0;

  RETURN_IF_ERROR(store_->Scan(
      store_->records(), storage::CollectionRangeStart(id()), storage::CollectionRangeEnd(id()),
      [&](absl::string_view key, absl::string_view value) -> absl::Status {
        ASSIGN_OR_RETURN(auto decoded, storage::DecodeVectorKey(key));
        RETURN_IF_ERROR(storage::DecodeVector(value, record_.dimension, values.data()));
        if (!index_.HasTenant(decoded.owner)) {
          ++skipped;
          return absl::OkStatus();
        }
        index_.Upsert({decoded.owner, decoded.id}, values.data());
        return absl::OkStatus();
      }));

  RETURN_IF_ERROR(store_->Scan(
      store_->acl(), storage::CollectionRangeStart(id()), storage::CollectionRangeEnd(id()),
      [&](absl::string_view key, absl::string_view value) -> absl::Status {
        ASSIGN_OR_RETURN(auto decoded, storage::DecodeVectorKey(key));
        ASSIGN_OR_RETURN(auto readers, storage::DecodeAcl(value));
        const index::VectorKey vector_key{decoded.owner, decoded.id};
        if (!index_.Contains(vector_key)) {
          ++skipped;
          return absl::OkStatus();
        }
        for (storage::TenantId reader : readers) {
          if (index_.HasTenant(reader)) index_.Grant(vector_key, reader);
        }
        return absl::OkStatus();
      }));

  if (skipped > 0) {
    spdlog::warn("collection '{}': skipped {} records whose owner no longer exists", name(),
                 skipped);
  }
  return RestoreSplitNodes();
}

absl::Status Collection::LoadIndexCheckpoint() {
  ASSIGN_OR_RETURN(auto value, store_->Get(store_->index(), storage::TreeCheckpointKey(id())));
  if (!value.has_value()) return absl::OkStatus();

  ASSIGN_OR_RETURN(storage::TreeCheckpoint checkpoint, storage::DecodeTreeCheckpoint(*value));
  ASSIGN_OR_RETURN(index::ClusterTree tree, index::ClusterTree::Deserialize(checkpoint.tree));
  if (tree.dim() != dimension()) {
    return absl::DataLossError(absl::StrCat("collection '", name(), "': the tree checkpoint has ",
                                            tree.dim(), " dimensions, the collection ",
                                            dimension()));
  }
  index_.SetTree(std::make_shared<const index::ClusterTree>(std::move(tree)));
  trained_unix_ms_ = checkpoint.trained_unix_ms;
  vectors_at_training_ = checkpoint.vectors_at_training;
  return absl::OkStatus();
}

// Re-applies each tenant's split nodes from the last checkpoint, so that every vector sits in
// the same shortlist as before the restart.
absl::Status Collection::RestoreSplitNodes() {
  if (!index_.tree().trained()) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto value, store_->Get(store_->index(), storage::SplitNodesKey(id())));
  if (!value.has_value()) return absl::OkStatus();

  ASSIGN_OR_RETURN(storage::SplitNodes split_nodes, storage::DecodeSplitNodes(*value));
  for (const auto& [tenant, nodes] : split_nodes) {
    if (index_.HasTenant(tenant)) index_.RestoreSplitNodes(tenant, nodes);
  }
  return absl::OkStatus();
}

bool Collection::NeedsTraining() const {
  absl::ReaderMutexLock lock(&state_mu_);
  const size_t vectors = index_.size();
  if (vectors < record_.index.train_threshold) return false;
  // vectors_at_training_ is 0 until the first training. A training whose sample fits in one
  // leaf yields a tree of the root alone, so searches stay exact. Like any other training, it is
  // repeated only after retrain_growth-fold growth, not at every maintenance round.
  if (vectors_at_training_ == 0) return true;
  return vectors >= vectors_at_training_ * record_.index.retrain_growth;
}

absl::Status Collection::TrainIndex() {
  const absl::Time start = absl::Now();
  std::vector<float> sample;
  size_t vectors = 0;
  {
    absl::ReaderMutexLock lock(&state_mu_);
    vectors = index_.size();
    sample = index_.SampleVectors(kMaxTrainingSample);
  }
  const size_t sample_size = sample.size() / dimension();
  spdlog::info("collection '{}': training the index on {} of {} vectors", name(), sample_size,
               vectors);

  index::TreeOptions options;
  options.branching = record_.index.branching;
  options.max_leaf_size = record_.index.max_leaf_size;
  auto tree = std::make_shared<const index::ClusterTree>(
      index::ClusterTree::Train(sample.data(), sample_size, dimension(), options));
  sample = {};
  const absl::Time trained = absl::Now();

  // The leaves are computed in chunks under the shared lock, so searches run throughout and
  // writers wait at most one chunk.
  index::CuratorIndex::LeafAssignment assignment;
  for (size_t first = 0;; first += kLeafChunk) {
    absl::ReaderMutexLock lock(&state_mu_);
    if (first >= index_.slot_capacity()) break;
    index_.ComputeLeaves(*tree, first, kLeafChunk, &assignment);
  }
  const absl::Time assigned = absl::Now();

  absl::MutexLock writer(&writer_mu_);
  RETURN_IF_ERROR(CheckWritable());
  {
    absl::MutexLock lock(&state_mu_);
    index_.InstallTree(tree, std::move(assignment));
    trained_unix_ms_ = absl::ToUnixMillis(absl::Now());
    // The size when the sample was drawn, so that growth during the training counts toward
    // the next one.
    vectors_at_training_ = vectors;
  }
  spdlog::info(
      "collection '{}': index trained, {} nodes of depth {}; k-means {} ms, leaves {} ms, "
      "swap {} ms",
      name(), tree->size(), tree->depth(), absl::ToInt64Milliseconds(trained - start),
      absl::ToInt64Milliseconds(assigned - trained),
      absl::ToInt64Milliseconds(absl::Now() - assigned));
  return WriteCheckpoint(/*with_tree=*/true);
}

absl::Status Collection::MaybeCheckpoint(bool force, absl::Duration max_age) {
  absl::MutexLock writer(&writer_mu_);
  if (dropped_ || writes_since_checkpoint_.load(std::memory_order_relaxed) == 0) {
    return absl::OkStatus();
  }
  if (!force && absl::Now() - last_checkpoint_ < max_age) return absl::OkStatus();
  {
    absl::ReaderMutexLock lock(&state_mu_);
    if (!index_.tree().trained()) return absl::OkStatus();
  }
  return WriteCheckpoint(/*with_tree=*/false);
}

absl::Status Collection::WriteCheckpoint(bool with_tree) {
  rocksdb::WriteBatch batch;
  {
    absl::ReaderMutexLock lock(&state_mu_);
    if (with_tree) {
      storage::TreeCheckpoint checkpoint{trained_unix_ms_, vectors_at_training_,
                                         index_.tree().Serialize()};
      batch.Put(store_->index(), storage::TreeCheckpointKey(id()),
                storage::EncodeTreeCheckpoint(checkpoint));
    }
    batch.Put(store_->index(), storage::SplitNodesKey(id()),
              storage::EncodeSplitNodes(index_.SplitNodes()));
  }
  // Writers are held off by writer_mu_, so the split nodes match the committed records.
  writes_since_checkpoint_.store(0, std::memory_order_relaxed);
  last_checkpoint_ = absl::Now();
  const absl::Status status = store_->Write(&batch);
  if (!status.ok()) {
    writes_since_checkpoint_.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("collection '{}': index checkpoint failed, will retry: {}", name(),
                  status.ToString());
  }
  return status;
}

v1::CollectionInfo Collection::Describe() const {
  v1::CollectionInfo info;
  info.set_name(name());
  info.set_dimension(dimension());
  info.set_metric(metric());
  info.set_created_unix_ms(record_.created_unix_ms);

  const uint64_t disk_bytes =
      store_->ApproximateSize(store_->records(), storage::CollectionRangeStart(id()),
                              storage::CollectionRangeEnd(id()));
  absl::ReaderMutexLock lock(&state_mu_);
  const size_t memory = index_.MemoryBytes();
  info.set_vector_count(index_.size());
  info.set_tenant_count(tenants_.size());
  info.set_bytes(memory + disk_bytes);

  v1::IndexInfo* index = info.mutable_index();
  index->set_trained(index_.tree().trained());
  index->set_tree_nodes(index_.tree().size());
  index->set_tree_depth(index_.tree().depth());
  index->set_trained_unix_ms(trained_unix_ms_);
  index->set_vectors_at_training(vectors_at_training_);
  index->set_memory_bytes(memory);
  *index->mutable_settings() = ToProto(record_.index);
  return info;
}

CollectionStats Collection::Stats() const {
  CollectionStats stats;
  stats.name = name();

  absl::ReaderMutexLock lock(&state_mu_);
  stats.vectors = index_.size();
  stats.tenants = tenants_.size();
  stats.index_trained = index_.tree().trained();
  stats.tree_nodes = index_.tree().size();
  stats.tree_depth = index_.tree().depth();
  stats.index_vector_bytes = index_.VectorMemoryBytes();
  stats.index_structure_bytes = index_.MemoryBytes() - stats.index_vector_bytes;
  return stats;
}

absl::StatusOr<v1::TenantInfo> Collection::CreateTenant(const std::string& name) {
  absl::MutexLock writer(&writer_mu_);
  RETURN_IF_ERROR(CheckWritable());
  {
    absl::ReaderMutexLock lock(&state_mu_);
    if (tenants_.contains(name)) {
      return absl::AlreadyExistsError(
          absl::StrCat("tenant '", name, "' already exists in collection '", this->name(), "'"));
    }
  }

  storage::TenantRecord tenant{record_.next_tenant_id, name, NowUnixMs()};
  storage::CollectionRecord updated = record_;
  updated.next_tenant_id++;
  rocksdb::WriteBatch batch;
  batch.Put(store_->catalog(), storage::TenantKey(id(), name), storage::EncodeTenant(tenant));
  batch.Put(store_->catalog(), storage::CollectionKey(this->name()),
            storage::EncodeCollection(updated));
  RETURN_IF_ERROR(Commit(&batch, absl::InfiniteFuture()));

  absl::MutexLock lock(&state_mu_);
  record_.next_tenant_id = updated.next_tenant_id;
  const TenantEntry entry{tenant.id, tenant.created_unix_ms};
  tenants_[name] = entry;
  index_.AddTenant(tenant.id, name);
  spdlog::info("collection '{}': created tenant '{}' (id {})", this->name(), name, tenant.id);
  return TenantInfoLocked(name, entry);
}

absl::Status Collection::DropTenant(const std::string& name,
                                    const std::vector<std::string>& key_ids) {
  absl::MutexLock writer(&writer_mu_);
  RETURN_IF_ERROR(CheckWritable());

  rocksdb::WriteBatch batch;
  storage::TenantId tenant;
  {
    absl::ReaderMutexLock lock(&state_mu_);
    ASSIGN_OR_RETURN(tenant, FindTenantLocked(name));

    // Vectors shared with the tenant keep their owners; only their access lists shrink.
    for (const index::VectorKey& key : index_.ReadableKeys(tenant)) {
      if (key.owner == tenant) continue;
      std::vector<storage::TenantId> readers = index_.SharedWith(key);
      std::erase(readers, tenant);
      PutAcl(&batch, key, readers);
    }
  }
  batch.DeleteRange(store_->records(), storage::OwnerRangeStart(id(), tenant),
                    storage::OwnerRangeEnd(id(), tenant));
  batch.DeleteRange(store_->acl(), storage::OwnerRangeStart(id(), tenant),
                    storage::OwnerRangeEnd(id(), tenant));
  batch.Delete(store_->catalog(), storage::TenantKey(id(), name));
  for (const std::string& key_id : key_ids) batch.Delete(store_->catalog(), storage::ApiKeyKey(key_id));
  RETURN_IF_ERROR(Commit(&batch, absl::InfiniteFuture()));

  absl::MutexLock lock(&state_mu_);
  const size_t deleted = index_.RemoveTenant(tenant);
  tenants_.erase(name);
  NoteWrite();
  spdlog::info("collection '{}': dropped tenant '{}' and its {} vectors", this->name(), name,
               deleted);
  return absl::OkStatus();
}

absl::StatusOr<v1::ListTenantsResponse> Collection::ListTenants(
    uint32_t page_size, const std::string& page_token) const {
  if (page_size == 0) page_size = kDefaultTenantPage;
  if (page_size > kMaxTenantPage) {
    return absl::InvalidArgumentError(absl::StrCat("page_size is ", page_size,
                                                   "; the maximum is ", kMaxTenantPage));
  }
  std::string after;
  if (!page_token.empty() && !absl::WebSafeBase64Unescape(page_token, &after)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_token '", page_token, "' is not a token returned by ListTenants"));
  }

  v1::ListTenantsResponse response;
  absl::ReaderMutexLock lock(&state_mu_);
  auto it = page_token.empty() ? tenants_.begin() : tenants_.upper_bound(after);
  for (; it != tenants_.end() && response.tenants_size() < static_cast<int>(page_size); ++it) {
    *response.add_tenants() = TenantInfoLocked(it->first, it->second);
  }
  if (it != tenants_.end()) {
    response.set_next_page_token(absl::WebSafeBase64Escape(response.tenants().rbegin()->name()));
  }
  return response;
}

absl::StatusOr<storage::TenantId> Collection::FindTenant(const std::string& name) const {
  absl::ReaderMutexLock lock(&state_mu_);
  return FindTenantLocked(name);
}

std::string Collection::TenantName(storage::TenantId tenant) const {
  absl::ReaderMutexLock lock(&state_mu_);
  return index_.HasTenant(tenant) ? index_.TenantName(tenant) : std::string();
}

absl::Status Collection::Drop(const std::function<absl::Status(rocksdb::WriteBatch*)>& commit) {
  absl::MutexLock writer(&writer_mu_);
  RETURN_IF_ERROR(CheckWritable());

  rocksdb::WriteBatch batch;
  batch.Delete(store_->catalog(), storage::CollectionKey(name()));
  batch.DeleteRange(store_->catalog(), storage::TenantKeyPrefix(id()),
                    storage::TenantKeyPrefix(id() + 1));
  batch.DeleteRange(store_->records(), storage::CollectionRangeStart(id()),
                    storage::CollectionRangeEnd(id()));
  batch.DeleteRange(store_->acl(), storage::CollectionRangeStart(id()),
                    storage::CollectionRangeEnd(id()));
  batch.DeleteRange(store_->index(), storage::CollectionRangeStart(id()),
                    storage::CollectionRangeEnd(id()));
  RETURN_IF_ERROR(commit(&batch));
  dropped_ = true;
  return absl::OkStatus();
}

absl::StatusOr<v1::UpsertResponse> Collection::Upsert(const std::string& tenant,
                                                      const v1::UpsertRequest& request,
                                                      absl::Time deadline) {
  RETURN_IF_ERROR(ValidateBatchSize("vectors", request.vectors_size(), kMaxBatchVectors));
  absl::flat_hash_set<uint64_t> ids;
  for (int i = 0; i < request.vectors_size(); ++i) {
    const v1::Vector& vector = request.vectors(i);
    RETURN_IF_ERROR(ValidateVector(absl::StrCat("vectors[", i, "].values"), vector.values(),
                                   dimension(), metric() == v1::METRIC_COSINE));
    if (!ids.insert(vector.id()).second) {
      return absl::InvalidArgumentError(absl::StrCat("vectors[", i, "].id repeats id ",
                                                     vector.id(), "; each id may appear once"));
    }
  }

  absl::MutexLock writer(&writer_mu_);
  RETURN_IF_ERROR(CheckWritable());
  storage::TenantId owner;
  v1::UpsertResponse response;
  {
    absl::ReaderMutexLock lock(&state_mu_);
    ASSIGN_OR_RETURN(owner, FindTenantLocked(tenant));
    for (const v1::Vector& vector : request.vectors()) {
      if (index_.Contains({owner, vector.id()})) {
        response.set_updated_count(response.updated_count() + 1);
      } else {
        response.set_inserted_count(response.inserted_count() + 1);
      }
    }
  }

  rocksdb::WriteBatch batch;
  for (const v1::Vector& vector : request.vectors()) {
    batch.Put(store_->records(), storage::VectorKey(id(), owner, vector.id()),
              storage::EncodeVector(vector.values().data(), dimension()));
  }
  RETURN_IF_ERROR(Commit(&batch, deadline));

  absl::MutexLock lock(&state_mu_);
  for (const v1::Vector& vector : request.vectors()) {
    index_.Upsert({owner, vector.id()}, vector.values().data());
  }
  NoteWrite();
  return response;
}

absl::StatusOr<v1::DeleteResponse> Collection::Delete(const std::string& tenant,
                                                      const v1::DeleteRequest& request,
                                                      absl::Time deadline) {
  RETURN_IF_ERROR(ValidateBatchSize("ids", request.ids_size(), kMaxBatchVectors));
  RETURN_IF_ERROR(CheckUniqueIds("ids", request.ids()));

  absl::MutexLock writer(&writer_mu_);
  RETURN_IF_ERROR(CheckWritable());
  storage::TenantId owner;
  std::vector<uint64_t> existing;
  {
    absl::ReaderMutexLock lock(&state_mu_);
    ASSIGN_OR_RETURN(owner, FindTenantLocked(tenant));
    for (uint64_t vector_id : request.ids()) {
      if (index_.Contains({owner, vector_id})) existing.push_back(vector_id);
    }
  }

  v1::DeleteResponse response;
  response.set_deleted_count(existing.size());
  if (existing.empty()) return response;

  rocksdb::WriteBatch batch;
  for (uint64_t vector_id : existing) {
    const std::string key = storage::VectorKey(id(), owner, vector_id);
    batch.Delete(store_->records(), key);
    batch.Delete(store_->acl(), key);
  }
  RETURN_IF_ERROR(Commit(&batch, deadline));

  absl::MutexLock lock(&state_mu_);
  for (uint64_t vector_id : existing) index_.Delete({owner, vector_id});
  NoteWrite();
  return response;
}

absl::StatusOr<v1::GetResponse> Collection::Get(const std::string& tenant,
                                                const v1::GetRequest& request) const {
  RETURN_IF_ERROR(ValidateBatchSize("ids", request.ids_size(), kMaxBatchVectors));
  const size_t max_ids = kMaxGetVectorBytes / (size_t{dimension()} * sizeof(float));
  if (static_cast<size_t>(request.ids_size()) > max_ids) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ids has ", request.ids_size(), " entries; vectors of dimension ", dimension(),
        " allow at most ", max_ids, " per Get so that the response fits in one message"));
  }
  RETURN_IF_ERROR(CheckUniqueIds("ids", request.ids()));
  const std::string& owner_name = request.owner().empty() ? tenant : request.owner();
  if (!request.owner().empty()) RETURN_IF_ERROR(ValidateName("owner", request.owner()));

  std::vector<uint64_t> readable_ids;
  std::vector<std::vector<std::string>> shared_with;
  storage::TenantId owner = 0;
  storage::Store::Snapshot snapshot;
  {
    absl::ReaderMutexLock lock(&state_mu_);
    // Values are read from a snapshot taken while the access check holds, so that an unshare,
    // or a delete and re-upsert, that lands after the check cannot leak newer values. At most
    // one committed write is not yet applied in memory (writers hold writer_mu_ from commit to
    // apply), and it cannot give the reader anything it could not read before.
    ASSIGN_OR_RETURN(snapshot, store_->GetSnapshot());
    ASSIGN_OR_RETURN(const storage::TenantId reader, FindTenantLocked(tenant));
    auto owner_entry = tenants_.find(owner_name);
    // An unknown owner yields no records rather than NOT_FOUND, so that a tenant cannot probe
    // which other tenants exist.
    if (owner_entry == tenants_.end()) return v1::GetResponse();
    owner = owner_entry->second.id;

    for (uint64_t vector_id : request.ids()) {
      const index::VectorKey key{owner, vector_id};
      if (!index_.CanRead(key, reader)) continue;
      readable_ids.push_back(vector_id);
      std::vector<std::string> names;
      if (reader == owner) {
        for (storage::TenantId t : index_.SharedWith(key)) names.push_back(index_.TenantName(t));
      }
      shared_with.push_back(std::move(names));
    }
  }

  std::vector<std::string> keys;
  for (uint64_t vector_id : readable_ids) keys.push_back(storage::VectorKey(id(), owner, vector_id));
  ASSIGN_OR_RETURN(auto values, store_->MultiGet(store_->records(), keys, snapshot));

  v1::GetResponse response;
  for (size_t i = 0; i < readable_ids.size(); ++i) {
    if (!values[i].has_value()) continue;  // deleted, committed but not yet applied
    v1::Record* record = response.add_records();
    record->set_owner(owner_name);
    record->set_id(readable_ids[i]);
    record->mutable_values()->Resize(static_cast<int>(dimension()), 0.0f);
    RETURN_IF_ERROR(storage::DecodeVector(*values[i], dimension(),
                                          record->mutable_values()->mutable_data()));
    for (std::string& name : shared_with[i]) record->add_shared_with(std::move(name));
  }
  RETURN_IF_ERROR(CheckResponseSize(response.ByteSizeLong(), "request fewer ids"));
  return response;
}

absl::StatusOr<v1::SearchResponse> Collection::Search(const std::string& tenant,
                                                      const v1::SearchRequest& request) const {
  RETURN_IF_ERROR(ValidateSearchParams(request.params()));
  RETURN_IF_ERROR(ValidateVector("query", request.query(), dimension(),
                                 metric() == v1::METRIC_COSINE));

  absl::ReaderMutexLock lock(&state_mu_);
  ASSIGN_OR_RETURN(const storage::TenantId reader, FindTenantLocked(tenant));
  v1::SearchResponse response;
  FillHits(index_.Search(reader, request.query().data(), request.params().k(),
                         ToSearchOptions(request.params())),
           &response);
  return response;
}

absl::StatusOr<v1::SearchBatchResponse> Collection::SearchBatch(
    const std::string& tenant, const v1::SearchBatchRequest& request, absl::Time deadline) const {
  RETURN_IF_ERROR(ValidateSearchParams(request.params()));
  RETURN_IF_ERROR(ValidateBatchSize("queries", request.queries_size(), kMaxQueries));
  const size_t hits = size_t(request.queries_size()) * size_t(request.params().k());
  if (hits > kMaxBatchHits) {
    return absl::InvalidArgumentError(absl::StrCat(
        "queries has ", request.queries_size(), " entries with params.k ", request.params().k(),
        ", which asks for ", hits, " hits; the maximum per SearchBatch is ", kMaxBatchHits,
        " (queries times k)"));
  }
  for (int i = 0; i < request.queries_size(); ++i) {
    RETURN_IF_ERROR(ValidateVector(absl::StrCat("queries[", i, "].values"),
                                   request.queries(i).values(), dimension(),
                                   metric() == v1::METRIC_COSINE));
  }

  absl::ReaderMutexLock lock(&state_mu_);
  ASSIGN_OR_RETURN(const storage::TenantId reader, FindTenantLocked(tenant));
  v1::SearchBatchResponse response;
  for (const v1::Query& query : request.queries()) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "the deadline passed after ", response.results_size(), " of ",
          request.queries_size(), " queries; send fewer queries or allow more time"));
    }
    FillHits(index_.Search(reader, query.values().data(), request.params().k(),
                           ToSearchOptions(request.params())),
             response.add_results());
  }
  return response;
}

absl::StatusOr<v1::ShareResponse> Collection::Share(const std::string& tenant,
                                                    const v1::ShareRequest& request,
                                                    absl::Time deadline) {
  RETURN_IF_ERROR(ValidateBatchSize("ids", request.ids_size(), kMaxBatchVectors));
  RETURN_IF_ERROR(CheckUniqueIds("ids", request.ids()));
  RETURN_IF_ERROR(
      ValidateBatchSize("with_tenants", request.with_tenants_size(), kMaxShareTenants));

  absl::MutexLock writer(&writer_mu_);
  RETURN_IF_ERROR(CheckWritable());
  storage::TenantId owner;
  std::vector<storage::TenantId> targets;
  std::vector<std::pair<index::VectorKey, std::vector<storage::TenantId>>> changes;
  uint64_t granted = 0;
  {
    absl::ReaderMutexLock lock(&state_mu_);
    ASSIGN_OR_RETURN(owner, FindTenantLocked(tenant));
    ASSIGN_OR_RETURN(targets, ResolveShareTargets(tenant, request.with_tenants()));
    RETURN_IF_ERROR(ValidateOwnedIds(owner, request.ids()));

    for (uint64_t vector_id : request.ids()) {
      const index::VectorKey key{owner, vector_id};
      std::vector<storage::TenantId> readers = index_.SharedWith(key);
      const size_t before = readers.size();
      for (storage::TenantId target : targets) {
        if (std::find(readers.begin(), readers.end(), target) == readers.end()) {
          readers.push_back(target);
        }
      }
      if (readers.size() == before) continue;
      granted += readers.size() - before;
      changes.emplace_back(key, std::move(readers));
    }
  }

  v1::ShareResponse response;
  response.set_granted_count(granted);
  if (changes.empty()) return response;

  rocksdb::WriteBatch batch;
  for (const auto& [key, readers] : changes) PutAcl(&batch, key, readers);
  RETURN_IF_ERROR(Commit(&batch, deadline));

  absl::MutexLock lock(&state_mu_);
  for (const auto& [key, readers] : changes) {
    for (storage::TenantId target : targets) index_.Grant(key, target);
  }
  NoteWrite();
  return response;
}

absl::StatusOr<v1::UnshareResponse> Collection::Unshare(const std::string& tenant,
                                                        const v1::UnshareRequest& request,
                                                        absl::Time deadline) {
  RETURN_IF_ERROR(ValidateBatchSize("ids", request.ids_size(), kMaxBatchVectors));
  RETURN_IF_ERROR(CheckUniqueIds("ids", request.ids()));
  RETURN_IF_ERROR(
      ValidateBatchSize("with_tenants", request.with_tenants_size(), kMaxShareTenants));

  absl::MutexLock writer(&writer_mu_);
  RETURN_IF_ERROR(CheckWritable());
  storage::TenantId owner;
  std::vector<storage::TenantId> targets;
  std::vector<std::pair<index::VectorKey, std::vector<storage::TenantId>>> changes;
  uint64_t revoked = 0;
  {
    absl::ReaderMutexLock lock(&state_mu_);
    ASSIGN_OR_RETURN(owner, FindTenantLocked(tenant));
    ASSIGN_OR_RETURN(targets, ResolveShareTargets(tenant, request.with_tenants()));
    RETURN_IF_ERROR(ValidateOwnedIds(owner, request.ids()));

    for (uint64_t vector_id : request.ids()) {
      const index::VectorKey key{owner, vector_id};
      std::vector<storage::TenantId> readers = index_.SharedWith(key);
      const size_t before = readers.size();
      std::erase_if(readers, [&](storage::TenantId reader) {
        return std::find(targets.begin(), targets.end(), reader) != targets.end();
      });
      if (readers.size() == before) continue;
      revoked += before - readers.size();
      changes.emplace_back(key, std::move(readers));
    }
  }

  v1::UnshareResponse response;
  response.set_revoked_count(revoked);
  if (changes.empty()) return response;

  rocksdb::WriteBatch batch;
  for (const auto& [key, readers] : changes) PutAcl(&batch, key, readers);
  RETURN_IF_ERROR(Commit(&batch, deadline));

  absl::MutexLock lock(&state_mu_);
  for (const auto& [key, readers] : changes) {
    for (storage::TenantId target : targets) index_.Revoke(key, target);
  }
  NoteWrite();
  return response;
}

absl::StatusOr<v1::CountResponse> Collection::Count(const std::string& tenant) const {
  absl::ReaderMutexLock lock(&state_mu_);
  ASSIGN_OR_RETURN(const storage::TenantId reader, FindTenantLocked(tenant));
  v1::CountResponse response;
  response.set_count(index_.ReadableCount(reader));
  return response;
}

// NOTE: each page sorts all of the tenant's readable keys, O(n log n) for n readable vectors.
// That suits admin listings but makes paging through millions of vectors slow.
absl::StatusOr<v1::ListResponse> Collection::List(const std::string& tenant,
                                                  const v1::ListRequest& request) const {
  uint32_t page_size = request.page_size() == 0 ? kDefaultListPage : request.page_size();
  if (page_size > kMaxListPage) {
    return absl::InvalidArgumentError(absl::StrCat("page_size is ", page_size,
                                                   "; the maximum is ", kMaxListPage));
  }
  std::optional<std::pair<std::string, uint64_t>> after;
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(after, DecodeListToken(request.page_token()));
  }

  std::vector<std::pair<std::string, uint64_t>> entries;
  {
    absl::ReaderMutexLock lock(&state_mu_);
    ASSIGN_OR_RETURN(const storage::TenantId reader, FindTenantLocked(tenant));
    for (const index::VectorKey& key : index_.ReadableKeys(reader)) {
      entries.emplace_back(index_.TenantName(key.owner), key.id);
    }
  }
  std::sort(entries.begin(), entries.end());

  auto it = after.has_value() ? std::upper_bound(entries.begin(), entries.end(), *after)
                              : entries.begin();
  v1::ListResponse response;
  for (; it != entries.end() && response.vectors_size() < static_cast<int>(page_size); ++it) {
    v1::VectorRef* ref = response.add_vectors();
    ref->set_owner(it->first);
    ref->set_id(it->second);
  }
  if (it != entries.end()) {
    const v1::VectorRef& last = *response.vectors().rbegin();
    response.set_next_page_token(EncodeListToken(last.owner(), last.id()));
  }
  return response;
}

absl::StatusOr<storage::TenantId> Collection::FindTenantLocked(const std::string& name) const {
  auto it = tenants_.find(name);
  if (it == tenants_.end()) {
    return absl::NotFoundError(
        absl::StrCat("tenant '", name, "' not found in collection '", this->name(), "'"));
  }
  return it->second.id;
}

absl::Status Collection::CheckWritable() const {
  if (!dropped_) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("collection '", name(), "' not found"));
}

absl::Status Collection::Commit(rocksdb::WriteBatch* batch, absl::Time deadline) {
  if (absl::Now() > deadline) return DeadlineExceeded();
  const absl::Status status = store_->Write(batch);
  if (!status.ok()) {
    spdlog::error("collection '{}': commit of {} operations failed, nothing applied: {}", name(),
                  batch->Count(), status.ToString());
  }
  return status;
}

absl::StatusOr<std::vector<storage::TenantId>> Collection::ResolveShareTargets(
    const std::string& owner_name,
    const google::protobuf::RepeatedPtrField<std::string>& names) const {
  std::vector<storage::TenantId> targets;
  for (int i = 0; i < names.size(); ++i) {
    const std::string field = absl::StrCat("with_tenants[", i, "]");
    RETURN_IF_ERROR(ValidateName(field, names[i]));
    if (names[i] == owner_name) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, " is the owner '", owner_name, "', who can always read its own vectors"));
    }
    ASSIGN_OR_RETURN(const storage::TenantId target, FindTenantLocked(names[i]));
    if (std::find(targets.begin(), targets.end(), target) != targets.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " repeats tenant '", names[i], "'; each tenant may appear once"));
    }
    targets.push_back(target);
  }
  return targets;
}

absl::Status Collection::ValidateOwnedIds(storage::TenantId owner,
                                          const google::protobuf::RepeatedField<uint64_t>& ids) const {
  for (int i = 0; i < ids.size(); ++i) {
    if (!index_.Contains({owner, ids[i]})) {
      return absl::NotFoundError(absl::StrCat("ids[", i, "]: vector ", ids[i],
                                              " not found among the tenant's own vectors; only "
                                              "the owner can share or unshare a vector"));
    }
  }
  return absl::OkStatus();
}

void Collection::FillHits(const std::vector<index::Neighbor>& neighbors,
                          v1::SearchResponse* out) const {
  const index::Metric index_metric = index_.metric();
  for (const index::Neighbor& neighbor : neighbors) {
    v1::Hit* hit = out->add_hits();
    hit->set_owner(index_.TenantName(neighbor.key.owner));
    hit->set_id(neighbor.key.id);
    hit->set_score(index::ScoreFromDistance(index_metric, neighbor.distance));
  }
}

v1::TenantInfo Collection::TenantInfoLocked(const std::string& name,
                                            const TenantEntry& entry) const {
  v1::TenantInfo info;
  info.set_collection(this->name());
  info.set_name(name);
  info.set_owned_count(index_.OwnedCount(entry.id));
  info.set_readable_count(index_.ReadableCount(entry.id));
  info.set_created_unix_ms(entry.created_unix_ms);
  const index::TenantTreeStats stats = index_.TenantStats(entry.id);
  info.set_shortlists(stats.shortlists);
  info.set_split_nodes(stats.split_nodes);
  info.set_max_depth(static_cast<uint32_t>(stats.max_depth));
  return info;
}

void Collection::PutAcl(rocksdb::WriteBatch* batch, index::VectorKey key,
                        const std::vector<storage::TenantId>& readers) const {
  const std::string record_key = storage::VectorKey(id(), key.owner, key.id);
  if (readers.empty()) {
    batch->Delete(store_->acl(), record_key);
  } else {
    batch->Put(store_->acl(), record_key, storage::EncodeAcl(readers));
  }
}

}  // namespace arbor::server

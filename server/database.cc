#include "server/database.h"

#include <filesystem>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/backup.h"
#include "server/keys.h"
#include "server/validation.h"
#include "spdlog/spdlog.h"
#include "storage/status_macros.h"

namespace arbor::server {
namespace {

constexpr char kBearerPrefix[] = "Bearer ";

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat(
      why, "; send the header 'authorization: Bearer <key>' with the admin key or a tenant key"));
}

int64_t NowUnixMs() { return absl::ToUnixMillis(absl::Now()); }

absl::Status ValidateMetric(v1::Metric metric) {
  if (metric == v1::METRIC_L2 || metric == v1::METRIC_IP || metric == v1::METRIC_COSINE) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "metric is ", v1::Metric_Name(metric).empty() ? absl::StrCat(metric) : v1::Metric_Name(metric),
      "; use METRIC_L2, METRIC_IP or METRIC_COSINE"));
}

absl::string_view MetricName(v1::Metric metric) {
  switch (metric) {
    case v1::METRIC_IP:
      return "ip";
    case v1::METRIC_COSINE:
      return "cosine";
    default:
      return "l2";
  }
}

v1::KeyInfo ToKeyInfo(const std::string& collection, const std::string& tenant,
                      const storage::KeyRecord& record) {
  v1::KeyInfo info;
  info.set_key_id(record.key_id);
  info.set_collection(collection);
  info.set_tenant(tenant);
  info.set_created_unix_ms(record.created_unix_ms);
  return info;
}

}  // namespace

absl::Status RequireAdmin(const Principal& principal) {
  if (principal.admin) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "key ", principal.key_id, " is a tenant key; this call needs the admin key"));
}

Database::Database(storage::DataDirLock lock, std::unique_ptr<storage::Store> store,
                   const DatabaseOptions& options)
    : data_dir_(options.data_dir),
      lock_(std::move(lock)),
      store_(std::move(store)),
      admin_hash_(Sha256(options.admin_key)),
      maintenance_interval_(options.maintenance_interval),
      checkpoint_interval_(options.checkpoint_interval) {}

Database::~Database() {
  const absl::Status status = Close();
  if (!status.ok()) spdlog::error("closing the database failed: {}", status.ToString());
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  ASSIGN_OR_RETURN(storage::DataDirLock lock, storage::DataDirLock::Acquire(options.data_dir));
  return Open(options, std::move(lock));
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options,
                                                         storage::DataDirLock lock) {
  if (options.admin_key.empty()) {
    return absl::InvalidArgumentError("the admin key is empty");
  }

  const absl::Time start = absl::Now();
  const std::string db_path = options.data_dir + "/db";
  ASSIGN_OR_RETURN(auto store, storage::Store::Open({db_path, options.sync}));
  auto database =
      std::unique_ptr<Database>(new Database(std::move(lock), std::move(store), options));
  RETURN_IF_ERROR(database->Recover());
  database->maintenance_thread_ = std::thread([db = database.get()] { db->MaintenanceLoop(); });

  absl::ReaderMutexLock catalog(&database->catalog_mu_);
  absl::ReaderMutexLock keys(&database->keys_mu_);
  spdlog::info("recovered {} collections and {} tenant keys from {} in {} ms (sync={})",
               database->collections_.size(), database->keys_.size(), db_path,
               absl::ToInt64Milliseconds(absl::Now() - start), options.sync);
  return database;
}

absl::Status Database::Close() {
  if (store_ == nullptr || closed_) return absl::OkStatus();
  closed_ = true;
  {
    std::lock_guard<std::mutex> lock(maintenance_mu_);
    stopping_ = true;
  }
  maintenance_wake_.notify_all();
  if (maintenance_thread_.joinable()) maintenance_thread_.join();

  // A checkpoint at a clean stop lets the next start restore every placement exactly.
  for (const auto& collection : AllCollections()) {
    const absl::Status checkpoint = collection->MaybeCheckpoint(true, absl::ZeroDuration());
    if (!checkpoint.ok()) {
      spdlog::error("collection '{}': final index checkpoint failed; the next start rebuilds "
                    "placements from the last one: {}",
                    collection->name(), checkpoint.ToString());
    }
  }
  const absl::Status status = store_->Close();
  spdlog::info("database closed");
  return status;
}

void Database::MaintenanceLoop() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(maintenance_mu_);
      if (maintenance_wake_.wait_for(lock, absl::ToChronoMilliseconds(maintenance_interval_),
                                     [this] { return stopping_; })) {
        return;
      }
    }
    RunMaintenance();
  }
}

void Database::RunMaintenance() {
  for (const auto& collection : AllCollections()) {
    if (collection->NeedsTraining()) {
      const absl::Status trained = collection->TrainIndex();
      if (!trained.ok()) {
        spdlog::error("collection '{}': index training failed; searches keep the previous "
                      "index and training is retried: {}",
                      collection->name(), trained.ToString());
      }
      continue;
    }
    const absl::Status checkpoint = collection->MaybeCheckpoint(false, checkpoint_interval_);
    if (!checkpoint.ok()) continue;  // logged by the collection, retried next round
  }
}

DatabaseStats Database::Stats() const {
  DatabaseStats stats;
  for (const auto& collection : AllCollections()) stats.collections.push_back(collection->Stats());

  absl::ReaderMutexLock lock(&keys_mu_);
  stats.tenant_keys = keys_.size();
  return stats;
}

absl::StatusOr<storage::StoreStats> Database::StoreStats() const { return store_->Stats(); }

std::vector<std::shared_ptr<Collection>> Database::AllCollections() const {
  std::vector<std::shared_ptr<Collection>> collections;
  absl::ReaderMutexLock lock(&catalog_mu_);
  for (const auto& [name, collection] : collections_) collections.push_back(collection);
  return collections;
}

// Loads the catalog first (collections, their tenants, keys), then each collection's records.
absl::Status Database::Recover() {
  absl::MutexLock catalog(&catalog_mu_);
  absl::MutexLock keys(&keys_mu_);

  ASSIGN_OR_RETURN(auto next_id, store_->Get(store_->catalog(), storage::NextCollectionIdKey()));
  if (next_id.has_value()) {
    storage::ValueReader reader(*next_id, "next collection id");
    RETURN_IF_ERROR(reader.ExpectVersion(1, 1));
    ASSIGN_OR_RETURN(next_collection_id_, reader.U32());
  }

  absl::flat_hash_map<storage::CollectionId, std::shared_ptr<Collection>> by_id;
  const std::string prefix = storage::CollectionKeyPrefix();
  RETURN_IF_ERROR(store_->Scan(
      store_->catalog(), prefix, "d",
      [&](absl::string_view, absl::string_view value) -> absl::Status {
        ASSIGN_OR_RETURN(auto record, storage::DecodeCollection(value));
        auto collection = std::make_shared<Collection>(record, store_.get());
        by_id[record.id] = collection;
        collections_[record.name] = std::move(collection);
        return absl::OkStatus();
      }));

  for (auto& [name, collection] : collections_) {
    const absl::Time start = absl::Now();
    const storage::CollectionId id = collection->id();
    RETURN_IF_ERROR(store_->Scan(
        store_->catalog(), storage::TenantKeyPrefix(id), storage::TenantKeyPrefix(id + 1),
        [&](absl::string_view, absl::string_view value) -> absl::Status {
          ASSIGN_OR_RETURN(auto tenant, storage::DecodeTenant(value));
          collection->LoadTenant(tenant);
          return absl::OkStatus();
        }));
    RETURN_IF_ERROR(collection->LoadRecords());

    const v1::CollectionInfo info = collection->Describe();
    spdlog::info("loaded collection '{}': {} tenants, {} vectors of dimension {} in {} ms", name,
                 info.tenant_count(), info.vector_count(), info.dimension(),
                 absl::ToInt64Milliseconds(absl::Now() - start));
  }

  return store_->Scan(
      store_->catalog(), storage::ApiKeyKeyPrefix(), "l",
      [&](absl::string_view, absl::string_view value) -> absl::Status {
        ASSIGN_OR_RETURN(auto record, storage::DecodeKey(value));
        auto it = by_id.find(record.collection_id);
        const std::string tenant =
            it == by_id.end() ? std::string() : it->second->TenantName(record.tenant_id);
        if (tenant.empty()) {
          spdlog::warn("ignoring key {}: its tenant no longer exists", record.key_id);
          return absl::OkStatus();
        }
        const std::string key_id = record.key_id;
        keys_[key_id] = KeyEntry{std::move(record), it->second->name(), tenant};
        return absl::OkStatus();
      });
}

absl::StatusOr<Principal> Database::Authenticate(
    std::optional<absl::string_view> authorization) const {
  if (!authorization.has_value()) return Unauthenticated("the request has no authorization header");
  absl::string_view token = *authorization;
  if (!absl::ConsumePrefix(&token, kBearerPrefix)) {
    return Unauthenticated("the authorization header does not start with 'Bearer '");
  }
  token = absl::StripAsciiWhitespace(token);

  // Hash and compare against the admin key every time so that timing does not tell tenant keys
  // and the admin key apart.
  const bool is_admin = HashesEqual(Sha256(token), admin_hash_);
  if (is_admin) {
    Principal admin;
    admin.admin = true;
    return admin;
  }

  const std::optional<ParsedTenantKey> parsed = ParseTenantKey(token);
  if (!parsed.has_value()) return Unauthenticated("the key is not valid");

  absl::ReaderMutexLock lock(&keys_mu_);
  auto it = keys_.find(parsed->key_id);
  if (it == keys_.end() || !HashesEqual(Sha256(parsed->secret), it->second.record.hash)) {
    return Unauthenticated("the key is not valid or was revoked");
  }
  return Principal{.admin = false,
                   .key_id = it->second.record.key_id,
                   .collection = it->second.collection,
                   .tenant = it->second.tenant};
}

absl::StatusOr<v1::CollectionInfo> Database::CreateCollection(
    const Principal& principal, const v1::CreateCollectionRequest& request) {
  RETURN_IF_ERROR(RequireAdmin(principal));
  RETURN_IF_ERROR(ValidateName("name", request.name()));
  if (request.dimension() < 1 || request.dimension() > kMaxDimension) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dimension is ", request.dimension(), "; it must be between 1 and ", kMaxDimension));
  }
  RETURN_IF_ERROR(ValidateMetric(request.metric()));
  ASSIGN_OR_RETURN(const storage::IndexSettingsRecord settings,
                   ResolveIndexSettings(request.index()));

  absl::MutexLock admin(&admin_mu_);
  storage::CollectionRecord record;
  {
    absl::ReaderMutexLock lock(&catalog_mu_);
    if (collections_.contains(request.name())) {
      return absl::AlreadyExistsError(
          absl::StrCat("collection '", request.name(), "' already exists"));
    }
    record.id = next_collection_id_;
  }
  record.name = request.name();
  record.dimension = request.dimension();
  record.metric = static_cast<uint8_t>(request.metric());
  record.created_unix_ms = NowUnixMs();
  record.index = settings;

  storage::ValueWriter next_id(1);
  next_id.U32(record.id + 1);
  rocksdb::WriteBatch batch;
  batch.Put(store_->catalog(), storage::CollectionKey(record.name),
            storage::EncodeCollection(record));
  batch.Put(store_->catalog(), storage::NextCollectionIdKey(), next_id.Take());
  RETURN_IF_ERROR(store_->Write(&batch));

  auto collection = std::make_shared<Collection>(record, store_.get());
  {
    absl::MutexLock lock(&catalog_mu_);
    next_collection_id_ = record.id + 1;
    collections_[record.name] = collection;
  }
  spdlog::info("created collection '{}' (id {}, dimension {}, metric {})", record.name,
               record.id, record.dimension, std::string(MetricName(request.metric())));
  return collection->Describe();
}

absl::Status Database::DropCollection(const Principal& principal,
                                      const v1::DropCollectionRequest& request) {
  RETURN_IF_ERROR(RequireAdmin(principal));
  RETURN_IF_ERROR(ValidateName("name", request.name()));

  absl::MutexLock admin(&admin_mu_);
  ASSIGN_OR_RETURN(auto collection, FindCollection(request.name()));
  const std::vector<std::string> key_ids = KeyIdsOf(collection->id(), std::nullopt);
  RETURN_IF_ERROR(collection->Drop([&](rocksdb::WriteBatch* batch) {
    for (const std::string& key_id : key_ids) {
      batch->Delete(store_->catalog(), storage::ApiKeyKey(key_id));
    }
    return store_->Write(batch);
  }));

  {
    absl::MutexLock lock(&catalog_mu_);
    collections_.erase(request.name());
  }
  {
    absl::MutexLock lock(&keys_mu_);
    for (const std::string& key_id : key_ids) keys_.erase(key_id);
  }
  spdlog::info("dropped collection '{}' and revoked its {} keys", request.name(), key_ids.size());
  return absl::OkStatus();
}

absl::StatusOr<v1::ListCollectionsResponse> Database::ListCollections(
    const Principal& principal) const {
  RETURN_IF_ERROR(RequireAdmin(principal));
  std::vector<std::shared_ptr<Collection>> collections;
  {
    absl::ReaderMutexLock lock(&catalog_mu_);
    for (const auto& [name, collection] : collections_) collections.push_back(collection);
  }
  v1::ListCollectionsResponse response;
  for (const auto& collection : collections) *response.add_collections() = collection->Describe();
  return response;
}

absl::StatusOr<v1::CollectionInfo> Database::DescribeCollection(
    const Principal& principal, const v1::DescribeCollectionRequest& request) const {
  RETURN_IF_ERROR(RequireAdmin(principal));
  RETURN_IF_ERROR(ValidateName("name", request.name()));
  ASSIGN_OR_RETURN(auto collection, FindCollection(request.name()));
  return collection->Describe();
}

absl::StatusOr<v1::TenantInfo> Database::CreateTenant(const Principal& principal,
                                                      const v1::CreateTenantRequest& request) {
  RETURN_IF_ERROR(RequireAdmin(principal));
  RETURN_IF_ERROR(ValidateName("collection", request.collection()));
  RETURN_IF_ERROR(ValidateName("tenant", request.tenant()));
  ASSIGN_OR_RETURN(auto collection, FindCollection(request.collection()));
  return collection->CreateTenant(request.tenant());
}

absl::Status Database::DropTenant(const Principal& principal,
                                  const v1::DropTenantRequest& request) {
  RETURN_IF_ERROR(RequireAdmin(principal));
  RETURN_IF_ERROR(ValidateName("collection", request.collection()));
  RETURN_IF_ERROR(ValidateName("tenant", request.tenant()));

  // admin_mu_ keeps keys from being created for the tenant while it is dropped.
  absl::MutexLock admin(&admin_mu_);
  ASSIGN_OR_RETURN(auto collection, FindCollection(request.collection()));
  ASSIGN_OR_RETURN(const storage::TenantId tenant, collection->FindTenant(request.tenant()));
  const std::vector<std::string> key_ids = KeyIdsOf(collection->id(), tenant);
  RETURN_IF_ERROR(collection->DropTenant(request.tenant(), key_ids));

  absl::MutexLock lock(&keys_mu_);
  for (const std::string& key_id : key_ids) keys_.erase(key_id);
  return absl::OkStatus();
}

absl::StatusOr<v1::ListTenantsResponse> Database::ListTenants(
    const Principal& principal, const v1::ListTenantsRequest& request) const {
  RETURN_IF_ERROR(RequireAdmin(principal));
  RETURN_IF_ERROR(ValidateName("collection", request.collection()));
  ASSIGN_OR_RETURN(auto collection, FindCollection(request.collection()));
  return collection->ListTenants(request.page_size(), request.page_token());
}

absl::StatusOr<v1::CreateKeyResponse> Database::CreateKey(const Principal& principal,
                                                          const v1::CreateKeyRequest& request) {
  RETURN_IF_ERROR(RequireAdmin(principal));
  RETURN_IF_ERROR(ValidateName("collection", request.collection()));
  RETURN_IF_ERROR(ValidateName("tenant", request.tenant()));

  absl::MutexLock admin(&admin_mu_);
  ASSIGN_OR_RETURN(auto collection, FindCollection(request.collection()));
  ASSIGN_OR_RETURN(const storage::TenantId tenant, collection->FindTenant(request.tenant()));

  const ParsedTenantKey key = GenerateTenantKey();
  storage::KeyRecord record;
  record.key_id = key.key_id;
  record.collection_id = collection->id();
  record.tenant_id = tenant;
  record.hash = Sha256(key.secret);
  record.created_unix_ms = NowUnixMs();

  rocksdb::WriteBatch batch;
  batch.Put(store_->catalog(), storage::ApiKeyKey(record.key_id), storage::EncodeKey(record));
  RETURN_IF_ERROR(store_->Write(&batch));
  {
    absl::MutexLock lock(&keys_mu_);
    keys_[record.key_id] = KeyEntry{record, request.collection(), request.tenant()};
  }
  spdlog::info("created key {} for tenant '{}' of collection '{}'", record.key_id,
               request.tenant(), request.collection());

  v1::CreateKeyResponse response;
  response.set_key_id(key.key_id);
  response.set_key(FormatTenantKey(key));
  return response;
}

absl::StatusOr<v1::ListKeysResponse> Database::ListKeys(const Principal& principal,
                                                        const v1::ListKeysRequest& request) const {
  RETURN_IF_ERROR(RequireAdmin(principal));
  RETURN_IF_ERROR(ValidateName("collection", request.collection()));
  if (!request.tenant().empty()) RETURN_IF_ERROR(ValidateName("tenant", request.tenant()));
  ASSIGN_OR_RETURN(auto collection, FindCollection(request.collection()));
  if (!request.tenant().empty()) {
    RETURN_IF_ERROR(collection->FindTenant(request.tenant()).status());
  }

  v1::ListKeysResponse response;
  absl::ReaderMutexLock lock(&keys_mu_);
  for (const auto& [key_id, entry] : keys_) {
    if (entry.record.collection_id != collection->id()) continue;
    if (!request.tenant().empty() && entry.tenant != request.tenant()) continue;
    *response.add_keys() = ToKeyInfo(entry.collection, entry.tenant, entry.record);
  }
  return response;
}

absl::Status Database::RevokeKey(const Principal& principal,
                                 const v1::RevokeKeyRequest& request) {
  RETURN_IF_ERROR(RequireAdmin(principal));
  RETURN_IF_ERROR(ValidateName("collection", request.collection()));

  absl::MutexLock admin(&admin_mu_);
  ASSIGN_OR_RETURN(auto collection, FindCollection(request.collection()));
  {
    absl::ReaderMutexLock lock(&keys_mu_);
    auto it = keys_.find(request.key_id());
    if (it == keys_.end() || it->second.record.collection_id != collection->id()) {
      return absl::NotFoundError(absl::StrCat("key '", request.key_id(),
                                              "' not found in collection '",
                                              request.collection(), "'"));
    }
  }

  rocksdb::WriteBatch batch;
  batch.Delete(store_->catalog(), storage::ApiKeyKey(request.key_id()));
  RETURN_IF_ERROR(store_->Write(&batch));
  {
    absl::MutexLock lock(&keys_mu_);
    keys_.erase(request.key_id());
  }
  spdlog::info("revoked key {} of collection '{}'", request.key_id(), request.collection());
  return absl::OkStatus();
}

absl::StatusOr<v1::BackupInfo> Database::CreateBackup(const Principal& principal,
                                                     const v1::CreateBackupRequest& request,
                                                     absl::Time deadline) {
  RETURN_IF_ERROR(RequireAdmin(principal));
  ASSIGN_OR_RETURN(const std::filesystem::path target,
                   ValidateBackupPath(request.path(), data_dir_));

  // Backups are rejected, not queued, while one runs: a queued call could wait past its
  // deadline, and the caller learns at once that a backup is already being made.
  {
    absl::MutexLock lock(&backup_mu_);
    if (backup_in_progress_.has_value()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "a backup to ", *backup_in_progress_, " is in progress and only one runs at a time; "
          "retry when it has finished"));
    }
    backup_in_progress_ = target.string();
  }
  absl::Cleanup unregister = [this] {
    absl::MutexLock lock(&backup_mu_);
    backup_in_progress_.reset();
  };

  const absl::Time start = absl::Now();
  spdlog::info("backup to {} started", target.string());
  absl::StatusOr<v1::BackupInfo> info = WriteBackup(target, deadline);
  if (!info.ok()) {
    spdlog::error("backup to {} failed after {} ms and left nothing at that path: {}",
                  target.string(), absl::ToInt64Milliseconds(absl::Now() - start),
                  info.status().ToString());
    return info.status();
  }
  info->set_duration_ms(absl::ToInt64Milliseconds(absl::Now() - start));
  spdlog::info("backup to {} finished: {} files, {} bytes, {} collections, RocksDB sequence "
               "number {}, {} ms",
               info->path(), info->file_count(), info->bytes(), info->collection_count(),
               info->sequence_number(), info->duration_ms());
  return info;
}

absl::StatusOr<v1::BackupInfo> Database::WriteBackup(const std::filesystem::path& target,
                                                     absl::Time deadline) {
  auto check_deadline = [&](absl::string_view step) -> absl::Status {
    if (absl::Now() < deadline) return absl::OkStatus();
    return absl::DeadlineExceededError(absl::StrCat(
        "the request's deadline passed ", step, "; no backup was written to ", target.string(),
        ", so retry with a longer deadline"));
  };

  // Fresh index checkpoints first, so that a restored server starts with every vector in its
  // current place and does not retrain. They live in RocksDB, so its checkpoint includes them.
  const std::vector<std::shared_ptr<Collection>> collections = AllCollections();
  for (const auto& collection : collections) {
    const absl::Status checkpoint = collection->MaybeCheckpoint(true, absl::ZeroDuration());
    if (!checkpoint.ok()) {
      return absl::Status(checkpoint.code(),
                          absl::StrCat("writing the index checkpoint of collection '",
                                       collection->name(), "' failed: ", checkpoint.message()));
    }
  }
  RETURN_IF_ERROR(check_deadline("while the index checkpoints were written"));

  ASSIGN_OR_RETURN(const std::filesystem::path staging, CreateBackupStagingDir(target));
  absl::Cleanup remove_staging = [&staging] {
    std::error_code ignored;
    std::filesystem::remove_all(staging, ignored);
  };

  BackupManifest manifest;
  manifest.arbord_version = ArbordVersion();
  manifest.created_unix_ms = NowUnixMs();
  ASSIGN_OR_RETURN(manifest.sequence_number, store_->CreateCheckpoint((staging / "db").string()));
  RETURN_IF_ERROR(CopyAdminKeyIfPresent(data_dir_, staging));
  ASSIGN_OR_RETURN(manifest, SealBackup(staging, std::move(manifest)));
  RETURN_IF_ERROR(check_deadline("before the backup was complete"));
  RETURN_IF_ERROR(PublishBackup(staging, target));
  std::move(remove_staging).Cancel();

  v1::BackupInfo info;
  info.set_path(target.string());
  info.set_created_unix_ms(manifest.created_unix_ms);
  info.set_sequence_number(manifest.sequence_number);
  uint64_t bytes = 0;
  for (const BackupFile& file : manifest.files) bytes += file.size;
  std::error_code error;
  const uintmax_t manifest_bytes =
      std::filesystem::file_size(target / kBackupManifestName, error);
  info.set_file_count(manifest.files.size() + 1);
  info.set_bytes(bytes + (error ? 0 : manifest_bytes));
  info.set_collection_count(collections.size());
  info.set_arbord_version(manifest.arbord_version);
  return info;
}

absl::StatusOr<std::shared_ptr<Collection>> Database::CollectionForData(
    const Principal& principal, const std::string& collection, const std::string& tenant) const {
  RETURN_IF_ERROR(ValidateName("collection", collection));
  RETURN_IF_ERROR(ValidateName("tenant", tenant));
  if (!principal.admin && (principal.collection != collection || principal.tenant != tenant)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "key ", principal.key_id, " may act only as the tenant it was created for"));
  }
  return FindCollection(collection);
}

absl::StatusOr<std::shared_ptr<Collection>> Database::FindCollection(
    const std::string& name) const {
  absl::ReaderMutexLock lock(&catalog_mu_);
  auto it = collections_.find(name);
  if (it == collections_.end()) {
    return absl::NotFoundError(absl::StrCat("collection '", name, "' not found"));
  }
  return it->second;
}

std::vector<std::string> Database::KeyIdsOf(storage::CollectionId collection,
                                            std::optional<storage::TenantId> tenant) const {
  std::vector<std::string> ids;
  absl::ReaderMutexLock lock(&keys_mu_);
  for (const auto& [key_id, entry] : keys_) {
    if (entry.record.collection_id != collection) continue;
    if (tenant.has_value() && entry.record.tenant_id != *tenant) continue;
    ids.push_back(key_id);
  }
  return ids;
}

}  // namespace arbor::server

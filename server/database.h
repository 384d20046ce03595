// The database behind arbord: the catalog of collections, tenant keys, authentication and
// authorisation, recovery from RocksDB at start-up, and online backups.
//
// Every call takes the Principal that Authenticate returned for the request's bearer key and
// checks what it may do: the admin key may do everything, a tenant key only data calls as its
// own tenant of its own collection. A tenant key used beyond that scope gets PERMISSION_DENIED
// before any lookup, so the error never reveals whether the other tenant or collection exists.
//
// Thread safety: all public methods are safe to call concurrently.
//  - admin_mu_ serialises catalog changes (collections, tenant drops, keys), which are rare.
//  - catalog_mu_ guards the collection map; keys_mu_ guards the key map. Once recovery is done
//    neither is held across disk I/O, so request routing never waits for an admin call's commit.
//  - backup_mu_ guards only the target path of the running backup. A backup holds a
//    collection's writer lock only while it writes that collection's index checkpoint.
// Lock order: admin_mu_, then catalog_mu_ or keys_mu_, then a Collection's own mutexes.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "arbor/v1/admin.pb.h"
#include "server/collection.h"
#include "storage/data_dir.h"
#include "storage/schema.h"
#include "storage/store.h"

namespace arbor::server {

struct DatabaseOptions {
  std::string data_dir;
  bool sync = true;        // fsync every commit before acknowledging it
  std::string admin_key;  // the bearer key with full access; must not be empty
  // How often the background thread looks for collections to train, and the longest time
  // between index checkpoints of a collection that is being written.
  absl::Duration maintenance_interval = absl::Seconds(1);
  absl::Duration checkpoint_interval = absl::Seconds(60);
};

// Figures of the whole database for monitoring.
struct DatabaseStats {
  std::vector<CollectionStats> collections;  // by name
  uint64_t tenant_keys = 0;
};

// The identity a request acts as, resolved from its bearer key.
struct Principal {
  bool admin = false;
  // For tenant keys: the key's id and the collection and tenant it is bound to.
  std::string key_id;
  std::string collection;
  std::string tenant;
};

class Database {
 public:
  // Locks the data directory, opens RocksDB and rebuilds the in-memory state. Fails with
  // FailedPrecondition when another arbord has locked the directory.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const DatabaseOptions& options);
  // The same with the lock on options.data_dir already taken, for a server that must hold the
  // directory before it starts listening.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const DatabaseOptions& options,
                                                        storage::DataDirLock lock);
  ~Database();

  // Stops the background index thread, checkpoints every index, and flushes and closes
  // RocksDB. Later calls fail; safe to call twice.
  absl::Status Close();

  // Runs one round of index maintenance now (training and checkpoints), as the background
  // thread does every maintenance_interval. For tests and tools.
  void RunMaintenance();

  // Monitoring. Stats takes the catalog and key locks only to copy the collection list and to
  // count the keys, then each collection's state lock in turn. StoreStats takes no lock of the
  // Database and fails with FailedPrecondition after Close. Like the data calls, neither may
  // run concurrently with Close.
  DatabaseStats Stats() const;
  absl::StatusOr<storage::StoreStats> StoreStats() const;

  // Resolves the value of an `authorization` header ("Bearer <key>"). UNAUTHENTICATED when the
  // header is missing, malformed or names no valid key.
  absl::StatusOr<Principal> Authenticate(std::optional<absl::string_view> authorization) const;

  absl::StatusOr<v1::CollectionInfo> CreateCollection(const Principal& principal,
                                                      const v1::CreateCollectionRequest& request);
  absl::Status DropCollection(const Principal& principal, const v1::DropCollectionRequest& request);
  absl::StatusOr<v1::ListCollectionsResponse> ListCollections(const Principal& principal) const;
  absl::StatusOr<v1::CollectionInfo> DescribeCollection(
      const Principal& principal, const v1::DescribeCollectionRequest& request) const;

  absl::StatusOr<v1::TenantInfo> CreateTenant(const Principal& principal,
                                              const v1::CreateTenantRequest& request);
  absl::Status DropTenant(const Principal& principal, const v1::DropTenantRequest& request);
  absl::StatusOr<v1::ListTenantsResponse> ListTenants(const Principal& principal,
                                                      const v1::ListTenantsRequest& request) const;

  absl::StatusOr<v1::CreateKeyResponse> CreateKey(const Principal& principal,
                                                  const v1::CreateKeyRequest& request);
  absl::StatusOr<v1::ListKeysResponse> ListKeys(const Principal& principal,
                                                const v1::ListKeysRequest& request) const;
  absl::Status RevokeKey(const Principal& principal, const v1::RevokeKeyRequest& request);

  // Writes a backup to the new directory request.path() while reads and writes continue: every
  // collection's index checkpoint, then a RocksDB checkpoint, DATA_DIR/admin.key if present and
  // a manifest (see backup.h). Every write acknowledged before the call is in the backup. One
  // backup runs at a time; a second call meanwhile gets FAILED_PRECONDITION. DEADLINE_EXCEEDED
  // when `deadline` passes before the backup is renamed into place; nothing is left at the path
  // after any error.
  absl::StatusOr<v1::BackupInfo> CreateBackup(const Principal& principal,
                                              const v1::CreateBackupRequest& request,
                                              absl::Time deadline);

  // Authorises a data call that acts as `tenant` of `collection` and returns the collection.
  // INVALID_ARGUMENT for malformed names, PERMISSION_DENIED for a tenant key outside its scope,
  // NOT_FOUND for an unknown collection (the tenant is checked by the Collection).
  absl::StatusOr<std::shared_ptr<Collection>> CollectionForData(const Principal& principal,
                                                                const std::string& collection,
                                                                const std::string& tenant) const;

 private:
  struct KeyEntry {
    storage::KeyRecord record;
    std::string collection;
    std::string tenant;
  };

  Database(storage::DataDirLock lock, std::unique_ptr<storage::Store> store,
           const DatabaseOptions& options);

  void MaintenanceLoop();
  std::vector<std::shared_ptr<Collection>> AllCollections() const;
  // The steps of CreateBackup after the checks. REQUIRES: this call registered the backup.
  absl::StatusOr<v1::BackupInfo> WriteBackup(const std::filesystem::path& target,
                                             absl::Time deadline);

  absl::Status Recover();
  absl::StatusOr<std::shared_ptr<Collection>> FindCollection(const std::string& name) const;
  std::vector<std::string> KeyIdsOf(storage::CollectionId collection,
                                    std::optional<storage::TenantId> tenant) const;

  const std::string data_dir_;
  storage::DataDirLock lock_;
  std::unique_ptr<storage::Store> store_;
  const storage::KeyHash admin_hash_;
  const absl::Duration maintenance_interval_;
  const absl::Duration checkpoint_interval_;
  bool closed_ = false;  // set by Close, which runs after the server stopped serving

  // The background maintenance thread and its stop signal. A standard condition variable, not
  // absl::Mutex::Await, so that ThreadSanitizer builds see the wait (Debian's Abseil is not
  // instrumented).
  std::mutex maintenance_mu_;
  std::condition_variable maintenance_wake_;
  bool stopping_ = false;  // guarded by maintenance_mu_
  std::thread maintenance_thread_;

  absl::Mutex admin_mu_;

  mutable absl::Mutex catalog_mu_;
  absl::btree_map<std::string, std::shared_ptr<Collection>> collections_
      ABSL_GUARDED_BY(catalog_mu_);
  storage::CollectionId next_collection_id_ ABSL_GUARDED_BY(catalog_mu_) = 1;

  mutable absl::Mutex keys_mu_;
  absl::btree_map<std::string, KeyEntry> keys_ ABSL_GUARDED_BY(keys_mu_);  // by key id

  absl::Mutex backup_mu_;
  std::optional<std::string> backup_in_progress_ ABSL_GUARDED_BY(backup_mu_);  // its target path
};

// The database that the gRPC services and the metrics read, published once recovery has
// finished, so that they can start before it. Publish and Get may run concurrently.
class DatabaseSlot {
 public:
  // REQUIRES: `database` outlives every call served after this.
  void Publish(Database* database) { database_.store(database, std::memory_order_release); }
  // Null until Publish.
  Database* Get() const { return database_.load(std::memory_order_acquire); }

 private:
  std::atomic<Database*> database_{nullptr};
};

// Returns PERMISSION_DENIED unless the principal is the admin.
absl::Status RequireAdmin(const Principal& principal);

}  // namespace arbor::server

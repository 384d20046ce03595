// A bounded, seeded stress test of one collection: writer threads upsert, delete, share and
// unshare their own vectors while searcher threads search, count, list and read, and a churn
// thread creates and drops a tenant. Every response is checked against invariants that hold at
// any moment. At the end the state read back through List and Get must match the writers'
// models, and Search must match a brute force over that state, before and after a re-open.
//
// Vectors encode who wrote them, so that a search hit can be checked without knowing the exact
// moment it was taken: writer w<i> writes [100 + 10 i, id, version, 0] with version in 0..15,
// searcher s<j> owns [-100 - 10 j, id, 0, 0] for ids 0..7, and the churn tenant writes
// [1000, id, 0, 0]. All coordinates are small integers, so squared distances are exact in float.
//
// The test is meant to run under ThreadSanitizer too: configure with -DARBOR_TSAN=ON.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <latch>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/database.h"
#include "tests/unit/server/test_support.h"

namespace arbor::server {
namespace {

using ::arbor::server::test_support::DataCalls;
using ::arbor::server::test_support::MakeCount;
using ::arbor::server::test_support::MakeDelete;
using ::arbor::server::test_support::MakeGet;
using ::arbor::server::test_support::MakeList;
using ::arbor::server::test_support::MakeSearch;
using ::arbor::server::test_support::MakeSearchBatch;
using ::arbor::server::test_support::MakeShare;
using ::arbor::server::test_support::MakeUnshare;
using ::arbor::server::test_support::MakeUpsert;
using ::arbor::server::test_support::ScopedTempDir;
using ::arbor::server::test_support::TestVector;

constexpr char kAdminKey[] = "stress-admin-key-0123456789";
constexpr char kCollection[] = "stress";
constexpr uint32_t kDimension = 4;

constexpr int kWriters = 3;
constexpr int kSearchers = 2;
constexpr uint64_t kIdsPerWriter = 32;
constexpr int kVersions = 16;
constexpr uint64_t kSearcherOwnVectors = 8;
constexpr uint64_t kChurnVectors = 5;
constexpr float kChurnMarker = 1000;

// Writers and the churn thread run fixed operation counts. Searchers run at least
// kMinSearcherOps and go on while any writer runs, up to kMaxSearcherOps, so that they overlap
// with the writes however the threads are scheduled.
constexpr int kWriterOps = 2000;
constexpr int kMinSearcherOps = 2000;
constexpr int kMaxSearcherOps = 200000;
constexpr int kChurnRounds = 150;
constexpr int kReauthenticateEvery = 50;

std::string WriterName(int i) { return absl::StrCat("w", i); }
std::string SearcherName(int j) { return absl::StrCat("s", j); }
constexpr char kChurnName[] = "churn";

float WriterMarker(int i) { return 100.0f + 10.0f * i; }
float SearcherMarker(int j) { return -100.0f - 10.0f * j; }

// Tenants each writer may share with. w0 shares only with another writer, so no searcher may
// ever see a vector of w0.
std::vector<std::string> AllowedReaders(int writer) {
  switch (writer) {
    case 0:
      return {"w1"};
    case 1:
      return {"s0"};
    default:
      return {"s0", "s1"};
  }
}

bool MayRead(int writer, const std::string& reader) {
  const std::vector<std::string> allowed = AllowedReaders(writer);
  return std::find(allowed.begin(), allowed.end(), reader) != allowed.end();
}

// The churn tenant shares its vectors with s1 only.
constexpr char kChurnReader[] = "s1";

float Square(float x) { return x * x; }

float L2(const std::vector<float>& a, const std::vector<float>& b) {
  float sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += Square(a[i] - b[i]);
  return sum;
}

// Collects invariant violations from all threads and keeps the first 20 messages.
class Violations {
 public:
  void Add(const std::string& message) {
    std::lock_guard<std::mutex> lock(mu_);
    ++count_;
    if (messages_.size() < 20) messages_.push_back(message);
  }

  int count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }

  std::string Describe() const {
    std::lock_guard<std::mutex> lock(mu_);
    return absl::StrJoin(messages_, "\n");
  }

 private:
  mutable std::mutex mu_;
  int count_ = 0;
  std::vector<std::string> messages_;
};

// The vectors of one writer's tenant as the writer tracks them. The model is exact because only
// that writer changes the tenant.
struct WriterModel {
  struct Entry {
    int version = 0;
    std::set<std::string> readers;
  };
  std::map<uint64_t, Entry> vectors;
};

std::vector<float> WriterVector(int writer, uint64_t id, int version) {
  return {WriterMarker(writer), static_cast<float>(id), static_cast<float>(version), 0};
}

class StressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OpenDatabase();
    v1::CreateCollectionRequest create;
    create.set_name(kCollection);
    create.set_dimension(kDimension);
    create.set_metric(v1::METRIC_L2);
    ASSERT_OK(database_->CreateCollection(admin_, create));

    std::vector<std::string> tenants = {kChurnName};
    for (int i = 0; i < kWriters; ++i) tenants.push_back(WriterName(i));
    for (int j = 0; j < kSearchers; ++j) tenants.push_back(SearcherName(j));
    for (const std::string& tenant : tenants) {
      v1::CreateTenantRequest request;
      request.set_collection(kCollection);
      request.set_tenant(tenant);
      ASSERT_OK(database_->CreateTenant(admin_, request));
      v1::CreateKeyRequest key_request;
      key_request.set_collection(kCollection);
      key_request.set_tenant(tenant);
      ASSERT_OK_AND_ASSIGN(v1::CreateKeyResponse key, database_->CreateKey(admin_, key_request));
      keys_[tenant] = key.key();
    }

    for (int j = 0; j < kSearchers; ++j) {
      std::vector<TestVector> own;
      for (uint64_t id = 0; id < kSearcherOwnVectors; ++id) {
        own.push_back({id, {SearcherMarker(j), static_cast<float>(id), 0, 0}});
      }
      ASSERT_OK(data_->Call(admin_, MakeUpsert(kCollection, SearcherName(j), own)));
    }
  }

  void TearDown() override {
    data_.reset();
    database_.reset();
  }

  void OpenDatabase() {
    absl::StatusOr<std::unique_ptr<Database>> database =
        Database::Open({dir_.path(), /*sync=*/false, kAdminKey});
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database);
    data_ = std::make_unique<DataCalls>(database_.get());
    admin_.admin = true;
  }

  // Returns the principal of `tenant`'s key. Records a violation and returns an empty principal
// when the key does not authenticate.
  Principal Authenticate(const std::string& tenant) {
    absl::StatusOr<Principal> principal =
        database_->Authenticate(absl::StrCat("Bearer ", keys_.at(tenant)));
    if (!principal.ok()) {
      violations_.Add(absl::StrCat("key of ", tenant, " failed: ", principal.status().ToString()));
      return Principal{};
    }
    return *principal;
  }

  void RunWriter(int writer);
  void RunSearcher(int searcher);
  void RunChurn();
  void CheckHits(int searcher, const std::vector<float>& query, int32_t k,
                 const v1::SearchResponse& response, const std::string& context);

  // The maximum number of vectors searcher number `searcher` can ever read.
  static uint64_t MaxReadable(int searcher) {
    uint64_t max = kSearcherOwnVectors;
    for (int i = 0; i < kWriters; ++i) {
      if (MayRead(i, SearcherName(searcher))) max += kIdsPerWriter;
    }
    if (SearcherName(searcher) == kChurnReader) max += kChurnVectors;
    return max;
  }

  ScopedTempDir dir_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<DataCalls> data_;
  Principal admin_;
  // Bearer key of each tenant, written only in SetUp.
  std::map<std::string, std::string> keys_;
  std::vector<WriterModel> models_ = std::vector<WriterModel>(kWriters);
  Violations violations_;
  // Releases all threads at once.
  std::latch start_{kWriters + kSearchers + 1};
  // Writer and churn threads that have not finished.
  std::atomic<int> writers_running_{kWriters + 1};
};

void StressTest::RunWriter(int writer) {
  const std::string name = WriterName(writer);
  const std::vector<std::string> allowed = AllowedReaders(writer);
  WriterModel& model = models_[writer];
  std::mt19937 rng(1000 + writer);
  std::uniform_int_distribution<uint64_t> any_id(0, kIdsPerWriter - 1);
  std::uniform_int_distribution<int> any_version(0, kVersions - 1);
  Principal principal;

  // Returns `count` distinct random ids, taken only from the ids in the model when `existing` is
  // set.
  auto pick_ids = [&](int count, bool existing) {
    std::vector<uint64_t> pool;
    if (existing) {
      for (const auto& [id, entry] : model.vectors) pool.push_back(id);
    } else {
      for (uint64_t id = 0; id < kIdsPerWriter; ++id) pool.push_back(id);
    }
    std::shuffle(pool.begin(), pool.end(), rng);
    pool.resize(std::min<size_t>(pool.size(), count));
    return pool;
  };
  auto pick_readers = [&] {
    std::vector<std::string> readers;
    while (readers.empty()) {
      for (const std::string& reader : allowed) {
        if (rng() % 2 == 0) readers.push_back(reader);
      }
    }
    return readers;
  };

  start_.arrive_and_wait();
  for (int op = 0; op < kWriterOps; ++op) {
    if (op % kReauthenticateEvery == 0) principal = Authenticate(name);
    const std::string context = absl::StrCat(name, " op ", op);
    const int dice = static_cast<int>(rng() % 100);

    if (dice < 40 || model.vectors.empty()) {
      const std::vector<uint64_t> ids = pick_ids(1 + static_cast<int>(rng() % 6), false);
      std::vector<TestVector> vectors;
      std::vector<int> versions;
      uint64_t inserted = 0;
      for (uint64_t id : ids) {
        versions.push_back(any_version(rng));
        vectors.push_back({id, WriterVector(writer, id, versions.back())});
        if (!model.vectors.contains(id)) ++inserted;
      }
      absl::StatusOr<v1::UpsertResponse> response =
          data_->Call(principal, MakeUpsert(kCollection, name, vectors));
      if (!response.ok()) {
        violations_.Add(absl::StrCat(context, " upsert failed: ", response.status().ToString()));
        continue;
      }
      if (response->inserted_count() != inserted ||
          response->updated_count() != ids.size() - inserted) {
        violations_.Add(absl::StrCat(context, " upsert counted ", response->ShortDebugString(),
                                     ", expected ", inserted, " inserted"));
      }
      for (size_t i = 0; i < ids.size(); ++i) model.vectors[ids[i]].version = versions[i];
    } else if (dice < 60) {
      const std::vector<uint64_t> ids = pick_ids(1 + static_cast<int>(rng() % 4), false);
      uint64_t existing = 0;
      for (uint64_t id : ids) existing += model.vectors.contains(id) ? 1 : 0;
      absl::StatusOr<v1::DeleteResponse> response =
          data_->Call(principal, MakeDelete(kCollection, name, ids));
      if (!response.ok()) {
        violations_.Add(absl::StrCat(context, " delete failed: ", response.status().ToString()));
        continue;
      }
      if (response->deleted_count() != existing) {
        violations_.Add(absl::StrCat(context, " deleted ", response->deleted_count(),
                                     ", expected ", existing));
      }
      for (uint64_t id : ids) model.vectors.erase(id);
    } else if (dice < 85) {
      const std::vector<uint64_t> ids = pick_ids(1 + static_cast<int>(rng() % 4), true);
      const std::vector<std::string> readers = pick_readers();
      uint64_t granted = 0;
      for (uint64_t id : ids) {
        for (const std::string& reader : readers) {
          granted += model.vectors[id].readers.contains(reader) ? 0 : 1;
        }
      }
      absl::StatusOr<v1::ShareResponse> response =
          data_->Call(principal, MakeShare(kCollection, name, ids, readers));
      if (!response.ok()) {
        violations_.Add(absl::StrCat(context, " share failed: ", response.status().ToString()));
        continue;
      }
      if (response->granted_count() != granted) {
        violations_.Add(absl::StrCat(context, " granted ", response->granted_count(),
                                     ", expected ", granted));
      }
      for (uint64_t id : ids) {
        for (const std::string& reader : readers) model.vectors[id].readers.insert(reader);
      }
    } else {
      const std::vector<uint64_t> ids = pick_ids(1 + static_cast<int>(rng() % 4), true);
      const std::vector<std::string> readers = pick_readers();
      uint64_t revoked = 0;
      for (uint64_t id : ids) {
        for (const std::string& reader : readers) {
          revoked += model.vectors[id].readers.contains(reader) ? 1 : 0;
        }
      }
      absl::StatusOr<v1::UnshareResponse> response =
          data_->Call(principal, MakeUnshare(kCollection, name, ids, readers));
      if (!response.ok()) {
        violations_.Add(absl::StrCat(context, " unshare failed: ", response.status().ToString()));
        continue;
      }
      if (response->revoked_count() != revoked) {
        violations_.Add(absl::StrCat(context, " revoked ", response->revoked_count(),
                                     ", expected ", revoked));
      }
      for (uint64_t id : ids) {
        for (const std::string& reader : readers) model.vectors[id].readers.erase(reader);
      }
    }

    // Only this thread writes this tenant, so a read of its own vectors is exact.
    if (op % 25 == 24) {
      std::vector<uint64_t> all_ids;
      for (uint64_t id = 0; id < kIdsPerWriter; ++id) all_ids.push_back(id);
      absl::StatusOr<v1::GetResponse> got =
          data_->Call(principal, MakeGet(kCollection, name, all_ids));
      if (!got.ok()) {
        violations_.Add(absl::StrCat(context, " get failed: ", got.status().ToString()));
        continue;
      }
      std::map<uint64_t, WriterModel::Entry> seen;
      for (const v1::Record& record : got->records()) {
        const std::vector<float> values(record.values().begin(), record.values().end());
        WriterModel::Entry entry;
        entry.version = static_cast<int>(values.size() == kDimension ? values[2] : -1);
        entry.readers.insert(record.shared_with().begin(), record.shared_with().end());
        if (values != WriterVector(writer, record.id(), entry.version)) entry.version = -1;
        seen[record.id()] = entry;
      }
      bool same = seen.size() == model.vectors.size();
      for (const auto& [id, entry] : model.vectors) {
        same = same && seen.contains(id) && seen[id].version == entry.version &&
               seen[id].readers == entry.readers;
      }
      if (!same) violations_.Add(absl::StrCat(context, " own vectors differ from the model"));
    }
  }
}

void StressTest::CheckHits(int searcher, const std::vector<float>& query, int32_t k,
                           const v1::SearchResponse& response, const std::string& context) {
  const std::string self = SearcherName(searcher);
  if (response.hits_size() > k) {
    violations_.Add(absl::StrCat(context, ": ", response.hits_size(), " hits for k=", k));
  }
  // The searcher's own vectors are never deleted, so at least min(k, 8) hits exist.
  if (static_cast<uint64_t>(response.hits_size()) <
      std::min<uint64_t>(k, kSearcherOwnVectors)) {
    violations_.Add(absl::StrCat(context, ": only ", response.hits_size(), " hits for k=", k));
  }

  std::set<std::pair<std::string, uint64_t>> unique;
  for (int h = 0; h < response.hits_size(); ++h) {
    const v1::Hit& hit = response.hits(h);
    const std::string where = absl::StrCat(context, " hit ", h, " (", hit.owner(), "/",
                                           hit.id(), " score ", hit.score(), ")");
    if (!unique.insert({hit.owner(), hit.id()}).second) violations_.Add(where + " repeats");
    if (h > 0) {
      const v1::Hit& previous = response.hits(h - 1);
      const bool ordered =
          previous.score() < hit.score() ||
          (previous.score() == hit.score() &&
           std::make_pair(previous.owner(), previous.id()) < std::make_pair(hit.owner(), hit.id()));
      if (!ordered) violations_.Add(where + " is out of order");
    }

    if (hit.owner() == self) {
      const std::vector<float> own = {SearcherMarker(searcher), static_cast<float>(hit.id()), 0,
                                      0};
      if (hit.id() >= kSearcherOwnVectors || hit.score() != L2(query, own)) {
        violations_.Add(where + " is not one of the searcher's own vectors");
      }
      continue;
    }
    if (hit.owner() == kChurnName) {
      const std::vector<float> churn = {kChurnMarker, static_cast<float>(hit.id()), 0, 0};
      if (self != kChurnReader || hit.id() >= kChurnVectors || hit.score() != L2(query, churn)) {
        violations_.Add(where + " is a churn vector this searcher may not read");
      }
      continue;
    }
    int writer = -1;
    for (int i = 0; i < kWriters; ++i) {
      if (hit.owner() == WriterName(i)) writer = i;
    }
    if (writer < 0 || !MayRead(writer, self) || hit.id() >= kIdsPerWriter) {
      violations_.Add(where + " is not readable by " + self);
      continue;
    }
    // The score must be the distance to some version the writer wrote.
    bool matches = false;
    for (int version = 0; version < kVersions && !matches; ++version) {
      matches = hit.score() == L2(query, WriterVector(writer, hit.id(), version));
    }
    if (!matches) violations_.Add(where + " matches no vector the writer wrote");
  }
}

void StressTest::RunSearcher(int searcher) {
  const std::string name = SearcherName(searcher);
  std::mt19937 rng(2000 + searcher);
  Principal principal;

  auto random_query = [&] {
    // Near the writers' markers or the searcher's own, with small integer coordinates.
    std::vector<int> markers = {-120, -110, -100, 0, 100, 110, 120, 1000};
    return std::vector<float>{static_cast<float>(markers[rng() % markers.size()] +
                                                 static_cast<int>(rng() % 11) - 5),
                              static_cast<float>(rng() % 34), static_cast<float>(rng() % 17),
                              static_cast<float>(static_cast<int>(rng() % 5) - 2)};
  };

  start_.arrive_and_wait();
  for (int op = 0; op < kMaxSearcherOps && (op < kMinSearcherOps || writers_running_.load() > 0);
       ++op) {
    if (op % kReauthenticateEvery == 0) principal = Authenticate(name);
    const std::string context = absl::StrCat(name, " op ", op);
    const int dice = static_cast<int>(rng() % 100);

    if (dice < 55) {
      const std::vector<float> query = random_query();
      const int32_t k = 1 + static_cast<int32_t>(rng() % 40);
      absl::StatusOr<v1::SearchResponse> response =
          data_->Call(principal, MakeSearch(kCollection, name, query, k));
      if (!response.ok()) {
        violations_.Add(absl::StrCat(context, " search failed: ", response.status().ToString()));
        continue;
      }
      CheckHits(searcher, query, k, *response, context);
    } else if (dice < 70) {
      std::vector<std::vector<float>> queries(1 + rng() % 4);
      for (auto& query : queries) query = random_query();
      const int32_t k = 1 + static_cast<int32_t>(rng() % 40);
      absl::StatusOr<v1::SearchBatchResponse> response =
          data_->Call(principal, MakeSearchBatch(kCollection, name, queries, k));
      if (!response.ok()) {
        violations_.Add(
            absl::StrCat(context, " search batch failed: ", response.status().ToString()));
        continue;
      }
      if (static_cast<size_t>(response->results_size()) != queries.size()) {
        violations_.Add(absl::StrCat(context, " search batch returned ",
                                     response->results_size(), " results"));
        continue;
      }
      for (size_t q = 0; q < queries.size(); ++q) {
        CheckHits(searcher, queries[q], k, response->results(q),
                  absl::StrCat(context, " query ", q));
      }
    } else if (dice < 80) {
      absl::StatusOr<v1::CountResponse> response =
          data_->Call(principal, MakeCount(kCollection, name));
      if (!response.ok()) {
        violations_.Add(absl::StrCat(context, " count failed: ", response.status().ToString()));
        continue;
      }
      if (response->count() < kSearcherOwnVectors || response->count() > MaxReadable(searcher)) {
        violations_.Add(absl::StrCat(context, " count ", response->count(), " outside [",
                                     kSearcherOwnVectors, ", ", MaxReadable(searcher), "]"));
      }
    } else if (dice < 90) {
      const int writer = static_cast<int>(rng() % kWriters);
      std::vector<uint64_t> ids;
      for (uint64_t id = 0; id < kIdsPerWriter; ++id) ids.push_back(id);
      absl::StatusOr<v1::GetResponse> response =
          data_->Call(principal, MakeGet(kCollection, name, ids, WriterName(writer)));
      if (!response.ok()) {
        violations_.Add(absl::StrCat(context, " get failed: ", response.status().ToString()));
        continue;
      }
      if (!MayRead(writer, name) && response->records_size() > 0) {
        violations_.Add(absl::StrCat(context, " read ", response->records_size(),
                                     " vectors of ", WriterName(writer)));
      }
      for (const v1::Record& record : response->records()) {
        const std::vector<float> values(record.values().begin(), record.values().end());
        const int version = values.size() == kDimension ? static_cast<int>(values[2]) : -1;
        if (record.owner() != WriterName(writer) || version < 0 || version >= kVersions ||
            values != WriterVector(writer, record.id(), version) ||
            record.shared_with_size() != 0) {
          violations_.Add(absl::StrCat(context, " got unexpected record ",
                                       record.ShortDebugString()));
        }
      }
    } else {
      absl::StatusOr<v1::ListResponse> response =
          data_->Call(principal, MakeList(kCollection, name, 10000));
      if (!response.ok()) {
        violations_.Add(absl::StrCat(context, " list failed: ", response.status().ToString()));
        continue;
      }
      const auto& refs = response->vectors();
      if (static_cast<uint64_t>(refs.size()) > MaxReadable(searcher) ||
          static_cast<uint64_t>(refs.size()) < kSearcherOwnVectors) {
        violations_.Add(absl::StrCat(context, " listed ", refs.size(), " vectors"));
      }
      for (int r = 0; r < refs.size(); ++r) {
        const std::string& owner = refs[r].owner();
        bool allowed = owner == name || (owner == kChurnName && name == kChurnReader);
        for (int i = 0; i < kWriters; ++i) {
          allowed = allowed || (owner == WriterName(i) && MayRead(i, name));
        }
        if (!allowed) violations_.Add(absl::StrCat(context, " listed a vector of ", owner));
        if (r > 0 && !(std::make_pair(refs[r - 1].owner(), refs[r - 1].id()) <
                       std::make_pair(refs[r].owner(), refs[r].id()))) {
          violations_.Add(absl::StrCat(context, " list is not sorted at ", r));
        }
      }
    }
  }
}

// Creates the churn tenant, fills and shares it, checks it, and drops it again, while the
// other threads run. A re-created tenant must start empty and the old key must stay invalid.
void StressTest::RunChurn() {
  std::vector<TestVector> vectors;
  std::vector<uint64_t> ids;
  for (uint64_t id = 0; id < kChurnVectors; ++id) {
    vectors.push_back({id, {kChurnMarker, static_cast<float>(id), 0, 0}});
    ids.push_back(id);
  }
  v1::CreateTenantRequest create;
  create.set_collection(kCollection);
  create.set_tenant(kChurnName);
  v1::DropTenantRequest drop;
  drop.set_collection(kCollection);
  drop.set_tenant(kChurnName);
  v1::ListTenantsRequest list_tenants;
  list_tenants.set_collection(kCollection);
  v1::DescribeCollectionRequest describe;
  describe.set_name(kCollection);
  v1::CreateKeyRequest create_key;
  create_key.set_collection(kCollection);
  create_key.set_tenant(kChurnName);

  std::string old_key;
  start_.arrive_and_wait();
  for (int round = 0; round < kChurnRounds; ++round) {
    const std::string context = absl::StrCat("churn round ", round);
    if (round > 0) {
      // SetUp created the tenant for round 0.
      absl::StatusOr<v1::TenantInfo> created = database_->CreateTenant(admin_, create);
      if (!created.ok() || created->owned_count() != 0 || created->readable_count() != 0) {
        violations_.Add(absl::StrCat(context, " create: ",
                                     created.ok() ? created->ShortDebugString()
                                                  : created.status().ToString()));
        continue;
      }
    }
    absl::StatusOr<v1::CreateKeyResponse> key = database_->CreateKey(admin_, create_key);
    if (!key.ok()) {
      violations_.Add(absl::StrCat(context, " create key: ", key.status().ToString()));
      continue;
    }
    absl::StatusOr<Principal> principal =
        database_->Authenticate(absl::StrCat("Bearer ", key->key()));
    if (!principal.ok()) {
      violations_.Add(absl::StrCat(context, " new key: ", principal.status().ToString()));
      continue;
    }
    if (!old_key.empty() && database_->Authenticate(absl::StrCat("Bearer ", old_key)).ok()) {
      violations_.Add(absl::StrCat(context, " the key of the dropped tenant still works"));
    }
    old_key = key->key();

    absl::StatusOr<v1::CountResponse> empty =
        data_->Call(*principal, MakeCount(kCollection, kChurnName));
    if (!empty.ok() || empty->count() != 0) {
      violations_.Add(absl::StrCat(context, " re-created tenant is not empty"));
    }
    if (!data_->Call(*principal, MakeUpsert(kCollection, kChurnName, vectors)).ok() ||
        !data_->Call(*principal, MakeShare(kCollection, kChurnName, ids, {kChurnReader})).ok()) {
      violations_.Add(absl::StrCat(context, " upsert or share failed"));
    }
    absl::StatusOr<v1::SearchResponse> hits = data_->Call(
        *principal, MakeSearch(kCollection, kChurnName, {kChurnMarker, 0, 0, 0}, 100));
    if (!hits.ok() || hits->hits_size() != static_cast<int>(kChurnVectors)) {
      violations_.Add(absl::StrCat(context, " search of own vectors failed"));
    } else {
      for (const v1::Hit& hit : hits->hits()) {
        if (hit.owner() != kChurnName) {
          violations_.Add(absl::StrCat(context, " churn sees a vector of ", hit.owner()));
        }
      }
    }
    if (!database_->ListTenants(admin_, list_tenants).ok() ||
        !database_->DescribeCollection(admin_, describe).ok()) {
      violations_.Add(absl::StrCat(context, " admin reads failed"));
    }
    // What a /metrics scrape reads, while the writers and searchers run.
    if (database_->Stats().collections.size() != 1 || !database_->StoreStats().ok()) {
      violations_.Add(absl::StrCat(context, " monitoring reads failed"));
    }

    const absl::Status dropped = database_->DropTenant(admin_, drop);
    if (!dropped.ok()) {
      violations_.Add(absl::StrCat(context, " drop: ", dropped.ToString()));
      continue;
    }
    if (data_->Call(admin_, MakeCount(kCollection, kChurnName)).status().code() !=
        absl::StatusCode::kNotFound) {
      violations_.Add(absl::StrCat(context, " dropped tenant still counts"));
    }
  }
}

// The readable state of a searcher as the API reports it: (owner, id) -> values.
using ReadableState = std::map<std::pair<std::string, uint64_t>, std::vector<float>>;

TEST_F(StressTest, ConcurrentWritesKeepInvariants) {
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([this, i] {
      RunWriter(i);
      writers_running_.fetch_sub(1);
    });
  }
  for (int j = 0; j < kSearchers; ++j) threads.emplace_back([this, j] { RunSearcher(j); });
  threads.emplace_back([this] {
    RunChurn();
    writers_running_.fetch_sub(1);
  });
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(violations_.count(), 0) << violations_.Describe();

  // What each searcher should read now, from the writers' models.
  std::vector<ReadableState> expected(kSearchers);
  for (int j = 0; j < kSearchers; ++j) {
    for (uint64_t id = 0; id < kSearcherOwnVectors; ++id) {
      expected[j][{SearcherName(j), id}] = {SearcherMarker(j), static_cast<float>(id), 0, 0};
    }
    for (int i = 0; i < kWriters; ++i) {
      for (const auto& [id, entry] : models_[i].vectors) {
        if (entry.readers.contains(SearcherName(j))) {
          expected[j][{WriterName(i), id}] = WriterVector(i, id, entry.version);
        }
      }
    }
  }

  // Reconstructs the state through List (in small pages) and Get, then compares Search with a
  // brute force over it. Runs before and after a re-open.
  auto check_final_state = [&](const std::string& label) {
    SCOPED_TRACE(label);
    for (int j = 0; j < kSearchers; ++j) {
      SCOPED_TRACE(SearcherName(j));
      const std::string name = SearcherName(j);
      std::map<std::string, std::vector<uint64_t>> ids_by_owner;
      std::string token;
      do {
        ASSERT_OK_AND_ASSIGN(v1::ListResponse page,
                             data_->Call(admin_, MakeList(kCollection, name, 7, token)));
        for (const v1::VectorRef& ref : page.vectors()) {
          ids_by_owner[ref.owner()].push_back(ref.id());
        }
        token = page.next_page_token();
      } while (!token.empty());

      ReadableState actual;
      for (const auto& [owner, ids] : ids_by_owner) {
        ASSERT_OK_AND_ASSIGN(v1::GetResponse got,
                             data_->Call(admin_, MakeGet(kCollection, name, ids, owner)));
        for (const v1::Record& record : got.records()) {
          actual[{record.owner(), record.id()}] =
              std::vector<float>(record.values().begin(), record.values().end());
        }
      }
      EXPECT_EQ(actual, expected[j]);
      ASSERT_OK_AND_ASSIGN(v1::CountResponse count,
                           data_->Call(admin_, MakeCount(kCollection, name)));
      EXPECT_EQ(count.count(), actual.size());

      std::mt19937 rng(3000 + j);
      for (int q = 0; q < 20; ++q) {
        const std::vector<float> query = {static_cast<float>(static_cast<int>(rng() % 260) - 130),
                                          static_cast<float>(rng() % 34),
                                          static_cast<float>(rng() % 17), 0};
        const int32_t k = std::vector<int32_t>{1, 5, 17, 100}[q % 4];
        std::vector<std::tuple<float, std::string, uint64_t>> brute;
        for (const auto& [key, values] : actual) {
          brute.emplace_back(L2(query, values), key.first, key.second);
        }
        std::sort(brute.begin(), brute.end());
        brute.resize(std::min<size_t>(brute.size(), k));

        ASSERT_OK_AND_ASSIGN(v1::SearchResponse response,
                             data_->Call(admin_, MakeSearch(kCollection, name, query, k)));
        std::vector<std::tuple<float, std::string, uint64_t>> found;
        for (const v1::Hit& hit : response.hits()) {
          found.emplace_back(hit.score(), hit.owner(), hit.id());
        }
        EXPECT_EQ(found, brute) << "query " << q << " k=" << k;
      }
    }

    // Each writer's own view, including access lists, matches its model.
    for (int i = 0; i < kWriters; ++i) {
      std::vector<uint64_t> all_ids;
      for (uint64_t id = 0; id < kIdsPerWriter; ++id) all_ids.push_back(id);
      ASSERT_OK_AND_ASSIGN(v1::GetResponse got,
                           data_->Call(admin_, MakeGet(kCollection, WriterName(i), all_ids)));
      std::map<uint64_t, std::pair<std::vector<float>, std::set<std::string>>> actual;
      for (const v1::Record& record : got.records()) {
        actual[record.id()] = {std::vector<float>(record.values().begin(), record.values().end()),
                               std::set<std::string>(record.shared_with().begin(),
                                                     record.shared_with().end())};
      }
      std::map<uint64_t, std::pair<std::vector<float>, std::set<std::string>>> want;
      for (const auto& [id, entry] : models_[i].vectors) {
        want[id] = {WriterVector(i, id, entry.version), entry.readers};
      }
      EXPECT_EQ(actual, want) << WriterName(i);
    }

    v1::DescribeCollectionRequest describe;
    describe.set_name(kCollection);
    ASSERT_OK_AND_ASSIGN(v1::CollectionInfo info, database_->DescribeCollection(admin_, describe));
    uint64_t vectors = kSearchers * kSearcherOwnVectors;
    for (const WriterModel& model : models_) vectors += model.vectors.size();
    EXPECT_EQ(info.vector_count(), vectors);
    EXPECT_EQ(info.tenant_count(), static_cast<uint64_t>(kWriters + kSearchers));
  };

  check_final_state("after the threads finished");
  data_.reset();
  database_.reset();
  OpenDatabase();
  check_final_state("after a re-open");
}

// A reader must never receive values that the owner wrote while the reader had no access. The
// owner "a" alternates between a public version of vector 1 (first value >= 0, shared with "b")
// and a secret one (first value < 0, never shared). The secret version follows a revocation,
// which is an Unshare in even rounds and a Delete in odd rounds. Reader "b" reads vector 1 with
// Get and Search the whole time.
TEST(StressRevokeTest, ReaderNeverSeesValuesWrittenAfterRevocation) {
  constexpr int kRounds = 10000;
  const ScopedTempDir dir;
  absl::StatusOr<std::unique_ptr<Database>> opened =
      Database::Open({dir.path(), /*sync=*/false, kAdminKey});
  ASSERT_TRUE(opened.ok()) << opened.status();
  const std::unique_ptr<Database> database = std::move(*opened);
  const DataCalls data(database.get());
  Principal admin;
  admin.admin = true;

  v1::CreateCollectionRequest create;
  create.set_name("revoke");
  create.set_dimension(2);
  create.set_metric(v1::METRIC_L2);
  ASSERT_OK(database->CreateCollection(admin, create));
  for (const char* tenant : {"a", "b"}) {
    v1::CreateTenantRequest request;
    request.set_collection("revoke");
    request.set_tenant(tenant);
    ASSERT_OK(database->CreateTenant(admin, request));
  }

  std::atomic<bool> done{false};
  std::atomic<int> public_reads{0};
  std::atomic<int> get_leaks_after_unshare{0};
  std::atomic<int> get_leaks_after_delete{0};
  std::atomic<int> search_leaks{0};
  // The first leaked record after each kind of revocation, written by the reader thread and
  // read after it joined.
  std::string first_leak_after_unshare;
  std::string first_leak_after_delete;
  std::thread reader([&] {
    while (!done.load()) {
      absl::StatusOr<v1::GetResponse> got =
          data.Call(admin, MakeGet("revoke", "b", {1}, /*owner=*/"a"));
      if (got.ok() && got->records_size() == 1) {
        const float first = got->records(0).values(0);
        if (first >= 0) {
          public_reads.fetch_add(1);
        } else {
          // The secret version -1 - round follows an Unshare when the round is even.
          const bool after_unshare = static_cast<int>(-1 - first) % 2 == 0;
          std::atomic<int>& leaks = after_unshare ? get_leaks_after_unshare : get_leaks_after_delete;
          std::string& first_leak =
              after_unshare ? first_leak_after_unshare : first_leak_after_delete;
          if (leaks.fetch_add(1) == 0) first_leak = got->records(0).ShortDebugString();
        }
      }
      absl::StatusOr<v1::SearchResponse> hits =
          data.Call(admin, MakeSearch("revoke", "b", {-1000, 0}, 5));
      if (hits.ok()) {
        for (const v1::Hit& hit : hits->hits()) {
          // A public version is at least 1000 away from the query in the first coordinate.
          if (hit.owner() == "a" && hit.score() < 1000.0f * 1000.0f) search_leaks.fetch_add(1);
        }
      }
    }
  });

  for (int round = 0; round < kRounds; ++round) {
    const float step = static_cast<float>(round);
    ASSERT_OK(data.Call(admin, MakeUpsert("revoke", "a", {{1, {step, 0}}})));
    ASSERT_OK(data.Call(admin, MakeShare("revoke", "a", {1}, {"b"})));
    if (round % 2 == 0) {
      ASSERT_OK(data.Call(admin, MakeUnshare("revoke", "a", {1}, {"b"})));
    } else {
      ASSERT_OK(data.Call(admin, MakeDelete("revoke", "a", {1})));
    }
    ASSERT_OK(data.Call(admin, MakeUpsert("revoke", "a", {{1, {-1 - step, 0}}})));
  }
  done.store(true);
  reader.join();

  EXPECT_GT(public_reads.load(), 0) << "the reader never overlapped with a shared version";
  EXPECT_EQ(get_leaks_after_unshare.load(), 0)
      << "Get returned values written after an Unshare, first: " << first_leak_after_unshare;
  EXPECT_EQ(get_leaks_after_delete.load(), 0)
      << "Get returned values of a vector re-created after a Delete, first: "
      << first_leak_after_delete;
  EXPECT_EQ(search_leaks.load(), 0);
}

}  // namespace
}  // namespace arbor::server

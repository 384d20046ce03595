// In-process tests of Database and Collection without gRPC: input checks, authorization,
// the semantics of data calls, persistence across a re-open, and paging.
#include "server/database.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/validation.h"
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
using ::arbor::server::test_support::StatusOf;
using ::arbor::server::test_support::TestVector;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kAdminKey[] = "test-admin-key-0123456789";
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

std::string Bearer(const std::string& key) { return absl::StrCat("Bearer ", key); }

// (owner, id) of each hit, in order.
std::vector<std::pair<std::string, uint64_t>> HitKeys(const v1::SearchResponse& response) {
  std::vector<std::pair<std::string, uint64_t>> keys;
  for (const v1::Hit& hit : response.hits()) keys.emplace_back(hit.owner(), hit.id());
  return keys;
}

std::vector<std::pair<std::string, uint64_t>> RefKeys(
    const google::protobuf::RepeatedPtrField<v1::VectorRef>& refs) {
  std::vector<std::pair<std::string, uint64_t>> keys;
  for (const v1::VectorRef& ref : refs) keys.emplace_back(ref.owner(), ref.id());
  return keys;
}

std::vector<float> Values(const v1::Record& record) {
  return std::vector<float>(record.values().begin(), record.values().end());
}

// One request that must be rejected: the status code, words its message must contain, and
// the call.
struct BadInput {
  std::string name;
  absl::StatusCode code;
  std::vector<std::string> message_parts;
  std::function<absl::Status()> call;
};

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void TearDown() override { database_.reset(); }

  void Open() {
    absl::StatusOr<std::unique_ptr<Database>> database =
        Database::Open({dir_.path(), /*sync=*/false, kAdminKey});
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database);
    data_ = std::make_unique<DataCalls>(database_.get());
    absl::StatusOr<Principal> admin = database_->Authenticate(Bearer(kAdminKey));
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_ = *admin;
  }

  // Destroys the Database (which closes RocksDB and releases the directory lock) and opens it
  // again on the same directory.
  void Reopen() {
    data_.reset();
    database_.reset();
    Open();
  }

  absl::StatusOr<v1::CollectionInfo> CreateCollection(const std::string& name,
                                                      uint32_t dimension, v1::Metric metric) {
    v1::CreateCollectionRequest request;
    request.set_name(name);
    request.set_dimension(dimension);
    request.set_metric(metric);
    return database_->CreateCollection(admin_, request);
  }

  absl::StatusOr<v1::TenantInfo> CreateTenant(const std::string& collection,
                                              const std::string& tenant) {
    v1::CreateTenantRequest request;
    request.set_collection(collection);
    request.set_tenant(tenant);
    return database_->CreateTenant(admin_, request);
  }

  absl::Status DropTenant(const std::string& collection, const std::string& tenant) {
    v1::DropTenantRequest request;
    request.set_collection(collection);
    request.set_tenant(tenant);
    return database_->DropTenant(admin_, request);
  }

  absl::Status DropCollection(const std::string& name) {
    v1::DropCollectionRequest request;
    request.set_name(name);
    return database_->DropCollection(admin_, request);
  }

  absl::StatusOr<v1::CollectionInfo> Describe(const std::string& name) {
    v1::DescribeCollectionRequest request;
    request.set_name(name);
    return database_->DescribeCollection(admin_, request);
  }

  absl::StatusOr<v1::CreateKeyResponse> CreateKey(const std::string& collection,
                                                  const std::string& tenant) {
    v1::CreateKeyRequest request;
    request.set_collection(collection);
    request.set_tenant(tenant);
    return database_->CreateKey(admin_, request);
  }

  absl::Status RevokeKey(const std::string& collection, const std::string& key_id) {
    v1::RevokeKeyRequest request;
    request.set_collection(collection);
    request.set_key_id(key_id);
    return database_->RevokeKey(admin_, request);
  }

  absl::StatusOr<Principal> Login(const std::string& key) {
    return database_->Authenticate(Bearer(key));
  }

  // The Count of `tenant`, or UINT64_MAX after recording a failure when the call fails.
  uint64_t CountOf(const std::string& collection, const std::string& tenant) {
    absl::StatusOr<v1::CountResponse> response =
        data_->Call(admin_, MakeCount(collection, tenant));
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->count() : std::numeric_limits<uint64_t>::max();
  }

  // A data call as the admin.
  template <typename Request>
  auto Admin(const Request& request) {
    return data_->Call(admin_, request);
  }

  // A data call as `principal`.
  template <typename Request>
  auto As(const Principal& principal, const Request& request) {
    return data_->Call(principal, request);
  }

  // Every (owner, id) the tenant may read, walking all pages of List.
  std::vector<std::pair<std::string, uint64_t>> ListAll(const std::string& collection,
                                                        const std::string& tenant,
                                                        uint32_t page_size = 0) {
    std::vector<std::pair<std::string, uint64_t>> all;
    std::string token;
    for (int page = 0; page < 100000; ++page) {
      absl::StatusOr<v1::ListResponse> response =
          Admin(MakeList(collection, tenant, page_size, token));
      EXPECT_TRUE(response.ok()) << response.status();
      if (!response.ok()) break;
      for (const auto& key : RefKeys(response->vectors())) all.push_back(key);
      token = response->next_page_token();
      if (token.empty()) break;
    }
    return all;
  }

  // Every tenant name of the collection, walking all pages of ListTenants.
  std::vector<v1::TenantInfo> ListAllTenants(const std::string& collection,
                                             uint32_t page_size = kMaxTenantPage) {
    std::vector<v1::TenantInfo> all;
    v1::ListTenantsRequest request;
    request.set_collection(collection);
    request.set_page_size(page_size);
    for (int page = 0; page < 100000; ++page) {
      absl::StatusOr<v1::ListTenantsResponse> response =
          database_->ListTenants(admin_, request);
      EXPECT_TRUE(response.ok()) << response.status();
      if (!response.ok()) break;
      for (const v1::TenantInfo& tenant : response->tenants()) all.push_back(tenant);
      if (response->next_page_token().empty()) break;
      request.set_page_token(response->next_page_token());
    }
    return all;
  }

  // A text description of everything the admin can observe through the API (collections,
  // tenants, counts, every readable vector with its values and access list, keys), so that
  // comparing two snapshots shows whether a call changed anything. The on-disk byte estimate
  // is left out because RocksDB may change it on its own.
  std::string Snapshot() {
    std::string out;
    absl::StatusOr<v1::ListCollectionsResponse> collections = database_->ListCollections(admin_);
    if (!collections.ok()) return collections.status().ToString();
    for (const v1::CollectionInfo& info : collections->collections()) {
      absl::StrAppend(&out, "collection ", info.name(), " dimension ", info.dimension(),
                      " metric ", info.metric(), " vectors ", info.vector_count(), " tenants ",
                      info.tenant_count(), " created ", info.created_unix_ms(), "\n");
      for (const v1::TenantInfo& tenant : ListAllTenants(info.name())) {
        absl::StrAppend(&out, "  tenant ", tenant.name(), " owned ", tenant.owned_count(),
                        " readable ", tenant.readable_count(), " created ",
                        tenant.created_unix_ms(), "\n");
        absl::StatusOr<v1::CountResponse> count = Admin(MakeCount(info.name(), tenant.name()));
        absl::StrAppend(&out, "    count ",
                        count.ok() ? absl::StrCat(count->count()) : count.status().ToString(),
                        "\n");
        for (const auto& [owner, id] : ListAll(info.name(), tenant.name())) {
          absl::StatusOr<v1::GetResponse> got = Admin(MakeGet(info.name(), tenant.name(), {id},
                                                              owner));
          absl::StrAppend(&out, "    ", owner, "/", id, ": ",
                          got.ok() ? got->ShortDebugString() : got.status().ToString(), "\n");
        }
      }
      v1::ListKeysRequest keys_request;
      keys_request.set_collection(info.name());
      absl::StatusOr<v1::ListKeysResponse> keys = database_->ListKeys(admin_, keys_request);
      absl::StrAppend(&out, "  keys ",
                      keys.ok() ? keys->ShortDebugString() : keys.status().ToString(), "\n");
    }
    return out;
  }

  // Runs each case and checks its status code, its message and that the database did not
  // change.
  void ExpectRejected(const std::vector<BadInput>& cases) {
    for (const BadInput& bad : cases) {
      SCOPED_TRACE(bad.name);
      const std::string before = Snapshot();
      const absl::Status status = bad.call();
      EXPECT_EQ(status.code(), bad.code) << status;
      for (const std::string& part : bad.message_parts) {
        EXPECT_THAT(status.message(), HasSubstr(part));
      }
      EXPECT_EQ(Snapshot(), before) << "a rejected request changed the database";
    }
  }

  // Creates collection "fm" (dimension 3, l2) with tenants a, b and c, and collection "cos"
  // (dimension 2, cosine) with tenant a. In fm, a owns 1, 2 and 3 and shares 1 with b, and b
  // owns 1. One key exists, for fm/a.
  void CreateSampleData() {
    ASSERT_OK(CreateCollection("fm", 3, v1::METRIC_L2));
    ASSERT_OK(CreateCollection("cos", 2, v1::METRIC_COSINE));
    for (const char* tenant : {"a", "b", "c"}) ASSERT_OK(CreateTenant("fm", tenant));
    ASSERT_OK(CreateTenant("cos", "a"));
    ASSERT_OK(Admin(MakeUpsert("fm", "a", {{1, {1, 0, 0}}, {2, {0, 1, 0}}, {3, {0, 0, 1}}})));
    ASSERT_OK(Admin(MakeUpsert("fm", "b", {{1, {5, 5, 5}}})));
    ASSERT_OK(Admin(MakeShare("fm", "a", {1}, {"b"})));
    ASSERT_OK(Admin(MakeUpsert("cos", "a", {{1, {1, 0}}})));
    ASSERT_OK(CreateKey("fm", "a"));
  }

  ScopedTempDir dir_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<DataCalls> data_;
  Principal admin_;
};

// ---------------------------------------------------------------------------------------------
// Rejected input: each case checks the code, that the message names the field, and that the
// database did not change.

TEST_F(DatabaseTest, RejectsDimensionMismatch) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ExpectRejected({
      {"upsert with too few values", absl::StatusCode::kInvalidArgument,
       {"vectors[1].values", "2 values", "dimension is 3"},
       [&] { return StatusOf(Admin(MakeUpsert("fm", "a", {{7, {1, 2, 3}}, {8, {1, 2}}}))); }},
      {"upsert with too many values", absl::StatusCode::kInvalidArgument,
       {"vectors[0].values", "4 values"},
       [&] { return StatusOf(Admin(MakeUpsert("fm", "a", {{7, {1, 2, 3, 4}}}))); }},
      {"upsert with no values", absl::StatusCode::kInvalidArgument,
       {"vectors[0].values", "0 values"},
       [&] { return StatusOf(Admin(MakeUpsert("fm", "a", {{7, {}}}))); }},
      {"search", absl::StatusCode::kInvalidArgument, {"query", "2 values"},
       [&] { return StatusOf(Admin(MakeSearch("fm", "a", {1, 2}, 5))); }},
      {"search batch", absl::StatusCode::kInvalidArgument, {"queries[1].values", "4 values"},
       [&] {
         return StatusOf(Admin(MakeSearchBatch("fm", "a", {{1, 2, 3}, {1, 2, 3, 4}}, 5)));
       }},
  });
}

TEST_F(DatabaseTest, RejectsNonFiniteValues) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  std::vector<BadInput> cases;
  for (const auto& [label, value] :
       std::vector<std::pair<std::string, float>>{{"NaN", kNaN}, {"+Inf", kInf}, {"-Inf", -kInf}}) {
    cases.push_back({"upsert " + label, absl::StatusCode::kInvalidArgument,
                     {"vectors[1].values[2]", "finite"}, [&, value = value] {
                       return StatusOf(
                           Admin(MakeUpsert("fm", "a", {{7, {1, 2, 3}}, {8, {1, 2, value}}})));
                     }});
    cases.push_back({"search " + label, absl::StatusCode::kInvalidArgument,
                     {"query[0]", "finite"}, [&, value = value] {
                       return StatusOf(Admin(MakeSearch("fm", "a", {value, 0, 0}, 5)));
                     }});
    cases.push_back({"search batch " + label, absl::StatusCode::kInvalidArgument,
                     {"queries[1].values[1]", "finite"}, [&, value = value] {
                       return StatusOf(
                           Admin(MakeSearchBatch("fm", "a", {{0, 0, 0}, {0, value, 0}}, 5)));
                     }});
    cases.push_back({"cosine upsert " + label, absl::StatusCode::kInvalidArgument,
                     {"vectors[0].values[0]", "finite"}, [&, value = value] {
                       return StatusOf(Admin(MakeUpsert("cos", "a", {{9, {value, 1}}})));
                     }});
  }
  ExpectRejected(cases);
}

TEST_F(DatabaseTest, RejectsZeroVectorUnderCosine) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ExpectRejected({
      {"upsert", absl::StatusCode::kInvalidArgument, {"vectors[1].values", "zero vector"},
       [&] { return StatusOf(Admin(MakeUpsert("cos", "a", {{7, {1, 1}}, {8, {0, 0}}}))); }},
      {"upsert negative zero", absl::StatusCode::kInvalidArgument,
       {"vectors[0].values", "zero vector"},
       [&] { return StatusOf(Admin(MakeUpsert("cos", "a", {{7, {-0.0f, 0}}}))); }},
      {"search", absl::StatusCode::kInvalidArgument, {"query", "zero vector"},
       [&] { return StatusOf(Admin(MakeSearch("cos", "a", {0, 0}, 5))); }},
      {"search batch", absl::StatusCode::kInvalidArgument, {"queries[0].values", "zero vector"},
       [&] { return StatusOf(Admin(MakeSearchBatch("cos", "a", {{0, 0}, {1, 0}}, 5))); }},
  });
}

TEST_F(DatabaseTest, AcceptsZeroVectorUnderL2) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK(Admin(MakeUpsert("fm", "c", {{1, {0, 0, 0}}})));
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse response, Admin(MakeSearch("fm", "c", {0, 0, 0}, 1)));
  ASSERT_EQ(response.hits_size(), 1);
  EXPECT_EQ(response.hits(0).score(), 0.0f);
}

TEST_F(DatabaseTest, RejectsKOutOfRange) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  std::vector<BadInput> cases;
  for (int32_t k : {0, -1, 1025, std::numeric_limits<int32_t>::min(),
                    std::numeric_limits<int32_t>::max()}) {
    cases.push_back({absl::StrCat("search k=", k), absl::StatusCode::kInvalidArgument,
                     {"params.k", absl::StrCat(k)},
                     [&, k] { return StatusOf(Admin(MakeSearch("fm", "a", {0, 0, 0}, k))); }});
    cases.push_back({absl::StrCat("search batch k=", k), absl::StatusCode::kInvalidArgument,
                     {"params.k", absl::StrCat(k)}, [&, k] {
                       return StatusOf(Admin(MakeSearchBatch("fm", "a", {{0, 0, 0}}, k)));
                     }});
  }
  ExpectRejected(cases);
}

TEST_F(DatabaseTest, AcceptsKAtLimits) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse one, Admin(MakeSearch("fm", "a", {1, 0, 0}, 1)));
  EXPECT_THAT(HitKeys(one), ElementsAre(std::pair<std::string, uint64_t>("a", 1)));
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse max, Admin(MakeSearch("fm", "a", {1, 0, 0}, 1024)));
  EXPECT_EQ(max.hits_size(), 3);
}

TEST_F(DatabaseTest, RejectsDuplicateIds) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ExpectRejected({
      {"upsert", absl::StatusCode::kInvalidArgument, {"vectors[2].id", "repeats id 7"},
       [&] {
         return StatusOf(
             Admin(MakeUpsert("fm", "a", {{7, {1, 1, 1}}, {8, {2, 2, 2}}, {7, {3, 3, 3}}})));
       }},
      {"upsert of an existing id twice", absl::StatusCode::kInvalidArgument,
       {"vectors[1].id", "repeats id 1"},
       [&] { return StatusOf(Admin(MakeUpsert("fm", "a", {{1, {1, 1, 1}}, {1, {2, 2, 2}}}))); }},
      {"delete", absl::StatusCode::kInvalidArgument, {"ids[1]", "repeats id 2"},
       [&] { return StatusOf(Admin(MakeDelete("fm", "a", {2, 2}))); }},
      {"get", absl::StatusCode::kInvalidArgument, {"ids[2]", "repeats id 1"},
       [&] { return StatusOf(Admin(MakeGet("fm", "a", {1, 2, 1}))); }},
      {"share", absl::StatusCode::kInvalidArgument, {"ids[1]", "repeats id 2"},
       [&] { return StatusOf(Admin(MakeShare("fm", "a", {2, 2}, {"c"}))); }},
      {"unshare", absl::StatusCode::kInvalidArgument, {"ids[1]", "repeats id 1"},
       [&] { return StatusOf(Admin(MakeUnshare("fm", "a", {1, 1}, {"b"}))); }},
      {"share with a tenant twice", absl::StatusCode::kInvalidArgument,
       {"with_tenants[1]", "repeats tenant 'c'"},
       [&] { return StatusOf(Admin(MakeShare("fm", "a", {2}, {"c", "c"}))); }},
      {"unshare with a tenant twice", absl::StatusCode::kInvalidArgument,
       {"with_tenants[1]", "repeats tenant 'b'"},
       [&] { return StatusOf(Admin(MakeUnshare("fm", "a", {1}, {"b", "b"}))); }},
  });
}

TEST_F(DatabaseTest, RejectsEmptyBatches) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ExpectRejected({
      {"upsert", absl::StatusCode::kInvalidArgument, {"vectors", "empty"},
       [&] { return StatusOf(Admin(MakeUpsert("fm", "a", {}))); }},
      {"delete", absl::StatusCode::kInvalidArgument, {"ids", "empty"},
       [&] { return StatusOf(Admin(MakeDelete("fm", "a", {}))); }},
      {"get", absl::StatusCode::kInvalidArgument, {"ids", "empty"},
       [&] { return StatusOf(Admin(MakeGet("fm", "a", {}))); }},
      {"search batch", absl::StatusCode::kInvalidArgument, {"queries", "empty"},
       [&] { return StatusOf(Admin(MakeSearchBatch("fm", "a", {}, 5))); }},
      {"share without ids", absl::StatusCode::kInvalidArgument, {"ids", "empty"},
       [&] { return StatusOf(Admin(MakeShare("fm", "a", {}, {"c"}))); }},
      {"share without tenants", absl::StatusCode::kInvalidArgument, {"with_tenants", "empty"},
       [&] { return StatusOf(Admin(MakeShare("fm", "a", {2}, {}))); }},
      {"unshare without ids", absl::StatusCode::kInvalidArgument, {"ids", "empty"},
       [&] { return StatusOf(Admin(MakeUnshare("fm", "a", {}, {"b"}))); }},
      {"unshare without tenants", absl::StatusCode::kInvalidArgument, {"with_tenants", "empty"},
       [&] { return StatusOf(Admin(MakeUnshare("fm", "a", {1}, {}))); }},
  });
}

TEST_F(DatabaseTest, RejectsOversizedBatches) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  std::vector<TestVector> vectors;
  std::vector<uint64_t> ids;
  for (uint64_t id = 100; id < 100 + kMaxBatchVectors + 1; ++id) {
    vectors.push_back({id, {1, 2, 3}});
    ids.push_back(id);
  }
  const std::vector<std::vector<float>> queries(kMaxQueries + 1, {1, 2, 3});
  std::vector<std::string> tenants;
  for (size_t i = 0; i < kMaxShareTenants + 1; ++i) tenants.push_back(absl::StrCat("t", i));

  ExpectRejected({
      {"upsert", absl::StatusCode::kInvalidArgument, {"vectors", "16385", "16384"},
       [&] { return StatusOf(Admin(MakeUpsert("fm", "a", vectors))); }},
      {"delete", absl::StatusCode::kInvalidArgument, {"ids", "16385"},
       [&] { return StatusOf(Admin(MakeDelete("fm", "a", ids))); }},
      {"get", absl::StatusCode::kInvalidArgument, {"ids", "16385"},
       [&] { return StatusOf(Admin(MakeGet("fm", "a", ids))); }},
      {"share", absl::StatusCode::kInvalidArgument, {"ids", "16385"},
       [&] { return StatusOf(Admin(MakeShare("fm", "a", ids, {"c"}))); }},
      {"search batch", absl::StatusCode::kInvalidArgument, {"queries", "1025", "1024"},
       [&] { return StatusOf(Admin(MakeSearchBatch("fm", "a", queries, 5))); }},
      {"share with too many tenants", absl::StatusCode::kInvalidArgument,
       {"with_tenants", "1025"},
       [&] { return StatusOf(Admin(MakeShare("fm", "a", {2}, tenants))); }},
  });

  // The largest allowed upsert is accepted.
  vectors.pop_back();
  ASSERT_OK_AND_ASSIGN(v1::UpsertResponse response, Admin(MakeUpsert("fm", "c", vectors)));
  EXPECT_EQ(response.inserted_count(), kMaxBatchVectors);
}

TEST_F(DatabaseTest, RejectsInvalidNames) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  const std::string too_long(65, 'n');
  std::vector<BadInput> cases;
  for (const std::string& name :
       {std::string(""), too_long, std::string("a/b"), std::string("a b"), std::string("FM"),
        std::string("Fm"), std::string("_fm"), std::string(".fm"), std::string("-fm"),
        std::string("fm\n"), std::string("f\xc3\xa9")}) {
    const std::string label = absl::StrCat("'", name, "'");
    cases.push_back({"create collection " + label, absl::StatusCode::kInvalidArgument, {"name"},
                     [&, name] { return StatusOf(CreateCollection(name, 3, v1::METRIC_L2)); }});
    cases.push_back({"describe collection " + label, absl::StatusCode::kInvalidArgument,
                     {"name"}, [&, name] { return StatusOf(Describe(name)); }});
    cases.push_back({"drop collection " + label, absl::StatusCode::kInvalidArgument, {"name"},
                     [&, name] { return DropCollection(name); }});
    cases.push_back({"create tenant in collection " + label, absl::StatusCode::kInvalidArgument,
                     {"collection"}, [&, name] { return StatusOf(CreateTenant(name, "a")); }});
    cases.push_back({"create tenant " + label, absl::StatusCode::kInvalidArgument, {"tenant"},
                     [&, name] { return StatusOf(CreateTenant("fm", name)); }});
    cases.push_back({"drop tenant " + label, absl::StatusCode::kInvalidArgument, {"tenant"},
                     [&, name] { return DropTenant("fm", name); }});
    cases.push_back({"drop tenant in collection " + label, absl::StatusCode::kInvalidArgument,
                     {"collection"}, [&, name] { return DropTenant(name, "a"); }});
    cases.push_back({"create key for tenant " + label, absl::StatusCode::kInvalidArgument,
                     {"tenant"}, [&, name] { return StatusOf(CreateKey("fm", name)); }});
    cases.push_back({"list tenants of " + label, absl::StatusCode::kInvalidArgument,
                     {"collection"}, [&, name] {
                       v1::ListTenantsRequest request;
                       request.set_collection(name);
                       return StatusOf(database_->ListTenants(admin_, request));
                     }});
    cases.push_back({"upsert into collection " + label, absl::StatusCode::kInvalidArgument,
                     {"collection"}, [&, name] {
                       return StatusOf(Admin(MakeUpsert(name, "a", {{9, {1, 2, 3}}})));
                     }});
    cases.push_back({"upsert as tenant " + label, absl::StatusCode::kInvalidArgument,
                     {"tenant"}, [&, name] {
                       return StatusOf(Admin(MakeUpsert("fm", name, {{9, {1, 2, 3}}})));
                     }});
    if (!name.empty()) {  // an empty owner means the calling tenant
      cases.push_back({"get with owner " + label, absl::StatusCode::kInvalidArgument, {"owner"},
                       [&, name] { return StatusOf(Admin(MakeGet("fm", "b", {1}, name))); }});
    }
    cases.push_back({"share with " + label, absl::StatusCode::kInvalidArgument,
                     {"with_tenants[1]"}, [&, name] {
                       return StatusOf(Admin(MakeShare("fm", "a", {2}, {"c", name})));
                     }});
  }
  ExpectRejected(cases);
}

TEST_F(DatabaseTest, UppercaseIsOneRuleForEveryCall) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  // "FM" is not another name for "fm", nor a free name: every call rejects it the same way.
  ExpectRejected({
      {"create", absl::StatusCode::kInvalidArgument, {"name", "'F'", "position 0"},
       [&] { return StatusOf(CreateCollection("FM", 3, v1::METRIC_L2)); }},
      {"describe", absl::StatusCode::kInvalidArgument, {"name", "'F'", "position 0"},
       [&] { return StatusOf(Describe("FM")); }},
      {"drop", absl::StatusCode::kInvalidArgument, {"name", "'F'", "position 0"},
       [&] { return DropCollection("FM"); }},
      {"data call", absl::StatusCode::kInvalidArgument, {"collection", "'F'"},
       [&] { return StatusOf(Admin(MakeCount("FM", "a"))); }},
      {"tenant A", absl::StatusCode::kInvalidArgument, {"tenant", "'A'"},
       [&] { return StatusOf(Admin(MakeCount("fm", "A"))); }},
  });
}

TEST_F(DatabaseTest, AcceptsNamesAtLimits) {
  const std::string longest(64, 'n');
  ASSERT_OK(CreateCollection(longest, 1, v1::METRIC_L2));
  ASSERT_OK(CreateTenant(longest, "0.a_b-c"));
  ASSERT_OK(CreateTenant(longest, "9"));
  ASSERT_OK(CreateTenant(longest, std::string(64, 'z')));
  ASSERT_OK_AND_ASSIGN(v1::CollectionInfo info, Describe(longest));
  EXPECT_EQ(info.name(), longest);
  EXPECT_EQ(info.tenant_count(), 3u);
}

TEST_F(DatabaseTest, RejectsBadCollectionParameters) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ExpectRejected({
      {"dimension 0", absl::StatusCode::kInvalidArgument, {"dimension", "0"},
       [&] { return StatusOf(CreateCollection("new", 0, v1::METRIC_L2)); }},
      {"dimension 4097", absl::StatusCode::kInvalidArgument, {"dimension", "4097", "4096"},
       [&] { return StatusOf(CreateCollection("new", 4097, v1::METRIC_L2)); }},
      {"metric unspecified", absl::StatusCode::kInvalidArgument, {"metric"},
       [&] { return StatusOf(CreateCollection("new", 3, v1::METRIC_UNSPECIFIED)); }},
      {"metric out of the enum", absl::StatusCode::kInvalidArgument, {"metric", "99"},
       [&] { return StatusOf(CreateCollection("new", 3, static_cast<v1::Metric>(99))); }},
  });
  EXPECT_OK(CreateCollection("widest", kMaxDimension, v1::METRIC_IP));
}

TEST_F(DatabaseTest, RejectsBadPaging) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ExpectRejected({
      {"list page size", absl::StatusCode::kInvalidArgument, {"page_size", "10001"},
       [&] { return StatusOf(Admin(MakeList("fm", "a", kMaxListPage + 1))); }},
      {"list token not base64", absl::StatusCode::kInvalidArgument, {"page_token"},
       [&] { return StatusOf(Admin(MakeList("fm", "a", 10, "!!!"))); }},
      {"list token without a position", absl::StatusCode::kInvalidArgument, {"page_token"},
       [&] { return StatusOf(Admin(MakeList("fm", "a", 10, "YWJj"))); }},  // "abc"
      {"tenants page size", absl::StatusCode::kInvalidArgument, {"page_size", "1001"},
       [&] {
         v1::ListTenantsRequest request;
         request.set_collection("fm");
         request.set_page_size(kMaxTenantPage + 1);
         return StatusOf(database_->ListTenants(admin_, request));
       }},
      {"tenants token not base64", absl::StatusCode::kInvalidArgument, {"page_token"},
       [&] {
         v1::ListTenantsRequest request;
         request.set_collection("fm");
         request.set_page_token("!!!");
         return StatusOf(database_->ListTenants(admin_, request));
       }},
  });
}

TEST_F(DatabaseTest, RejectsUnknownNames) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ExpectRejected({
      {"describe", absl::StatusCode::kNotFound, {"'nope'"},
       [&] { return StatusOf(Describe("nope")); }},
      {"drop collection", absl::StatusCode::kNotFound, {"'nope'"},
       [&] { return DropCollection("nope"); }},
      {"create tenant in unknown collection", absl::StatusCode::kNotFound, {"'nope'"},
       [&] { return StatusOf(CreateTenant("nope", "a")); }},
      {"drop tenant of unknown collection", absl::StatusCode::kNotFound, {"'nope'"},
       [&] { return DropTenant("nope", "a"); }},
      {"drop unknown tenant", absl::StatusCode::kNotFound, {"'zz'"},
       [&] { return DropTenant("fm", "zz"); }},
      {"list tenants of unknown collection", absl::StatusCode::kNotFound, {"'nope'"},
       [&] {
         v1::ListTenantsRequest request;
         request.set_collection("nope");
         return StatusOf(database_->ListTenants(admin_, request));
       }},
      {"create key for unknown tenant", absl::StatusCode::kNotFound, {"'zz'"},
       [&] { return StatusOf(CreateKey("fm", "zz")); }},
      {"list keys of unknown tenant", absl::StatusCode::kNotFound, {"'zz'"},
       [&] {
         v1::ListKeysRequest request;
         request.set_collection("fm");
         request.set_tenant("zz");
         return StatusOf(database_->ListKeys(admin_, request));
       }},
      {"revoke unknown key", absl::StatusCode::kNotFound, {"'0123456789abcdef'"},
       [&] { return RevokeKey("fm", "0123456789abcdef"); }},
      {"data call on unknown collection", absl::StatusCode::kNotFound, {"'nope'"},
       [&] { return StatusOf(Admin(MakeCount("nope", "a"))); }},
      {"upsert as unknown tenant", absl::StatusCode::kNotFound, {"'zz'"},
       [&] { return StatusOf(Admin(MakeUpsert("fm", "zz", {{1, {1, 2, 3}}}))); }},
      {"delete as unknown tenant", absl::StatusCode::kNotFound, {"'zz'"},
       [&] { return StatusOf(Admin(MakeDelete("fm", "zz", {1}))); }},
      {"get as unknown tenant", absl::StatusCode::kNotFound, {"'zz'"},
       [&] { return StatusOf(Admin(MakeGet("fm", "zz", {1}))); }},
      {"search as unknown tenant", absl::StatusCode::kNotFound, {"'zz'"},
       [&] { return StatusOf(Admin(MakeSearch("fm", "zz", {1, 2, 3}, 1))); }},
      {"search batch as unknown tenant", absl::StatusCode::kNotFound, {"'zz'"},
       [&] { return StatusOf(Admin(MakeSearchBatch("fm", "zz", {{1, 2, 3}}, 1))); }},
      {"count as unknown tenant", absl::StatusCode::kNotFound, {"'zz'"},
       [&] { return StatusOf(Admin(MakeCount("fm", "zz"))); }},
      {"list as unknown tenant", absl::StatusCode::kNotFound, {"'zz'"},
       [&] { return StatusOf(Admin(MakeList("fm", "zz"))); }},
      {"share with unknown tenant", absl::StatusCode::kNotFound, {"'zz'"},
       [&] { return StatusOf(Admin(MakeShare("fm", "a", {2}, {"c", "zz"}))); }},
      {"unshare with unknown tenant", absl::StatusCode::kNotFound, {"'zz'"},
       [&] { return StatusOf(Admin(MakeUnshare("fm", "a", {1}, {"b", "zz"}))); }},
      {"share unknown id", absl::StatusCode::kNotFound, {"ids[1]", "vector 99"},
       [&] { return StatusOf(Admin(MakeShare("fm", "a", {2, 99}, {"c"}))); }},
      {"unshare unknown id", absl::StatusCode::kNotFound, {"ids[0]", "vector 99"},
       [&] { return StatusOf(Admin(MakeUnshare("fm", "a", {99}, {"b"}))); }},
      {"share a vector someone else owns", absl::StatusCode::kNotFound, {"ids[0]", "vector 2"},
       [&] { return StatusOf(Admin(MakeShare("fm", "b", {2}, {"c"}))); }},
      {"unshare a vector shared with the caller", absl::StatusCode::kNotFound,
       {"ids[0]", "vector 3"},
       [&] { return StatusOf(Admin(MakeUnshare("fm", "b", {3}, {"c"}))); }},
  });
}

TEST_F(DatabaseTest, RejectsSharingWithTheOwner) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ExpectRejected({
      {"share", absl::StatusCode::kInvalidArgument, {"with_tenants[1]", "owner 'a'"},
       [&] { return StatusOf(Admin(MakeShare("fm", "a", {2}, {"c", "a"}))); }},
      {"unshare", absl::StatusCode::kInvalidArgument, {"with_tenants[0]", "owner 'a'"},
       [&] { return StatusOf(Admin(MakeUnshare("fm", "a", {1}, {"a"}))); }},
  });
}

TEST_F(DatabaseTest, RejectsDuplicateCreation) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ExpectRejected({
      {"collection", absl::StatusCode::kAlreadyExists, {"'fm'"},
       [&] { return StatusOf(CreateCollection("fm", 3, v1::METRIC_L2)); }},
      {"collection with other parameters", absl::StatusCode::kAlreadyExists, {"'fm'"},
       [&] { return StatusOf(CreateCollection("fm", 8, v1::METRIC_IP)); }},
      {"tenant", absl::StatusCode::kAlreadyExists, {"'a'"},
       [&] { return StatusOf(CreateTenant("fm", "a")); }},
  });
}

TEST_F(DatabaseTest, PastDeadlineWritesNothing) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<Collection> fm,
                       database_->CollectionForData(admin_, "fm", "a"));
  const absl::Time past = absl::InfinitePast();
  ExpectRejected({
      {"upsert", absl::StatusCode::kDeadlineExceeded, {"deadline"},
       [&] { return StatusOf(fm->Upsert("a", MakeUpsert("fm", "a", {{9, {1, 1, 1}}}), past)); }},
      {"delete", absl::StatusCode::kDeadlineExceeded, {"deadline"},
       [&] { return StatusOf(fm->Delete("a", MakeDelete("fm", "a", {1, 2}), past)); }},
      {"share", absl::StatusCode::kDeadlineExceeded, {"deadline"},
       [&] { return StatusOf(fm->Share("a", MakeShare("fm", "a", {2}, {"c"}), past)); }},
      {"unshare", absl::StatusCode::kDeadlineExceeded, {"deadline"},
       [&] { return StatusOf(fm->Unshare("a", MakeUnshare("fm", "a", {1}, {"b"}), past)); }},
      {"search batch", absl::StatusCode::kDeadlineExceeded, {"deadline"},
       [&] {
         return StatusOf(fm->SearchBatch("a", MakeSearchBatch("fm", "a", {{1, 0, 0}}, 1), past));
       }},
  });
}

// ---------------------------------------------------------------------------------------------
// Authentication and authorisation.

TEST_F(DatabaseTest, AuthenticateRejectsBadHeaders) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK_AND_ASSIGN(v1::CreateKeyResponse key, CreateKey("fm", "a"));
  std::string wrong_secret = key.key();
  wrong_secret.back() = wrong_secret.back() == '0' ? '1' : '0';
  const std::string unknown = absl::StrCat("arbor_", std::string(16, 'a'), "_",
                                           std::string(64, 'b'));
  std::string admin_typo = kAdminKey;
  admin_typo.back() = 'X';

  const std::vector<std::pair<std::string, std::optional<std::string>>> cases = {
      {"missing header", std::nullopt},
      {"empty header", ""},
      {"no scheme", kAdminKey},
      {"basic scheme", absl::StrCat("Basic ", kAdminKey)},
      {"lowercase scheme", absl::StrCat("bearer ", kAdminKey)},
      {"scheme without key", "Bearer "},
      {"scheme without space", absl::StrCat("Bearer", kAdminKey)},
      {"admin key with a typo", Bearer(admin_typo)},
      {"malformed tenant key", Bearer("arbor_xyz")},
      {"tenant key with uppercase hex", Bearer(absl::AsciiStrToUpper(key.key()))},
      {"tenant key cut short", Bearer(key.key().substr(0, key.key().size() - 1))},
      {"unknown tenant key", Bearer(unknown)},
      {"tenant key with wrong secret", Bearer(wrong_secret)},
  };
  for (const auto& [label, header] : cases) {
    SCOPED_TRACE(label);
    const absl::StatusOr<Principal> principal =
        header.has_value() ? database_->Authenticate(absl::string_view(*header))
                           : database_->Authenticate(std::nullopt);
    EXPECT_EQ(principal.status().code(), absl::StatusCode::kUnauthenticated)
        << principal.status();
  }
}

TEST_F(DatabaseTest, AuthenticateResolvesKeys) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK_AND_ASSIGN(Principal admin, Login(kAdminKey));
  EXPECT_TRUE(admin.admin);
  ASSERT_OK_AND_ASSIGN(Principal padded, database_->Authenticate(
                                             absl::StrCat("Bearer  ", kAdminKey, " \t")));
  EXPECT_TRUE(padded.admin) << "whitespace around the key is ignored";

  ASSERT_OK_AND_ASSIGN(v1::CreateKeyResponse key, CreateKey("fm", "b"));
  ASSERT_OK_AND_ASSIGN(Principal tenant, Login(key.key()));
  EXPECT_FALSE(tenant.admin);
  EXPECT_EQ(tenant.key_id, key.key_id());
  EXPECT_EQ(tenant.collection, "fm");
  EXPECT_EQ(tenant.tenant, "b");
  EXPECT_THAT(key.key(), HasSubstr(key.key_id()));
}

TEST_F(DatabaseTest, TenantKeyActsOnlyInItsOwnScope) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK(CreateCollection("other", 3, v1::METRIC_L2));
  ASSERT_OK(CreateTenant("other", "a"));
  ASSERT_OK_AND_ASSIGN(v1::CreateKeyResponse key, CreateKey("fm", "a"));
  ASSERT_OK_AND_ASSIGN(Principal tenant_a, Login(key.key()));

  // Every data call works in the key's own scope.
  ASSERT_OK(As(tenant_a, MakeUpsert("fm", "a", {{10, {1, 1, 1}}})));
  ASSERT_OK(As(tenant_a, MakeGet("fm", "a", {10})));
  ASSERT_OK(As(tenant_a, MakeSearch("fm", "a", {1, 1, 1}, 3)));
  ASSERT_OK(As(tenant_a, MakeSearchBatch("fm", "a", {{1, 1, 1}}, 3)));
  ASSERT_OK(As(tenant_a, MakeShare("fm", "a", {10}, {"c"})));
  ASSERT_OK(As(tenant_a, MakeUnshare("fm", "a", {10}, {"c"})));
  ASSERT_OK(As(tenant_a, MakeCount("fm", "a")));
  ASSERT_OK(As(tenant_a, MakeList("fm", "a")));
  ASSERT_OK(As(tenant_a, MakeDelete("fm", "a", {10})));

  // Outside it, the same PERMISSION_DENIED whether the target exists or not.
  const std::vector<std::pair<std::string, std::pair<std::string, std::string>>> scopes = {
      {"other tenant", {"fm", "b"}},
      {"nonexistent tenant", {"fm", "ghost"}},
      {"other collection, same tenant name", {"other", "a"}},
      {"nonexistent collection", {"nope", "a"}},
  };
  std::set<std::string> messages;
  for (const auto& [label, scope] : scopes) {
    SCOPED_TRACE(label);
    const std::string before = Snapshot();
    const auto& [collection, tenant] = scope;
    std::vector<absl::Status> statuses = {
        StatusOf(As(tenant_a, MakeUpsert(collection, tenant, {{11, {1, 1, 1}}}))),
        StatusOf(As(tenant_a, MakeDelete(collection, tenant, {1}))),
        StatusOf(As(tenant_a, MakeGet(collection, tenant, {1}))),
        StatusOf(As(tenant_a, MakeSearch(collection, tenant, {1, 1, 1}, 3))),
        StatusOf(As(tenant_a, MakeSearchBatch(collection, tenant, {{1, 1, 1}}, 3))),
        StatusOf(As(tenant_a, MakeShare(collection, tenant, {1}, {"c"}))),
        StatusOf(As(tenant_a, MakeUnshare(collection, tenant, {1}, {"a"}))),
        StatusOf(As(tenant_a, MakeCount(collection, tenant))),
        StatusOf(As(tenant_a, MakeList(collection, tenant))),
    };
    for (size_t i = 0; i < statuses.size(); ++i) {
      EXPECT_EQ(statuses[i].code(), absl::StatusCode::kPermissionDenied)
          << "call " << i << ": " << statuses[i];
      messages.insert(std::string(statuses[i].message()));
    }
    EXPECT_EQ(Snapshot(), before);
  }
  EXPECT_EQ(messages.size(), 1u) << "messages differ by target: "
                                 << absl::StrJoin(messages, " | ");
}

TEST_F(DatabaseTest, TenantKeyCannotMakeAdminCalls) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK_AND_ASSIGN(v1::CreateKeyResponse key, CreateKey("fm", "a"));
  ASSERT_OK_AND_ASSIGN(Principal tenant, Login(key.key()));

  v1::CreateCollectionRequest create_collection;
  create_collection.set_name("new");
  create_collection.set_dimension(3);
  create_collection.set_metric(v1::METRIC_L2);
  v1::DropCollectionRequest drop_collection;
  drop_collection.set_name("fm");
  v1::DescribeCollectionRequest describe;
  describe.set_name("fm");
  v1::CreateTenantRequest create_tenant;
  create_tenant.set_collection("fm");
  create_tenant.set_tenant("d");
  v1::DropTenantRequest drop_tenant;
  drop_tenant.set_collection("fm");
  drop_tenant.set_tenant("b");
  v1::ListTenantsRequest list_tenants;
  list_tenants.set_collection("fm");
  v1::CreateKeyRequest create_key;
  create_key.set_collection("fm");
  create_key.set_tenant("a");
  v1::ListKeysRequest list_keys;
  list_keys.set_collection("fm");
  v1::RevokeKeyRequest revoke;
  revoke.set_collection("fm");
  revoke.set_key_id(key.key_id());

  ExpectRejected({
      {"CreateCollection", absl::StatusCode::kPermissionDenied, {"admin key"},
       [&] { return StatusOf(database_->CreateCollection(tenant, create_collection)); }},
      {"DropCollection", absl::StatusCode::kPermissionDenied, {"admin key"},
       [&] { return database_->DropCollection(tenant, drop_collection); }},
      {"ListCollections", absl::StatusCode::kPermissionDenied, {"admin key"},
       [&] { return StatusOf(database_->ListCollections(tenant)); }},
      {"DescribeCollection", absl::StatusCode::kPermissionDenied, {"admin key"},
       [&] { return StatusOf(database_->DescribeCollection(tenant, describe)); }},
      {"CreateTenant", absl::StatusCode::kPermissionDenied, {"admin key"},
       [&] { return StatusOf(database_->CreateTenant(tenant, create_tenant)); }},
      {"DropTenant", absl::StatusCode::kPermissionDenied, {"admin key"},
       [&] { return database_->DropTenant(tenant, drop_tenant); }},
      {"ListTenants", absl::StatusCode::kPermissionDenied, {"admin key"},
       [&] { return StatusOf(database_->ListTenants(tenant, list_tenants)); }},
      {"CreateKey", absl::StatusCode::kPermissionDenied, {"admin key"},
       [&] { return StatusOf(database_->CreateKey(tenant, create_key)); }},
      {"ListKeys", absl::StatusCode::kPermissionDenied, {"admin key"},
       [&] { return StatusOf(database_->ListKeys(tenant, list_keys)); }},
      {"RevokeKey", absl::StatusCode::kPermissionDenied, {"admin key"},
       [&] { return database_->RevokeKey(tenant, revoke); }},
  });
}

TEST_F(DatabaseTest, AdminActsAsAnyTenant) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  for (const char* tenant : {"a", "b", "c"}) {
    SCOPED_TRACE(tenant);
    EXPECT_OK(Admin(MakeCount("fm", tenant)));
    EXPECT_OK(Admin(MakeUpsert("fm", tenant, {{50, {1, 1, 1}}})));
  }
  // The admin passes authorisation for names that do not exist and gets NOT_FOUND.
  EXPECT_EQ(StatusOf(Admin(MakeCount("fm", "ghost"))).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusOf(Admin(MakeCount("nope", "a"))).code(), absl::StatusCode::kNotFound);
}

TEST_F(DatabaseTest, RevokedKeyIsUnauthenticated) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK_AND_ASSIGN(v1::CreateKeyResponse revoked, CreateKey("fm", "a"));
  ASSERT_OK_AND_ASSIGN(v1::CreateKeyResponse kept, CreateKey("fm", "a"));
  ASSERT_OK(Login(revoked.key()));
  ASSERT_OK(RevokeKey("fm", revoked.key_id()));

  EXPECT_EQ(Login(revoked.key()).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_OK(Login(kept.key()));
  EXPECT_EQ(RevokeKey("fm", revoked.key_id()).code(), absl::StatusCode::kNotFound)
      << "a key is revoked once";

  // A key is revoked through its own collection only.
  ASSERT_OK(CreateCollection("other", 3, v1::METRIC_L2));
  EXPECT_EQ(RevokeKey("other", kept.key_id()).code(), absl::StatusCode::kNotFound);
  EXPECT_OK(Login(kept.key()));
}

TEST_F(DatabaseTest, ListKeysShowsLiveKeysOnly) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());  // creates one key for fm/a
  ASSERT_OK_AND_ASSIGN(v1::CreateKeyResponse b_key, CreateKey("fm", "b"));
  ASSERT_OK_AND_ASSIGN(v1::CreateKeyResponse revoked, CreateKey("fm", "b"));
  ASSERT_OK(RevokeKey("fm", revoked.key_id()));

  v1::ListKeysRequest request;
  request.set_collection("fm");
  ASSERT_OK_AND_ASSIGN(v1::ListKeysResponse all, database_->ListKeys(admin_, request));
  EXPECT_EQ(all.keys_size(), 2);
  request.set_tenant("b");
  ASSERT_OK_AND_ASSIGN(v1::ListKeysResponse of_b, database_->ListKeys(admin_, request));
  ASSERT_EQ(of_b.keys_size(), 1);
  EXPECT_EQ(of_b.keys(0).key_id(), b_key.key_id());
  EXPECT_EQ(of_b.keys(0).collection(), "fm");
  EXPECT_EQ(of_b.keys(0).tenant(), "b");
  for (const v1::KeyInfo& info : all.keys()) EXPECT_NE(info.key_id(), revoked.key_id());
}

TEST_F(DatabaseTest, DroppedTenantsKeyIsUnauthenticated) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK_AND_ASSIGN(v1::CreateKeyResponse key, CreateKey("fm", "c"));
  ASSERT_OK(Login(key.key()));
  ASSERT_OK(DropTenant("fm", "c"));
  EXPECT_EQ(Login(key.key()).status().code(), absl::StatusCode::kUnauthenticated);

  // Re-creating the tenant does not bring the key back.
  ASSERT_OK(CreateTenant("fm", "c"));
  EXPECT_EQ(Login(key.key()).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(DatabaseTest, DroppedCollectionsKeyIsUnauthenticated) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK_AND_ASSIGN(v1::CreateKeyResponse key, CreateKey("fm", "b"));
  ASSERT_OK(DropCollection("fm"));
  EXPECT_EQ(Login(key.key()).status().code(), absl::StatusCode::kUnauthenticated);
}

// ---------------------------------------------------------------------------------------------
// Semantics of the data calls.

TEST_F(DatabaseTest, UpsertInsertsThenReplaces) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK_AND_ASSIGN(v1::UpsertResponse first,
                       Admin(MakeUpsert("fm", "c", {{1, {1, 2, 3}}, {2, {4, 5, 6}}})));
  EXPECT_EQ(first.inserted_count(), 2u);
  EXPECT_EQ(first.updated_count(), 0u);

  ASSERT_OK_AND_ASSIGN(v1::UpsertResponse second,
                       Admin(MakeUpsert("fm", "c", {{2, {7, 8, 9}}, {3, {0, 0, 1}}})));
  EXPECT_EQ(second.inserted_count(), 1u);
  EXPECT_EQ(second.updated_count(), 1u);

  ASSERT_OK_AND_ASSIGN(v1::GetResponse got, Admin(MakeGet("fm", "c", {1, 2, 3})));
  ASSERT_EQ(got.records_size(), 3);
  EXPECT_THAT(Values(got.records(0)), ElementsAre(1, 2, 3));
  EXPECT_THAT(Values(got.records(1)), ElementsAre(7, 8, 9));
  EXPECT_THAT(Values(got.records(2)), ElementsAre(0, 0, 1));
  for (const v1::Record& record : got.records()) EXPECT_EQ(record.owner(), "c");

  ASSERT_OK_AND_ASSIGN(v1::SearchResponse found, Admin(MakeSearch("fm", "c", {7, 8, 9}, 1)));
  ASSERT_EQ(found.hits_size(), 1);
  EXPECT_EQ(found.hits(0).id(), 2u);
  EXPECT_EQ(found.hits(0).score(), 0.0f);
  EXPECT_EQ(CountOf("fm", "c"), 3u);
}

TEST_F(DatabaseTest, SameIdOfTwoOwnersIsTwoVectors) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());  // a and b both own id 1
  ASSERT_OK_AND_ASSIGN(v1::GetResponse of_b, Admin(MakeGet("fm", "b", {1})));
  ASSERT_EQ(of_b.records_size(), 1);
  EXPECT_EQ(of_b.records(0).owner(), "b");
  EXPECT_THAT(Values(of_b.records(0)), ElementsAre(5, 5, 5));

  ASSERT_OK_AND_ASSIGN(v1::GetResponse of_a, Admin(MakeGet("fm", "b", {1}, "a")));
  ASSERT_EQ(of_a.records_size(), 1);
  EXPECT_EQ(of_a.records(0).owner(), "a");
  EXPECT_THAT(Values(of_a.records(0)), ElementsAre(1, 0, 0));

  ASSERT_OK(Admin(MakeDelete("fm", "b", {1})));
  ASSERT_OK_AND_ASSIGN(v1::GetResponse still_a, Admin(MakeGet("fm", "a", {1})));
  EXPECT_EQ(still_a.records_size(), 1) << "deleting b/1 must not touch a/1";
}

TEST_F(DatabaseTest, TenantsSeeOnlyWhatTheyMayRead) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  // c owns nothing and nothing is shared with it, though a and b have vectors.
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse c_hits, Admin(MakeSearch("fm", "c", {1, 0, 0}, 10)));
  EXPECT_THAT(c_hits.hits(), IsEmpty());
  EXPECT_EQ(CountOf("fm", "c"), 0u);
  EXPECT_THAT(ListAll("fm", "c"), IsEmpty());
  ASSERT_OK_AND_ASSIGN(v1::GetResponse c_get, Admin(MakeGet("fm", "c", {1, 2, 3}, "a")));
  EXPECT_THAT(c_get.records(), IsEmpty());

  // b reads its own 1 and a's shared 1, not a's 2 and 3.
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse b_hits, Admin(MakeSearch("fm", "b", {0, 0, 1}, 10)));
  EXPECT_THAT(HitKeys(b_hits), UnorderedElementsAre(std::pair<std::string, uint64_t>("a", 1),
                                                    std::pair<std::string, uint64_t>("b", 1)));
  ASSERT_OK_AND_ASSIGN(v1::GetResponse b_get, Admin(MakeGet("fm", "b", {1, 2, 3}, "a")));
  ASSERT_EQ(b_get.records_size(), 1);
  EXPECT_EQ(b_get.records(0).id(), 1u);
}

TEST_F(DatabaseTest, SharedVectorIsVisibleToReader) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK_AND_ASSIGN(v1::ShareResponse shared, Admin(MakeShare("fm", "a", {2, 3}, {"b", "c"})));
  EXPECT_EQ(shared.granted_count(), 4u);

  ASSERT_OK_AND_ASSIGN(v1::SearchResponse hits, Admin(MakeSearch("fm", "c", {0, 1, 0}, 10)));
  ASSERT_EQ(hits.hits_size(), 2);
  EXPECT_EQ(hits.hits(0).owner(), "a");
  EXPECT_EQ(hits.hits(0).id(), 2u);
  EXPECT_EQ(hits.hits(0).score(), 0.0f);
  EXPECT_EQ(hits.hits(1).owner(), "a");
  EXPECT_EQ(hits.hits(1).id(), 3u);
  EXPECT_EQ(hits.hits(1).score(), 2.0f);

  EXPECT_EQ(CountOf("fm", "b"), 4u);  // its own 1 and a's 1, 2, 3
  EXPECT_EQ(CountOf("fm", "c"), 2u);
  using Key = std::pair<std::string, uint64_t>;
  EXPECT_THAT(ListAll("fm", "b"), ElementsAre(Key("a", 1), Key("a", 2), Key("a", 3), Key("b", 1)));
  EXPECT_THAT(ListAll("fm", "c"), ElementsAre(Key("a", 2), Key("a", 3)));
}

TEST_F(DatabaseTest, SharedWithIsShownOnlyToTheOwner) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK(Admin(MakeShare("fm", "a", {1}, {"c"})));

  ASSERT_OK_AND_ASSIGN(v1::GetResponse as_owner, Admin(MakeGet("fm", "a", {1, 2})));
  ASSERT_EQ(as_owner.records_size(), 2);
  EXPECT_THAT(as_owner.records(0).shared_with(), UnorderedElementsAre("b", "c"));
  EXPECT_THAT(as_owner.records(1).shared_with(), IsEmpty());

  ASSERT_OK_AND_ASSIGN(v1::GetResponse owner_named,
                       Admin(MakeGet("fm", "a", {1}, "a")));  // naming oneself as owner
  ASSERT_EQ(owner_named.records_size(), 1);
  EXPECT_THAT(owner_named.records(0).shared_with(), UnorderedElementsAre("b", "c"));

  for (const char* reader : {"b", "c"}) {
    SCOPED_TRACE(reader);
    ASSERT_OK_AND_ASSIGN(v1::GetResponse as_reader, Admin(MakeGet("fm", reader, {1}, "a")));
    ASSERT_EQ(as_reader.records_size(), 1);
    EXPECT_EQ(as_reader.records(0).owner(), "a");
    EXPECT_THAT(Values(as_reader.records(0)), ElementsAre(1, 0, 0));
    EXPECT_THAT(as_reader.records(0).shared_with(), IsEmpty());
  }
}

TEST_F(DatabaseTest, ReaderWithTenantKeyGetsSharedVector) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK_AND_ASSIGN(v1::CreateKeyResponse key, CreateKey("fm", "b"));
  ASSERT_OK_AND_ASSIGN(Principal reader, Login(key.key()));
  ASSERT_OK_AND_ASSIGN(v1::GetResponse got, As(reader, MakeGet("fm", "b", {1, 2}, "a")));
  ASSERT_EQ(got.records_size(), 1);
  EXPECT_EQ(got.records(0).owner(), "a");
  EXPECT_EQ(got.records(0).id(), 1u);
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse hits, As(reader, MakeSearch("fm", "b", {1, 0, 0}, 1)));
  ASSERT_EQ(hits.hits_size(), 1);
  EXPECT_EQ(hits.hits(0).owner(), "a");
}

TEST_F(DatabaseTest, GetOfUnknownOwnerReturnsNothing) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK_AND_ASSIGN(v1::GetResponse got, Admin(MakeGet("fm", "b", {1}, "ghost")));
  EXPECT_THAT(got.records(), IsEmpty());
  ASSERT_OK_AND_ASSIGN(v1::GetResponse unknown_ids, Admin(MakeGet("fm", "a", {77, 1})));
  ASSERT_EQ(unknown_ids.records_size(), 1);
  EXPECT_EQ(unknown_ids.records(0).id(), 1u);
}

TEST_F(DatabaseTest, ShareTwiceGrantsOnce) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK_AND_ASSIGN(v1::ShareResponse again, Admin(MakeShare("fm", "a", {1}, {"b"})));
  EXPECT_EQ(again.granted_count(), 0u);
  ASSERT_OK_AND_ASSIGN(v1::ShareResponse partly, Admin(MakeShare("fm", "a", {1, 2}, {"b"})));
  EXPECT_EQ(partly.granted_count(), 1u);
  ASSERT_OK_AND_ASSIGN(v1::GetResponse got, Admin(MakeGet("fm", "a", {1})));
  ASSERT_EQ(got.records_size(), 1);
  EXPECT_THAT(got.records(0).shared_with(), ElementsAre("b"));
}

TEST_F(DatabaseTest, UnshareHidesVector) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK(Admin(MakeShare("fm", "a", {2}, {"b", "c"})));
  ASSERT_OK_AND_ASSIGN(v1::UnshareResponse revoked,
                       Admin(MakeUnshare("fm", "a", {1, 2, 3}, {"b"})));
  EXPECT_EQ(revoked.revoked_count(), 2u);  // 3 was never shared with b

  ASSERT_OK_AND_ASSIGN(v1::SearchResponse b_hits, Admin(MakeSearch("fm", "b", {1, 0, 0}, 10)));
  EXPECT_THAT(HitKeys(b_hits), ElementsAre(std::pair<std::string, uint64_t>("b", 1)));
  ASSERT_OK_AND_ASSIGN(v1::GetResponse b_get, Admin(MakeGet("fm", "b", {1, 2}, "a")));
  EXPECT_THAT(b_get.records(), IsEmpty());
  EXPECT_EQ(CountOf("fm", "b"), 1u);

  // c keeps its grant.
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse c_hits, Admin(MakeSearch("fm", "c", {1, 0, 0}, 10)));
  EXPECT_THAT(HitKeys(c_hits), ElementsAre(std::pair<std::string, uint64_t>("a", 2)));

  ASSERT_OK_AND_ASSIGN(v1::UnshareResponse none, Admin(MakeUnshare("fm", "a", {1}, {"b"})));
  EXPECT_EQ(none.revoked_count(), 0u);
}

TEST_F(DatabaseTest, UpsertKeepsShares) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK_AND_ASSIGN(v1::UpsertResponse replaced, Admin(MakeUpsert("fm", "a", {{1, {9, 9, 9}}})));
  EXPECT_EQ(replaced.updated_count(), 1u);

  ASSERT_OK_AND_ASSIGN(v1::GetResponse as_reader, Admin(MakeGet("fm", "b", {1}, "a")));
  ASSERT_EQ(as_reader.records_size(), 1);
  EXPECT_THAT(Values(as_reader.records(0)), ElementsAre(9, 9, 9));
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse hits, Admin(MakeSearch("fm", "b", {9, 9, 9}, 1)));
  ASSERT_EQ(hits.hits_size(), 1);
  EXPECT_EQ(hits.hits(0).owner(), "a");
  EXPECT_EQ(hits.hits(0).score(), 0.0f);
  ASSERT_OK_AND_ASSIGN(v1::GetResponse as_owner, Admin(MakeGet("fm", "a", {1})));
  ASSERT_EQ(as_owner.records_size(), 1);
  EXPECT_THAT(as_owner.records(0).shared_with(), ElementsAre("b"));
}

TEST_F(DatabaseTest, DeleteRemovesForEveryReader) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK_AND_ASSIGN(v1::DeleteResponse deleted, Admin(MakeDelete("fm", "a", {1, 99})));
  EXPECT_EQ(deleted.deleted_count(), 1u);  // 99 does not exist and is not counted

  ASSERT_OK_AND_ASSIGN(v1::GetResponse owner_get, Admin(MakeGet("fm", "a", {1})));
  EXPECT_THAT(owner_get.records(), IsEmpty());
  ASSERT_OK_AND_ASSIGN(v1::GetResponse reader_get, Admin(MakeGet("fm", "b", {1}, "a")));
  EXPECT_THAT(reader_get.records(), IsEmpty());
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse reader_hits,
                       Admin(MakeSearch("fm", "b", {1, 0, 0}, 10)));
  EXPECT_THAT(HitKeys(reader_hits), ElementsAre(std::pair<std::string, uint64_t>("b", 1)));
  EXPECT_EQ(CountOf("fm", "a"), 2u);
  EXPECT_EQ(CountOf("fm", "b"), 1u);
  ASSERT_OK_AND_ASSIGN(v1::CollectionInfo info, Describe("fm"));
  EXPECT_EQ(info.vector_count(), 3u);

  ASSERT_OK_AND_ASSIGN(v1::DeleteResponse again, Admin(MakeDelete("fm", "a", {1})));
  EXPECT_EQ(again.deleted_count(), 0u);
  EXPECT_EQ(StatusOf(Admin(MakeShare("fm", "a", {1}, {"b"}))).code(),
            absl::StatusCode::kNotFound)
      << "a deleted vector cannot be shared";
}

TEST_F(DatabaseTest, ReupsertAfterDeleteIsNewVector) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK(Admin(MakeDelete("fm", "a", {1})));
  ASSERT_OK_AND_ASSIGN(v1::UpsertResponse upserted,
                       Admin(MakeUpsert("fm", "a", {{1, {2, 2, 2}}})));
  EXPECT_EQ(upserted.inserted_count(), 1u);
  EXPECT_EQ(upserted.updated_count(), 0u);

  ASSERT_OK_AND_ASSIGN(v1::GetResponse owner_get, Admin(MakeGet("fm", "a", {1})));
  ASSERT_EQ(owner_get.records_size(), 1);
  EXPECT_THAT(Values(owner_get.records(0)), ElementsAre(2, 2, 2));
  EXPECT_THAT(owner_get.records(0).shared_with(), IsEmpty()) << "old shares must not return";
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse owner_hits, Admin(MakeSearch("fm", "a", {2, 2, 2}, 1)));
  ASSERT_EQ(owner_hits.hits_size(), 1);
  EXPECT_EQ(owner_hits.hits(0).id(), 1u);
  EXPECT_EQ(owner_hits.hits(0).score(), 0.0f);

  ASSERT_OK_AND_ASSIGN(v1::GetResponse reader_get, Admin(MakeGet("fm", "b", {1}, "a")));
  EXPECT_THAT(reader_get.records(), IsEmpty());
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse reader_hits,
                       Admin(MakeSearch("fm", "b", {2, 2, 2}, 10)));
  EXPECT_THAT(HitKeys(reader_hits), ElementsAre(std::pair<std::string, uint64_t>("b", 1)));
}

TEST_F(DatabaseTest, DropTenantRemovesItsVectorsAndAccess) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK(Admin(MakeShare("fm", "b", {1}, {"c"})));  // b's own vector, read by c
  ASSERT_OK(Admin(MakeShare("fm", "a", {2}, {"b", "c"})));
  ASSERT_OK_AND_ASSIGN(v1::CreateKeyResponse key, CreateKey("fm", "b"));

  ASSERT_OK(DropTenant("fm", "b"));

  // b's vectors are gone for every reader.
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse c_hits, Admin(MakeSearch("fm", "c", {5, 5, 5}, 10)));
  EXPECT_THAT(HitKeys(c_hits), ElementsAre(std::pair<std::string, uint64_t>("a", 2)));
  EXPECT_EQ(CountOf("fm", "c"), 1u);
  // b no longer appears in the access lists of a's vectors.
  ASSERT_OK_AND_ASSIGN(v1::GetResponse a_get, Admin(MakeGet("fm", "a", {1, 2})));
  ASSERT_EQ(a_get.records_size(), 2);
  EXPECT_THAT(a_get.records(0).shared_with(), IsEmpty());
  EXPECT_THAT(a_get.records(1).shared_with(), ElementsAre("c"));
  EXPECT_EQ(Login(key.key()).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(StatusOf(Admin(MakeCount("fm", "b"))).code(), absl::StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(v1::CollectionInfo info, Describe("fm"));
  EXPECT_EQ(info.vector_count(), 3u);
  EXPECT_EQ(info.tenant_count(), 2u);
  EXPECT_EQ(StatusOf(Admin(MakeShare("fm", "a", {3}, {"b"}))).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(DatabaseTest, RecreatedTenantStartsEmpty) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK(Admin(MakeShare("fm", "a", {2}, {"b"})));
  ASSERT_OK(DropTenant("fm", "b"));
  ASSERT_OK_AND_ASSIGN(v1::TenantInfo info, CreateTenant("fm", "b"));
  EXPECT_EQ(info.owned_count(), 0u);
  EXPECT_EQ(info.readable_count(), 0u);

  EXPECT_EQ(CountOf("fm", "b"), 0u);
  EXPECT_THAT(ListAll("fm", "b"), IsEmpty());
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse hits, Admin(MakeSearch("fm", "b", {5, 5, 5}, 10)));
  EXPECT_THAT(hits.hits(), IsEmpty());
  ASSERT_OK_AND_ASSIGN(v1::GetResponse own, Admin(MakeGet("fm", "b", {1})));
  EXPECT_THAT(own.records(), IsEmpty());
  ASSERT_OK_AND_ASSIGN(v1::GetResponse shared, Admin(MakeGet("fm", "b", {1, 2}, "a")));
  EXPECT_THAT(shared.records(), IsEmpty());
  ASSERT_OK_AND_ASSIGN(v1::GetResponse a_get, Admin(MakeGet("fm", "a", {1, 2})));
  ASSERT_EQ(a_get.records_size(), 2);
  EXPECT_THAT(a_get.records(0).shared_with(), IsEmpty());
  EXPECT_THAT(a_get.records(1).shared_with(), IsEmpty());

  // The new b starts over with id 1.
  ASSERT_OK_AND_ASSIGN(v1::UpsertResponse upserted, Admin(MakeUpsert("fm", "b", {{1, {0, 0, 0}}})));
  EXPECT_EQ(upserted.inserted_count(), 1u);
}

TEST_F(DatabaseTest, DropCollectionThenRecreateStartsEmpty) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK(DropCollection("fm"));
  EXPECT_EQ(Describe("fm").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusOf(Admin(MakeCount("fm", "a"))).code(), absl::StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(v1::ListCollectionsResponse listed, database_->ListCollections(admin_));
  ASSERT_EQ(listed.collections_size(), 1);
  EXPECT_EQ(listed.collections(0).name(), "cos");

  ASSERT_OK(CreateCollection("fm", 3, v1::METRIC_L2));
  ASSERT_OK_AND_ASSIGN(v1::CollectionInfo info, Describe("fm"));
  EXPECT_EQ(info.vector_count(), 0u);
  EXPECT_EQ(info.tenant_count(), 0u);
  EXPECT_EQ(StatusOf(Admin(MakeCount("fm", "a"))).code(), absl::StatusCode::kNotFound);
  ASSERT_OK(CreateTenant("fm", "a"));
  EXPECT_EQ(CountOf("fm", "a"), 0u);

  Reopen();
  ASSERT_OK_AND_ASSIGN(v1::CollectionInfo reopened, Describe("fm"));
  EXPECT_EQ(reopened.vector_count(), 0u);
  EXPECT_EQ(reopened.tenant_count(), 1u);
  EXPECT_EQ(CountOf("fm", "a"), 0u);
  ASSERT_OK_AND_ASSIGN(v1::CollectionInfo cos, Describe("cos"));
  EXPECT_EQ(cos.vector_count(), 1u);
}

TEST_F(DatabaseTest, DescribeAndTenantInfoCount) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK_AND_ASSIGN(v1::CollectionInfo info, Describe("fm"));
  EXPECT_EQ(info.name(), "fm");
  EXPECT_EQ(info.dimension(), 3u);
  EXPECT_EQ(info.metric(), v1::METRIC_L2);
  EXPECT_EQ(info.vector_count(), 4u);
  EXPECT_EQ(info.tenant_count(), 3u);
  EXPECT_GT(info.bytes(), 0u);
  EXPECT_GT(info.created_unix_ms(), 0);

  const std::vector<v1::TenantInfo> tenants = ListAllTenants("fm");
  ASSERT_EQ(tenants.size(), 3u);
  EXPECT_EQ(tenants[0].name(), "a");
  EXPECT_EQ(tenants[0].owned_count(), 3u);
  EXPECT_EQ(tenants[0].readable_count(), 3u);
  EXPECT_EQ(tenants[1].name(), "b");
  EXPECT_EQ(tenants[1].owned_count(), 1u);
  EXPECT_EQ(tenants[1].readable_count(), 2u);
  EXPECT_EQ(tenants[2].name(), "c");
  EXPECT_EQ(tenants[2].owned_count(), 0u);
  EXPECT_EQ(tenants[2].readable_count(), 0u);
  for (const v1::TenantInfo& tenant : tenants) EXPECT_EQ(tenant.collection(), "fm");
}

// ---------------------------------------------------------------------------------------------
// Search: scores, order, ties and k.

struct ExpectedHit {
  uint64_t id;
  double score;
};

// Vectors with pairwise different scores for the query below under every metric.
const std::vector<TestVector> kScoredVectors = {
    {1, {1, 2, 3}}, {2, {-1, 0.5f, 2}}, {3, {4, -2, 0}}, {4, {0.25f, 0.25f, 0.25f}},
    {5, {-3, -1, 0.5f}}, {6, {2, 2, -2}},
};
const std::vector<float> kScoredQuery = {0.5f, 1, -1};

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += double{a[i]} * b[i];
  return sum;
}

// The expected hits, best first, computed in double precision.
std::vector<ExpectedHit> ExpectedHits(v1::Metric metric) {
  std::vector<ExpectedHit> hits;
  for (const TestVector& vector : kScoredVectors) {
    double score = 0;
    if (metric == v1::METRIC_L2) {
      for (size_t i = 0; i < vector.values.size(); ++i) {
        const double d = double{kScoredQuery[i]} - vector.values[i];
        score += d * d;
      }
    } else if (metric == v1::METRIC_IP) {
      score = Dot(kScoredQuery, vector.values);
    } else {
      score = Dot(kScoredQuery, vector.values) /
              std::sqrt(Dot(kScoredQuery, kScoredQuery) * Dot(vector.values, vector.values));
    }
    hits.push_back({vector.id, score});
  }
  std::sort(hits.begin(), hits.end(), [&](const ExpectedHit& x, const ExpectedHit& y) {
    return metric == v1::METRIC_L2 ? x.score < y.score : x.score > y.score;
  });
  return hits;
}

class SearchScoreTest : public DatabaseTest,
                        public ::testing::WithParamInterface<v1::Metric> {};

TEST_P(SearchScoreTest, ScoresAndOrderMatchBruteForce) {
  const v1::Metric metric = GetParam();
  ASSERT_OK(CreateCollection("scored", 3, metric));
  ASSERT_OK(CreateTenant("scored", "t"));
  ASSERT_OK(Admin(MakeUpsert("scored", "t", kScoredVectors)));

  const std::vector<ExpectedHit> expected = ExpectedHits(metric);
  for (size_t i = 1; i < expected.size(); ++i) {
    ASSERT_GT(std::abs(expected[i].score - expected[i - 1].score), 1e-3)
        << "the test vectors must not tie";
  }
  for (int32_t k : {1, 3, 6, 100}) {
    SCOPED_TRACE(::testing::Message() << "k=" << k);
    ASSERT_OK_AND_ASSIGN(v1::SearchResponse response,
                         Admin(MakeSearch("scored", "t", kScoredQuery, k)));
    const size_t want = std::min<size_t>(k, expected.size());
    ASSERT_EQ(static_cast<size_t>(response.hits_size()), want);
    for (size_t i = 0; i < want; ++i) {
      SCOPED_TRACE(::testing::Message() << "hit " << i);
      EXPECT_EQ(response.hits(i).owner(), "t");
      EXPECT_EQ(response.hits(i).id(), expected[i].id);
      EXPECT_NEAR(response.hits(i).score(), expected[i].score,
                  1e-5 * std::max(1.0, std::abs(expected[i].score)));
    }
  }
}

TEST_P(SearchScoreTest, SearchBatchMatchesSingleSearches) {
  const v1::Metric metric = GetParam();
  ASSERT_OK(CreateCollection("scored", 3, metric));
  ASSERT_OK(CreateTenant("scored", "t"));
  ASSERT_OK(Admin(MakeUpsert("scored", "t", kScoredVectors)));

  const std::vector<std::vector<float>> queries = {kScoredQuery, {1, 1, 1}, {-2, 0.5f, 3}};
  ASSERT_OK_AND_ASSIGN(v1::SearchBatchResponse batch,
                       Admin(MakeSearchBatch("scored", "t", queries, 4)));
  ASSERT_EQ(batch.results_size(), 3);
  for (size_t i = 0; i < queries.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << "query " << i);
    ASSERT_OK_AND_ASSIGN(v1::SearchResponse single,
                         Admin(MakeSearch("scored", "t", queries[i], 4)));
    EXPECT_EQ(batch.results(i).ShortDebugString(), single.ShortDebugString());
  }
}

TEST_P(SearchScoreTest, EmptyCollectionReturnsNothing) {
  ASSERT_OK(CreateCollection("empty", 3, GetParam()));
  ASSERT_OK(CreateTenant("empty", "t"));
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse response, Admin(MakeSearch("empty", "t", {1, 2, 3}, 10)));
  EXPECT_THAT(response.hits(), IsEmpty());
  ASSERT_OK_AND_ASSIGN(v1::SearchBatchResponse batch,
                       Admin(MakeSearchBatch("empty", "t", {{1, 2, 3}, {3, 2, 1}}, 10)));
  ASSERT_EQ(batch.results_size(), 2);
  EXPECT_THAT(batch.results(0).hits(), IsEmpty());
  EXPECT_THAT(batch.results(1).hits(), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Metrics, SearchScoreTest,
                         ::testing::Values(v1::METRIC_L2, v1::METRIC_IP, v1::METRIC_COSINE),
                         [](const ::testing::TestParamInfo<v1::Metric>& info) {
                           return v1::Metric_Name(info.param);
                         });

TEST_F(DatabaseTest, CosineScoreIgnoresMagnitude) {
  ASSERT_OK(CreateCollection("cosine", 2, v1::METRIC_COSINE));
  ASSERT_OK(CreateTenant("cosine", "t"));
  ASSERT_OK(Admin(MakeUpsert("cosine", "t", {{1, {3, 4}}, {2, {-30, -40}}, {3, {0, 2}}})));
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse response,
                       Admin(MakeSearch("cosine", "t", {6, 8}, 3)));
  ASSERT_EQ(response.hits_size(), 3);
  EXPECT_EQ(response.hits(0).id(), 1u);
  EXPECT_NEAR(response.hits(0).score(), 1.0, 1e-6);
  EXPECT_EQ(response.hits(1).id(), 3u);
  EXPECT_NEAR(response.hits(1).score(), 0.8, 1e-6);
  EXPECT_EQ(response.hits(2).id(), 2u);
  EXPECT_NEAR(response.hits(2).score(), -1.0, 1e-6);

  // Get returns the values as written, not the unit-length copies.
  ASSERT_OK_AND_ASSIGN(v1::GetResponse got, Admin(MakeGet("cosine", "t", {2})));
  ASSERT_EQ(got.records_size(), 1);
  EXPECT_THAT(Values(got.records(0)), ElementsAre(-30, -40));
}

TEST_F(DatabaseTest, TiesBreakByOwnerNameThenId) {
  ASSERT_OK(CreateCollection("ties", 2, v1::METRIC_L2));
  // Created in an order that differs from name order, so that tenant ids do not sort like names.
  for (const char* tenant : {"zeta", "alpha", "reader", "mid"}) {
    ASSERT_OK(CreateTenant("ties", tenant));
  }
  ASSERT_OK(Admin(MakeUpsert("ties", "zeta", {{2, {1, 1}}, {1, {1, 1}}})));
  ASSERT_OK(Admin(MakeUpsert("ties", "alpha", {{5, {1, 1}}, {3, {1, 1}}, {256, {1, 1}}})));
  ASSERT_OK(Admin(MakeUpsert("ties", "mid", {{4, {1, 1}}})));
  ASSERT_OK(Admin(MakeUpsert("ties", "reader", {{0, {1, 1}}, {9, {3, 3}}})));
  ASSERT_OK(Admin(MakeShare("ties", "zeta", {1, 2}, {"reader"})));
  ASSERT_OK(Admin(MakeShare("ties", "alpha", {3, 5, 256}, {"reader"})));
  ASSERT_OK(Admin(MakeShare("ties", "mid", {4}, {"reader"})));

  using Key = std::pair<std::string, uint64_t>;
  const std::vector<Key> all = {Key("alpha", 3), Key("alpha", 5),  Key("alpha", 256),
                                Key("mid", 4),   Key("reader", 0), Key("zeta", 1),
                                Key("zeta", 2),  Key("reader", 9)};
  for (int32_t k = 1; k <= 9; ++k) {
    SCOPED_TRACE(::testing::Message() << "k=" << k);
    ASSERT_OK_AND_ASSIGN(v1::SearchResponse response,
                         Admin(MakeSearch("ties", "reader", {1, 1}, k)));
    const std::vector<Key> want(all.begin(), all.begin() + std::min<size_t>(k, all.size()));
    EXPECT_EQ(HitKeys(response), want);
  }
}

TEST_F(DatabaseTest, SearchResultsAreUniqueAndSorted) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK(Admin(MakeShare("fm", "a", {2, 3}, {"b"})));
  ASSERT_OK(Admin(MakeUpsert("fm", "b", {{2, {0, 1, 0}}, {3, {0, 0, 1}}})));  // same values as a's
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse response, Admin(MakeSearch("fm", "b", {0, 1, 0}, 50)));
  using Key = std::pair<std::string, uint64_t>;
  EXPECT_THAT(HitKeys(response), ElementsAre(Key("a", 2), Key("b", 2), Key("a", 1), Key("a", 3),
                                             Key("b", 3), Key("b", 1)));
  for (int i = 1; i < response.hits_size(); ++i) {
    EXPECT_LE(response.hits(i - 1).score(), response.hits(i).score());
  }
}

// ---------------------------------------------------------------------------------------------
// Paging.

TEST_F(DatabaseTest, ListTenantsPagesCoverAllInOrder) {
  ASSERT_OK(CreateCollection("many", 1, v1::METRIC_L2));
  std::vector<std::string> names;
  for (int i = 0; i < 250; ++i) names.push_back(absl::StrCat("t", 1000 - i));  // reverse order
  for (const std::string& name : names) ASSERT_OK(CreateTenant("many", name));
  std::sort(names.begin(), names.end());

  for (uint32_t page_size : {0u, 1u, 7u, 100u, 249u, 250u, 251u, kMaxTenantPage}) {
    SCOPED_TRACE(::testing::Message() << "page_size " << page_size);
    const uint32_t effective = page_size == 0 ? kDefaultTenantPage : page_size;
    v1::ListTenantsRequest request;
    request.set_collection("many");
    request.set_page_size(page_size);
    std::vector<std::string> seen;
    int pages = 0;
    while (true) {
      ASSERT_OK_AND_ASSIGN(v1::ListTenantsResponse response,
                           database_->ListTenants(admin_, request));
      ++pages;
      ASSERT_LE(static_cast<uint32_t>(response.tenants_size()), effective);
      for (const v1::TenantInfo& tenant : response.tenants()) seen.push_back(tenant.name());
      if (response.next_page_token().empty()) break;
      ASSERT_EQ(static_cast<uint32_t>(response.tenants_size()), effective)
          << "only the last page may be short";
      request.set_page_token(response.next_page_token());
      ASSERT_LT(pages, 1000) << "paging does not end";
    }
    EXPECT_EQ(seen, names);
    EXPECT_EQ(pages, static_cast<int>((names.size() + effective - 1) / effective));
  }
}

TEST_F(DatabaseTest, ListPagesCoverAllInOrder) {
  ASSERT_OK(CreateCollection("paged", 1, v1::METRIC_L2));
  for (const char* tenant : {"owner2", "reader", "owner1"}) ASSERT_OK(CreateTenant("paged", tenant));

  using Key = std::pair<std::string, uint64_t>;
  std::vector<Key> expected;
  std::vector<TestVector> vectors;
  std::vector<uint64_t> ids;
  for (uint64_t id : {uint64_t{0}, uint64_t{1}, uint64_t{2}, uint64_t{10}, uint64_t{255},
                      uint64_t{256}, uint64_t{1000}, uint64_t{65536},
                      std::numeric_limits<uint64_t>::max()}) {
    vectors.push_back({id, {static_cast<float>(id)}});
    ids.push_back(id);
  }
  for (const char* owner : {"owner1", "owner2"}) {
    ASSERT_OK(Admin(MakeUpsert("paged", owner, vectors)));
    ASSERT_OK(Admin(MakeShare("paged", owner, ids, {"reader"})));
    for (uint64_t id : ids) expected.emplace_back(owner, id);
  }
  ASSERT_OK(Admin(MakeUpsert("paged", "reader", {{3, {3}}, {0, {0}}})));
  expected.emplace_back("reader", 0);
  expected.emplace_back("reader", 3);
  std::sort(expected.begin(), expected.end());

  for (uint32_t page_size : {1u, 2u, 3u, 19u, 20u, 21u, 0u}) {
    SCOPED_TRACE(::testing::Message() << "page_size " << page_size);
    const uint32_t effective = page_size == 0 ? kDefaultListPage : page_size;
    std::vector<Key> seen;
    std::string token;
    int pages = 0;
    while (true) {
      ASSERT_OK_AND_ASSIGN(v1::ListResponse response,
                           Admin(MakeList("paged", "reader", page_size, token)));
      ++pages;
      ASSERT_LE(static_cast<uint32_t>(response.vectors_size()), effective);
      for (const Key& key : RefKeys(response.vectors())) seen.push_back(key);
      token = response.next_page_token();
      if (token.empty()) break;
      ASSERT_EQ(static_cast<uint32_t>(response.vectors_size()), effective)
          << "only the last page may be short";
      ASSERT_LT(pages, 1000) << "paging does not end";
    }
    EXPECT_EQ(seen, expected);
    EXPECT_EQ(pages, static_cast<int>((expected.size() + effective - 1) / effective));
  }
}

TEST_F(DatabaseTest, ListPagingSkipsVectorsDeletedBetweenPages) {
  ASSERT_OK(CreateCollection("paged", 1, v1::METRIC_L2));
  ASSERT_OK(CreateTenant("paged", "t"));
  ASSERT_OK(Admin(MakeUpsert("paged", "t", {{1, {1}}, {2, {2}}, {3, {3}}, {4, {4}}})));
  ASSERT_OK_AND_ASSIGN(v1::ListResponse first, Admin(MakeList("paged", "t", 2)));
  ASSERT_EQ(first.vectors_size(), 2);
  ASSERT_OK(Admin(MakeDelete("paged", "t", {2, 3})));  // 2 was the page's last entry

  ASSERT_OK_AND_ASSIGN(v1::ListResponse second,
                       Admin(MakeList("paged", "t", 2, first.next_page_token())));
  using Key = std::pair<std::string, uint64_t>;
  EXPECT_THAT(RefKeys(second.vectors()), ElementsAre(Key("t", 4)));
  EXPECT_TRUE(second.next_page_token().empty());
}

// ---------------------------------------------------------------------------------------------
// Persistence and the data directory.

TEST_F(DatabaseTest, ReopenKeepsEverything) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  ASSERT_OK(Admin(MakeShare("fm", "a", {2}, {"b", "c"})));
  ASSERT_OK(Admin(MakeUnshare("fm", "a", {2}, {"c"})));
  ASSERT_OK(Admin(MakeUpsert("fm", "a", {{3, {0, 0, 7}}})));  // replaced value
  ASSERT_OK(Admin(MakeUpsert("fm", "c", {{4, {1, 1, 1}}, {5, {2, 2, 2}}})));
  ASSERT_OK(Admin(MakeDelete("fm", "c", {4})));
  ASSERT_OK(Admin(MakeUpsert("cos", "a", {{2, {0, 3}}, {3, {-1, 1}}})));
  ASSERT_OK(CreateTenant("fm", "d"));
  ASSERT_OK(Admin(MakeUpsert("fm", "d", {{1, {4, 4, 4}}})));
  ASSERT_OK(Admin(MakeShare("fm", "d", {1}, {"a"})));
  ASSERT_OK(Admin(MakeShare("fm", "a", {3}, {"d"})));
  ASSERT_OK_AND_ASSIGN(v1::CreateKeyResponse d_key, CreateKey("fm", "d"));
  ASSERT_OK(DropTenant("fm", "d"));
  ASSERT_OK_AND_ASSIGN(v1::CreateKeyResponse kept, CreateKey("fm", "b"));
  ASSERT_OK_AND_ASSIGN(v1::CreateKeyResponse revoked, CreateKey("fm", "b"));
  ASSERT_OK(RevokeKey("fm", revoked.key_id()));
  ASSERT_OK(CreateCollection("dropped", 2, v1::METRIC_IP));
  ASSERT_OK(CreateTenant("dropped", "x"));
  ASSERT_OK_AND_ASSIGN(v1::CreateKeyResponse dropped_key, CreateKey("dropped", "x"));
  ASSERT_OK(DropCollection("dropped"));

  const std::vector<v1::SearchRequest> searches = {
      MakeSearch("fm", "a", {0, 0, 1}, 10), MakeSearch("fm", "b", {1, 1, 1}, 10),
      MakeSearch("fm", "c", {1, 0, 0}, 10), MakeSearch("cos", "a", {1, 1}, 10)};
  std::vector<std::string> results_before;
  for (const v1::SearchRequest& search : searches) {
    ASSERT_OK_AND_ASSIGN(v1::SearchResponse response, Admin(search));
    results_before.push_back(response.ShortDebugString());
  }
  const std::string snapshot_before = Snapshot();

  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(::testing::Message() << "re-open " << round + 1);
    Reopen();
    EXPECT_EQ(Snapshot(), snapshot_before);
    for (size_t i = 0; i < searches.size(); ++i) {
      ASSERT_OK_AND_ASSIGN(v1::SearchResponse response, Admin(searches[i]));
      EXPECT_EQ(response.ShortDebugString(), results_before[i]) << "search " << i;
    }
    ASSERT_OK_AND_ASSIGN(Principal b, Login(kept.key()));
    EXPECT_EQ(b.tenant, "b");
    EXPECT_EQ(b.collection, "fm");
    EXPECT_OK(As(b, MakeCount("fm", "b")));
    EXPECT_EQ(Login(revoked.key()).status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(Login(d_key.key()).status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(Login(dropped_key.key()).status().code(), absl::StatusCode::kUnauthenticated);
  }

  // Tenant and collection ids are not reused after a re-open: the new d and the new "dropped"
  // start empty and see nothing of their predecessors.
  ASSERT_OK(CreateTenant("fm", "d"));
  EXPECT_EQ(CountOf("fm", "d"), 0u);
  ASSERT_OK_AND_ASSIGN(v1::GetResponse a_get, Admin(MakeGet("fm", "a", {3})));
  ASSERT_EQ(a_get.records_size(), 1);
  EXPECT_THAT(a_get.records(0).shared_with(), IsEmpty());
  ASSERT_OK(CreateCollection("dropped", 2, v1::METRIC_IP));
  ASSERT_OK(CreateTenant("dropped", "x"));
  EXPECT_EQ(CountOf("dropped", "x"), 0u);
  EXPECT_EQ(Login(dropped_key.key()).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(DatabaseTest, WritesAfterReopenPersist) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  Reopen();
  ASSERT_OK(Admin(MakeUpsert("fm", "c", {{8, {8, 8, 8}}})));
  ASSERT_OK(Admin(MakeShare("fm", "c", {8}, {"a"})));
  ASSERT_OK(Admin(MakeDelete("fm", "a", {2})));
  ASSERT_OK(CreateTenant("fm", "e"));
  const std::string before = Snapshot();
  Reopen();
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(DatabaseTest, SecondOpenOfSameDirectoryFails) {
  const absl::StatusOr<std::unique_ptr<Database>> second =
      Database::Open({dir_.path(), false, kAdminKey});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr(dir_.path()));
}

TEST_F(DatabaseTest, OpenRejectsEmptyAdminKey) {
  ScopedTempDir other;
  const absl::StatusOr<std::unique_ptr<Database>> database =
      Database::Open({other.path(), false, ""});
  EXPECT_EQ(database.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(DatabaseTest, CloseTwiceIsHarmless) {
  ASSERT_NO_FATAL_FAILURE(CreateSampleData());
  EXPECT_OK(database_->Close());
  EXPECT_OK(database_->Close());
}

// database.h promises that calls after Close fail. The calls run in a child process so that a
// crash fails only this test.
TEST(DatabaseCloseTest, WriteAfterCloseFails) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const ScopedTempDir dir(/*per_process=*/false);
  EXPECT_EXIT(
      {
        absl::StatusOr<std::unique_ptr<Database>> database =
            Database::Open({dir.path(), false, kAdminKey});
        if (!database.ok()) std::_Exit(2);
        Principal admin;
        admin.admin = true;
        v1::CreateCollectionRequest create_collection;
        create_collection.set_name("fm");
        create_collection.set_dimension(3);
        create_collection.set_metric(v1::METRIC_L2);
        v1::CreateTenantRequest create_tenant;
        create_tenant.set_collection("fm");
        create_tenant.set_tenant("a");
        if (!(*database)->CreateCollection(admin, create_collection).ok()) std::_Exit(3);
        if (!(*database)->CreateTenant(admin, create_tenant).ok()) std::_Exit(4);
        if (!(*database)->Close().ok()) std::_Exit(5);

        const DataCalls data(database->get());
        const absl::Status status =
            StatusOf(data.Call(admin, MakeUpsert("fm", "a", {{9, {1, 1, 1}}})));
        std::_Exit(status.ok() ? 6 : 0);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace arbor::server

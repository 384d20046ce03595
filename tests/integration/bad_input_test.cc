// Invalid requests over gRPC: each gets the documented status code and a message naming the
// field, and none changes the database. Also the limits themselves, which must be accepted, and
// an upsert larger than gRPC's default 4 MiB message limit.
#include <functional>
#include <limits>

#include "tests/integration/arbord_test_fixture.h"

namespace arbor::integration {
namespace {

using Code = grpc::StatusCode;

struct BadInputCase {
  std::string name;
  std::function<grpc::Status(ArborClient&)> call;
  Code code;
  std::string fragment;  // expected in the message, usually the field name
};

std::vector<float> Filled(size_t dimension, float value) {
  return std::vector<float>(dimension, value);
}

class BadInputTest : public ArbordTest {
 protected:
  // "docs" (dimension 4, l2): alice owns 1, 2, 3 and shares 1 with bob, and bob owns 10.
  // "cos" (dimension 3, cosine): alice owns 1. alice has a key in docs.
  void SetUp() override {
    ArbordTest::SetUp();
    ASSERT_TRUE(IsOk(admin_->CreateCollection("docs", 4, v1::METRIC_L2)));
    ASSERT_TRUE(IsOk(admin_->CreateCollection("cos", 3, v1::METRIC_COSINE)));
    ASSERT_TRUE(IsOk(admin_->CreateTenant("docs", "alice")));
    ASSERT_TRUE(IsOk(admin_->CreateTenant("docs", "bob")));
    ASSERT_TRUE(IsOk(admin_->CreateTenant("cos", "alice")));
    ASSERT_TRUE(IsOk(admin_->Upsert(
        "docs", "alice", {{1, {1, 0, 0, 0}}, {2, {0, 1, 0, 0}}, {3, {0, 0, 1, 0}}})));
    ASSERT_TRUE(IsOk(admin_->Upsert("docs", "bob", {{10, {0, 0, 0, 1}}})));
    ASSERT_TRUE(IsOk(admin_->Share("docs", "alice", {1}, {"bob"})));
    ASSERT_TRUE(IsOk(admin_->Upsert("cos", "alice", {{1, {1, 2, 3}}})));
    ASSERT_TRUE(IsOk(admin_->CreateKey("docs", "alice", nullptr)));
  }

  // Everything a client can observe about the database, as text.
  std::string Snapshot() {
    std::string text;
    v1::ListCollectionsResponse collections;
    EXPECT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::ListCollections,
                                  v1::ListCollectionsRequest(), &collections)));
    for (v1::CollectionInfo& info : *collections.mutable_collections()) {
      info.clear_bytes();  // an estimate that may change without a write
      info.mutable_index()->clear_memory_bytes();
      text += info.DebugString();

      std::vector<v1::TenantInfo> tenants;
      EXPECT_TRUE(IsOk(admin_->ListAllTenants(info.name(), 0, &tenants)));
      v1::ListKeysRequest keys_request;
      keys_request.set_collection(info.name());
      v1::ListKeysResponse keys;
      EXPECT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::ListKeys, keys_request, &keys)));
      text += keys.DebugString();

      for (const v1::TenantInfo& tenant : tenants) {
        text += tenant.DebugString();
        std::vector<std::pair<std::string, uint64_t>> refs;
        EXPECT_TRUE(IsOk(admin_->ListAll(info.name(), tenant.name(), 0, &refs)));
        for (const auto& [owner, id] : refs) {
          v1::GetResponse got;
          EXPECT_TRUE(IsOk(admin_->Get(info.name(), tenant.name(), {id}, owner, &got)));
          text += got.DebugString();
        }
      }
    }
    return text;
  }
};

// CreateCollection of "eps" (dimension 4, l2) with index.prune_epsilon set to `epsilon`.
std::function<grpc::Status(ArborClient&)> CreateWithPruneEpsilon(float epsilon) {
  return [=](ArborClient& c) {
    v1::CreateCollectionRequest request;
    request.set_name("eps");
    request.set_dimension(4);
    request.set_metric(v1::METRIC_L2);
    request.mutable_index()->set_prune_epsilon(epsilon);
    v1::CollectionInfo info;
    return c.Call(&v1::AdminService::Stub::CreateCollection, request, &info);
  };
}

std::vector<BadInputCase> AdminCases() {
  const std::string long_name(65, 'a');
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float infinity = std::numeric_limits<float>::infinity();
  return {
      {"prune_epsilon NaN", CreateWithPruneEpsilon(nan), Code::INVALID_ARGUMENT,
       "index.prune_epsilon is nan"},
      {"prune_epsilon infinity", CreateWithPruneEpsilon(infinity), Code::INVALID_ARGUMENT,
       "index.prune_epsilon is inf"},
      {"prune_epsilon -infinity", CreateWithPruneEpsilon(-infinity), Code::INVALID_ARGUMENT,
       "index.prune_epsilon is -inf"},
      {"prune_epsilon 100.5", CreateWithPruneEpsilon(100.5f), Code::INVALID_ARGUMENT,
       "index.prune_epsilon is 100.5; it must be a finite number at most 100"},
      {"collection name empty",
       [](ArborClient& c) { return c.CreateCollection("", 4, v1::METRIC_L2); },
       Code::INVALID_ARGUMENT, "name"},
      {"collection name uppercase",
       [](ArborClient& c) { return c.CreateCollection("Docs2", 4, v1::METRIC_L2); },
       Code::INVALID_ARGUMENT, "name"},
      {"collection name 65 characters",
       [=](ArborClient& c) { return c.CreateCollection(long_name, 4, v1::METRIC_L2); },
       Code::INVALID_ARGUMENT, "name"},
      {"collection name starts with underscore",
       [](ArborClient& c) { return c.CreateCollection("_docs", 4, v1::METRIC_L2); },
       Code::INVALID_ARGUMENT, "name"},
      {"collection name with slash",
       [](ArborClient& c) { return c.CreateCollection("a/b", 4, v1::METRIC_L2); },
       Code::INVALID_ARGUMENT, "name"},
      {"collection name with non-ASCII letter",
       [](ArborClient& c) { return c.CreateCollection("caf\xc3\xa9", 4, v1::METRIC_L2); },
       Code::INVALID_ARGUMENT, "name"},
      {"dimension 0", [](ArborClient& c) { return c.CreateCollection("d0", 0, v1::METRIC_L2); },
       Code::INVALID_ARGUMENT, "dimension"},
      {"dimension 4097",
       [](ArborClient& c) { return c.CreateCollection("d4097", 4097, v1::METRIC_L2); },
       Code::INVALID_ARGUMENT, "dimension"},
      {"metric unspecified",
       [](ArborClient& c) { return c.CreateCollection("m0", 4, v1::METRIC_UNSPECIFIED); },
       Code::INVALID_ARGUMENT, "metric"},
      {"metric unknown number",
       [](ArborClient& c) { return c.CreateCollection("m7", 4, static_cast<v1::Metric>(7)); },
       Code::INVALID_ARGUMENT, "metric"},
      {"collection exists",
       [](ArborClient& c) { return c.CreateCollection("docs", 4, v1::METRIC_L2); },
       Code::ALREADY_EXISTS, "docs"},
      {"drop unknown collection",
       [](ArborClient& c) {
         v1::DropCollectionRequest request;
         request.set_name("missing");
         v1::DropCollectionResponse response;
         return c.Call(&v1::AdminService::Stub::DropCollection, request, &response);
       },
       Code::NOT_FOUND, "missing"},
      {"describe unknown collection",
       [](ArborClient& c) {
         v1::CollectionInfo info;
         return c.DescribeCollection("missing", &info);
       },
       Code::NOT_FOUND, "missing"},
      {"tenant name invalid", [](ArborClient& c) { return c.CreateTenant("docs", "Carol"); },
       Code::INVALID_ARGUMENT, "tenant"},
      {"tenant name empty", [](ArborClient& c) { return c.CreateTenant("docs", ""); },
       Code::INVALID_ARGUMENT, "tenant"},
      {"tenant exists", [](ArborClient& c) { return c.CreateTenant("docs", "alice"); },
       Code::ALREADY_EXISTS, "alice"},
      {"tenant in unknown collection",
       [](ArborClient& c) { return c.CreateTenant("missing", "carol"); }, Code::NOT_FOUND,
       "missing"},
      {"drop unknown tenant", [](ArborClient& c) { return c.DropTenant("docs", "nobody"); },
       Code::NOT_FOUND, "nobody"},
      {"list tenants page_size 1001",
       [](ArborClient& c) {
         v1::ListTenantsRequest request;
         request.set_collection("docs");
         request.set_page_size(1001);
         v1::ListTenantsResponse response;
         return c.Call(&v1::AdminService::Stub::ListTenants, request, &response);
       },
       Code::INVALID_ARGUMENT, "page_size"},
      {"list tenants bad page_token",
       [](ArborClient& c) {
         v1::ListTenantsRequest request;
         request.set_collection("docs");
         request.set_page_token("%%%");
         v1::ListTenantsResponse response;
         return c.Call(&v1::AdminService::Stub::ListTenants, request, &response);
       },
       Code::INVALID_ARGUMENT, "page_token"},
      {"key for unknown tenant",
       [](ArborClient& c) { return c.CreateKey("docs", "nobody", nullptr); }, Code::NOT_FOUND,
       "nobody"},
      {"list keys of unknown tenant",
       [](ArborClient& c) {
         v1::ListKeysRequest request;
         request.set_collection("docs");
         request.set_tenant("nobody");
         v1::ListKeysResponse response;
         return c.Call(&v1::AdminService::Stub::ListKeys, request, &response);
       },
       Code::NOT_FOUND, "nobody"},
      {"revoke unknown key",
       [](ArborClient& c) { return c.RevokeKey("docs", "0123456789abcdef"); }, Code::NOT_FOUND,
       "0123456789abcdef"},
  };
}

std::vector<BadInputCase> WriteCases() {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float infinity = std::numeric_limits<float>::infinity();
  return {
      {"upsert empty",
       [](ArborClient& c) { return c.Upsert("docs", "alice", {}); }, Code::INVALID_ARGUMENT,
       "vectors"},
      {"upsert wrong dimension at index 2",
       [](ArborClient& c) {
         return c.Upsert("docs", "alice",
                         {{20, Filled(4, 1)}, {21, Filled(4, 1)}, {22, Filled(3, 1)}});
       },
       Code::INVALID_ARGUMENT, "vectors[2].values"},
      {"upsert too many values",
       [](ArborClient& c) { return c.Upsert("docs", "alice", {{20, Filled(5, 1)}}); },
       Code::INVALID_ARGUMENT, "vectors[0].values"},
      {"upsert NaN at index 1",
       [=](ArborClient& c) {
         return c.Upsert("docs", "alice", {{20, Filled(4, 1)}, {21, {1, nan, 1, 1}}});
       },
       Code::INVALID_ARGUMENT, "vectors[1].values"},
      {"upsert infinity",
       [=](ArborClient& c) { return c.Upsert("docs", "alice", {{20, {-infinity, 0, 0, 0}}}); },
       Code::INVALID_ARGUMENT, "vectors[0].values"},
      {"upsert repeated id",
       [](ArborClient& c) {
         return c.Upsert("docs", "alice", {{20, Filled(4, 1)}, {20, Filled(4, 2)}});
       },
       Code::INVALID_ARGUMENT, "vectors[1].id"},
      {"upsert 16385 vectors",
       [](ArborClient& c) {
         std::vector<TestVector> vectors;
         for (uint64_t i = 0; i < 16385; ++i) vectors.push_back({100 + i, Filled(4, 1)});
         return c.Upsert("docs", "alice", vectors);
       },
       Code::INVALID_ARGUMENT, "vectors"},
      {"upsert zero vector under cosine",
       [](ArborClient& c) { return c.Upsert("cos", "alice", {{2, Filled(3, 0)}}); },
       Code::INVALID_ARGUMENT, "vectors[0].values"},
      {"upsert unknown tenant",
       [](ArborClient& c) { return c.Upsert("docs", "nobody", {{20, Filled(4, 1)}}); },
       Code::NOT_FOUND, "nobody"},
      {"upsert unknown collection",
       [](ArborClient& c) { return c.Upsert("missing", "alice", {{20, Filled(4, 1)}}); },
       Code::NOT_FOUND, "missing"},
      {"upsert invalid collection name",
       [](ArborClient& c) { return c.Upsert("Docs", "alice", {{20, Filled(4, 1)}}); },
       Code::INVALID_ARGUMENT, "collection"},
      {"upsert invalid tenant name",
       [](ArborClient& c) { return c.Upsert("docs", "al ice", {{20, Filled(4, 1)}}); },
       Code::INVALID_ARGUMENT, "tenant"},
      {"upsert empty tenant name",
       [](ArborClient& c) { return c.Upsert("docs", "", {{20, Filled(4, 1)}}); },
       Code::INVALID_ARGUMENT, "tenant"},
      {"delete empty", [](ArborClient& c) { return c.Delete("docs", "alice", {}); },
       Code::INVALID_ARGUMENT, "ids"},
      {"delete repeated id", [](ArborClient& c) { return c.Delete("docs", "alice", {1, 1}); },
       Code::INVALID_ARGUMENT, "ids[1]"},
      {"delete 16385 ids",
       [](ArborClient& c) {
         std::vector<uint64_t> ids(16385);
         for (size_t i = 0; i < ids.size(); ++i) ids[i] = i;
         return c.Delete("docs", "alice", ids);
       },
       Code::INVALID_ARGUMENT, "ids"},
      {"share with owner",
       [](ArborClient& c) { return c.Share("docs", "alice", {2}, {"alice"}); },
       Code::INVALID_ARGUMENT, "with_tenants[0]"},
      {"share with unknown tenant",
       [](ArborClient& c) { return c.Share("docs", "alice", {2}, {"nobody"}); },
       Code::NOT_FOUND, "nobody"},
      {"share with invalid name",
       [](ArborClient& c) { return c.Share("docs", "alice", {2}, {"Bob"}); },
       Code::INVALID_ARGUMENT, "with_tenants[0]"},
      {"share repeated tenant",
       [](ArborClient& c) { return c.Share("docs", "alice", {2}, {"bob", "bob"}); },
       Code::INVALID_ARGUMENT, "with_tenants[1]"},
      {"share with nobody", [](ArborClient& c) { return c.Share("docs", "alice", {2}, {}); },
       Code::INVALID_ARGUMENT, "with_tenants"},
      {"share no ids", [](ArborClient& c) { return c.Share("docs", "alice", {}, {"bob"}); },
       Code::INVALID_ARGUMENT, "ids"},
      {"share id not owned",
       [](ArborClient& c) { return c.Share("docs", "alice", {2, 10}, {"bob"}); },
       Code::NOT_FOUND, "ids[1]"},
      {"unshare id not owned",
       [](ArborClient& c) { return c.Unshare("docs", "alice", {1, 99}, {"bob"}); },
       Code::NOT_FOUND, "ids[1]"},
      {"unshare owner", [](ArborClient& c) { return c.Unshare("docs", "alice", {1}, {"alice"}); },
       Code::INVALID_ARGUMENT, "with_tenants[0]"},
  };
}

std::vector<BadInputCase> ReadCases() {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto search = [](const std::string& collection, std::vector<float> query, int32_t k) {
    return [=](ArborClient& c) {
      v1::SearchResponse response;
      return c.Search(collection, "alice", query, k, &response);
    };
  };
  auto search_batch = [](std::vector<std::vector<float>> queries, int32_t k) {
    return [=](ArborClient& c) {
      v1::SearchBatchResponse response;
      return c.SearchBatch("docs", "alice", queries, k, &response);
    };
  };
  auto search_epsilon = [](float epsilon) {
    return [=](ArborClient& c) {
      v1::SearchRequest request;
      request.set_collection("docs");
      request.set_tenant("alice");
      const std::vector<float> query = Filled(4, 1);
      request.mutable_query()->Add(query.begin(), query.end());
      request.mutable_params()->set_k(2);
      request.mutable_params()->set_prune_epsilon(epsilon);
      v1::SearchResponse response;
      return c.Call(&v1::VectorService::Stub::Search, request, &response);
    };
  };
  auto search_batch_epsilon = [](float epsilon) {
    return [=](ArborClient& c) {
      v1::SearchBatchRequest request;
      request.set_collection("docs");
      request.set_tenant("alice");
      const std::vector<float> query = Filled(4, 1);
      request.add_queries()->mutable_values()->Add(query.begin(), query.end());
      request.mutable_params()->set_k(2);
      request.mutable_params()->set_prune_epsilon(epsilon);
      v1::SearchBatchResponse response;
      return c.Call(&v1::VectorService::Stub::SearchBatch, request, &response);
    };
  };
  const float infinity = std::numeric_limits<float>::infinity();
  std::vector<std::vector<float>> third_query_short(5, Filled(4, 1));
  third_query_short[3] = Filled(2, 1);

  return {
      {"search prune_epsilon NaN", search_epsilon(nan), Code::INVALID_ARGUMENT,
       "params.prune_epsilon is nan"},
      {"search prune_epsilon infinity", search_epsilon(infinity), Code::INVALID_ARGUMENT,
       "params.prune_epsilon is inf"},
      {"search prune_epsilon 100.5", search_epsilon(100.5f), Code::INVALID_ARGUMENT,
       "params.prune_epsilon is 100.5; it must be a finite number at most 100"},
      {"search batch prune_epsilon NaN", search_batch_epsilon(nan), Code::INVALID_ARGUMENT,
       "params.prune_epsilon is nan"},
      {"search batch prune_epsilon -infinity", search_batch_epsilon(-infinity),
       Code::INVALID_ARGUMENT, "params.prune_epsilon is -inf"},
      {"search batch prune_epsilon 100.5", search_batch_epsilon(100.5f), Code::INVALID_ARGUMENT,
       "params.prune_epsilon is 100.5"},
      {"search k 0", search("docs", Filled(4, 1), 0), Code::INVALID_ARGUMENT, "params.k"},
      {"search k -1", search("docs", Filled(4, 1), -1), Code::INVALID_ARGUMENT, "params.k"},
      {"search k 1025", search("docs", Filled(4, 1), 1025), Code::INVALID_ARGUMENT, "params.k"},
      {"search k minimum int32",
       search("docs", Filled(4, 1), std::numeric_limits<int32_t>::min()),
       Code::INVALID_ARGUMENT, "params.k"},
      {"search query too short", search("docs", Filled(3, 1), 5), Code::INVALID_ARGUMENT,
       "query"},
      {"search query empty", search("docs", {}, 5), Code::INVALID_ARGUMENT, "query"},
      {"search query NaN", search("docs", {0, nan, 0, 0}, 5), Code::INVALID_ARGUMENT, "query"},
      {"search zero query under cosine", search("cos", Filled(3, 0), 5), Code::INVALID_ARGUMENT,
       "query"},
      {"search unknown tenant",
       [](ArborClient& c) {
         v1::SearchResponse response;
         return c.Search("docs", "nobody", Filled(4, 1), 5, &response);
       },
       Code::NOT_FOUND, "nobody"},
      {"search batch empty", search_batch({}, 5), Code::INVALID_ARGUMENT, "queries"},
      {"search batch 1025 queries", search_batch(std::vector(1025, Filled(4, 1)), 5),
       Code::INVALID_ARGUMENT, "queries"},
      {"search batch query 3 too short", search_batch(third_query_short, 5),
       Code::INVALID_ARGUMENT, "queries[3].values"},
      {"search batch k 0", search_batch({Filled(4, 1)}, 0), Code::INVALID_ARGUMENT, "params.k"},
      {"get empty",
       [](ArborClient& c) {
         v1::GetResponse response;
         return c.Get("docs", "alice", {}, "", &response);
       },
       Code::INVALID_ARGUMENT, "ids"},
      {"get repeated id",
       [](ArborClient& c) {
         v1::GetResponse response;
         return c.Get("docs", "alice", {1, 2, 1}, "", &response);
       },
       Code::INVALID_ARGUMENT, "ids[2]"},
      {"get invalid owner",
       [](ArborClient& c) {
         v1::GetResponse response;
         return c.Get("docs", "bob", {1}, "Alice", &response);
       },
       Code::INVALID_ARGUMENT, "owner"},
      {"count unknown tenant",
       [](ArborClient& c) {
         uint64_t count = 0;
         return c.Count("docs", "nobody", &count);
       },
       Code::NOT_FOUND, "nobody"},
      {"count unknown collection",
       [](ArborClient& c) {
         uint64_t count = 0;
         return c.Count("missing", "alice", &count);
       },
       Code::NOT_FOUND, "missing"},
      {"list page_size 10001",
       [](ArborClient& c) {
         v1::ListRequest request;
         request.set_collection("docs");
         request.set_tenant("alice");
         request.set_page_size(10001);
         v1::ListResponse response;
         return c.Call(&v1::VectorService::Stub::List, request, &response);
       },
       Code::INVALID_ARGUMENT, "page_size"},
      {"list bad page_token",
       [](ArborClient& c) {
         v1::ListRequest request;
         request.set_collection("docs");
         request.set_tenant("alice");
         request.set_page_token("not a token");
         v1::ListResponse response;
         return c.Call(&v1::VectorService::Stub::List, request, &response);
       },
       Code::INVALID_ARGUMENT, "page_token"},
  };
}

void RunCases(ArborClient& client, const std::vector<BadInputCase>& cases) {
  for (const BadInputCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_TRUE(HasStatus(c.call(client), c.code, c.fragment));
  }
}

TEST_F(BadInputTest, AdminCallsRejected) {
  const std::string before = Snapshot();
  RunCases(*admin_, AdminCases());
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(BadInputTest, WriteCallsRejectedWithoutChange) {
  const std::string before = Snapshot();
  RunCases(*admin_, WriteCases());
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(BadInputTest, ReadCallsRejected) {
  const std::string before = Snapshot();
  RunCases(*admin_, ReadCases());
  EXPECT_EQ(Snapshot(), before);
}

// The largest valid values of each limit are accepted.
TEST_F(BadInputTest, LimitsAccepted) {
  const std::string longest_name = "a0_.-" + std::string(59, 'z');
  ASSERT_EQ(longest_name.size(), 64u);
  ASSERT_TRUE(IsOk(admin_->CreateCollection(longest_name, 4096, v1::METRIC_IP)));
  ASSERT_TRUE(IsOk(admin_->CreateTenant(longest_name, longest_name)));
  ASSERT_TRUE(IsOk(admin_->Upsert(longest_name, longest_name,
                                  {{std::numeric_limits<uint64_t>::max(), Filled(4096, 0.5f)}})));
  v1::SearchResponse found;
  ASSERT_TRUE(IsOk(admin_->Search(longest_name, longest_name, Filled(4096, 1), 1024, &found)));
  ASSERT_EQ(found.hits_size(), 1);
  EXPECT_EQ(found.hits(0).id(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(found.hits(0).owner(), longest_name);
  EXPECT_FLOAT_EQ(found.hits(0).score(), 2048.0f);

  std::vector<TestVector> vectors;
  for (uint64_t i = 0; i < 16384; ++i) vectors.push_back({i, {float(i), 1, 2, 3}});
  v1::UpsertResponse upserted;
  ASSERT_TRUE(IsOk(admin_->Upsert("docs", "bob", vectors, &upserted)));
  EXPECT_EQ(upserted.inserted_count(), 16383u);  // bob owned id 10 already
  EXPECT_EQ(upserted.updated_count(), 1u);

  // queries times k may reach 524,288 hits: 1024 queries with k = 512, or 512 with k = 1024.
  v1::SearchBatchResponse batch;
  ASSERT_TRUE(IsOk(admin_->SearchBatch("docs", "bob", std::vector(1024, Filled(4, 1)), 512,
                                       &batch)));
  ASSERT_EQ(batch.results_size(), 1024);
  EXPECT_EQ(batch.results(1023).hits_size(), 512);
  ASSERT_TRUE(IsOk(admin_->SearchBatch("docs", "bob", std::vector(512, Filled(4, 1)), 1024,
                                       &batch)));
  EXPECT_EQ(batch.results(511).hits_size(), 1024);
}

// Each limit alone is valid: 1024 queries, k = 1024 and 64-character tenant names. Together
// the response contains 1024 * 1024 hits of about 80 bytes, more than the 64 MiB message maximum.
// The server must either send it or reject the request with a message that names what to
// reduce, not fail while sending.
TEST_F(BadInputTest, SearchBatchAtAllLimits) {
  const std::string owner(64, 'o');
  ASSERT_TRUE(IsOk(admin_->CreateCollection("line", 1, v1::METRIC_L2)));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("line", owner)));
  std::vector<TestVector> vectors;
  for (uint64_t i = 0; i < 1024; ++i) vectors.push_back({1000000000000 + i, {float(i)}});
  ASSERT_TRUE(IsOk(admin_->Upsert("line", owner, vectors)));

  v1::SearchBatchResponse response;
  const grpc::Status status =
      admin_->SearchBatch("line", owner, std::vector(1024, std::vector<float>{0.5f}), 1024,
                          &response);
  if (status.ok()) {
    ASSERT_EQ(response.results_size(), 1024);
    EXPECT_EQ(response.results(0).hits_size(), 1024);
  } else {
    EXPECT_EQ(status.error_code(), Code::INVALID_ARGUMENT) << Describe(status);
    EXPECT_TRUE(status.error_message().find("queries") != std::string::npos ||
                status.error_message().find("params.k") != std::string::npos)
        << Describe(status);
  }
}

// 16384 ids per Get is valid, and so is dimension 1024, but 16384 records of 1024 floats are
// about 67 MB, more than the 64 MiB message maximum. As above, the server must either send the
// response or reject the request with a message that names the field to reduce.
TEST_F(BadInputTest, GetAtAllLimits) {
  constexpr size_t kDimension = 1024;
  constexpr uint64_t kCount = 16384;
  ASSERT_TRUE(IsOk(admin_->CreateCollection("wide", kDimension, v1::METRIC_L2)));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("wide", "t")));
  std::mt19937_64 rng(1024);
  // Two upserts, because one with all 16384 vectors would itself exceed 64 MiB.
  for (uint64_t first = 0; first < kCount; first += kCount / 2) {
    const std::vector<TestVector> half = RandomVectors(rng, kCount / 2, kDimension, first);
    ASSERT_TRUE(IsOk(admin_->Upsert("wide", "t", half)));
  }

  std::vector<uint64_t> ids(kCount);
  for (uint64_t i = 0; i < kCount; ++i) ids[i] = i;
  v1::GetResponse got;
  const grpc::Status status = admin_->Get("wide", "t", ids, "", &got);
  if (status.ok()) {
    EXPECT_EQ(got.records_size(), static_cast<int>(kCount));
  } else {
    EXPECT_EQ(status.error_code(), Code::INVALID_ARGUMENT) << Describe(status);
    EXPECT_NE(status.error_message().find("ids"), std::string::npos) << Describe(status);
  }
}

// 2000 vectors of dimension 784 make a request of about 6.3 MB, over gRPC's default 4 MiB
// limit but within the API's 64 MiB; the Get of all of them is as large.
TEST_F(BadInputTest, UpsertLargerThanFourMebibytes) {
  constexpr size_t kDimension = 784;
  constexpr size_t kCount = 2000;
  ASSERT_TRUE(IsOk(admin_->CreateCollection("mnist", kDimension, v1::METRIC_L2)));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("mnist", "digits")));
  std::mt19937_64 rng(784);
  const std::vector<TestVector> vectors = RandomVectors(rng, kCount, kDimension, 1);

  v1::UpsertResponse upserted;
  ASSERT_TRUE(IsOk(admin_->Upsert("mnist", "digits", vectors, &upserted)));
  EXPECT_EQ(upserted.inserted_count(), kCount);
  uint64_t count = 0;
  ASSERT_TRUE(IsOk(admin_->Count("mnist", "digits", &count)));
  EXPECT_EQ(count, kCount);

  std::vector<uint64_t> ids;
  for (const TestVector& vector : vectors) ids.push_back(vector.id);
  v1::GetResponse got;
  ASSERT_TRUE(IsOk(admin_->Get("mnist", "digits", ids, "", &got)));
  EXPECT_GT(got.ByteSizeLong(), size_t{4} << 20);
  ASSERT_EQ(got.records_size(), static_cast<int>(kCount));
  for (size_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(got.records(i).id(), vectors[i].id);
    ASSERT_EQ(ValuesOf(got.records(i)), vectors[i].values) << "id " << vectors[i].id;
  }

  v1::SearchResponse found;
  ASSERT_TRUE(IsOk(admin_->Search("mnist", "digits", vectors[1234].values, 3, &found)));
  ASSERT_EQ(found.hits_size(), 3);
  EXPECT_EQ(found.hits(0).id(), vectors[1234].id);
  EXPECT_EQ(found.hits(0).score(), 0.0f);
}

}  // namespace
}  // namespace arbor::integration

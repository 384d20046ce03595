// Authentication and authorisation over gRPC: the admin key, tenant keys used inside and
// outside their scope, malformed and unknown keys, revoked keys and keys of dropped tenants.
#include <optional>
#include <set>

#include "tests/integration/arbord_test_fixture.h"

namespace arbor::integration {
namespace {

// Calls Count with `authorization` as the raw header value, or with no header when it is
// nullopt.
grpc::Status CountWithHeader(ArborClient& client, std::optional<std::string> authorization,
                             const std::string& collection, const std::string& tenant) {
  grpc::ClientContext context;
  PrepareContext(&context, /*key=*/"", kDefaultCallTimeout);
  if (authorization.has_value()) context.AddMetadata("authorization", *authorization);
  v1::CountRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  v1::CountResponse response;
  return client.vectors().Count(&context, request, &response);
}

// Searches alice's vectors in c1 with `authorization` as the raw header value, or with no
// header when it is nullopt.
grpc::Status SearchWithHeader(ArborClient& client, std::optional<std::string> authorization) {
  grpc::ClientContext context;
  PrepareContext(&context, /*key=*/"", kDefaultCallTimeout);
  if (authorization.has_value()) context.AddMetadata("authorization", *authorization);
  v1::SearchRequest request;
  request.set_collection("c1");
  request.set_tenant("alice");
  request.add_query(1);
  request.add_query(1);
  request.mutable_params()->set_k(1);
  v1::SearchResponse response;
  return client.vectors().Search(&context, request, &response);
}

// The same search as one query of a SearchBatch.
grpc::Status SearchBatchWithHeader(ArborClient& client,
                                   std::optional<std::string> authorization) {
  grpc::ClientContext context;
  PrepareContext(&context, /*key=*/"", kDefaultCallTimeout);
  if (authorization.has_value()) context.AddMetadata("authorization", *authorization);
  v1::SearchBatchRequest request;
  request.set_collection("c1");
  request.set_tenant("alice");
  v1::Query* query = request.add_queries();
  query->add_values(1);
  query->add_values(1);
  request.mutable_params()->set_k(1);
  v1::SearchBatchResponse response;
  return client.vectors().SearchBatch(&context, request, &response);
}

class AuthTest : public ArbordTest {
 protected:
  // Collections c1 (tenants alice, bob) and c2 (tenant alice), one vector per tenant, and a
  // key for alice of c1.
  void SetUp() override {
    ArbordTest::SetUp();
    ASSERT_TRUE(IsOk(admin_->CreateCollection("c1", 2, v1::METRIC_L2)));
    ASSERT_TRUE(IsOk(admin_->CreateCollection("c2", 2, v1::METRIC_L2)));
    ASSERT_TRUE(IsOk(admin_->CreateTenant("c1", "alice")));
    ASSERT_TRUE(IsOk(admin_->CreateTenant("c1", "bob")));
    ASSERT_TRUE(IsOk(admin_->CreateTenant("c2", "alice")));
    ASSERT_TRUE(IsOk(admin_->Upsert("c1", "alice", {{1, {1, 1}}})));
    ASSERT_TRUE(IsOk(admin_->Upsert("c1", "bob", {{1, {2, 2}}})));
    ASSERT_TRUE(IsOk(admin_->Upsert("c2", "alice", {{1, {3, 3}}})));
    ASSERT_TRUE(IsOk(admin_->CreateKey("c1", "alice", &alice_key_, &alice_key_id_)));
    alice_ = ClientWithKey(alice_key_);
  }

  void ExpectCount(const std::string& collection, const std::string& tenant, uint64_t expected) {
    uint64_t count = 0;
    ASSERT_TRUE(IsOk(admin_->Count(collection, tenant, &count)));
    EXPECT_EQ(count, expected) << collection << "/" << tenant;
  }

  std::string alice_key_;
  std::string alice_key_id_;
  std::unique_ptr<ArborClient> alice_;
};

TEST_F(AuthTest, TenantKeyInOwnScope) {
  uint64_t count = 0;
  ASSERT_TRUE(IsOk(alice_->Count("c1", "alice", &count)));
  EXPECT_EQ(count, 1u);
  ASSERT_TRUE(IsOk(alice_->Upsert("c1", "alice", {{2, {0, 1}}})));
  v1::SearchResponse found;
  ASSERT_TRUE(IsOk(alice_->Search("c1", "alice", {0, 1}, 5, &found)));
  ASSERT_EQ(found.hits_size(), 2);
  EXPECT_EQ(found.hits(0).id(), 2u);
}

TEST_F(AuthTest, TenantKeyOutsideScopeDenied) {
  struct Scope {
    std::string collection;
    std::string tenant;
  };
  // Existing and missing tenants and collections must get the same status and message, so
  // that a key cannot probe which names exist.
  const std::vector<Scope> scopes = {
      {"c1", "bob"}, {"c1", "nobody"}, {"c2", "alice"}, {"missing", "alice"}, {"missing", "x"}};

  std::set<std::string> messages;
  for (const Scope& scope : scopes) {
    SCOPED_TRACE(scope.collection + "/" + scope.tenant);
    uint64_t count = 0;
    grpc::Status status = alice_->Count(scope.collection, scope.tenant, &count);
    EXPECT_TRUE(HasStatus(status, grpc::StatusCode::PERMISSION_DENIED));
    messages.insert(status.error_message());

    status = alice_->Upsert(scope.collection, scope.tenant, {{9, {9, 9}}});
    EXPECT_TRUE(HasStatus(status, grpc::StatusCode::PERMISSION_DENIED));
    messages.insert(status.error_message());

    v1::SearchResponse found;
    status = alice_->Search(scope.collection, scope.tenant, {1, 1}, 3, &found);
    EXPECT_TRUE(HasStatus(status, grpc::StatusCode::PERMISSION_DENIED));
    messages.insert(status.error_message());

    v1::GetResponse got;
    status = alice_->Get(scope.collection, scope.tenant, {1}, "", &got);
    EXPECT_TRUE(HasStatus(status, grpc::StatusCode::PERMISSION_DENIED));
    messages.insert(status.error_message());

    status = alice_->Delete(scope.collection, scope.tenant, {1});
    EXPECT_TRUE(HasStatus(status, grpc::StatusCode::PERMISSION_DENIED));
    messages.insert(status.error_message());
  }
  EXPECT_EQ(messages.size(), 1u) << "the messages differ between existing and missing names";
  for (const std::string& message : messages) {
    // The key id is random hex and may contain any of the names by chance.
    std::string without_key_id = message;
    if (size_t at = without_key_id.find(alice_key_id_); at != std::string::npos) {
      without_key_id.erase(at, alice_key_id_.size());
    }
    for (const char* name : {"bob", "nobody", "c2", "missing"}) {
      EXPECT_EQ(without_key_id.find(name), std::string::npos) << name << " in: " << message;
    }
  }

  // Nothing changed in the scopes the key was denied.
  ExpectCount("c1", "bob", 1);
  ExpectCount("c2", "alice", 1);
  v1::GetResponse got;
  ASSERT_TRUE(IsOk(admin_->Get("c1", "bob", {1, 9}, "", &got)));
  ASSERT_EQ(got.records_size(), 1);
  EXPECT_THAT(ValuesOf(got.records(0)), ::testing::ElementsAre(2, 2));
}

TEST_F(AuthTest, TenantKeyOnAdminCallsDenied) {
  auto expect_denied = [](const grpc::Status& status, const char* call) {
    EXPECT_TRUE(HasStatus(status, grpc::StatusCode::PERMISSION_DENIED, "admin key")) << call;
  };
  expect_denied(alice_->CreateCollection("c3", 2, v1::METRIC_L2), "CreateCollection");
  v1::ListCollectionsResponse collections;
  expect_denied(alice_->Call(&v1::AdminService::Stub::ListCollections,
                             v1::ListCollectionsRequest(), &collections),
                "ListCollections");
  v1::CollectionInfo info;
  expect_denied(alice_->DescribeCollection("c1", &info), "DescribeCollection");
  v1::DropCollectionRequest drop_collection;
  drop_collection.set_name("c1");
  v1::DropCollectionResponse dropped;
  expect_denied(alice_->Call(&v1::AdminService::Stub::DropCollection, drop_collection, &dropped),
                "DropCollection");
  expect_denied(alice_->CreateTenant("c1", "mallory"), "CreateTenant");
  expect_denied(alice_->DropTenant("c1", "bob"), "DropTenant");
  std::vector<v1::TenantInfo> tenants;
  expect_denied(alice_->ListAllTenants("c1", 0, &tenants), "ListTenants");
  expect_denied(alice_->CreateKey("c1", "alice", nullptr), "CreateKey");
  v1::ListKeysRequest list_keys;
  list_keys.set_collection("c1");
  v1::ListKeysResponse keys;
  expect_denied(alice_->Call(&v1::AdminService::Stub::ListKeys, list_keys, &keys), "ListKeys");
  expect_denied(alice_->RevokeKey("c1", alice_key_id_), "RevokeKey");

  // None of the calls had an effect.
  ASSERT_TRUE(IsOk(admin_->ListAllTenants("c1", 0, &tenants)));
  EXPECT_EQ(tenants.size(), 2u);
  ASSERT_TRUE(IsOk(admin_->DescribeCollection("c1", &info)));
  EXPECT_EQ(info.vector_count(), 2u);
  EXPECT_TRUE(HasStatus(admin_->DescribeCollection("c3", &info), grpc::StatusCode::NOT_FOUND));
  ASSERT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::ListKeys, list_keys, &keys)));
  EXPECT_EQ(keys.keys_size(), 1);
  uint64_t count = 0;
  EXPECT_TRUE(IsOk(alice_->Count("c1", "alice", &count)));
}

TEST_F(AuthTest, AdminKeyActsAsAnyTenant) {
  for (const auto& [collection, tenant] :
       std::vector<std::pair<std::string, std::string>>{{"c1", "alice"}, {"c1", "bob"},
                                                        {"c2", "alice"}}) {
    uint64_t count = 0;
    EXPECT_TRUE(IsOk(admin_->Count(collection, tenant, &count))) << collection << "/" << tenant;
    EXPECT_EQ(count, 1u);
  }
}

TEST_F(AuthTest, MissingOrInvalidKeyUnauthenticated) {
  const std::string& admin_key = server_->admin_key();
  std::string wrong_admin_key = admin_key;
  wrong_admin_key.back() = wrong_admin_key.back() == '0' ? '1' : '0';
  std::string wrong_secret = alice_key_;
  wrong_secret.back() = wrong_secret.back() == '0' ? '1' : '0';
  const std::string unknown_tenant_key =
      "arbor_0123456789abcdef_" + std::string(64, 'a');  // well-formed, never issued

  const std::vector<std::pair<std::string, std::optional<std::string>>> headers = {
      {"no header", std::nullopt},
      {"empty header", ""},
      {"Bearer without key", "Bearer "},
      {"Basic scheme", "Basic " + admin_key},
      {"key without scheme", admin_key},
      {"wrong admin key", "Bearer " + wrong_admin_key},
      {"tenant key with wrong secret", "Bearer " + wrong_secret},
      {"unknown tenant key", "Bearer " + unknown_tenant_key},
      {"garbage", "Bearer not-a-key"},
  };
  for (const auto& [name, header] : headers) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(HasStatus(CountWithHeader(*admin_, header, "c1", "alice"),
                          grpc::StatusCode::UNAUTHENTICATED));
    EXPECT_TRUE(HasStatus(SearchWithHeader(*admin_, header), grpc::StatusCode::UNAUTHENTICATED));
    EXPECT_TRUE(
        HasStatus(SearchBatchWithHeader(*admin_, header), grpc::StatusCode::UNAUTHENTICATED));
    // Admin calls too, and before any name lookup.
    grpc::ClientContext context;
    PrepareContext(&context, "", kDefaultCallTimeout);
    if (header.has_value()) context.AddMetadata("authorization", *header);
    v1::ListCollectionsResponse collections;
    EXPECT_TRUE(HasStatus(
        admin_->admin().ListCollections(&context, v1::ListCollectionsRequest(), &collections),
        grpc::StatusCode::UNAUTHENTICATED));
  }

  // The right keys in the same header format are accepted.
  EXPECT_TRUE(IsOk(CountWithHeader(*admin_, "Bearer " + admin_key, "c1", "alice")));
  EXPECT_TRUE(IsOk(CountWithHeader(*admin_, "Bearer " + alice_key_, "c1", "alice")));
  for (const std::string& key : {admin_key, alice_key_}) {
    EXPECT_TRUE(IsOk(SearchWithHeader(*admin_, "Bearer " + key)));
    EXPECT_TRUE(IsOk(SearchBatchWithHeader(*admin_, "Bearer " + key)));
  }
}

TEST_F(AuthTest, RevokedKeyUnauthenticated) {
  std::string second_key, second_key_id;
  ASSERT_TRUE(IsOk(admin_->CreateKey("c1", "alice", &second_key, &second_key_id)));
  auto second = ClientWithKey(second_key);
  uint64_t count = 0;
  ASSERT_TRUE(IsOk(second->Count("c1", "alice", &count)));

  ASSERT_TRUE(IsOk(admin_->RevokeKey("c1", second_key_id)));
  EXPECT_TRUE(
      HasStatus(second->Count("c1", "alice", &count), grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_TRUE(HasStatus(second->Upsert("c1", "alice", {{5, {5, 5}}}),
                        grpc::StatusCode::UNAUTHENTICATED));
  // Revoking again: the key is gone.
  EXPECT_TRUE(
      HasStatus(admin_->RevokeKey("c1", second_key_id), grpc::StatusCode::NOT_FOUND));
  // A key id of c1 is not found in c2.
  EXPECT_TRUE(HasStatus(admin_->RevokeKey("c2", alice_key_id_), grpc::StatusCode::NOT_FOUND));

  // The other key of the same tenant still works.
  EXPECT_TRUE(IsOk(alice_->Count("c1", "alice", &count)));
  EXPECT_EQ(count, 1u);
}

TEST_F(AuthTest, DroppedTenantKeyUnauthenticated) {
  ASSERT_TRUE(IsOk(admin_->DropTenant("c1", "alice")));
  uint64_t count = 0;
  EXPECT_TRUE(
      HasStatus(alice_->Count("c1", "alice", &count), grpc::StatusCode::UNAUTHENTICATED));

  // A tenant created again under the same name starts empty and the old key stays invalid.
  ASSERT_TRUE(IsOk(admin_->CreateTenant("c1", "alice")));
  EXPECT_TRUE(
      HasStatus(alice_->Count("c1", "alice", &count), grpc::StatusCode::UNAUTHENTICATED));
  ExpectCount("c1", "alice", 0);
  v1::ListKeysRequest list_keys;
  list_keys.set_collection("c1");
  list_keys.set_tenant("alice");
  v1::ListKeysResponse keys;
  ASSERT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::ListKeys, list_keys, &keys)));
  EXPECT_EQ(keys.keys_size(), 0);

  // Other tenants keep their data.
  ExpectCount("c1", "bob", 1);
  ExpectCount("c2", "alice", 1);
}

TEST_F(AuthTest, DroppedCollectionKeyUnauthenticated) {
  std::string c2_key;
  ASSERT_TRUE(IsOk(admin_->CreateKey("c2", "alice", &c2_key)));
  auto c2_alice = ClientWithKey(c2_key);
  uint64_t count = 0;
  ASSERT_TRUE(IsOk(c2_alice->Count("c2", "alice", &count)));

  v1::DropCollectionRequest drop;
  drop.set_name("c2");
  v1::DropCollectionResponse dropped;
  ASSERT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::DropCollection, drop, &dropped)));
  EXPECT_TRUE(
      HasStatus(c2_alice->Count("c2", "alice", &count), grpc::StatusCode::UNAUTHENTICATED));

  // Re-created under the same name, the collection starts empty and the old key stays invalid.
  ASSERT_TRUE(IsOk(admin_->CreateCollection("c2", 2, v1::METRIC_L2)));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("c2", "alice")));
  EXPECT_TRUE(
      HasStatus(c2_alice->Count("c2", "alice", &count), grpc::StatusCode::UNAUTHENTICATED));
  ExpectCount("c2", "alice", 0);
  ExpectCount("c1", "alice", 1);
}

}  // namespace
}  // namespace arbor::integration

// Tenant isolation and shared vectors over gRPC: what each tenant can read, search and change,
// and how updates, unshares, deletes and tenant drops change that for readers.
#include <map>

#include "tests/integration/arbord_test_fixture.h"

namespace arbor::integration {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using Ref = std::pair<std::string, uint64_t>;

// The (owner, id) of each hit, in order.
std::vector<Ref> RefsOf(const v1::SearchResponse& response) {
  std::vector<Ref> refs;
  for (const v1::Hit& hit : response.hits()) refs.emplace_back(hit.owner(), hit.id());
  return refs;
}

class SharingTest : public ArbordTest {
 protected:
  // Collection "shared" (dimension 2, l2) with tenants alice, bob and carol, each acting
  // through its own tenant key. alice owns ids 1..5 at (i, 0); bob owns ids 1..3 at (i + 0.5, 0);
  // carol owns nothing.
  void SetUp() override {
    ArbordTest::SetUp();
    ASSERT_TRUE(IsOk(admin_->CreateCollection("shared", 2, v1::METRIC_L2)));
    for (const char* name : {"alice", "bob", "carol"}) {
      ASSERT_TRUE(IsOk(admin_->CreateTenant("shared", name)));
      std::string key;
      ASSERT_TRUE(IsOk(admin_->CreateKey("shared", name, &key)));
      clients_[name] = ClientWithKey(key);
    }
    std::vector<TestVector> alice_vectors, bob_vectors;
    for (uint64_t i = 1; i <= 5; ++i) alice_vectors.push_back({i, {float(i), 0}});
    for (uint64_t i = 1; i <= 3; ++i) bob_vectors.push_back({i, {float(i) + 0.5f, 0}});
    ASSERT_TRUE(IsOk(tenant("alice").Upsert("shared", "alice", alice_vectors)));
    ASSERT_TRUE(IsOk(tenant("bob").Upsert("shared", "bob", bob_vectors)));
  }

  ArborClient& tenant(const std::string& name) { return *clients_.at(name); }

  uint64_t CountOf(const std::string& name) {
    uint64_t count = 0;
    EXPECT_TRUE(IsOk(tenant(name).Count("shared", name, &count))) << name;
    return count;
  }

  std::vector<Ref> ListOf(const std::string& name) {
    std::vector<Ref> refs;
    EXPECT_TRUE(IsOk(tenant(name).ListAll("shared", name, 2, &refs))) << name;
    return refs;
  }

  std::vector<Ref> SearchAs(const std::string& name, std::vector<float> query, int32_t k) {
    v1::SearchResponse response;
    EXPECT_TRUE(IsOk(tenant(name).Search("shared", name, query, k, &response))) << name;
    return RefsOf(response);
  }

  std::map<std::string, std::unique_ptr<ArborClient>> clients_;
};

TEST_F(SharingTest, TenantsSeeOnlyOwnVectors) {
  EXPECT_EQ(CountOf("alice"), 5u);
  EXPECT_EQ(CountOf("bob"), 3u);
  EXPECT_EQ(CountOf("carol"), 0u);
  EXPECT_THAT(SearchAs("bob", {0, 0}, 100),
              ElementsAre(Ref{"bob", 1}, Ref{"bob", 2}, Ref{"bob", 3}));
  EXPECT_THAT(SearchAs("carol", {0, 0}, 100), IsEmpty());
  EXPECT_THAT(ListOf("carol"), IsEmpty());

  // Naming alice as the owner does not let bob read her vectors.
  v1::GetResponse got;
  ASSERT_TRUE(IsOk(tenant("bob").Get("shared", "bob", {1, 2, 3}, "alice", &got)));
  EXPECT_EQ(got.records_size(), 0);
  // An owner that does not exist reads as nothing, the same as one that shares nothing.
  ASSERT_TRUE(IsOk(tenant("bob").Get("shared", "bob", {1}, "nobody", &got)));
  EXPECT_EQ(got.records_size(), 0);
}

TEST_F(SharingTest, SharedVectorsCarryOwner) {
  uint64_t granted = 0;
  ASSERT_TRUE(IsOk(tenant("alice").Share("shared", "alice", {1, 2}, {"bob"}, &granted)));
  EXPECT_EQ(granted, 2u);

  EXPECT_EQ(CountOf("bob"), 5u);
  EXPECT_EQ(CountOf("carol"), 0u);
  EXPECT_EQ(CountOf("alice"), 5u);
  // Squared distances from (1, 0): alice/1 0, bob/1 0.25, alice/2 1, bob/2 2.25, bob/3 6.25.
  EXPECT_THAT(SearchAs("bob", {1, 0}, 100),
              ElementsAre(Ref{"alice", 1}, Ref{"bob", 1}, Ref{"alice", 2}, Ref{"bob", 2},
                          Ref{"bob", 3}));
  EXPECT_THAT(ListOf("bob"), ElementsAre(Ref{"alice", 1}, Ref{"alice", 2}, Ref{"bob", 1},
                                         Ref{"bob", 2}, Ref{"bob", 3}));
  EXPECT_THAT(SearchAs("carol", {1, 0}, 100), IsEmpty());

  // The reader names the owner to read shared vectors, and ids it cannot read are left out.
  // shared_with stays empty, so the reader does not learn who else may read them.
  v1::GetResponse got;
  ASSERT_TRUE(IsOk(tenant("bob").Get("shared", "bob", {1, 2, 3}, "alice", &got)));
  ASSERT_EQ(got.records_size(), 2);
  EXPECT_EQ(got.records(0).owner(), "alice");
  EXPECT_EQ(got.records(0).id(), 1u);
  EXPECT_THAT(ValuesOf(got.records(0)), ElementsAre(1, 0));
  EXPECT_THAT(got.records(0).shared_with(), IsEmpty());
  EXPECT_EQ(got.records(1).id(), 2u);
  // Without an owner, bob reads his own id 1.
  ASSERT_TRUE(IsOk(tenant("bob").Get("shared", "bob", {1}, "", &got)));
  ASSERT_EQ(got.records_size(), 1);
  EXPECT_EQ(got.records(0).owner(), "bob");
  EXPECT_THAT(ValuesOf(got.records(0)), ElementsAre(1.5, 0));

  ASSERT_TRUE(IsOk(tenant("alice").Get("shared", "alice", {1, 3}, "", &got)));
  ASSERT_EQ(got.records_size(), 2);
  EXPECT_THAT(got.records(0).shared_with(), ElementsAre("bob"));
  EXPECT_THAT(got.records(1).shared_with(), IsEmpty());
}

TEST_F(SharingTest, UpsertKeepsShares) {
  ASSERT_TRUE(IsOk(tenant("alice").Share("shared", "alice", {1}, {"bob", "carol"})));
  v1::UpsertResponse upserted;
  ASSERT_TRUE(IsOk(tenant("alice").Upsert("shared", "alice", {{1, {7, 7}}}, &upserted)));
  EXPECT_EQ(upserted.updated_count(), 1u);

  for (const char* reader : {"bob", "carol"}) {
    SCOPED_TRACE(reader);
    v1::GetResponse got;
    ASSERT_TRUE(IsOk(tenant(reader).Get("shared", reader, {1}, "alice", &got)));
    ASSERT_EQ(got.records_size(), 1);
    EXPECT_THAT(ValuesOf(got.records(0)), ElementsAre(7, 7));
    v1::SearchResponse found;
    ASSERT_TRUE(IsOk(tenant(reader).Search("shared", reader, {7, 7}, 1, &found)));
    ASSERT_EQ(found.hits_size(), 1);
    EXPECT_EQ(found.hits(0).owner(), "alice");
    EXPECT_EQ(found.hits(0).id(), 1u);
    EXPECT_FLOAT_EQ(found.hits(0).score(), 0.0f);
  }
  v1::GetResponse got;
  ASSERT_TRUE(IsOk(tenant("alice").Get("shared", "alice", {1}, "", &got)));
  ASSERT_EQ(got.records_size(), 1);
  EXPECT_THAT(got.records(0).shared_with(), ElementsAre("bob", "carol"));
}

TEST_F(SharingTest, UnshareHidesFromReader) {
  ASSERT_TRUE(IsOk(tenant("alice").Share("shared", "alice", {1, 2}, {"bob", "carol"})));
  uint64_t revoked = 0;
  ASSERT_TRUE(IsOk(tenant("alice").Unshare("shared", "alice", {2}, {"bob"}, &revoked)));
  EXPECT_EQ(revoked, 1u);

  EXPECT_EQ(CountOf("bob"), 4u);
  EXPECT_EQ(CountOf("carol"), 2u);
  // Squared distances from (2, 0): bob/1 and bob/2 tie at 0.25, alice/1 1, bob/3 2.25.
  EXPECT_THAT(SearchAs("bob", {2, 0}, 100),
              ElementsAre(Ref{"bob", 1}, Ref{"bob", 2}, Ref{"alice", 1}, Ref{"bob", 3}));
  EXPECT_THAT(SearchAs("carol", {2, 0}, 100), ElementsAre(Ref{"alice", 2}, Ref{"alice", 1}));
  v1::GetResponse got;
  ASSERT_TRUE(IsOk(tenant("bob").Get("shared", "bob", {2}, "alice", &got)));
  EXPECT_EQ(got.records_size(), 0);
  EXPECT_THAT(ListOf("bob"),
              ElementsAre(Ref{"alice", 1}, Ref{"bob", 1}, Ref{"bob", 2}, Ref{"bob", 3}));
}

TEST_F(SharingTest, OwnerDeleteHidesFromAllReaders) {
  ASSERT_TRUE(IsOk(tenant("alice").Share("shared", "alice", {1, 2}, {"bob", "carol"})));
  uint64_t deleted = 0;
  ASSERT_TRUE(IsOk(tenant("alice").Delete("shared", "alice", {1}, &deleted)));
  EXPECT_EQ(deleted, 1u);

  EXPECT_EQ(CountOf("alice"), 4u);
  EXPECT_EQ(CountOf("bob"), 4u);
  EXPECT_EQ(CountOf("carol"), 1u);
  for (const char* reader : {"bob", "carol"}) {
    SCOPED_TRACE(reader);
    v1::GetResponse got;
    ASSERT_TRUE(IsOk(tenant(reader).Get("shared", reader, {1, 2}, "alice", &got)));
    ASSERT_EQ(got.records_size(), 1);
    EXPECT_EQ(got.records(0).id(), 2u);
    for (const Ref& ref : SearchAs(reader, {1, 0}, 100)) EXPECT_NE(ref, (Ref{"alice", 1}));
  }

  // Inserting id 1 again creates a new vector that is not shared.
  ASSERT_TRUE(IsOk(tenant("alice").Upsert("shared", "alice", {{1, {1, 0}}})));
  EXPECT_EQ(CountOf("bob"), 4u);
  EXPECT_EQ(CountOf("carol"), 1u);
}

TEST_F(SharingTest, OnlyOwnerChangesVector) {
  ASSERT_TRUE(IsOk(tenant("alice").Share("shared", "alice", {4}, {"bob"})));

  // bob owns no id 4: he can neither share nor unshare nor delete alice's vector.
  EXPECT_TRUE(HasStatus(tenant("bob").Share("shared", "bob", {4}, {"carol"}),
                        grpc::StatusCode::NOT_FOUND, "ids[0]"));
  EXPECT_TRUE(HasStatus(tenant("bob").Unshare("shared", "bob", {4}, {"carol"}),
                        grpc::StatusCode::NOT_FOUND, "ids[0]"));
  uint64_t deleted = 0;
  ASSERT_TRUE(IsOk(tenant("bob").Delete("shared", "bob", {4}, &deleted)));
  EXPECT_EQ(deleted, 0u);
  // bob's own id 1 is a different vector from alice's id 1.
  ASSERT_TRUE(IsOk(tenant("bob").Upsert("shared", "bob", {{1, {9, 9}}})));

  v1::GetResponse got;
  ASSERT_TRUE(IsOk(tenant("alice").Get("shared", "alice", {1, 4}, "", &got)));
  ASSERT_EQ(got.records_size(), 2);
  EXPECT_THAT(ValuesOf(got.records(0)), ElementsAre(1, 0));
  EXPECT_THAT(ValuesOf(got.records(1)), ElementsAre(4, 0));
  EXPECT_THAT(got.records(1).shared_with(), ElementsAre("bob"));
  EXPECT_EQ(CountOf("carol"), 0u);
}

TEST_F(SharingTest, DropTenantRemovesItsVectorsAndAccess) {
  ASSERT_TRUE(IsOk(tenant("alice").Share("shared", "alice", {3}, {"bob", "carol"})));
  ASSERT_TRUE(IsOk(tenant("bob").Share("shared", "bob", {1}, {"alice", "carol"})));
  ASSERT_EQ(CountOf("alice"), 6u);
  ASSERT_EQ(CountOf("carol"), 2u);

  ASSERT_TRUE(IsOk(admin_->DropTenant("shared", "bob")));
  EXPECT_EQ(CountOf("alice"), 5u);
  EXPECT_EQ(CountOf("carol"), 1u);
  EXPECT_THAT(SearchAs("carol", {0, 0}, 10), ElementsAre(Ref{"alice", 3}));
  v1::GetResponse got;
  ASSERT_TRUE(IsOk(tenant("alice").Get("shared", "alice", {3}, "", &got)));
  ASSERT_EQ(got.records_size(), 1);
  EXPECT_THAT(got.records(0).shared_with(), ElementsAre("carol"));

  // A new bob starts empty and does not inherit the old bob's access.
  ASSERT_TRUE(IsOk(admin_->CreateTenant("shared", "bob")));
  uint64_t count = 0;
  ASSERT_TRUE(IsOk(admin_->Count("shared", "bob", &count)));
  EXPECT_EQ(count, 0u);
  ASSERT_TRUE(IsOk(admin_->Get("shared", "bob", {3}, "alice", &got)));
  EXPECT_EQ(got.records_size(), 0);
  ASSERT_TRUE(IsOk(tenant("alice").Get("shared", "alice", {3}, "", &got)));
  ASSERT_EQ(got.records_size(), 1);
  EXPECT_THAT(got.records(0).shared_with(), ElementsAre("carol"));

  // Dropping the owner removes what carol could read through it.
  ASSERT_TRUE(IsOk(admin_->DropTenant("shared", "alice")));
  EXPECT_EQ(CountOf("carol"), 0u);
  EXPECT_THAT(SearchAs("carol", {0, 0}, 10), IsEmpty());
  v1::CollectionInfo info;
  ASSERT_TRUE(IsOk(admin_->DescribeCollection("shared", &info)));
  EXPECT_EQ(info.vector_count(), 0u);
}

// Equal scores are ordered by owner name, then id, for every metric.
TEST_F(SharingTest, TiesOrderedByOwnerThenId) {
  const std::vector<std::pair<std::string, v1::Metric>> metrics = {
      {"ties-l2", v1::METRIC_L2}, {"ties-ip", v1::METRIC_IP}, {"ties-cosine", v1::METRIC_COSINE}};
  for (const auto& [collection, metric] : metrics) {
    SCOPED_TRACE(collection);
    ASSERT_TRUE(IsOk(admin_->CreateCollection(collection, 2, metric)));
    for (const char* name : {"zeta", "alpha", "mid", "reader"}) {
      ASSERT_TRUE(IsOk(admin_->CreateTenant(collection, name)));
    }
    const std::vector<std::pair<std::string, std::vector<uint64_t>>> owned = {
        {"zeta", {9, 2}}, {"alpha", {5, 3}}, {"mid", {1}}};
    for (const auto& [owner, ids] : owned) {
      std::vector<TestVector> vectors;
      for (uint64_t id : ids) vectors.push_back({id, {0.6f, 0.8f}});
      ASSERT_TRUE(IsOk(admin_->Upsert(collection, owner, vectors)));
      ASSERT_TRUE(IsOk(admin_->Share(collection, owner, ids, {"reader"})));
    }
    // A worse vector of the reader's own, so that the ties are not the whole result.
    ASSERT_TRUE(IsOk(admin_->Upsert(collection, "reader", {{0, {-0.6f, -0.8f}}})));

    v1::SearchResponse found;
    ASSERT_TRUE(IsOk(admin_->Search(collection, "reader", {0.6f, 0.8f}, 10, &found)));
    EXPECT_THAT(RefsOf(found),
                ElementsAre(Ref{"alpha", 3}, Ref{"alpha", 5}, Ref{"mid", 1}, Ref{"zeta", 2},
                            Ref{"zeta", 9}, Ref{"reader", 0}));
    ASSERT_EQ(found.hits_size(), 6);
    for (int i = 1; i < 5; ++i) EXPECT_EQ(found.hits(i).score(), found.hits(0).score());

    // With k cutting through the tie, the first ones in that order are kept.
    ASSERT_TRUE(IsOk(admin_->Search(collection, "reader", {0.6f, 0.8f}, 3, &found)));
    EXPECT_THAT(RefsOf(found), ElementsAre(Ref{"alpha", 3}, Ref{"alpha", 5}, Ref{"mid", 1}));
  }
}

}  // namespace
}  // namespace arbor::integration

// Tests of the C++ client: key files, status mapping, option checks, and calls against the real
// server run in-process on loopback.

#include "client/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/client/test_files.h"
#include "tests/unit/client/test_server.h"

namespace arbor::client {
namespace {

using ::arbor::client::testing::RealTestServer;
using ::arbor::client::testing::ScratchDir;
using ::arbor::client::testing::UnusedLoopbackPort;
using ::arbor::client::testing::WriteBytes;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::unique_ptr<Client> ConnectTo(const std::string& address, const std::string& key) {
  ClientOptions options;
  options.server_address = address;
  options.key = key;
  options.deadline = std::chrono::seconds(30);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

v1::CreateCollectionRequest MakeCreateCollection(const std::string& name, uint32_t dimension) {
  v1::CreateCollectionRequest request;
  request.set_name(name);
  request.set_dimension(dimension);
  request.set_metric(v1::METRIC_L2);
  return request;
}

v1::CreateTenantRequest MakeCreateTenant(const std::string& collection, const std::string& tenant) {
  v1::CreateTenantRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  return request;
}

// Counts the established TCP connections whose local port is `port`, from /proc/net/tcp and
// /proc/net/tcp6. With the server in this process, that is one per client connection to it.
size_t EstablishedConnectionsOnPort(int port) {
  size_t count = 0;
  for (const char* path : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream table(path);
    std::string line;
    std::getline(table, line);  // the column names
    while (std::getline(table, line)) {
      std::istringstream fields(line);
      std::string slot, local_address, remote_address, state;
      fields >> slot >> local_address >> remote_address >> state;
      const size_t colon = local_address.rfind(':');
      if (colon == std::string::npos || state != "01") continue;  // 01 is ESTABLISHED
      if (std::stoi(local_address.substr(colon + 1), nullptr, 16) == port) count++;
    }
  }
  return count;
}

v1::CountRequest MakeCount(const std::string& collection, const std::string& tenant) {
  v1::CountRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  return request;
}

// ---- ReadKeyFile ----

TEST(ReadKeyFileTest, SkipsCommentsAndBlankLines) {
  ScratchDir dir;
  WriteBytes(dir.File("admin.key"),
             "# admin key of a test server\n\n   \n  s3cret-key \r\nsecond\n");

  absl::StatusOr<std::string> key = ReadKeyFile(dir.File("admin.key"));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, "s3cret-key");
}

TEST(ReadKeyFileTest, ReadsKeyWithoutNewline) {
  ScratchDir dir;
  WriteBytes(dir.File("k"), "abc");

  absl::StatusOr<std::string> key = ReadKeyFile(dir.File("k"));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, "abc");
}

TEST(ReadKeyFileTest, RejectsFileWithoutKey) {
  ScratchDir dir;
  WriteBytes(dir.File("empty.key"), "# only a comment\n\n");

  absl::StatusOr<std::string> key = ReadKeyFile(dir.File("empty.key"));
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(key.status().message()), HasSubstr(dir.File("empty.key")));
}

TEST(ReadKeyFileTest, ReportsMissingFile) {
  absl::StatusOr<std::string> key = ReadKeyFile("/nonexistent/admin.key");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(key.status().message()), HasSubstr("/nonexistent/admin.key"));
}

// ---- Status mapping and options ----

TEST(FromGrpcStatusTest, KeepsCodeAndMessage) {
  for (int code = 0; code <= 16; ++code) {
    grpc::Status status(static_cast<grpc::StatusCode>(code), code == 0 ? "" : "detail");
    absl::Status converted = FromGrpcStatus(status);
    EXPECT_EQ(static_cast<int>(converted.code()), code);
    EXPECT_EQ(converted.message(), code == 0 ? "" : "detail");
  }
  EXPECT_EQ(FromGrpcStatus(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "no")).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(ConnectTest, RejectsInvalidOptions) {
  ClientOptions empty_address;
  empty_address.server_address = "";
  EXPECT_EQ(Client::Connect(empty_address).status().code(), absl::StatusCode::kInvalidArgument);

  ClientOptions bad_key;
  bad_key.key = "line\nbreak";
  EXPECT_EQ(Client::Connect(bad_key).status().code(), absl::StatusCode::kInvalidArgument);

  ClientOptions zero_deadline;
  zero_deadline.deadline = std::chrono::milliseconds(0);
  EXPECT_EQ(Client::Connect(zero_deadline).status().code(), absl::StatusCode::kInvalidArgument);

  ClientOptions zero_message_size;
  zero_message_size.max_message_bytes = 0;
  EXPECT_EQ(Client::Connect(zero_message_size).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ClientTest, UnreachableServerIsUnavailable) {
  int port = UnusedLoopbackPort();
  ASSERT_NE(port, 0);
  std::unique_ptr<Client> client = ConnectTo("127.0.0.1:" + std::to_string(port), "any-key");
  ASSERT_NE(client, nullptr);

  absl::StatusOr<bool> serving = client->Health();
  ASSERT_FALSE(serving.ok());
  EXPECT_EQ(serving.status().code(), absl::StatusCode::kUnavailable);

  absl::StatusOr<v1::ListCollectionsResponse> collections =
      client->ListCollections(v1::ListCollectionsRequest());
  ASSERT_FALSE(collections.ok());
  EXPECT_EQ(collections.status().code(), absl::StatusCode::kUnavailable);
}

// ---- Calls against the real server ----

class RealServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RealTestServer>> server = RealTestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    admin_ = ConnectTo(server_->address(), server_->admin_key());
    ASSERT_NE(admin_, nullptr);
  }

  std::unique_ptr<RealTestServer> server_;
  std::unique_ptr<Client> admin_;
};

TEST_F(RealServerTest, AdminKeyCreatesCollection) {
  v1::CreateCollectionRequest request = MakeCreateCollection("docs", 4);
  request.set_metric(v1::METRIC_COSINE);
  absl::StatusOr<v1::CollectionInfo> info = admin_->CreateCollection(request);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->name(), "docs");
  EXPECT_EQ(info->dimension(), 4u);
  EXPECT_EQ(info->metric(), v1::METRIC_COSINE);

  absl::StatusOr<v1::ListCollectionsResponse> list =
      admin_->ListCollections(v1::ListCollectionsRequest());
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->collections_size(), 1);
  EXPECT_EQ(list->collections(0).name(), "docs");
}

TEST_F(RealServerTest, MapsServerErrors) {
  v1::DescribeCollectionRequest describe;
  describe.set_name("missing");
  absl::StatusOr<v1::CollectionInfo> info = admin_->DescribeCollection(describe);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(info.status().message(), "collection 'missing' not found");

  ASSERT_TRUE(admin_->CreateCollection(MakeCreateCollection("docs", 2)).ok());
  absl::StatusOr<v1::CollectionInfo> again =
      admin_->CreateCollection(MakeCreateCollection("docs", 2));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(again.status().message(), "collection 'docs' already exists");

  ASSERT_TRUE(admin_->CreateTenant(MakeCreateTenant("docs", "t1")).ok());
  v1::UpsertRequest upsert;
  upsert.set_collection("docs");
  upsert.set_tenant("t1");
  v1::Vector* vector = upsert.add_vectors();
  vector->set_id(1);
  vector->add_values(1);
  absl::StatusOr<v1::UpsertResponse> wrong_dimension = admin_->Upsert(upsert);
  ASSERT_FALSE(wrong_dimension.ok());
  EXPECT_EQ(wrong_dimension.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(wrong_dimension.status().message()), HasSubstr("vectors[0]"));

  absl::StatusOr<v1::CountResponse> unknown_tenant = admin_->Count(MakeCount("docs", "nobody"));
  ASSERT_FALSE(unknown_tenant.ok());
  EXPECT_EQ(unknown_tenant.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RealServerTest, WrongKeyIsUnauthenticated) {
  std::unique_ptr<Client> client = ConnectTo(server_->address(), "wrong-key-of-some-length");
  ASSERT_NE(client, nullptr);

  absl::StatusOr<v1::ListCollectionsResponse> response =
      client->ListCollections(v1::ListCollectionsRequest());
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(response.status().message()), StartsWith("the key is not valid"));
}

TEST_F(RealServerTest, EmptyKeySendsNoHeader) {
  std::unique_ptr<Client> client = ConnectTo(server_->address(), "");
  ASSERT_NE(client, nullptr);

  absl::StatusOr<v1::ListCollectionsResponse> response =
      client->ListCollections(v1::ListCollectionsRequest());
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(response.status().message()),
              StartsWith("the request has no authorization header"));
}

TEST_F(RealServerTest, TenantKeyActsOnlyAsItsTenant) {
  ASSERT_TRUE(admin_->CreateCollection(MakeCreateCollection("docs", 2)).ok());
  ASSERT_TRUE(admin_->CreateTenant(MakeCreateTenant("docs", "t1")).ok());
  ASSERT_TRUE(admin_->CreateTenant(MakeCreateTenant("docs", "t2")).ok());
  v1::CreateKeyRequest create_key;
  create_key.set_collection("docs");
  create_key.set_tenant("t1");
  absl::StatusOr<v1::CreateKeyResponse> key = admin_->CreateKey(create_key);
  ASSERT_TRUE(key.ok()) << key.status();

  std::unique_ptr<Client> tenant = ConnectTo(server_->address(), key->key());
  ASSERT_NE(tenant, nullptr);
  absl::StatusOr<v1::CountResponse> own = tenant->Count(MakeCount("docs", "t1"));
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->count(), 0u);

  absl::StatusOr<v1::CountResponse> other = tenant->Count(MakeCount("docs", "t2"));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), absl::StatusCode::kPermissionDenied);

  absl::StatusOr<v1::ListCollectionsResponse> admin_call =
      tenant->ListCollections(v1::ListCollectionsRequest());
  ASSERT_FALSE(admin_call.ok());
  EXPECT_EQ(admin_call.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(RealServerTest, DataCallsRoundTrip) {
  ASSERT_TRUE(admin_->CreateCollection(MakeCreateCollection("docs", 2)).ok());
  ASSERT_TRUE(admin_->CreateTenant(MakeCreateTenant("docs", "a")).ok());
  ASSERT_TRUE(admin_->CreateTenant(MakeCreateTenant("docs", "b")).ok());

  v1::UpsertRequest upsert;
  upsert.set_collection("docs");
  upsert.set_tenant("a");
  for (uint64_t id = 1; id <= 3; ++id) {
    v1::Vector* vector = upsert.add_vectors();
    vector->set_id(id);
    vector->add_values(static_cast<float>(id));
    vector->add_values(0);
  }
  absl::StatusOr<v1::UpsertResponse> upserted = admin_->Upsert(upsert);
  ASSERT_TRUE(upserted.ok()) << upserted.status();
  EXPECT_EQ(upserted->inserted_count(), 3u);
  EXPECT_EQ(upserted->updated_count(), 0u);

  v1::GetRequest get;
  get.set_collection("docs");
  get.set_tenant("a");
  get.add_ids(2);
  absl::StatusOr<v1::GetResponse> got = admin_->Get(get);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->records_size(), 1);
  EXPECT_EQ(got->records(0).owner(), "a");
  EXPECT_THAT(got->records(0).values(), ElementsAre(2, 0));

  // Query (2.5, 0): ids 2 and 3 tie at squared distance 0.25, so the lower id comes first.
  v1::SearchRequest search;
  search.set_collection("docs");
  search.set_tenant("a");
  search.add_query(2.5f);
  search.add_query(0);
  search.mutable_params()->set_k(3);
  absl::StatusOr<v1::SearchResponse> found = admin_->Search(search);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->hits_size(), 3);
  EXPECT_EQ(found->hits(0).id(), 2u);
  EXPECT_EQ(found->hits(0).score(), 0.25f);
  EXPECT_EQ(found->hits(1).id(), 3u);
  EXPECT_EQ(found->hits(1).score(), 0.25f);
  EXPECT_EQ(found->hits(2).id(), 1u);
  EXPECT_EQ(found->hits(2).score(), 2.25f);

  v1::ShareRequest share;
  share.set_collection("docs");
  share.set_tenant("a");
  share.add_ids(3);
  share.add_with_tenants("b");
  absl::StatusOr<v1::ShareResponse> shared = admin_->Share(share);
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_EQ(shared->granted_count(), 1u);

  absl::StatusOr<v1::CountResponse> count_b = admin_->Count(MakeCount("docs", "b"));
  ASSERT_TRUE(count_b.ok()) << count_b.status();
  EXPECT_EQ(count_b->count(), 1u);

  v1::SearchBatchRequest batch;
  batch.set_collection("docs");
  batch.set_tenant("b");
  for (float value : {0.0f, 9.0f}) {
    v1::Query* query = batch.add_queries();
    query->add_values(value);
    query->add_values(value);
  }
  batch.mutable_params()->set_k(5);
  absl::StatusOr<v1::SearchBatchResponse> batch_found = admin_->SearchBatch(batch);
  ASSERT_TRUE(batch_found.ok()) << batch_found.status();
  ASSERT_EQ(batch_found->results_size(), 2);
  for (const v1::SearchResponse& result : batch_found->results()) {
    ASSERT_EQ(result.hits_size(), 1);
    EXPECT_EQ(result.hits(0).owner(), "a");
    EXPECT_EQ(result.hits(0).id(), 3u);
  }
  EXPECT_EQ(batch_found->results(0).hits(0).score(), 9.0f);
  EXPECT_EQ(batch_found->results(1).hits(0).score(), 117.0f);

  v1::ListRequest list;
  list.set_collection("docs");
  list.set_tenant("b");
  absl::StatusOr<v1::ListResponse> listed = admin_->List(list);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->vectors_size(), 1);
  EXPECT_EQ(listed->vectors(0).owner(), "a");
  EXPECT_EQ(listed->vectors(0).id(), 3u);

  v1::UnshareRequest unshare;
  unshare.set_collection("docs");
  unshare.set_tenant("a");
  unshare.add_ids(3);
  unshare.add_with_tenants("b");
  absl::StatusOr<v1::UnshareResponse> unshared = admin_->Unshare(unshare);
  ASSERT_TRUE(unshared.ok()) << unshared.status();
  EXPECT_EQ(unshared->revoked_count(), 1u);
  EXPECT_EQ(admin_->Count(MakeCount("docs", "b"))->count(), 0u);

  v1::DeleteRequest remove;
  remove.set_collection("docs");
  remove.set_tenant("a");
  remove.add_ids(1);
  remove.add_ids(99);
  absl::StatusOr<v1::DeleteResponse> removed = admin_->Delete(remove);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(removed->deleted_count(), 1u);
  EXPECT_EQ(admin_->Count(MakeCount("docs", "a"))->count(), 2u);
}

TEST_F(RealServerTest, HealthReportsServingStatusWithoutKey) {
  std::unique_ptr<Client> client = ConnectTo(server_->address(), "");
  ASSERT_NE(client, nullptr);

  absl::StatusOr<bool> serving = client->Health();
  ASSERT_TRUE(serving.ok()) << serving.status();
  EXPECT_TRUE(*serving);

  server_->SetServing(false);
  absl::StatusOr<bool> not_serving = client->Health();
  ASSERT_TRUE(not_serving.ok()) << not_serving.status();
  EXPECT_FALSE(*not_serving);

  server_->SetServing(true);
  absl::StatusOr<bool> serving_again = client->Health();
  ASSERT_TRUE(serving_again.ok()) << serving_again.status();
  EXPECT_TRUE(*serving_again);
}

TEST_F(RealServerTest, OwnConnectionOpensAnotherConnection) {
  const int port = std::stoi(server_->address().substr(server_->address().rfind(':') + 1));
  ASSERT_TRUE(admin_->Health().ok());
  const size_t before = EstablishedConnectionsOnPort(port);
  ASSERT_GE(before, 1u);

  ClientOptions options;
  options.server_address = server_->address();
  options.own_connection = true;
  std::vector<std::unique_ptr<Client>> clients;
  for (size_t i = 1; i <= 2; ++i) {
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
    ASSERT_TRUE(client.ok()) << client.status();
    clients.push_back(*std::move(client));
    absl::StatusOr<bool> serving = clients.back()->Health();
    ASSERT_TRUE(serving.ok()) << serving.status();
    EXPECT_EQ(EstablishedConnectionsOnPort(port), before + i);
  }
}

TEST_F(RealServerTest, SendsAndReceivesLargeMessages) {
  // 16,384 vectors of dimension 256 take 16 MiB of float32 values, four times gRPC's default
  // 4 MiB message limit, so both the Upsert request and the Get response pass only because
  // Connect() raises the send and receive limits.
  constexpr uint32_t kDimension = 256;
  constexpr uint64_t kVectors = 16384;
  ASSERT_TRUE(admin_->CreateCollection(MakeCreateCollection("big", kDimension)).ok());
  ASSERT_TRUE(admin_->CreateTenant(MakeCreateTenant("big", "t")).ok());

  v1::UpsertRequest upsert;
  upsert.set_collection("big");
  upsert.set_tenant("t");
  for (uint64_t id = 0; id < kVectors; ++id) {
    v1::Vector* vector = upsert.add_vectors();
    vector->set_id(id);
    for (uint32_t i = 0; i < kDimension; ++i) {
      vector->add_values(static_cast<float>(id % 1000) + static_cast<float>(i) / 1000);
    }
  }
  ASSERT_GT(upsert.ByteSizeLong(), size_t{4} << 20);
  absl::StatusOr<v1::UpsertResponse> upserted = admin_->Upsert(upsert);
  ASSERT_TRUE(upserted.ok()) << upserted.status();
  EXPECT_EQ(upserted->inserted_count(), kVectors);

  v1::GetRequest get;
  get.set_collection("big");
  get.set_tenant("t");
  for (uint64_t id = 0; id < kVectors; ++id) {
    get.add_ids(id);
  }
  absl::StatusOr<v1::GetResponse> response = admin_->Get(get);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->records_size(), static_cast<int>(kVectors));
  EXPECT_GT(response->ByteSizeLong(), size_t{4} << 20);

  const v1::Record& last = response->records(static_cast<int>(kVectors - 1));
  EXPECT_EQ(last.id(), kVectors - 1);
  ASSERT_EQ(last.values_size(), static_cast<int>(kDimension));
  EXPECT_EQ(last.values(7), static_cast<float>((kVectors - 1) % 1000) + 7.0f / 1000);
}

}  // namespace
}  // namespace arbor::client

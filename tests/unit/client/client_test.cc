#include "client/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/client/fake_server.h"
#include "tests/unit/client/test_files.h"

namespace arbor::client {
namespace {

using ::arbor::client::testing::FakeArborServer;
using ::arbor::client::testing::ScratchDir;
using ::arbor::client::testing::UnusedLoopbackPort;
using ::arbor::client::testing::WriteBytes;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kAdminKey[] = "admin-secret";

std::unique_ptr<Client> ConnectTo(const std::string& address, const std::string& key) {
  ClientOptions options;
  options.server_address = address;
  options.key = key;
  options.deadline = std::chrono::seconds(10);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
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
}

// ---- Calls against a fake server ----

TEST(ClientTest, SendsBearerKey) {
  FakeArborServer server(kAdminKey);
  std::unique_ptr<Client> client = ConnectTo(server.address(), kAdminKey);
  ASSERT_NE(client, nullptr);

  v1::CreateCollectionRequest request;
  request.set_name("docs");
  request.set_dimension(4);
  request.set_metric(v1::METRIC_COSINE);
  absl::StatusOr<v1::CollectionInfo> info = client->CreateCollection(request);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->name(), "docs");
  EXPECT_EQ(info->dimension(), 4u);

  EXPECT_THAT(server.recorded().authorization_headers, ElementsAre("Bearer admin-secret"));
}

TEST(ClientTest, MapsServerErrors) {
  FakeArborServer server(kAdminKey);
  std::unique_ptr<Client> client = ConnectTo(server.address(), kAdminKey);
  ASSERT_NE(client, nullptr);

  v1::DescribeCollectionRequest request;
  request.set_name("missing");
  absl::StatusOr<v1::CollectionInfo> info = client->DescribeCollection(request);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(info.status().message(), "collection missing not found");

  server.SetFailure(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "slow down"));
  absl::StatusOr<v1::CountResponse> count = client->Count(v1::CountRequest());
  ASSERT_FALSE(count.ok());
  EXPECT_EQ(count.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(count.status().message(), "slow down");
}

TEST(ClientTest, WrongKeyIsUnauthenticated) {
  FakeArborServer server(kAdminKey);
  std::unique_ptr<Client> client = ConnectTo(server.address(), "wrong");
  ASSERT_NE(client, nullptr);

  absl::StatusOr<v1::ListCollectionsResponse> response =
      client->ListCollections(v1::ListCollectionsRequest());
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(ClientTest, EmptyKeySendsNoHeader) {
  FakeArborServer server(kAdminKey);
  std::unique_ptr<Client> client = ConnectTo(server.address(), "");
  ASSERT_NE(client, nullptr);

  EXPECT_FALSE(client->ListCollections(v1::ListCollectionsRequest()).ok());
  EXPECT_THAT(server.recorded().authorization_headers, ElementsAre(""));
}

TEST(ClientTest, HealthReportsServingStatusWithoutKey) {
  FakeArborServer server(kAdminKey);
  std::unique_ptr<Client> client = ConnectTo(server.address(), "");
  ASSERT_NE(client, nullptr);

  absl::StatusOr<bool> serving = client->Health();
  ASSERT_TRUE(serving.ok()) << serving.status();
  EXPECT_TRUE(*serving);

  server.SetServing(false);
  absl::StatusOr<bool> not_serving = client->Health();
  ASSERT_TRUE(not_serving.ok()) << not_serving.status();
  EXPECT_FALSE(*not_serving);
}

TEST(ClientTest, UnreachableServerIsUnavailable) {
  std::unique_ptr<Client> client =
      ConnectTo("127.0.0.1:" + std::to_string(UnusedLoopbackPort()), kAdminKey);
  ASSERT_NE(client, nullptr);

  absl::StatusOr<bool> serving = client->Health();
  ASSERT_FALSE(serving.ok());
  EXPECT_EQ(serving.status().code(), absl::StatusCode::kUnavailable);
}

TEST(ClientTest, SendsLargeMessages) {
  FakeArborServer server(kAdminKey);
  std::unique_ptr<Client> client = ConnectTo(server.address(), kAdminKey);
  ASSERT_NE(client, nullptr);

  // About 8 MiB, above gRPC's default 4 MiB receive limit, so the response size limit set by
  // Connect() is what lets the fake's echo through.
  v1::GetRequest request;
  request.set_collection("c");
  request.set_tenant("t");
  for (uint64_t id = 0; id < 400000; ++id) {
    request.add_ids(id);
  }
  absl::StatusOr<v1::GetResponse> response = client->Get(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->records_size(), 400000);
  EXPECT_GT(response->ByteSizeLong(), size_t{4} << 20);
}

}  // namespace
}  // namespace arbor::client

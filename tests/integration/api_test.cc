// Every RPC of AdminService and VectorService once, the health service, server reflection and
// the files arbord keeps in its data directory.
#include <grpcpp/generic/generic_stub.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "tests/integration/arbord_test_fixture.h"

namespace arbor::integration {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> NamesOf(const std::vector<v1::TenantInfo>& tenants) {
  std::vector<std::string> names;
  for (const v1::TenantInfo& tenant : tenants) names.push_back(tenant.name());
  return names;
}

using ApiTest = ArbordTest;

TEST_F(ApiTest, HealthServingWithoutKey) {
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(IsOk(admin_->CheckHealth("", &response)));
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

// Sends one ServerReflectionRequest{list_services: ""} over the bidirectional stream and
// returns the service names of the reply. The reflection protos are not installed as C++
// headers, so the request and reply are encoded by hand from reflection.proto (v1alpha).
// Request field 7 is list_services. Reply field 6 is list_services_response, whose repeated
// field 1 contains ServiceResponse messages with the name in field 1.
grpc::Status ListServicesByReflection(const std::shared_ptr<grpc::Channel>& channel,
                                      std::vector<std::string>* services) {
  using google::protobuf::internal::WireFormatLite;
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  PrepareContext(&context, /*key=*/"", std::chrono::seconds(10));
  grpc::CompletionQueue queue;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call = stub.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &queue);

  // Waits for the operation tagged `tag` and returns whether it succeeded.
  auto await = [&](intptr_t tag) {
    void* got = nullptr;
    bool ok = false;
    return queue.Next(&got, &ok) && ok && got == reinterpret_cast<void*>(tag);
  };

  call->StartCall(reinterpret_cast<void*>(1));
  bool ok = await(1);

  const std::string request("\x3a\x00", 2);  // field 7, length-delimited, empty
  grpc::Slice request_slice(request.data(), request.size());
  grpc::ByteBuffer request_buffer(&request_slice, 1);
  if (ok) {
    call->Write(request_buffer, reinterpret_cast<void*>(2));
    ok = await(2);
  }
  if (ok) {
    call->WritesDone(reinterpret_cast<void*>(3));
    ok = await(3);
  }
  grpc::ByteBuffer reply_buffer;
  if (ok) {
    call->Read(&reply_buffer, reinterpret_cast<void*>(4));
    ok = await(4);
  }
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  const bool finished = await(5);
  queue.Shutdown();
  void* ignored_tag = nullptr;
  bool ignored_ok = false;
  while (queue.Next(&ignored_tag, &ignored_ok)) {
  }
  if (!finished) return grpc::Status(grpc::StatusCode::INTERNAL, "Finish did not complete");
  if (!status.ok()) return status;
  if (!ok) return grpc::Status(grpc::StatusCode::INTERNAL, "the reflection stream failed");

  std::vector<grpc::Slice> slices;
  if (!reply_buffer.Dump(&slices).ok()) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "cannot read the reflection reply");
  }
  std::string reply;
  for (const grpc::Slice& slice : slices) {
    reply.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }

  google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(reply.data()),
                                               static_cast<int>(reply.size()));
  while (uint32_t tag = input.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) != 6) {
      if (!WireFormatLite::SkipField(&input, tag)) break;
      continue;
    }
    std::string list_response;
    if (!WireFormatLite::ReadBytes(&input, &list_response)) break;
    google::protobuf::io::CodedInputStream list_input(
        reinterpret_cast<const uint8_t*>(list_response.data()),
        static_cast<int>(list_response.size()));
    while (uint32_t list_tag = list_input.ReadTag()) {
      std::string service_response;
      if (WireFormatLite::GetTagFieldNumber(list_tag) != 1 ||
          !WireFormatLite::ReadBytes(&list_input, &service_response)) {
        break;
      }
      google::protobuf::io::CodedInputStream service_input(
          reinterpret_cast<const uint8_t*>(service_response.data()),
          static_cast<int>(service_response.size()));
      while (uint32_t service_tag = service_input.ReadTag()) {
        std::string name;
        if (WireFormatLite::GetTagFieldNumber(service_tag) != 1 ||
            !WireFormatLite::ReadBytes(&service_input, &name)) {
          break;
        }
        services->push_back(name);
      }
    }
  }
  return grpc::Status::OK;
}

TEST_F(ApiTest, ReflectionListsBothServices) {
  std::vector<std::string> services;
  ASSERT_TRUE(IsOk(ListServicesByReflection(admin_->channel(), &services)));
  EXPECT_THAT(services, ::testing::Contains("arbor.v1.AdminService"));
  EXPECT_THAT(services, ::testing::Contains("arbor.v1.VectorService"));
  EXPECT_THAT(services, ::testing::Contains("grpc.health.v1.Health"));
}

TEST_F(ApiTest, DataDirectoryFiles) {
  const std::string key_path = server_->data_dir() + "/admin.key";
  struct stat info {};
  ASSERT_EQ(stat(key_path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u) << "admin.key mode is " << std::oct
                                        << (info.st_mode & 0777);
  const std::string key_file = ReadFileOrEmpty(key_path);
  EXPECT_TRUE(absl::StartsWith(key_file, "#")) << key_file;
  EXPECT_FALSE(server_->admin_key().empty());

  const std::string address_path = server_->data_dir() + "/arbord.addr";
  EXPECT_EQ(ReadFileOrEmpty(address_path), server_->address() + "\n");
  EXPECT_TRUE(absl::StartsWith(server_->address(), "127.0.0.1:")) << server_->address();

  absl::StatusOr<ExitStatus> stopped = server_->Stop();
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_TRUE(stopped->CleanExit()) << stopped->ToString();
  EXPECT_FALSE(std::filesystem::exists(address_path));

  // The admin key survives a restart unchanged.
  const std::string key_before = server_->admin_key();
  RestartArbord();
  EXPECT_EQ(server_->admin_key(), key_before);
}

TEST_F(ApiTest, AdminRpcsRoundTrip) {
  const int64_t before_ms = NowUnixMs();
  v1::CollectionInfo docs;
  ASSERT_TRUE(IsOk(admin_->CreateCollection("docs", 4, v1::METRIC_L2, &docs)));
  EXPECT_EQ(docs.name(), "docs");
  EXPECT_EQ(docs.dimension(), 4u);
  EXPECT_EQ(docs.metric(), v1::METRIC_L2);
  EXPECT_EQ(docs.vector_count(), 0u);
  EXPECT_EQ(docs.tenant_count(), 0u);
  EXPECT_GE(docs.created_unix_ms(), before_ms - 1000);
  EXPECT_LE(docs.created_unix_ms(), NowUnixMs() + 1000);

  v1::CollectionInfo images;
  ASSERT_TRUE(IsOk(admin_->CreateCollection("images.v2", 3, v1::METRIC_COSINE, &images)));
  EXPECT_EQ(images.metric(), v1::METRIC_COSINE);
  ASSERT_TRUE(IsOk(admin_->CreateCollection("ip-0", 2, v1::METRIC_IP)));

  v1::ListCollectionsResponse collections;
  ASSERT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::ListCollections,
                                v1::ListCollectionsRequest(), &collections)));
  std::vector<std::string> collection_names;
  for (const v1::CollectionInfo& info : collections.collections()) {
    collection_names.push_back(info.name());
    if (info.name() == "images.v2") {
      EXPECT_EQ(info.dimension(), 3u);
      EXPECT_EQ(info.metric(), v1::METRIC_COSINE);
    }
  }
  EXPECT_THAT(collection_names, UnorderedElementsAre("docs", "images.v2", "ip-0"));

  v1::TenantInfo alice;
  ASSERT_TRUE(IsOk(admin_->CreateTenant("docs", "alice", &alice)));
  EXPECT_EQ(alice.collection(), "docs");
  EXPECT_EQ(alice.name(), "alice");
  EXPECT_EQ(alice.owned_count(), 0u);
  EXPECT_EQ(alice.readable_count(), 0u);
  EXPECT_GE(alice.created_unix_ms(), before_ms - 1000);
  for (const char* name : {"erin", "carol", "bob", "dave"}) {
    ASSERT_TRUE(IsOk(admin_->CreateTenant("docs", name))) << name;
  }

  // Pages of two, sorted by name.
  v1::ListTenantsRequest list_request;
  list_request.set_collection("docs");
  list_request.set_page_size(2);
  v1::ListTenantsResponse page;
  ASSERT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::ListTenants, list_request, &page)));
  EXPECT_THAT(NamesOf({page.tenants().begin(), page.tenants().end()}),
              ElementsAre("alice", "bob"));
  ASSERT_FALSE(page.next_page_token().empty());
  list_request.set_page_token(page.next_page_token());
  ASSERT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::ListTenants, list_request, &page)));
  EXPECT_THAT(NamesOf({page.tenants().begin(), page.tenants().end()}),
              ElementsAre("carol", "dave"));
  list_request.set_page_token(page.next_page_token());
  ASSERT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::ListTenants, list_request, &page)));
  EXPECT_THAT(NamesOf({page.tenants().begin(), page.tenants().end()}), ElementsAre("erin"));
  EXPECT_TRUE(page.next_page_token().empty());

  std::vector<v1::TenantInfo> all_tenants;
  ASSERT_TRUE(IsOk(admin_->ListAllTenants("docs", 0, &all_tenants)));
  EXPECT_THAT(NamesOf(all_tenants), ElementsAre("alice", "bob", "carol", "dave", "erin"));

  std::string alice_key, alice_key_id, bob_key_id;
  ASSERT_TRUE(IsOk(admin_->CreateKey("docs", "alice", &alice_key, &alice_key_id)));
  EXPECT_FALSE(alice_key_id.empty());
  EXPECT_TRUE(absl::StrContains(alice_key, alice_key_id)) << alice_key;
  EXPECT_NE(alice_key, alice_key_id);
  ASSERT_TRUE(IsOk(admin_->CreateKey("docs", "bob", nullptr, &bob_key_id)));
  EXPECT_NE(alice_key_id, bob_key_id);

  v1::ListKeysRequest keys_request;
  keys_request.set_collection("docs");
  v1::ListKeysResponse keys;
  ASSERT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::ListKeys, keys_request, &keys)));
  ASSERT_EQ(keys.keys_size(), 2);
  keys_request.set_tenant("alice");
  ASSERT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::ListKeys, keys_request, &keys)));
  ASSERT_EQ(keys.keys_size(), 1);
  EXPECT_EQ(keys.keys(0).key_id(), alice_key_id);
  EXPECT_EQ(keys.keys(0).collection(), "docs");
  EXPECT_EQ(keys.keys(0).tenant(), "alice");
  EXPECT_GE(keys.keys(0).created_unix_ms(), before_ms - 1000);
  EXPECT_FALSE(absl::StrContains(keys.DebugString(), alice_key)) << "ListKeys returned a secret";

  ASSERT_TRUE(IsOk(admin_->RevokeKey("docs", bob_key_id)));
  keys_request.clear_tenant();
  ASSERT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::ListKeys, keys_request, &keys)));
  ASSERT_EQ(keys.keys_size(), 1);
  EXPECT_EQ(keys.keys(0).key_id(), alice_key_id);

  ASSERT_TRUE(IsOk(admin_->DropTenant("docs", "erin")));
  ASSERT_TRUE(IsOk(admin_->ListAllTenants("docs", 0, &all_tenants)));
  EXPECT_THAT(NamesOf(all_tenants), ElementsAre("alice", "bob", "carol", "dave"));
  ASSERT_TRUE(IsOk(admin_->DescribeCollection("docs", &docs)));
  EXPECT_EQ(docs.tenant_count(), 4u);

  v1::DropCollectionRequest drop;
  drop.set_name("images.v2");
  v1::DropCollectionResponse dropped;
  ASSERT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::DropCollection, drop, &dropped)));
  EXPECT_TRUE(HasStatus(admin_->DescribeCollection("images.v2", &images),
                        grpc::StatusCode::NOT_FOUND, "images.v2"));
  ASSERT_TRUE(IsOk(admin_->Call(&v1::AdminService::Stub::ListCollections,
                                v1::ListCollectionsRequest(), &collections)));
  collection_names.clear();
  for (const v1::CollectionInfo& info : collections.collections()) {
    collection_names.push_back(info.name());
  }
  EXPECT_THAT(collection_names, UnorderedElementsAre("docs", "ip-0"));
}

TEST_F(ApiTest, VectorRpcsRoundTrip) {
  ASSERT_TRUE(IsOk(admin_->CreateCollection("docs", 3, v1::METRIC_L2)));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("docs", "alice")));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("docs", "bob")));
  std::string alice_key;
  ASSERT_TRUE(IsOk(admin_->CreateKey("docs", "alice", &alice_key)));
  auto alice = ClientWithKey(alice_key);

  v1::UpsertResponse upserted;
  ASSERT_TRUE(IsOk(alice->Upsert("docs", "alice",
                                 {{1, {0, 0, 0}}, {2, {1, 0, 0}}, {3, {0, 2, 0}}}, &upserted)));
  EXPECT_EQ(upserted.inserted_count(), 3u);
  EXPECT_EQ(upserted.updated_count(), 0u);
  ASSERT_TRUE(IsOk(alice->Upsert("docs", "alice", {{3, {0, 3, 0}}, {4, {0, 0, 4}}}, &upserted)));
  EXPECT_EQ(upserted.inserted_count(), 1u);
  EXPECT_EQ(upserted.updated_count(), 1u);

  uint64_t count = 0;
  ASSERT_TRUE(IsOk(alice->Count("docs", "alice", &count)));
  EXPECT_EQ(count, 4u);
  ASSERT_TRUE(IsOk(admin_->Count("docs", "bob", &count)));
  EXPECT_EQ(count, 0u);

  v1::GetResponse got;
  ASSERT_TRUE(IsOk(alice->Get("docs", "alice", {3, 99, 1}, "", &got)));
  ASSERT_EQ(got.records_size(), 2);
  EXPECT_EQ(got.records(0).owner(), "alice");
  EXPECT_EQ(got.records(0).id(), 3u);
  EXPECT_THAT(ValuesOf(got.records(0)), ElementsAre(0, 3, 0));
  EXPECT_EQ(got.records(1).id(), 1u);
  EXPECT_THAT(ValuesOf(got.records(1)), ElementsAre(0, 0, 0));

  // Squared distances from (1, 0, 0): id 2 → 0, id 1 → 1, id 3 → 10, id 4 → 17.
  v1::SearchResponse searched;
  ASSERT_TRUE(IsOk(alice->Search("docs", "alice", {1, 0, 0}, 3, &searched)));
  ASSERT_EQ(searched.hits_size(), 3);
  EXPECT_EQ(searched.hits(0).owner(), "alice");
  EXPECT_EQ(searched.hits(0).id(), 2u);
  EXPECT_FLOAT_EQ(searched.hits(0).score(), 0.0f);
  EXPECT_EQ(searched.hits(1).id(), 1u);
  EXPECT_FLOAT_EQ(searched.hits(1).score(), 1.0f);
  EXPECT_EQ(searched.hits(2).id(), 3u);
  EXPECT_FLOAT_EQ(searched.hits(2).score(), 10.0f);

  v1::SearchBatchResponse batch;
  ASSERT_TRUE(IsOk(alice->SearchBatch("docs", "alice", {{0, 0, 4}, {1, 0, 0}}, 1, &batch)));
  ASSERT_EQ(batch.results_size(), 2);
  ASSERT_EQ(batch.results(0).hits_size(), 1);
  EXPECT_EQ(batch.results(0).hits(0).id(), 4u);
  ASSERT_EQ(batch.results(1).hits_size(), 1);
  EXPECT_EQ(batch.results(1).hits(0).id(), 2u);

  uint64_t granted = 0;
  ASSERT_TRUE(IsOk(alice->Share("docs", "alice", {1, 2}, {"bob"}, &granted)));
  EXPECT_EQ(granted, 2u);
  ASSERT_TRUE(IsOk(alice->Share("docs", "alice", {1, 2}, {"bob"}, &granted)));
  EXPECT_EQ(granted, 0u);
  ASSERT_TRUE(IsOk(admin_->Count("docs", "bob", &count)));
  EXPECT_EQ(count, 2u);

  ASSERT_TRUE(IsOk(alice->Get("docs", "alice", {1, 3}, "alice", &got)));
  ASSERT_EQ(got.records_size(), 2);
  EXPECT_THAT(got.records(0).shared_with(), ElementsAre("bob"));
  EXPECT_THAT(got.records(1).shared_with(), IsEmpty());

  uint64_t revoked = 0;
  ASSERT_TRUE(IsOk(alice->Unshare("docs", "alice", {1}, {"bob"}, &revoked)));
  EXPECT_EQ(revoked, 1u);
  ASSERT_TRUE(IsOk(alice->Unshare("docs", "alice", {1}, {"bob"}, &revoked)));
  EXPECT_EQ(revoked, 0u);
  ASSERT_TRUE(IsOk(admin_->Count("docs", "bob", &count)));
  EXPECT_EQ(count, 1u);

  v1::ListRequest list_request;
  list_request.set_collection("docs");
  list_request.set_tenant("alice");
  list_request.set_page_size(3);
  v1::ListResponse listed;
  ASSERT_TRUE(IsOk(alice->Call(&v1::VectorService::Stub::List, list_request, &listed)));
  ASSERT_EQ(listed.vectors_size(), 3);
  EXPECT_EQ(listed.vectors(0).id(), 1u);
  EXPECT_EQ(listed.vectors(2).id(), 3u);
  ASSERT_FALSE(listed.next_page_token().empty());
  list_request.set_page_token(listed.next_page_token());
  ASSERT_TRUE(IsOk(alice->Call(&v1::VectorService::Stub::List, list_request, &listed)));
  ASSERT_EQ(listed.vectors_size(), 1);
  EXPECT_EQ(listed.vectors(0).owner(), "alice");
  EXPECT_EQ(listed.vectors(0).id(), 4u);
  EXPECT_TRUE(listed.next_page_token().empty());

  std::vector<std::pair<std::string, uint64_t>> refs;
  ASSERT_TRUE(IsOk(admin_->ListAll("docs", "bob", 0, &refs)));
  EXPECT_THAT(refs, ElementsAre(std::make_pair(std::string("alice"), uint64_t{2})));

  uint64_t deleted = 0;
  ASSERT_TRUE(IsOk(alice->Delete("docs", "alice", {2, 77}, &deleted)));
  EXPECT_EQ(deleted, 1u);
  ASSERT_TRUE(IsOk(admin_->Count("docs", "bob", &count)));
  EXPECT_EQ(count, 0u);
  ASSERT_TRUE(IsOk(alice->Count("docs", "alice", &count)));
  EXPECT_EQ(count, 3u);

  v1::CollectionInfo info;
  ASSERT_TRUE(IsOk(admin_->DescribeCollection("docs", &info)));
  EXPECT_EQ(info.vector_count(), 3u);
  EXPECT_EQ(info.tenant_count(), 2u);
  EXPECT_GT(info.bytes(), 0u);

  std::vector<v1::TenantInfo> tenants;
  ASSERT_TRUE(IsOk(admin_->ListAllTenants("docs", 0, &tenants)));
  ASSERT_EQ(tenants.size(), 2u);
  EXPECT_EQ(tenants[0].owned_count(), 3u);
  EXPECT_EQ(tenants[0].readable_count(), 3u);
  EXPECT_EQ(tenants[1].owned_count(), 0u);
  EXPECT_EQ(tenants[1].readable_count(), 0u);
}

TEST_F(ApiTest, CallWithoutDeadline) {
  ASSERT_TRUE(IsOk(admin_->CreateCollection("docs", 2, v1::METRIC_IP)));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("docs", "alice")));

  // Many clients set no deadline; the server must treat that as "no limit".
  v1::UpsertRequest upsert;
  upsert.set_collection("docs");
  upsert.set_tenant("alice");
  v1::Vector* vector = upsert.add_vectors();
  vector->set_id(5);
  vector->add_values(1);
  vector->add_values(2);
  v1::UpsertResponse upserted;
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + server_->admin_key());
    ASSERT_TRUE(IsOk(admin_->vectors().Upsert(&context, upsert, &upserted)));
  }
  EXPECT_EQ(upserted.inserted_count(), 1u);

  v1::SearchBatchRequest search;
  search.set_collection("docs");
  search.set_tenant("alice");
  search.add_queries()->add_values(1);
  search.mutable_queries(0)->add_values(1);
  search.mutable_params()->set_k(1);
  v1::SearchBatchResponse found;
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + server_->admin_key());
    ASSERT_TRUE(IsOk(admin_->vectors().SearchBatch(&context, search, &found)));
  }
  ASSERT_EQ(found.results_size(), 1);
  ASSERT_EQ(found.results(0).hits_size(), 1);
  EXPECT_EQ(found.results(0).hits(0).id(), 5u);
  EXPECT_FLOAT_EQ(found.results(0).hits(0).score(), 3.0f);
}

// Starts arbord itself, with an admin key file written by the test.
class AdminKeyFileTest : public ArbordTest {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "arbor-key-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    key_dir_ = pattern;
  }

  void TearDown() override {
    ArbordTest::TearDown();
    std::error_code error;
    std::filesystem::remove_all(key_dir_, error);
  }

  std::string WriteKeyFile(const std::string& name, const std::string& content) {
    const std::string path = key_dir_ + "/" + name;
    std::ofstream(path) << content;
    return path;
  }

  std::string key_dir_;
};

TEST_F(AdminKeyFileTest, KeyFromFileSkipsComments) {
  const std::string path =
      WriteKeyFile("admin.key", "# operator key\n\n   admin-key-for-tests-0001  \n# end\n");
  ArbordOptions options;
  options.admin_key_file = path;
  ASSERT_NO_FATAL_FAILURE(StartArbord(options));
  ASSERT_EQ(server_->admin_key(), "admin-key-for-tests-0001");
  EXPECT_TRUE(IsOk(admin_->CreateCollection("docs", 2, v1::METRIC_L2)));
  EXPECT_FALSE(std::filesystem::exists(server_->data_dir() + "/admin.key"))
      << "arbord created its own key although --admin-key-file was given";

  // Only the first key line is the key.
  auto with_comment = ClientWithKey("# operator key");
  v1::CollectionInfo info;
  EXPECT_TRUE(HasStatus(with_comment->DescribeCollection("docs", &info),
                        grpc::StatusCode::UNAUTHENTICATED));
}

TEST_F(AdminKeyFileTest, ShortKeyRejectedAtStart) {
  const std::string path = WriteKeyFile("short.key", "short\n");
  const std::string data_dir = key_dir_ + "/data";
  const std::string log_path = key_dir_ + "/arbord.log";
  absl::StatusOr<ExitStatus> ended = RunArbordUntilExit(
      {"--data-dir", data_dir, "--listen", "127.0.0.1:0", "--admin-key-file", path}, log_path,
      std::chrono::seconds(20));
  ASSERT_TRUE(ended.ok()) << ended.status();
  const std::string output = ReadFileOrEmpty(log_path);
  EXPECT_TRUE(ended->exited) << ended->ToString();
  EXPECT_EQ(ended->code, 1) << output;
  EXPECT_NE(output.find("16"), std::string::npos) << "the error does not state the minimum length: "
                                                  << output;
}

}  // namespace
}  // namespace arbor::integration

// What feeds and serves the metrics registry: the gRPC call metrics, the database and process
// gauges, HOST:PORT parsing and the HTTP endpoint on loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "arbor/v1/admin.pb.h"
#include "server/database_metrics.h"
#include "server/grpc_metrics.h"
#include "server/metrics.h"
#include "server/metrics_http.h"
#include "tests/unit/server/test_support.h"

namespace arbor::server {
namespace {

using ::arbor::server::test_support::ScopedTempDir;
using ::testing::HasSubstr;
using ::testing::Not;

// ---- gRPC call metrics ----

TEST(GrpcMetrics, CountsByMethodAndCode) {
  MetricsRegistry registry;
  absl::StatusOr<std::shared_ptr<GrpcMetrics>> metrics =
      GrpcMetrics::Create(&registry, {"/pkg.Service/Get", "/pkg.Service/Put"});
  ASSERT_TRUE(metrics.ok()) << metrics.status();

  (*metrics)->Record("/pkg.Service/Get", grpc::StatusCode::OK, 0.002);
  (*metrics)->Record("/pkg.Service/Get", grpc::StatusCode::OK, 0.0004);
  (*metrics)->Record("/pkg.Service/Get", grpc::StatusCode::NOT_FOUND, 0.5);

  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("arbor_grpc_requests_total{service=\"pkg.Service\",method=\"Get\","
                              "code=\"OK\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("arbor_grpc_requests_total{service=\"pkg.Service\",method=\"Get\","
                              "code=\"NOT_FOUND\"} 1\n"));
  // OK series exist from the start; other codes only once counted.
  EXPECT_THAT(text, HasSubstr("arbor_grpc_requests_total{service=\"pkg.Service\",method=\"Put\","
                              "code=\"OK\"} 0\n"));
  EXPECT_THAT(text, Not(HasSubstr("method=\"Put\",code=\"NOT_FOUND\"")));
  EXPECT_THAT(text, Not(HasSubstr("code=\"INVALID_ARGUMENT\"")));

  const std::string get_ok = "service=\"pkg.Service\",method=\"Get\",code=\"OK\"";
  EXPECT_THAT(text, HasSubstr(absl::StrCat("arbor_grpc_request_duration_seconds_bucket{", get_ok,
                                           ",le=\"0.00025\"} 0\n")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("arbor_grpc_request_duration_seconds_bucket{", get_ok,
                                           ",le=\"0.0005\"} 1\n")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("arbor_grpc_request_duration_seconds_bucket{", get_ok,
                                           ",le=\"0.0025\"} 2\n")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("arbor_grpc_request_duration_seconds_count{", get_ok,
                                           "} 2\n")));
}

TEST(GrpcMetrics, OtherPathsCountAsUnknown) {
  MetricsRegistry registry;
  absl::StatusOr<std::shared_ptr<GrpcMetrics>> metrics =
      GrpcMetrics::Create(&registry, {"/pkg.Service/Get"});
  ASSERT_TRUE(metrics.ok()) << metrics.status();

  (*metrics)->Record("/evil.Service/Method1", grpc::StatusCode::UNIMPLEMENTED, 0.001);
  (*metrics)->Record("/evil.Service/Method2", grpc::StatusCode::UNIMPLEMENTED, 0.001);
  (*metrics)->Record("", grpc::StatusCode::UNIMPLEMENTED, 0.001);

  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("arbor_grpc_requests_total{service=\"unknown\",method=\"unknown\","
                              "code=\"UNIMPLEMENTED\"} 3\n"));
  EXPECT_THAT(text, Not(HasSubstr("evil")));
}

TEST(GrpcMetrics, CodeOutOfRangeCountsAsUnknown) {
  MetricsRegistry registry;
  absl::StatusOr<std::shared_ptr<GrpcMetrics>> metrics =
      GrpcMetrics::Create(&registry, {"/pkg.Service/Get"});
  ASSERT_TRUE(metrics.ok()) << metrics.status();

  (*metrics)->Record("/pkg.Service/Get", static_cast<grpc::StatusCode>(42), 0.001);

  EXPECT_THAT(registry.Render(),
              HasSubstr("arbor_grpc_requests_total{service=\"pkg.Service\",method=\"Get\","
                        "code=\"UNKNOWN\"} 1\n"));
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
  EXPECT_EQ(GrpcCodeName(static_cast<grpc::StatusCode>(17)), "UNKNOWN");
}

TEST(GrpcMetrics, RejectsMalformedPaths) {
  for (const char* path : {"pkg.Service/Get", "/pkg.Service", "/pkg.Service/", "//Get",
                           "/pkg.Service/Get/More", ""}) {
    SCOPED_TRACE(path);
    MetricsRegistry registry;
    absl::StatusOr<std::shared_ptr<GrpcMetrics>> metrics = GrpcMetrics::Create(&registry, {path});
    EXPECT_EQ(metrics.status().code(), absl::StatusCode::kInvalidArgument);
  }
  MetricsRegistry registry;
  absl::StatusOr<std::shared_ptr<GrpcMetrics>> twice =
      GrpcMetrics::Create(&registry, {"/pkg.S/Get", "/pkg.S/Get"});
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(twice.status().message()), HasSubstr("listed twice"));
}

TEST(GrpcMetrics, MethodPathsOfService) {
  const google::protobuf::ServiceDescriptor* admin =
      v1::CreateCollectionRequest::descriptor()->file()->FindServiceByName("AdminService");
  ASSERT_NE(admin, nullptr);

  const std::vector<std::string> paths = MethodPathsOf(*admin);
  EXPECT_EQ(paths.size(), static_cast<size_t>(admin->method_count()));
  EXPECT_THAT(paths, ::testing::Contains("/arbor.v1.AdminService/CreateCollection"));
  EXPECT_THAT(paths, ::testing::Contains("/arbor.v1.AdminService/RevokeKey"));
}

// ---- Database and process gauges ----

DatabaseStats TwoCollections() {
  DatabaseStats stats;
  CollectionStats docs;
  docs.name = "docs";
  docs.vectors = 12000;
  docs.tenants = 3;
  docs.index_trained = true;
  docs.tree_nodes = 41;
  docs.tree_depth = 2;
  docs.index_vector_bytes = 4096;
  docs.index_structure_bytes = 1000;
  CollectionStats empty;
  empty.name = "empty";
  empty.tree_nodes = 1;
  empty.index_vector_bytes = 0;
  empty.index_structure_bytes = 24;
  stats.collections = {docs, empty};
  stats.tenant_keys = 2;
  return stats;
}

TEST(DatabaseMetrics, WritesCollectionGauges) {
  TextWriter out;
  WriteCollectionMetrics(TwoCollections(), out);
  const std::string& text = out.text();

  EXPECT_THAT(text, HasSubstr("\narbor_collections 2\n"));
  EXPECT_THAT(text, HasSubstr("\narbor_tenant_keys 2\n"));
  EXPECT_THAT(text, HasSubstr("\narbor_collection_vectors{collection=\"docs\"} 12000\n"));
  EXPECT_THAT(text, HasSubstr("\narbor_collection_vectors{collection=\"empty\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("\narbor_collection_tenants{collection=\"docs\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("\narbor_collection_index_trained{collection=\"docs\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\narbor_collection_index_trained{collection=\"empty\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("\narbor_collection_index_tree_nodes{collection=\"docs\"} 41\n"));
  EXPECT_THAT(text, HasSubstr("\narbor_collection_index_tree_depth{collection=\"docs\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("\narbor_collection_index_memory_bytes{collection=\"docs\","
                              "component=\"vectors\"} 4096\n"));
  EXPECT_THAT(text, HasSubstr("\narbor_collection_index_memory_bytes{collection=\"docs\","
                              "component=\"structures\"} 1000\n"));
}

TEST(DatabaseMetrics, OmitsEmptyCollectionFamilies) {
  TextWriter out;
  WriteCollectionMetrics(DatabaseStats{}, out);

  EXPECT_THAT(out.text(), HasSubstr("\narbor_collections 0\n"));
  EXPECT_THAT(out.text(), Not(HasSubstr("arbor_collection_vectors")));
}

TEST(DatabaseMetrics, SumsIndexMemoryAndAddsRocksDb) {
  storage::StoreStats store;
  store.memtable_bytes = 100;
  store.block_cache_bytes = 200;
  store.table_reader_bytes = 300;

  TextWriter with_store;
  WriteMemoryMetrics(TwoCollections(), &store, with_store);
  EXPECT_THAT(with_store.text(),
              HasSubstr("arbor_memory_bytes{component=\"index_vectors\"} 4096\n"));
  EXPECT_THAT(with_store.text(),
              HasSubstr("arbor_memory_bytes{component=\"index_structures\"} 1024\n"));
  EXPECT_THAT(with_store.text(),
              HasSubstr("arbor_memory_bytes{component=\"rocksdb_memtables\"} 100\n"));
  EXPECT_THAT(with_store.text(),
              HasSubstr("arbor_memory_bytes{component=\"rocksdb_block_cache\"} 200\n"));
  EXPECT_THAT(with_store.text(),
              HasSubstr("arbor_memory_bytes{component=\"rocksdb_table_readers\"} 300\n"));

  TextWriter without_store;
  WriteMemoryMetrics(TwoCollections(), nullptr, without_store);
  EXPECT_THAT(without_store.text(), HasSubstr("component=\"index_vectors\"} 4096\n"));
  EXPECT_THAT(without_store.text(), Not(HasSubstr("rocksdb")));
}

TEST(DatabaseMetrics, WritesStoreFiguresPerFamily) {
  storage::StoreStats store;
  store.families = {{"default", 0, 0}, {"records", 3, 123456}};
  store.pending_compaction_bytes = 7;
  store.background_errors = 1;
  store.wal_files = 2;
  store.wal_bytes = 4096;

  TextWriter out;
  WriteStoreMetrics(store, out);
  const std::string& text = out.text();
  EXPECT_THAT(text, HasSubstr("\narbor_rocksdb_sst_files{family=\"records\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("\narbor_rocksdb_live_sst_bytes{family=\"records\"} 123456\n"));
  EXPECT_THAT(text, HasSubstr("\narbor_rocksdb_sst_files{family=\"default\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("\narbor_rocksdb_pending_compaction_bytes 7\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE arbor_rocksdb_background_errors_total counter\n"));
  EXPECT_THAT(text, HasSubstr("\narbor_rocksdb_background_errors_total 1\n"));
  EXPECT_THAT(text, HasSubstr("\narbor_rocksdb_wal_files 2\n"));
  EXPECT_THAT(text, HasSubstr("\narbor_rocksdb_wal_bytes 4096\n"));
}

TEST(DatabaseMetrics, ProcessFiguresAndUptime) {
  ProcessStats stats;
  stats.start_time = absl::FromUnixSeconds(1000);
  stats.resident_memory_bytes = 5 << 20;

  TextWriter out;
  WriteProcessMetrics(stats, absl::FromUnixSeconds(1090) + absl::Milliseconds(500), out);
  EXPECT_THAT(out.text(), HasSubstr("\narbor_process_start_time_seconds 1000\n"));
  EXPECT_THAT(out.text(), HasSubstr("\narbor_uptime_seconds 90.5\n"));
  EXPECT_THAT(out.text(), HasSubstr("\narbor_process_resident_memory_bytes 5242880\n"));
  EXPECT_THAT(out.text(), HasSubstr("arbor_build_info{version=\""));

  // Without a resident size the family is left out rather than reported as 0.
  stats.resident_memory_bytes.reset();
  TextWriter without;
  WriteProcessMetrics(stats, absl::FromUnixSeconds(1090), without);
  EXPECT_THAT(without.text(), Not(HasSubstr("arbor_process_resident_memory_bytes")));
}

TEST(DatabaseMetrics, ReadsThisProcessFromProc) {
  ProcessStats stats;
  const absl::Status read = ReadProcessStats(&stats);
  ASSERT_TRUE(read.ok()) << read;

  ASSERT_TRUE(stats.resident_memory_bytes.has_value());
  EXPECT_GT(*stats.resident_memory_bytes, 0u);
  const absl::Time now = absl::Now();
  EXPECT_LE(stats.start_time, now);
  // CTest starts a process per test, so this one began moments ago. An hour leaves room for a
  // loaded machine and still catches a wrong unit, such as ticks taken as seconds.
  EXPECT_GT(stats.start_time, now - absl::Hours(1));
}

TEST(DatabaseMetrics, DirectorySizeCountsNestedFiles) {
  ScopedTempDir dir;
  std::filesystem::create_directories(dir.path() + "/db/sub");
  std::ofstream(dir.path() + "/a") << std::string(10, 'a');
  std::ofstream(dir.path() + "/db/b") << std::string(200, 'b');
  std::ofstream(dir.path() + "/db/sub/c") << std::string(3000, 'c');

  EXPECT_EQ(DirectorySizeBytes(dir.path()), 3210u);
  EXPECT_EQ(DirectorySizeBytes(dir.path() + "/missing"), 0u);
}

TEST(DatabaseStats, MatchesTheDatabase) {
  ScopedTempDir dir;
  absl::StatusOr<std::unique_ptr<Database>> database =
      Database::Open({dir.path(), /*sync=*/true, "test-admin-key-0123456789"});
  ASSERT_TRUE(database.ok()) << database.status();
  Principal admin;
  admin.admin = true;

  v1::CreateCollectionRequest create;
  create.set_name("docs");
  create.set_dimension(4);
  create.set_metric(v1::METRIC_L2);
  ASSERT_OK((*database)->CreateCollection(admin, create));
  for (const char* tenant : {"alice", "bob"}) {
    v1::CreateTenantRequest request;
    request.set_collection("docs");
    request.set_tenant(tenant);
    ASSERT_OK((*database)->CreateTenant(admin, request));
  }
  test_support::DataCalls calls(database->get());
  ASSERT_OK(calls.Call(admin, test_support::MakeUpsert("docs", "alice",
                                                       {{1, {1, 0, 0, 0}}, {2, {0, 1, 0, 0}}})));
  ASSERT_OK(calls.Call(admin, test_support::MakeUpsert("docs", "bob", {{1, {0, 0, 1, 0}}})));
  v1::CreateKeyRequest key;
  key.set_collection("docs");
  key.set_tenant("alice");
  ASSERT_OK((*database)->CreateKey(admin, key));

  const DatabaseStats stats = (*database)->Stats();
  ASSERT_EQ(stats.collections.size(), 1u);
  const CollectionStats& docs = stats.collections[0];
  EXPECT_EQ(docs.name, "docs");
  EXPECT_EQ(docs.vectors, 3u);
  EXPECT_EQ(docs.tenants, 2u);
  EXPECT_FALSE(docs.index_trained);
  EXPECT_EQ(docs.tree_nodes, 1u);
  // One chunk of vector slots stores all three vectors.
  EXPECT_GT(docs.index_vector_bytes, 3u * 4 * sizeof(float));
  EXPECT_GT(docs.index_structure_bytes, 0u);
  EXPECT_EQ(stats.tenant_keys, 1u);

  absl::StatusOr<storage::StoreStats> store = (*database)->StoreStats();
  ASSERT_TRUE(store.ok()) << store.status();
  std::vector<std::string> families;
  for (const auto& family : store->families) families.push_back(family.name);
  EXPECT_THAT(families, ::testing::Contains("records"));
  EXPECT_THAT(families, ::testing::Contains("catalog"));
  // Every write so far is in the write-ahead log and the memtables; none was flushed.
  EXPECT_GE(store->wal_files, 1u);
  EXPECT_GT(store->wal_bytes, 0u);
  EXPECT_GT(store->memtable_bytes, 0u);
  EXPECT_EQ(store->background_errors, 0u);

  ASSERT_OK((*database)->Close());
  EXPECT_EQ((*database)->StoreStats().status().code(), absl::StatusCode::kFailedPrecondition);
}

// ---- HOST:PORT ----

TEST(ListenAddress, ParsesValidAddresses) {
  struct Case {
    const char* text;
    const char* host;
    int port;
    const char* round_trip;
  };
  const Case cases[] = {
      {"127.0.0.1:0", "127.0.0.1", 0, "127.0.0.1:0"},
      {"0.0.0.0:7401", "0.0.0.0", 7401, "0.0.0.0:7401"},
      {"localhost:65535", "localhost", 65535, "localhost:65535"},
      {"[::1]:9", "::1", 9, "[::1]:9"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<ListenAddress> address = ParseListenAddress(c.text);
    ASSERT_TRUE(address.ok()) << address.status();
    EXPECT_EQ(address->host, c.host);
    EXPECT_EQ(address->port, c.port);
    EXPECT_EQ(address->ToString(), c.round_trip);
  }
}

TEST(ListenAddress, RejectsInvalidAddresses) {
  for (const char* text : {"", "127.0.0.1", ":7401", "127.0.0.1:", "127.0.0.1:65536",
                           "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:80x", "127.0.0.1:000080",
                           "::1:80", "[]:80", "http://127.0.0.1:80"}) {
    SCOPED_TRACE(text);
    absl::StatusOr<ListenAddress> address = ParseListenAddress(text);
    EXPECT_EQ(address.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(address.status().message()), HasSubstr(absl::StrCat("'", text, "'")));
    EXPECT_THAT(std::string(address.status().message()), HasSubstr("HOST:PORT"));
  }
}

// ---- HTTP endpoint ----

TEST(MetricsHttpServer, ServesMetricsOnLoopback) {
  int renders = 0;
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> server =
      MetricsHttpServer::Start({"127.0.0.1", 0}, [&renders] {
        ++renders;
        return std::string("arbor_test 1\n");
      });
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<ListenAddress> bound = ParseListenAddress((*server)->address());
  ASSERT_TRUE(bound.ok()) << bound.status();
  EXPECT_EQ(bound->host, "127.0.0.1");
  ASSERT_GT(bound->port, 0);

  httplib::Client client(bound->host, bound->port);
  httplib::Result metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics) << httplib::to_string(metrics.error());
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->body, "arbor_test 1\n");
  EXPECT_EQ(metrics->get_header_value("Content-Type"),
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(renders, 1);

  httplib::Result other = client.Get("/");
  ASSERT_TRUE(other) << httplib::to_string(other.error());
  EXPECT_EQ(other->status, 404);
  EXPECT_THAT(other->body, HasSubstr("/metrics"));
  EXPECT_EQ(renders, 1);

  (*server)->Stop();
  (*server)->Stop();
  httplib::Client after_stop(bound->host, bound->port);
  EXPECT_FALSE(after_stop.Get("/metrics"));
}

TEST(MetricsHttpServer, PortInUseFails) {
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> first =
      MetricsHttpServer::Start({"127.0.0.1", 0}, [] { return std::string(); });
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<ListenAddress> taken = ParseListenAddress((*first)->address());
  ASSERT_TRUE(taken.ok()) << taken.status();

  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> second =
      MetricsHttpServer::Start(*taken, [] { return std::string(); });
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr((*first)->address()));
}

TEST(MetricsHttpServer, StopsWhenDestroyed) {
  std::string address;
  {
    absl::StatusOr<std::unique_ptr<MetricsHttpServer>> server =
        MetricsHttpServer::Start({"127.0.0.1", 0}, [] { return std::string("x 1\n"); });
    ASSERT_TRUE(server.ok()) << server.status();
    address = (*server)->address();
  }
  absl::StatusOr<ListenAddress> bound = ParseListenAddress(address);
  ASSERT_TRUE(bound.ok());
  httplib::Client client(bound->host, bound->port);
  EXPECT_FALSE(client.Get("/metrics"));
}

}  // namespace
}  // namespace arbor::server

// arbord's /metrics endpoint against a real server. Call counters and latency histograms move by
// exactly the calls made, and collection gauges equal the real counts. No key leaks into the
// output, which passes a strict text-format check. Bad --metrics-listen values stop start-up.
#include <grpcpp/generic/generic_stub.h>
#include <httplib.h>
#include <stdlib.h>

#include <filesystem>
#include <future>
#include <map>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tests/integration/arbord_test_fixture.h"
#include "tests/integration/prometheus_text.h"

namespace arbor::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kRequests[] = "arbor_grpc_requests_total";
constexpr char kDurationCount[] = "arbor_grpc_request_duration_seconds_count";
constexpr char kDurationSum[] = "arbor_grpc_request_duration_seconds_sum";
constexpr char kDurationBucket[] = "arbor_grpc_request_duration_seconds_bucket";
constexpr char kAdmin[] = "arbor.v1.AdminService";
constexpr char kVectors[] = "arbor.v1.VectorService";
constexpr char kHealth[] = "grpc.health.v1.Health";

// (service, method, code) of a gRPC call series.
using CallKey = std::tuple<std::string, std::string, std::string>;

PromLabels CallLabels(const CallKey& key) {
  return {{"service", std::get<0>(key)}, {"method", std::get<1>(key)}, {"code", std::get<2>(key)}};
}

// The value of every series of `name` by (service, method, code).
std::map<CallKey, double> CallSeries(const PromScrape& scrape, const std::string& name) {
  std::map<CallKey, double> values;
  for (const PromSample& sample : scrape.Select(name)) {
    values[{sample.labels.at("service"), sample.labels.at("method"), sample.labels.at("code")}] =
        sample.value;
  }
  return values;
}

// A temporary directory for an arbord that the test runs itself, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "arbord-metrics-XXXXXX";
    path_ = mkdtemp(pattern.data()) == nullptr ? "" : pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class MetricsTest : public ArbordTest {
 protected:
  void SetUp() override {
    ArbordOptions options;
    options.extra_args = {"--metrics-listen", "127.0.0.1:0"};
    StartArbord(std::move(options));
    if (HasFatalFailure()) return;

    // arbord writes this file before it writes arbord.addr, for which the harness waited.
    metrics_address_ = std::string(absl::StripAsciiWhitespace(
        ReadFileOrEmpty(server_->data_dir() + "/arbord.metrics.addr")));
    ASSERT_FALSE(metrics_address_.empty()) << "no arbord.metrics.addr in " << server_->data_dir();
    ASSERT_TRUE(absl::StartsWith(metrics_address_, "127.0.0.1:")) << metrics_address_;
  }

  // GET /metrics over loopback. Fails the test unless the response is 200 with the text
  // format's content type.
  std::string FetchMetrics() {
    const size_t colon = metrics_address_.rfind(':');
    int port = 0;
    EXPECT_TRUE(absl::SimpleAtoi(metrics_address_.substr(colon + 1), &port)) << metrics_address_;
    httplib::Client client(metrics_address_.substr(0, colon), port);
    client.set_read_timeout(std::chrono::seconds(30));
    httplib::Result result = client.Get("/metrics");
    if (!result) {
      ADD_FAILURE() << "GET /metrics on " << metrics_address_
                    << " failed: " << httplib::to_string(result.error());
      return "";
    }
    EXPECT_EQ(result->status, 200) << result->body;
    EXPECT_EQ(result->get_header_value("Content-Type"),
              "text/plain; version=0.0.4; charset=utf-8");
    return result->body;
  }

  // Fetches and strictly parses /metrics, and checks that the admin key is not in it.
  PromScrape Scrape() {
    const std::string text = FetchMetrics();
    EXPECT_THAT(text, Not(HasSubstr(server_->admin_key())));
    absl::StatusOr<PromScrape> scrape = ParsePrometheusText(text);
    EXPECT_TRUE(scrape.ok()) << scrape.status() << "\n" << text;
    return scrape.ok() ? *std::move(scrape) : PromScrape();
  }

  std::string metrics_address_;
};

TEST_F(MetricsTest, CountersMoveByCallsMade) {
  const PromScrape before = Scrape();
  std::map<CallKey, double> expected;

  ASSERT_TRUE(IsOk(admin_->CreateCollection("docs", 4, v1::METRIC_L2)));
  expected[{kAdmin, "CreateCollection", "OK"}] += 1;
  EXPECT_TRUE(HasStatus(admin_->CreateCollection("bad", 0, v1::METRIC_L2),
                        grpc::StatusCode::INVALID_ARGUMENT));
  expected[{kAdmin, "CreateCollection", "INVALID_ARGUMENT"}] += 1;
  for (const char* tenant : {"alice", "bob"}) {
    ASSERT_TRUE(IsOk(admin_->CreateTenant("docs", tenant)));
    expected[{kAdmin, "CreateTenant", "OK"}] += 1;
  }
  ASSERT_TRUE(IsOk(admin_->Upsert("docs", "alice", {{1, {1, 0, 0, 0}}, {2, {0, 1, 0, 0}}})));
  ASSERT_TRUE(IsOk(admin_->Upsert("docs", "bob", {{1, {0, 0, 1, 0}}})));
  expected[{kVectors, "Upsert", "OK"}] += 2;
  for (int i = 0; i < 3; ++i) {
    v1::SearchResponse found;
    ASSERT_TRUE(IsOk(admin_->Search("docs", "alice", {1, 0, 0, 0}, 2, &found)));
    expected[{kVectors, "Search", "OK"}] += 1;
  }
  v1::SearchResponse not_found;
  EXPECT_TRUE(HasStatus(admin_->Search("missing", "alice", {1, 0, 0, 0}, 2, &not_found),
                        grpc::StatusCode::NOT_FOUND));
  expected[{kVectors, "Search", "NOT_FOUND"}] += 1;
  v1::SearchBatchResponse found_batch;
  ASSERT_TRUE(IsOk(admin_->SearchBatch("docs", "bob", {{0, 0, 1, 0}}, 1, &found_batch)));
  expected[{kVectors, "SearchBatch", "OK"}] += 1;
  EXPECT_TRUE(HasStatus(admin_->SearchBatch("docs", "bob", {{0, 0, 1}}, 1, &found_batch),
                        grpc::StatusCode::INVALID_ARGUMENT));
  expected[{kVectors, "SearchBatch", "INVALID_ARGUMENT"}] += 1;

  std::string alice_key;
  ASSERT_TRUE(IsOk(admin_->CreateKey("docs", "alice", &alice_key)));
  expected[{kAdmin, "CreateKey", "OK"}] += 1;
  uint64_t count = 0;
  ASSERT_TRUE(IsOk(ClientWithKey(alice_key)->Count("docs", "alice", &count)));
  expected[{kVectors, "Count", "OK"}] += 1;
  EXPECT_TRUE(HasStatus(ClientWithKey(alice_key)->Count("docs", "bob", &count),
                        grpc::StatusCode::PERMISSION_DENIED));
  expected[{kVectors, "Count", "PERMISSION_DENIED"}] += 1;
  EXPECT_TRUE(HasStatus(ClientWithKey("not-a-key-of-this-server")->Count("docs", "alice", &count),
                        grpc::StatusCode::UNAUTHENTICATED));
  expected[{kVectors, "Count", "UNAUTHENTICATED"}] += 1;

  grpc::health::v1::HealthCheckResponse health;
  ASSERT_TRUE(IsOk(admin_->CheckHealth("", &health)));
  expected[{kHealth, "Check", "OK"}] += 1;

  const PromScrape after = Scrape();
  const std::map<CallKey, double> requests_before = CallSeries(before, kRequests);
  const std::map<CallKey, double> requests_after = CallSeries(after, kRequests);
  const std::map<CallKey, double> counts_before = CallSeries(before, kDurationCount);
  const std::map<CallKey, double> counts_after = CallSeries(after, kDurationCount);

  // Every series that moved is expected, by exactly the calls made...
  for (const auto& [key, value] : requests_after) {
    const auto previous = requests_before.find(key);
    const double moved = value - (previous == requests_before.end() ? 0 : previous->second);
    const auto wanted = expected.find(key);
    EXPECT_EQ(moved, wanted == expected.end() ? 0 : wanted->second)
        << std::get<0>(key) << "/" << std::get<1>(key) << " " << std::get<2>(key);
  }
  // ... and every expected series is there.
  for (const auto& [key, calls] : expected) {
    EXPECT_TRUE(requests_after.contains(key))
        << std::get<0>(key) << "/" << std::get<1>(key) << " " << std::get<2>(key);
  }

  // The histogram counts the same calls, and its series are the counter's.
  for (const auto& [key, value] : requests_after) {
    SCOPED_TRACE(std::get<0>(key) + "/" + std::get<1>(key) + " " + std::get<2>(key));
    ASSERT_TRUE(counts_after.contains(key));
    EXPECT_EQ(counts_after.at(key), value);
    const auto previous = counts_before.find(key);
    const double moved = value - (previous == counts_before.end() ? 0 : previous->second);
    const std::optional<double> sum = after.Find(kDurationSum, CallLabels(key));
    ASSERT_TRUE(sum.has_value());
    if (moved > 0) {
      EXPECT_GT(*sum, 0);
    }
    PromLabels inf = CallLabels(key);
    inf["le"] = "+Inf";
    EXPECT_EQ(after.Find(kDurationBucket, inf), value);
  }
  EXPECT_EQ(counts_after.size(), requests_after.size());
}

TEST_F(MetricsTest, UnknownMethodsShareOneSeries) {
  const PromScrape before = Scrape();

  grpc::GenericStub stub(admin_->channel());
  for (const char* method : {"/no.such.Service/Call", "/arbor.v1.VectorService/NoSuchMethod"}) {
    grpc::ClientContext context;
    PrepareContext(&context, server_->admin_key(), kDefaultCallTimeout);
    // An empty message: a ByteBuffer without a slice is not a valid message for gRPC.
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                   [&done](grpc::Status status) { done.set_value(status); });
    EXPECT_TRUE(HasStatus(done.get_future().get(), grpc::StatusCode::UNIMPLEMENTED)) << method;
  }

  const PromScrape after = Scrape();
  const PromLabels unknown = {{"service", "unknown"}, {"method", "unknown"},
                              {"code", "UNIMPLEMENTED"}};
  const double moved =
      after.Find(kRequests, unknown).value_or(0) - before.Find(kRequests, unknown).value_or(0);
  EXPECT_EQ(moved, 2);
  for (const PromSample& sample : after.Select(kRequests)) {
    EXPECT_NE(sample.labels.at("service"), "no.such.Service");
    EXPECT_NE(sample.labels.at("method"), "NoSuchMethod");
  }
}

TEST_F(MetricsTest, CollectionGaugesEqualRealCounts) {
  ASSERT_TRUE(IsOk(admin_->CreateCollection("docs", 4, v1::METRIC_L2)));
  ASSERT_TRUE(IsOk(admin_->CreateCollection("images", 8, v1::METRIC_COSINE)));
  for (const char* tenant : {"alice", "bob", "carol"}) {
    ASSERT_TRUE(IsOk(admin_->CreateTenant("docs", tenant)));
  }
  ASSERT_TRUE(IsOk(admin_->CreateTenant("images", "alice")));
  std::mt19937_64 rng(7);
  ASSERT_TRUE(IsOk(admin_->Upsert("docs", "alice", RandomVectors(rng, 30, 4, 1))));
  ASSERT_TRUE(IsOk(admin_->Upsert("docs", "bob", RandomVectors(rng, 12, 4, 1))));
  ASSERT_TRUE(IsOk(admin_->Delete("docs", "alice", {1, 2, 3})));
  ASSERT_TRUE(IsOk(admin_->Upsert("images", "alice", RandomVectors(rng, 5, 8, 100))));
  std::string key;
  ASSERT_TRUE(IsOk(admin_->CreateKey("docs", "alice", &key)));
  ASSERT_TRUE(IsOk(admin_->CreateKey("images", "alice", &key)));

  const PromScrape scrape = Scrape();

  EXPECT_EQ(scrape.Find("arbor_collections", {}), 2);
  EXPECT_EQ(scrape.Find("arbor_tenant_keys", {}), 2);
  double index_vector_bytes = 0;
  for (const char* name : {"docs", "images"}) {
    SCOPED_TRACE(name);
    v1::CollectionInfo info;
    ASSERT_TRUE(IsOk(admin_->DescribeCollection(name, &info)));
    const PromLabels collection = {{"collection", name}};
    EXPECT_EQ(scrape.Find("arbor_collection_vectors", collection), info.vector_count());
    EXPECT_EQ(scrape.Find("arbor_collection_tenants", collection), info.tenant_count());
    EXPECT_EQ(scrape.Find("arbor_collection_index_trained", collection),
              info.index().trained() ? 1 : 0);
    EXPECT_EQ(scrape.Find("arbor_collection_index_tree_nodes", collection),
              info.index().tree_nodes());

    const std::optional<double> vectors = scrape.Find(
        "arbor_collection_index_memory_bytes", {{"collection", name}, {"component", "vectors"}});
    const std::optional<double> structures = scrape.Find(
        "arbor_collection_index_memory_bytes", {{"collection", name}, {"component", "structures"}});
    ASSERT_TRUE(vectors.has_value());
    ASSERT_TRUE(structures.has_value());
    EXPECT_EQ(*vectors + *structures, info.index().memory_bytes());
    index_vector_bytes += *vectors;
  }
  // The counts written above, independent of describe.
  EXPECT_EQ(scrape.Find("arbor_collection_vectors", {{"collection", "docs"}}), 30 + 12 - 3);
  EXPECT_EQ(scrape.Find("arbor_collection_vectors", {{"collection", "images"}}), 5);
  EXPECT_EQ(scrape.Find("arbor_collection_tenants", {{"collection", "docs"}}), 3);
  EXPECT_EQ(scrape.Find("arbor_memory_bytes", {{"component", "index_vectors"}}),
            index_vector_bytes);
}

TEST_F(MetricsTest, StorageAndProcessFigures) {
  ASSERT_TRUE(IsOk(admin_->CreateCollection("docs", 4, v1::METRIC_L2)));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("docs", "alice")));
  std::mt19937_64 rng(3);
  ASSERT_TRUE(IsOk(admin_->Upsert("docs", "alice", RandomVectors(rng, 50, 4, 1))));

  const PromScrape scrape = Scrape();

  for (const char* family : {"default", "catalog", "records", "acl", "index"}) {
    SCOPED_TRACE(family);
    EXPECT_TRUE(scrape.Find("arbor_rocksdb_sst_files", {{"family", family}}).has_value());
    EXPECT_TRUE(scrape.Find("arbor_rocksdb_live_sst_bytes", {{"family", family}}).has_value());
  }
  for (const char* component : {"index_vectors", "index_structures", "rocksdb_memtables",
                                "rocksdb_block_cache", "rocksdb_table_readers"}) {
    SCOPED_TRACE(component);
    EXPECT_TRUE(scrape.Find("arbor_memory_bytes", {{"component", component}}).has_value());
  }
  // The writes above sit in the memtables and the write-ahead log until a flush.
  EXPECT_GT(scrape.Find("arbor_memory_bytes", {{"component", "rocksdb_memtables"}}).value_or(0), 0);
  EXPECT_GE(scrape.Find("arbor_rocksdb_wal_files", {}).value_or(0), 1);
  EXPECT_GT(scrape.Find("arbor_rocksdb_wal_bytes", {}).value_or(0), 0);
  EXPECT_EQ(scrape.Find("arbor_rocksdb_background_errors_total", {}), 0);
  EXPECT_TRUE(scrape.Find("arbor_rocksdb_pending_compaction_bytes", {}).has_value());

  // The data directory contains at least the write-ahead log.
  EXPECT_GE(scrape.Find("arbor_data_dir_bytes", {}).value_or(0),
            scrape.Find("arbor_rocksdb_wal_bytes", {}).value_or(0));
  EXPECT_GT(scrape.Find("arbor_process_resident_memory_bytes", {}).value_or(0), 0);
  EXPECT_GT(scrape.Find("arbor_uptime_seconds", {}).value_or(0), 0);
  const double start = scrape.Find("arbor_process_start_time_seconds", {}).value_or(0);
  const double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  EXPECT_LE(start, now);
  EXPECT_GT(start, now - 3600);  // this arbord started within the test
  EXPECT_EQ(scrape.types.at("arbor_grpc_requests_total"), "counter");
  EXPECT_EQ(scrape.types.at("arbor_grpc_request_duration_seconds"), "histogram");
  EXPECT_EQ(scrape.types.at("arbor_collections"), "gauge");
}

TEST_F(MetricsTest, NoKeyAppearsInOutput) {
  ASSERT_TRUE(IsOk(admin_->CreateCollection("docs", 4, v1::METRIC_L2)));
  ASSERT_TRUE(IsOk(admin_->CreateTenant("docs", "alice")));
  std::string key;
  std::string key_id;
  ASSERT_TRUE(IsOk(admin_->CreateKey("docs", "alice", &key, &key_id)));
  uint64_t count = 0;
  ASSERT_TRUE(IsOk(ClientWithKey(key)->Count("docs", "alice", &count)));
  // A failed authentication with a key-like string must not show it either.
  const std::string wrong_key = absl::StrCat(key, "-wrong");
  EXPECT_FALSE(ClientWithKey(wrong_key)->Count("docs", "alice", &count).ok());

  const std::string text = FetchMetrics();
  ASSERT_FALSE(text.empty());
  EXPECT_THAT(text, Not(HasSubstr(server_->admin_key())));
  EXPECT_THAT(text, Not(HasSubstr(key)));
  EXPECT_THAT(text, Not(HasSubstr(wrong_key)));
  EXPECT_THAT(text, Not(HasSubstr(key_id)));
  EXPECT_THAT(text, Not(HasSubstr("Bearer")));
}

TEST_F(MetricsTest, CleanStopRemovesAddressFile) {
  const std::string address_file = server_->data_dir() + "/arbord.metrics.addr";
  ASSERT_TRUE(std::filesystem::exists(address_file));

  StopArbord();

  EXPECT_FALSE(std::filesystem::exists(address_file));
  EXPECT_THAT(server_->ReadLog(), HasSubstr("metrics endpoint stopped"));
}

// arbord on its default flags, without --metrics-listen.
class NoMetricsTest : public ArbordTest {};

TEST_F(NoMetricsTest, NoEndpointWithoutFlag) {
  EXPECT_FALSE(std::filesystem::exists(server_->data_dir() + "/arbord.metrics.addr"));
  EXPECT_THAT(server_->ReadLog(), Not(HasSubstr("serving metrics")));
}

TEST(MetricsFlag, InvalidValueFailsStartup) {
  for (const char* value : {"nonsense", "127.0.0.1", "127.0.0.1:99999", ":7401", "::1:7401"}) {
    SCOPED_TRACE(value);
    TempDir dir;
    ASSERT_FALSE(dir.path().empty());
    const std::string log = dir.path() + "/arbord.log";

    absl::StatusOr<ExitStatus> exit = RunArbordUntilExit(
        {"--data-dir", dir.path() + "/data", "--listen", "127.0.0.1:0", "--metrics-listen", value},
        log, std::chrono::seconds(60));
    ASSERT_TRUE(exit.ok()) << exit.status();
    EXPECT_TRUE(exit->exited) << exit->ToString();
    EXPECT_NE(exit->code, 0);
    const std::string output = ReadFileOrEmpty(log);
    EXPECT_THAT(output, HasSubstr("--metrics-listen"));
    EXPECT_THAT(output, HasSubstr(absl::StrCat("'", value, "' is not a valid HOST:PORT")));
    // Rejected while parsing flags, before anything was created.
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/data"));
  }
}

TEST_F(MetricsTest, PortInUseFailsStartup) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string log = dir.path() + "/arbord.log";

  absl::StatusOr<ExitStatus> exit = RunArbordUntilExit(
      {"--data-dir", dir.path() + "/data", "--listen", "127.0.0.1:0", "--metrics-listen",
       metrics_address_},
      log, std::chrono::seconds(60));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(exit->exited) << exit->ToString();
  EXPECT_EQ(exit->code, 1);
  const std::string output = ReadFileOrEmpty(log);
  EXPECT_THAT(output, HasSubstr(absl::StrCat("cannot serve metrics: UNAVAILABLE: cannot listen on ",
                                             metrics_address_)));
  // gRPC never started, and the running arbord still serves its metrics.
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/data/arbord.addr"));
  EXPECT_FALSE(FetchMetrics().empty());
}

}  // namespace
}  // namespace arbor::integration

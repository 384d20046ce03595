// Tests of arborctl: its value parsers, its JSON output, and whole command lines run in-process
// against the real server on loopback. Commands are checked by what they print and by the state
// they leave on the server, read back with the C++ client.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/arborctl_app.h"
#include "client/arborctl_output.h"
#include "client/arborctl_parse.h"
#include "client/client.h"
#include "tests/unit/client/test_files.h"
#include "tests/unit/client/test_server.h"

namespace arbor::client {
namespace {

using ::arbor::client::testing::FbinBytes;
using ::arbor::client::testing::FvecsBytes;
using ::arbor::client::testing::IdxBytes;
using ::arbor::client::testing::RealTestServer;
using ::arbor::client::testing::ScratchDir;
using ::arbor::client::testing::UnusedLoopbackPort;
using ::arbor::client::testing::WriteBytes;
using ::arbor::client::testing::WriteGzip;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

// ---- Value parsers ----

TEST(ParseVectorTextTest, ParsesFloats) {
  absl::StatusOr<std::vector<float>> values = ParseVectorText(" 1, -2.5,3e2 ,0");
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_THAT(*values, ElementsAre(1, -2.5f, 300, 0));
}

TEST(ParseVectorTextTest, RejectsBadText) {
  for (const char* text : {"", " ", "1,,2", "1,", "1,abc", "nan", "1,inf", "1 2"}) {
    absl::StatusOr<std::vector<float>> values = ParseVectorText(text);
    EXPECT_FALSE(values.ok()) << "accepted \"" << text << "\"";
    EXPECT_EQ(values.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
  EXPECT_THAT(std::string(ParseVectorText("1,abc").status().message()),
              HasSubstr("value 2 (\"abc\")"));
}

TEST(ParseIdListTest, ParsesDecimalIds) {
  absl::StatusOr<std::vector<uint64_t>> ids = ParseIdList("1, 2,010,18446744073709551615");
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_THAT(*ids, ElementsAre(1, 2, 10, 18446744073709551615u));
}

TEST(ParseIdListTest, RejectsBadIds) {
  for (const char* text : {"", "-1", "+1", "1.5", "0x10", "18446744073709551616", "1,,2"}) {
    EXPECT_FALSE(ParseIdList(text).ok()) << "accepted \"" << text << "\"";
  }
}

TEST(ParseNameListTest, TrimsNames) {
  absl::StatusOr<std::vector<std::string>> names = ParseNameList("t2, t3 ");
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_THAT(*names, ElementsAre("t2", "t3"));
  EXPECT_FALSE(ParseNameList("t2,").ok());
}

TEST(ParseMetricTest, MapsNames) {
  EXPECT_EQ(*ParseMetric("l2"), v1::METRIC_L2);
  EXPECT_EQ(*ParseMetric("ip"), v1::METRIC_IP);
  EXPECT_EQ(*ParseMetric("cosine"), v1::METRIC_COSINE);
  EXPECT_FALSE(ParseMetric("L2").ok());
  EXPECT_EQ(MetricName(v1::METRIC_COSINE), "cosine");
}

TEST(ResolveKeyTest, FollowsLookupOrder) {
  ScratchDir dir;
  WriteBytes(dir.File("flag.key"), "from-flag-file\n");
  WriteBytes(dir.File("env.key"), "from-env-file\n");
  WriteBytes(dir.File("default.key"), "from-default\n");

  KeySources sources;
  sources.key_flag = "from-flag";
  sources.key_file_flag = dir.File("flag.key");
  sources.env_key = "from-env";
  sources.env_key_file = dir.File("env.key");
  sources.default_key_file = dir.File("default.key");
  EXPECT_EQ(*ResolveKey(sources), "from-flag");

  sources.key_flag.reset();
  EXPECT_EQ(*ResolveKey(sources), "from-flag-file");

  sources.key_file_flag.reset();
  EXPECT_EQ(*ResolveKey(sources), "from-env");

  sources.env_key.reset();
  EXPECT_EQ(*ResolveKey(sources), "from-env-file");

  sources.env_key_file.reset();
  EXPECT_EQ(*ResolveKey(sources), "from-default");

  sources.default_key_file = dir.File("absent.key");
  EXPECT_EQ(*ResolveKey(sources), "");
}

TEST(ResolveKeyTest, NamedKeyFileMustBeReadable) {
  KeySources sources;
  sources.env_key_file = "/nonexistent/key";
  absl::StatusOr<std::string> key = ResolveKey(sources);
  ASSERT_FALSE(key.ok());
  EXPECT_THAT(std::string(key.status().message()), HasSubstr("/nonexistent/key"));
}

// ---- JSON output ----

TEST(JsonOutputTest, EscapesStrings) {
  EXPECT_EQ(JsonString("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(JsonOutputTest, PrintsShortestFloats) {
  EXPECT_EQ(JsonFloat(0.1f), "0.1");
  EXPECT_EQ(JsonFloat(2), "2");
  EXPECT_EQ(JsonFloat(-1.5e-8f), "-1.5e-08");
  EXPECT_EQ(JsonFloat(std::numeric_limits<float>::infinity()), "null");
}

TEST(JsonOutputTest, FormatsCollection) {
  v1::CollectionInfo info;
  info.set_name("docs");
  info.set_dimension(128);
  info.set_metric(v1::METRIC_IP);
  info.set_vector_count(5);
  info.set_tenant_count(2);
  info.set_bytes(4096);
  info.set_created_unix_ms(1700000000000);
  v1::IndexInfo* index = info.mutable_index();
  index->set_trained(true);
  index->set_tree_nodes(9);
  index->set_tree_depth(2);
  index->set_trained_unix_ms(1700000000001);
  index->set_vectors_at_training(5);
  index->set_memory_bytes(2048);
  index->mutable_settings()->set_branching(16);
  index->mutable_settings()->set_max_leaf_size(256);
  index->mutable_settings()->set_split_threshold(128);
  index->mutable_settings()->set_merge_threshold(32);
  index->mutable_settings()->set_train_threshold(10000);
  index->mutable_settings()->set_retrain_growth(4);
  EXPECT_EQ(CollectionJson(info),
            "{\"name\": \"docs\", \"dimension\": 128, \"metric\": \"ip\", \"vector_count\": 5, "
            "\"tenant_count\": 2, \"bytes\": 4096, \"created_unix_ms\": 1700000000000, "
            "\"index\": {\"trained\": true, \"tree_nodes\": 9, \"tree_depth\": 2, "
            "\"trained_unix_ms\": 1700000000001, \"vectors_at_training\": 5, "
            "\"memory_bytes\": 2048, \"settings\": {\"branching\": 16, \"max_leaf_size\": 256, "
            "\"split_threshold\": 128, \"merge_threshold\": 32, \"train_threshold\": 10000, "
            "\"retrain_growth\": 4}}}");
}

TEST(JsonOutputTest, FormatsPruneEpsilonWhenSet) {
  // A server that predates the setting leaves it unset.
  v1::CollectionInfo info;
  info.mutable_index()->mutable_settings()->set_retrain_growth(4);
  EXPECT_THAT(CollectionJson(info), Not(HasSubstr("prune_epsilon")));

  info.mutable_index()->mutable_settings()->set_prune_epsilon(0.3f);
  EXPECT_THAT(CollectionJson(info), EndsWith("\"retrain_growth\": 4, \"prune_epsilon\": 0.3}}}"));
  info.mutable_index()->mutable_settings()->set_prune_epsilon(-1.0f);
  EXPECT_THAT(CollectionJson(info), EndsWith("\"retrain_growth\": 4, \"prune_epsilon\": -1}}}"));
}

TEST(JsonOutputTest, FormatsSearchResult) {
  v1::SearchResponse response;
  v1::Hit* hit = response.add_hits();
  hit->set_owner("t1");
  hit->set_id(42);
  hit->set_score(0.25f);
  EXPECT_EQ(SearchResultJson(3, response),
            "{\"query\": 3, \"results\": [{\"owner\": \"t1\", \"id\": 42, \"score\": 0.25}]}");
  EXPECT_EQ(SearchResultJson(0, v1::SearchResponse()), "{\"query\": 0, \"results\": []}");
}

TEST(JsonOutputTest, FormatsRecordWithEscapedNames) {
  v1::Record record;
  record.set_owner("o");
  record.set_id(7);
  record.add_values(7);
  record.add_values(7.5f);
  record.add_shared_with("reader\"1");
  EXPECT_EQ(RecordJson(record),
            "{\"owner\": \"o\", \"id\": 7, \"values\": [7, 7.5], \"shared_with\": "
            "[\"reader\\\"1\"]}");
}

// ---- Whole command lines ----

// Output and exit code of one arborctl run.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

RunResult RunArborctlWith(std::vector<std::string> args, bool err_is_terminal = false) {
  args.insert(args.begin(), "arborctl");
  std::vector<const char*> argv;
  for (const std::string& arg : args) {
    argv.push_back(arg.c_str());
  }
  std::ostringstream out;
  std::ostringstream err;
  RunResult result;
  result.exit_code =
      RunArborctl(static_cast<int>(argv.size()), argv.data(), out, err, err_is_terminal);
  result.out = out.str();
  result.err = err.str();
  return result;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(line);
  }
  return lines;
}

// One search hit as the test computes it.
struct ExpectedHit {
  std::string owner;
  uint64_t id = 0;
  float score = 0;
};

// The line `search --json` prints for one query. Scores in these tests are small multiples of
// 0.25, which absl::StrCat prints exactly as the shortest decimal.
std::string ExpectedSearchLine(size_t query, const std::vector<ExpectedHit>& hits) {
  std::string line = absl::StrCat("{\"query\": ", query, ", \"results\": [");
  for (size_t i = 0; i < hits.size(); ++i) {
    absl::StrAppend(&line, i == 0 ? "" : ", ", "{\"owner\": \"", hits[i].owner,
                    "\", \"id\": ", hits[i].id, ", \"score\": ", hits[i].score, "}");
  }
  return line + "]}";
}

class ArborctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Keys and servers set in the environment of the test run must not leak in.
    unsetenv("ARBOR_KEY");
    unsetenv("ARBOR_KEY_FILE");
    unsetenv("ARBOR_SERVER");

    absl::StatusOr<std::unique_ptr<RealTestServer>> server = RealTestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);

    ClientOptions options;
    options.server_address = server_->address();
    options.key = server_->admin_key();
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
    ASSERT_TRUE(client.ok()) << client.status();
    admin_ = *std::move(client);
  }

  // Runs arborctl against the server with the admin key.
  RunResult RunAdmin(std::vector<std::string> args, bool err_is_terminal = false) {
    args.insert(args.begin(), {"--server", server_->address(), "--key", server_->admin_key()});
    return RunArborctlWith(std::move(args), err_is_terminal);
  }

  void CreateCollection(const std::string& name, int dim) {
    RunResult result =
        RunAdmin({"collection", "create", name, "--dim", std::to_string(dim), "--metric", "l2"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }

  void CreateTenant(const std::string& collection, const std::string& tenant) {
    RunResult result = RunAdmin({"tenant", "create", collection, tenant});
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }

  // The server's vector count for the tenant, read with the client; -1 on an error.
  int64_t CountOf(const std::string& collection, const std::string& tenant) {
    v1::CountRequest request;
    request.set_collection(collection);
    request.set_tenant(tenant);
    absl::StatusOr<v1::CountResponse> response = admin_->Count(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? static_cast<int64_t>(response->count()) : -1;
  }

  // The records among `ids` that the tenant may read, read with the client.
  std::vector<v1::Record> GetRecords(const std::string& collection, const std::string& tenant,
                                     const std::vector<uint64_t>& ids,
                                     const std::string& owner = "") {
    v1::GetRequest request;
    request.set_collection(collection);
    request.set_tenant(tenant);
    request.set_owner(owner);
    request.mutable_ids()->Add(ids.begin(), ids.end());
    absl::StatusOr<v1::GetResponse> response = admin_->Get(request);
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok()) {
      return {};
    }
    return {response->records().begin(), response->records().end()};
  }

  // Tenant names of the collection, read with the client.
  std::vector<std::string> TenantNames(const std::string& collection) {
    v1::ListTenantsRequest request;
    request.set_collection(collection);
    request.set_page_size(1000);
    absl::StatusOr<v1::ListTenantsResponse> response = admin_->ListTenants(request);
    EXPECT_TRUE(response.ok()) << response.status();
    std::vector<std::string> names;
    if (response.ok()) {
      for (const v1::TenantInfo& info : response->tenants()) {
        names.push_back(info.name());
      }
    }
    return names;
  }

  std::unique_ptr<RealTestServer> server_;
  std::unique_ptr<Client> admin_;
  ScratchDir dir_;
};

TEST_F(ArborctlTest, HelpExitsZero) {
  RunResult result = RunArborctlWith({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, HasSubstr("collection"));
  EXPECT_THAT(result.out, HasSubstr("--key-file"));

  RunResult import_help = RunArborctlWith({"import", "--help"});
  EXPECT_EQ(import_help.exit_code, 0);
  EXPECT_THAT(import_help.out, HasSubstr("--tenant-prefix"));
  EXPECT_THAT(import_help.out, HasSubstr("--limit"));
}

TEST_F(ArborctlTest, UsageErrorsExitTwo) {
  std::vector<std::vector<std::string>> command_lines = {
      {},
      {"collection"},
      {"collection", "create", "c", "--dim", "4"},
      {"collection", "create", "c", "--dim", "-4", "--metric", "l2"},
      {"collection", "create", "c", "--dim", "4", "--metric", "hamming"},
      {"--key", "a", "--key-file", "b", "count", "c", "--tenant", "t"},
      {"search", "c", "--tenant", "t", "--vector", "1,x", "--k", "3"},
      {"search", "c", "--tenant", "t", "--k", "3"},
      {"get", "c", "--tenant", "t", "--ids", "1,-2"},
      {"import", "c", "--file", "/nonexistent.fbin", "--tenant", "t"},
      {"import", "c", "--file", "x.fbin"},
      {"import", "c", "--file", "x.fbin", "--labels", "l.txt"},
      {"import", "c", "--file", "x.fbin", "--tenant", "t", "--batch", "0"},
      {"import", "c", "--file", "x.fbin", "--tenant", "t", "--limit", "0"},
      {"import", "c", "--file", "x.fbin", "--tenant", "t", "--limit", "-3"},
      {"--key", "bad\nkey", "count", "c", "--tenant", "t"},
      {"backup"},
      {"backup", "create"},
  };
  for (const std::vector<std::string>& args : command_lines) {
    std::vector<std::string> with_server = args;
    with_server.insert(with_server.begin(), {"--server", server_->address()});
    RunResult result = RunArborctlWith(with_server);
    EXPECT_EQ(result.exit_code, 2) << ::testing::PrintToString(args) << "\n" << result.err;
    EXPECT_THAT(result.err, StartsWith("error: ")) << ::testing::PrintToString(args);
  }
}

TEST_F(ArborctlTest, ServerErrorExitsOneWithCodeName) {
  RunResult describe = RunAdmin({"collection", "describe", "missing"});
  EXPECT_EQ(describe.exit_code, 1);
  EXPECT_EQ(describe.err, "error: NOT_FOUND: collection 'missing' not found\n");
  EXPECT_EQ(describe.out, "");

  RunResult count = RunAdmin({"count", "missing", "--tenant", "t"});
  EXPECT_EQ(count.exit_code, 1);
  EXPECT_EQ(count.err, "error: NOT_FOUND: collection 'missing' not found\n");

  WriteBytes(dir_.File("v.fbin"), FbinBytes(1, 2, {1, 2}));
  RunResult import =
      RunAdmin({"import", "missing", "--file", dir_.File("v.fbin"), "--tenant", "t"});
  EXPECT_EQ(import.exit_code, 1);
  EXPECT_EQ(import.err, "error: NOT_FOUND: collection 'missing' not found\n");

  CreateCollection("docs", 2);
  RunResult duplicate = RunAdmin({"collection", "create", "docs", "--dim", "2", "--metric", "l2"});
  EXPECT_EQ(duplicate.exit_code, 1);
  EXPECT_EQ(duplicate.err, "error: ALREADY_EXISTS: collection 'docs' already exists\n");

  RunResult bad_name = RunAdmin({"collection", "create", "Docs", "--dim", "2", "--metric", "l2"});
  EXPECT_EQ(bad_name.exit_code, 1);
  EXPECT_THAT(bad_name.err, StartsWith("error: INVALID_ARGUMENT: "));
}

TEST_F(ArborctlTest, MissingKeyGetsHint) {
  RunResult result = RunArborctlWith({"--server", server_->address(), "collection", "list"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err,
              StartsWith("error: UNAUTHENTICATED: the request has no authorization header"));
  EXPECT_THAT(result.err, HasSubstr("no key was given"));
}

TEST_F(ArborctlTest, WrongKeyExitsOne) {
  RunResult result = RunArborctlWith(
      {"--server", server_->address(), "--key", "wrong-key-of-some-length", "collection", "list"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, StartsWith("error: UNAUTHENTICATED: the key is not valid"));
  EXPECT_THAT(result.err, Not(HasSubstr("no key was given")));
  EXPECT_EQ(result.out, "");
}

TEST_F(ArborctlTest, UnreachableServerExitsOne) {
  int port = UnusedLoopbackPort();
  ASSERT_NE(port, 0);
  std::string address = "127.0.0.1:" + std::to_string(port);
  RunResult result = RunArborctlWith(
      {"--server", address, "--key", server_->admin_key(), "count", "c", "--tenant", "t"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, StartsWith("error: UNAVAILABLE: "));

  RunResult health = RunArborctlWith({"--server", address, "health"});
  EXPECT_EQ(health.exit_code, 1);
  EXPECT_THAT(health.err, StartsWith("error: UNAVAILABLE: "));
}

TEST_F(ArborctlTest, KeyFromEnvironmentFile) {
  WriteBytes(dir_.File("admin.key"), "# test\n" + server_->admin_key() + "\n");
  setenv("ARBOR_KEY_FILE", dir_.File("admin.key").c_str(), 1);
  RunResult result =
      RunArborctlWith({"--server", server_->address(), "collection", "list", "--json"});
  unsetenv("ARBOR_KEY_FILE");
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

TEST_F(ArborctlTest, ServerAndKeyFromEnvironment) {
  CreateCollection("docs", 2);
  setenv("ARBOR_SERVER", server_->address().c_str(), 1);
  setenv("ARBOR_KEY", server_->admin_key().c_str(), 1);
  RunResult result = RunArborctlWith({"--json", "collection", "list"});
  unsetenv("ARBOR_SERVER");
  unsetenv("ARBOR_KEY");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("{\"name\": \"docs\""));
}

TEST_F(ArborctlTest, DescribePrintsJson) {
  int64_t before_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  CreateCollection("docs", 3);
  int64_t after_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();

  RunResult result = RunAdmin({"--json", "collection", "describe", "docs"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::smatch match;
  ASSERT_TRUE(
      std::regex_match(result.out, match,
                       std::regex("\\{\"name\": \"docs\", \"dimension\": 3, \"metric\": \"l2\", "
                                  "\"vector_count\": 0, \"tenant_count\": 0, \"bytes\": [0-9]+, "
                                  "\"created_unix_ms\": ([0-9]+), \"index\": \\{\"trained\": false, "
                                  "\"tree_nodes\": 1, .*\\}\\}\n")))
      << result.out;
  int64_t created_ms = std::stoll(match[1].str());
  EXPECT_GE(created_ms, before_ms);
  EXPECT_LE(created_ms, after_ms);

  RunResult text = RunAdmin({"collection", "describe", "docs"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, StartsWith("name:          docs\ndimension:     3\nmetric:        l2\n"
                                   "vectors:       0\ntenants:       0\n"));
}

TEST_F(ArborctlTest, CreateSetsPruneEpsilon) {
  RunResult created = RunAdmin({"collection", "create", "half", "--dim", "2", "--metric", "l2",
                                "--prune-epsilon", "0.5"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  RunResult off = RunAdmin({"collection", "create", "off", "--dim", "2", "--metric", "l2",
                            "--prune-epsilon", "-1"});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  CreateCollection("default", 2);

  RunResult half_json = RunAdmin({"--json", "collection", "describe", "half"});
  ASSERT_EQ(half_json.exit_code, 0) << half_json.err;
  EXPECT_THAT(half_json.out, HasSubstr("\"retrain_growth\": 4, \"prune_epsilon\": 0.5}"));
  RunResult half_text = RunAdmin({"collection", "describe", "half"});
  ASSERT_EQ(half_text.exit_code, 0) << half_text.err;
  EXPECT_THAT(half_text.out, EndsWith("\nprune epsilon: 0.5\n"));

  RunResult off_text = RunAdmin({"collection", "describe", "off"});
  ASSERT_EQ(off_text.exit_code, 0) << off_text.err;
  EXPECT_THAT(off_text.out, EndsWith("\nprune epsilon: -1 (pruning off)\n"));

  RunResult default_json = RunAdmin({"--json", "collection", "describe", "default"});
  ASSERT_EQ(default_json.exit_code, 0) << default_json.err;
  EXPECT_THAT(default_json.out, HasSubstr("\"prune_epsilon\": 1}"));
}

TEST_F(ArborctlTest, CreateRejectsPruneEpsilonOverLimit) {
  RunResult result = RunAdmin({"collection", "create", "big", "--dim", "2", "--metric", "l2",
                               "--prune-epsilon", "101"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err,
              StartsWith("error: INVALID_ARGUMENT: index.prune_epsilon is 101; it must be"));

  RunResult list = RunAdmin({"collection", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, Not(HasSubstr("big")));
}

TEST_F(ArborctlTest, JsonFlagAfterSubcommand) {
  CreateCollection("docs", 3);
  RunResult result = RunAdmin({"collection", "list", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("{\"name\": \"docs\""));
  EXPECT_EQ(SplitLines(result.out).size(), 1u);
}

TEST_F(ArborctlTest, CollectionDropRemovesIt) {
  CreateCollection("docs", 3);
  RunResult dropped = RunAdmin({"--json", "collection", "drop", "docs"});
  ASSERT_EQ(dropped.exit_code, 0) << dropped.err;
  EXPECT_EQ(dropped.out, "{\"collection\": \"docs\", \"dropped\": true}\n");

  RunResult list = RunAdmin({"collection", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out, "NAME  DIMENSION  METRIC  VECTORS  TENANTS  BYTES  CREATED (UTC)\n");
}

TEST_F(ArborctlTest, TenantListFollowsPages) {
  // arborctl requests pages of 1,000 tenants, the server's max, so 1,005 tenants take two pages.
  constexpr int kTenants = 1005;
  CreateCollection("docs", 3);
  std::vector<std::string> expected_names;
  for (int i = 0; i < kTenants; ++i) {
    std::string number = std::to_string(i);
    expected_names.push_back("t" + std::string(4 - number.size(), '0') + number);
    v1::CreateTenantRequest request;
    request.set_collection("docs");
    request.set_tenant(expected_names.back());
    absl::StatusOr<v1::TenantInfo> created = admin_->CreateTenant(request);
    ASSERT_TRUE(created.ok()) << created.status();
  }

  RunResult result = RunAdmin({"--json", "tenant", "list", "docs"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> lines = SplitLines(result.out);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kTenants));
  std::regex tenant_line(
      "\\{\"collection\": \"docs\", \"name\": \"(t[0-9]{4})\", \"owned_count\": 0, "
      "\"readable_count\": 0, \"created_unix_ms\": [0-9]+, \"shortlists\": 0, "
      "\"split_nodes\": 0, \"max_depth\": 0\\}");
  std::vector<std::string> names;
  for (const std::string& line : lines) {
    std::smatch match;
    ASSERT_TRUE(std::regex_match(line, match, tenant_line)) << line;
    names.push_back(match[1].str());
  }
  EXPECT_EQ(names, expected_names);
}

TEST_F(ArborctlTest, TenantTableShowsCounts) {
  CreateCollection("docs", 2);
  CreateTenant("docs", "a");
  CreateTenant("docs", "b");
  WriteBytes(dir_.File("v.fbin"), FbinBytes(3, 2, {1, 2, 3, 4, 5, 6}));
  ASSERT_EQ(RunAdmin({"import", "docs", "--file", dir_.File("v.fbin"), "--tenant", "a"}).exit_code,
            0);
  ASSERT_EQ(RunAdmin({"share", "docs", "--tenant", "a", "--ids", "0,2", "--with", "b"}).exit_code,
            0);

  RunResult table = RunAdmin({"tenant", "list", "docs"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  std::vector<std::string> lines = SplitLines(table.out);
  ASSERT_EQ(lines.size(), 3u) << table.out;
  EXPECT_EQ(lines[0], "NAME  OWNED  READABLE  CREATED (UTC)");
  EXPECT_THAT(lines[1], StartsWith("a     3      3         20"));
  EXPECT_THAT(lines[2], StartsWith("b     0      2         20"));

  RunResult dropped = RunAdmin({"tenant", "drop", "docs", "a"});
  ASSERT_EQ(dropped.exit_code, 0) << dropped.err;
  EXPECT_EQ(dropped.out, "dropped tenant a from collection docs\n");
  EXPECT_THAT(TenantNames("docs"), ElementsAre("b"));
  EXPECT_EQ(CountOf("docs", "b"), 0);
}

TEST_F(ArborctlTest, KeyCreatePrintsOnlyKey) {
  CreateCollection("docs", 2);
  CreateTenant("docs", "t1");
  CreateTenant("docs", "t2");

  RunResult result = RunAdmin({"key", "create", "docs", "t1"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::smatch match;
  ASSERT_TRUE(
      std::regex_match(result.out, match, std::regex("(arbor_([0-9a-f]{16})_[0-9a-f]{64})\n")))
      << result.out;
  const std::string key = match[1].str();
  const std::string key_id = match[2].str();
  EXPECT_EQ(result.err, "key id: " + key_id + "\n");

  RunResult list = RunAdmin({"--json", "key", "list", "docs"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, StartsWith("{\"key_id\": \"" + key_id +
                                   "\", \"collection\": \"docs\", \"tenant\": \"t1\", "
                                   "\"created_unix_ms\": "));
  EXPECT_EQ(SplitLines(list.out).size(), 1u);
  RunResult list_t2 = RunAdmin({"--json", "key", "list", "docs", "t2"});
  ASSERT_EQ(list_t2.exit_code, 0) << list_t2.err;
  EXPECT_EQ(list_t2.out, "");

  // The tenant key imports into its own tenant (import tries to create the tenant, which a
  // tenant key may not, and goes on) and may not act as another tenant or call admin commands.
  WriteBytes(dir_.File("v.fbin"), FbinBytes(2, 2, {1, 2, 3, 4}));
  RunResult import = RunArborctlWith({"--server", server_->address(), "--key", key, "import",
                                      "docs", "--file", dir_.File("v.fbin"), "--tenant", "t1"});
  EXPECT_EQ(import.exit_code, 0) << import.err;
  EXPECT_EQ(CountOf("docs", "t1"), 2);

  RunResult other = RunArborctlWith(
      {"--server", server_->address(), "--key", key, "count", "docs", "--tenant", "t2"});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_THAT(other.err, StartsWith("error: PERMISSION_DENIED: "));
  RunResult admin_call =
      RunArborctlWith({"--server", server_->address(), "--key", key, "collection", "list"});
  EXPECT_EQ(admin_call.exit_code, 1);
  EXPECT_THAT(admin_call.err, StartsWith("error: PERMISSION_DENIED: "));

  RunResult revoke = RunAdmin({"key", "revoke", "docs", key_id});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  EXPECT_EQ(revoke.out, "revoked key " + key_id + "\n");
  RunResult revoked = RunArborctlWith(
      {"--server", server_->address(), "--key", key, "count", "docs", "--tenant", "t1"});
  EXPECT_EQ(revoked.exit_code, 1);
  EXPECT_THAT(revoked.err, StartsWith("error: UNAUTHENTICATED: "));
}

TEST_F(ArborctlTest, ImportWithLabelsCreatesTenants) {
  CreateCollection("images", 4);
  // Five 2x2 images whose pixels all equal the row number, with labels 3, 7, 3, 3, 7.
  std::string pixels;
  for (int i = 0; i < 5; ++i) {
    pixels += std::string(4, static_cast<char>(i));
  }
  WriteGzip(dir_.File("images-idx3-ubyte.gz"), IdxBytes(0x08, {5, 2, 2}, pixels));
  WriteGzip(dir_.File("labels-idx1-ubyte.gz"), IdxBytes(0x08, {5}, "\x03\x07\x03\x03\x07"));

  RunResult result =
      RunAdmin({"--json", "import", "images", "--file", dir_.File("images-idx3-ubyte.gz"),
                "--labels", dir_.File("labels-idx1-ubyte.gz"), "--tenant-prefix", "c", "--first-id",
                "100", "--batch", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("{\"collection\": \"images\", \"vectors\": 5, \"tenants\": "
                                     "2, \"inserted\": 5, \"updated\": 0, \"seconds\": "));
  EXPECT_THAT(result.out, HasSubstr("\"vectors_per_second\": "));
  EXPECT_EQ(result.err, "");

  EXPECT_THAT(TenantNames("images"), ElementsAre("c3", "c7"));
  EXPECT_EQ(CountOf("images", "c3"), 3);
  EXPECT_EQ(CountOf("images", "c7"), 2);

  std::vector<v1::Record> c3 = GetRecords("images", "c3", {100, 101, 102, 103, 104});
  ASSERT_EQ(c3.size(), 3u);
  EXPECT_EQ(c3[0].id(), 100u);
  EXPECT_THAT(c3[0].values(), ElementsAre(0, 0, 0, 0));
  EXPECT_EQ(c3[1].id(), 102u);
  EXPECT_THAT(c3[1].values(), ElementsAre(2, 2, 2, 2));
  EXPECT_EQ(c3[2].id(), 103u);
  EXPECT_THAT(c3[2].values(), ElementsAre(3, 3, 3, 3));

  std::vector<v1::Record> c7 = GetRecords("images", "c7", {100, 101, 102, 103, 104});
  ASSERT_EQ(c7.size(), 2u);
  EXPECT_EQ(c7[0].id(), 101u);
  EXPECT_THAT(c7[0].values(), ElementsAre(1, 1, 1, 1));
  EXPECT_EQ(c7[1].id(), 104u);
  EXPECT_THAT(c7[1].values(), ElementsAre(4, 4, 4, 4));

  // A second import finds the tenants already there and updates the same ids.
  RunResult again =
      RunAdmin({"import", "images", "--file", dir_.File("images-idx3-ubyte.gz"), "--labels",
                dir_.File("labels-idx1-ubyte.gz"), "--tenant-prefix", "c", "--first-id", "100"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, StartsWith("imported 5 vectors into 2 tenants of collection images"));
  EXPECT_THAT(again.out, HasSubstr("0 inserted, 5 updated"));
  EXPECT_EQ(CountOf("images", "c3"), 3);
}

TEST_F(ArborctlTest, ImportStopsAtFailedBatch) {
  // With --batch 2 the rows go to the server as {0, 1}, {2, 3}, {4}. Row 3 contains NaN, which the
  // server rejects, so only the first request is stored.
  CreateCollection("v", 2);
  float nan = std::numeric_limits<float>::quiet_NaN();
  WriteBytes(dir_.File("v.fbin"), FbinBytes(5, 2, {0, 0, 1, 1, 2, 2, nan, 3, 4, 4}));

  RunResult result =
      RunAdmin({"import", "v", "--file", dir_.File("v.fbin"), "--tenant", "t", "--batch", "2"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("import stopped after 2 vectors were stored\n"));
  EXPECT_THAT(result.err, HasSubstr("error: INVALID_ARGUMENT: vectors[1].values[0] is nan"));
  EXPECT_EQ(CountOf("v", "t"), 2);
  EXPECT_EQ(GetRecords("v", "t", {0, 1, 2, 3, 4}).size(), 2u);
}

TEST_F(ArborctlTest, ImportSplitsRequestsOverSizeCap) {
  // 4,200 vectors of dimension 4,096 take 67 MiB, over the 64 MiB message limit of client and
  // server. With --batch 16384 the import succeeds only because arborctl also caps each request
  // at 32 MiB, here about 2,000 vectors.
  constexpr uint32_t kDimension = 4096;
  constexpr uint32_t kRows = 4200;
  CreateCollection("wide", kDimension);
  std::vector<float> values(size_t{kRows} * kDimension);
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = static_cast<float>(i % 1000);
  }
  WriteBytes(dir_.File("wide.fbin"), FbinBytes(kRows, kDimension, values));

  {
    // The premise: the same rows in one request are rejected.
    v1::UpsertRequest one_request;
    one_request.set_collection("wide");
    one_request.set_tenant("t");
    for (uint32_t row = 0; row < kRows; ++row) {
      v1::Vector* vector = one_request.add_vectors();
      vector->set_id(row);
      const float* first = values.data() + size_t{row} * kDimension;
      vector->mutable_values()->Add(first, first + kDimension);
    }
    absl::StatusOr<v1::UpsertResponse> rejected = admin_->Upsert(one_request);
    ASSERT_FALSE(rejected.ok());
    EXPECT_EQ(rejected.status().code(), absl::StatusCode::kResourceExhausted) << rejected.status();
  }

  RunResult result = RunAdmin(
      {"import", "wide", "--file", dir_.File("wide.fbin"), "--tenant", "t", "--batch", "16384"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(CountOf("wide", "t"), int64_t{kRows});

  std::vector<v1::Record> last = GetRecords("wide", "t", {kRows - 1});
  ASSERT_EQ(last.size(), 1u);
  ASSERT_EQ(last[0].values_size(), static_cast<int>(kDimension));
  size_t first_value = size_t{kRows - 1} * kDimension;
  EXPECT_EQ(last[0].values(0), static_cast<float>(first_value % 1000));
  EXPECT_EQ(last[0].values(kDimension - 1),
            static_cast<float>((first_value + kDimension - 1) % 1000));
}

TEST_F(ArborctlTest, ImportLimitReadsFirstRows) {
  CreateCollection("v", 2);
  WriteBytes(dir_.File("v.fbin"), FbinBytes(5, 2, {0, 0, 1, 1, 2, 2, 3, 3, 4, 4}));

  RunResult result = RunAdmin({"--json", "import", "v", "--file", dir_.File("v.fbin"), "--tenant",
                               "t", "--limit", "3", "--batch", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("{\"collection\": \"v\", \"vectors\": 3, "));
  EXPECT_EQ(CountOf("v", "t"), 3);
  std::vector<v1::Record> records = GetRecords("v", "t", {0, 1, 2, 3, 4});
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].id(), 2u);
  EXPECT_THAT(records[2].values(), ElementsAre(2, 2));

  // A limit above the row count imports every row.
  RunResult all =
      RunAdmin({"import", "v", "--file", dir_.File("v.fbin"), "--tenant", "u", "--limit", "100"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(CountOf("v", "u"), 5);
}

TEST_F(ArborctlTest, ImportLimitUsesFirstLabels) {
  CreateCollection("v", 2);
  WriteBytes(dir_.File("v.fbin"), FbinBytes(5, 2, {0, 0, 1, 1, 2, 2, 3, 3, 4, 4}));
  WriteBytes(dir_.File("labels.txt"), "a\nb\na\nc\nc\n");

  // Only the labels of rows 0..2 count, so tenant xc is never created.
  RunResult result = RunAdmin({"import", "v", "--file", dir_.File("v.fbin"), "--labels",
                               dir_.File("labels.txt"), "--tenant-prefix", "x", "--limit", "3"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("imported 3 vectors into 2 tenants of collection v"));
  EXPECT_THAT(TenantNames("v"), ElementsAre("xa", "xb"));
  EXPECT_EQ(CountOf("v", "xa"), 2);
  EXPECT_EQ(CountOf("v", "xb"), 1);

  // A labels file with just the first rows' labels is enough for a limited import.
  WriteBytes(dir_.File("short.txt"), "a\nb\n");
  RunResult short_labels =
      RunAdmin({"import", "v", "--file", dir_.File("v.fbin"), "--labels", dir_.File("short.txt"),
                "--tenant-prefix", "y", "--limit", "2"});
  ASSERT_EQ(short_labels.exit_code, 0) << short_labels.err;
  EXPECT_EQ(CountOf("v", "ya"), 1);
  EXPECT_EQ(CountOf("v", "yb"), 1);

  // But not when the limit selects more rows than the file has labels.
  RunResult too_few = RunAdmin({"import", "v", "--file", dir_.File("v.fbin"), "--labels",
                                dir_.File("short.txt"), "--tenant-prefix", "z", "--limit", "3"});
  EXPECT_EQ(too_few.exit_code, 2);
  EXPECT_EQ(too_few.err, "error: labels file " + dir_.File("short.txt") +
                             " has 2 labels, but --limit 3 selects 3 rows of vector file " +
                             dir_.File("v.fbin") + "; expected one label per vector\n");
  EXPECT_THAT(TenantNames("v"), ElementsAre("xa", "xb", "ya", "yb"));
}

TEST_F(ArborctlTest, ImportLimitOnFileWithoutRowCount) {
  // A gzip-compressed fvecs file states no row count, so the label check happens while reading.
  CreateCollection("v", 2);
  WriteGzip(dir_.File("v.fvecs.gz"), FvecsBytes({{0, 0}, {1, 1}, {2, 2}, {3, 3}, {4, 4}}));
  WriteBytes(dir_.File("labels.txt"), "a\nb\n");

  RunResult limited = RunAdmin({"import", "v", "--file", dir_.File("v.fvecs.gz"), "--labels",
                                dir_.File("labels.txt"), "--tenant-prefix", "x", "--limit", "2"});
  ASSERT_EQ(limited.exit_code, 0) << limited.err;
  EXPECT_EQ(CountOf("v", "xa"), 1);
  EXPECT_EQ(CountOf("v", "xb"), 1);

  RunResult too_few = RunAdmin({"import", "v", "--file", dir_.File("v.fvecs.gz"), "--labels",
                                dir_.File("labels.txt"), "--tenant-prefix", "y", "--limit", "3"});
  EXPECT_EQ(too_few.exit_code, 2);
  EXPECT_THAT(too_few.err, HasSubstr("has more rows than the 2 labels in"));
  EXPECT_EQ(CountOf("v", "ya"), 0);
}

TEST_F(ArborctlTest, ImportRejectsLabelCountMismatch) {
  CreateCollection("v", 2);
  WriteBytes(dir_.File("v.fbin"), FbinBytes(3, 2, {1, 2, 3, 4, 5, 6}));
  WriteBytes(dir_.File("labels.txt"), "a\nb\n");

  RunResult result = RunAdmin({"import", "v", "--file", dir_.File("v.fbin"), "--labels",
                               dir_.File("labels.txt"), "--tenant-prefix", "t"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("has 2 labels, but vector file"));
  EXPECT_THAT(TenantNames("v"), IsEmpty());

  RunResult describe = RunAdmin({"--json", "collection", "describe", "v"});
  ASSERT_EQ(describe.exit_code, 0) << describe.err;
  EXPECT_THAT(describe.out, HasSubstr("\"vector_count\": 0, \"tenant_count\": 0,"));
}

TEST_F(ArborctlTest, ImportServerErrorExitsOne) {
  CreateCollection("v", 3);
  WriteBytes(dir_.File("v.fbin"), FbinBytes(2, 2, {1, 2, 3, 4}));

  RunResult result = RunAdmin({"import", "v", "--file", dir_.File("v.fbin"), "--tenant", "t"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("error: INVALID_ARGUMENT: vectors[0].values has 2 values but "
                                    "the collection's dimension is 3"));
}

TEST_F(ArborctlTest, ImportDrawsProgressOnlyOnTerminal) {
  CreateCollection("v", 2);
  WriteBytes(dir_.File("v.fbin"), FbinBytes(3, 2, {1, 2, 3, 4, 5, 6}));

  RunResult plain = RunAdmin({"import", "v", "--file", dir_.File("v.fbin"), "--tenant", "t"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.err, "");

  RunResult terminal = RunAdmin({"import", "v", "--file", dir_.File("v.fbin"), "--tenant", "t"},
                                /*err_is_terminal=*/true);
  ASSERT_EQ(terminal.exit_code, 0) << terminal.err;
  EXPECT_THAT(terminal.err, HasSubstr("\r[##############################] 100.0%  3/3 vectors"));
  EXPECT_THAT(terminal.err, EndsWith("\x1b[K\n"));
}

TEST_F(ArborctlTest, CountPrintsJson) {
  CreateCollection("v", 2);
  WriteBytes(dir_.File("v.fbin"), FbinBytes(3, 2, {1, 2, 3, 4, 5, 6}));
  ASSERT_EQ(RunAdmin({"import", "v", "--file", dir_.File("v.fbin"), "--tenant", "t"}).exit_code, 0);

  RunResult json = RunAdmin({"count", "v", "--tenant", "t", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.out, "{\"count\": 3}\n");

  RunResult text = RunAdmin({"count", "v", "--tenant", "t"});
  EXPECT_EQ(text.out, "3\n");
}

TEST_F(ArborctlTest, SearchVectorPrintsJson) {
  // Squared distances from (-1, 0.5): id 0 at (0, 0) is 1.25, id 1 at (-1, 1) is 0.25 and id 2
  // at (3, 4) is 28.25.
  CreateCollection("v", 2);
  WriteBytes(dir_.File("v.fbin"), FbinBytes(3, 2, {0, 0, -1, 1, 3, 4}));
  ASSERT_EQ(RunAdmin({"import", "v", "--file", dir_.File("v.fbin"), "--tenant", "t"}).exit_code, 0);

  RunResult result =
      RunAdmin({"--json", "search", "v", "--tenant", "t", "--vector", "-1,0.5", "--k", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "{\"query\": 0, \"results\": [{\"owner\": \"t\", \"id\": 1, \"score\": 0.25}, "
            "{\"owner\": \"t\", \"id\": 0, \"score\": 1.25}]}\n");

  RunResult exact = RunAdmin(
      {"--json", "search", "v", "--tenant", "t", "--vector", "-1,0.5", "--k", "5", "--exact"});
  ASSERT_EQ(exact.exit_code, 0) << exact.err;
  EXPECT_EQ(exact.out,
            "{\"query\": 0, \"results\": [{\"owner\": \"t\", \"id\": 1, \"score\": 0.25}, "
            "{\"owner\": \"t\", \"id\": 0, \"score\": 1.25}, "
            "{\"owner\": \"t\", \"id\": 2, \"score\": 28.25}]}\n");

  RunResult wrong_dimension =
      RunAdmin({"search", "v", "--tenant", "t", "--vector", "1,2,3", "--k", "2"});
  EXPECT_EQ(wrong_dimension.exit_code, 1);
  EXPECT_THAT(wrong_dimension.err, StartsWith("error: INVALID_ARGUMENT: query has 3 values"));
}

TEST_F(ArborctlTest, SearchQueryFileSplitsBatches) {
  // Vector i is (i, 0) and query i is (i, 0.5), for i < 1500. Only the first 1200 queries are
  // used, which arborctl sends as SearchBatch requests of 1024 and 176 queries, the server
  // allowing at most 1024.
  constexpr int kRows = 1500;
  constexpr size_t kQueries = 1200;
  constexpr size_t kK = 5;
  CreateCollection("v", 2);
  std::vector<float> vectors;
  std::vector<float> queries;
  for (int i = 0; i < kRows; ++i) {
    vectors.insert(vectors.end(), {static_cast<float>(i), 0});
    queries.insert(queries.end(), {static_cast<float>(i), 0.5f});
  }
  WriteBytes(dir_.File("v.fbin"), FbinBytes(kRows, 2, vectors));
  WriteBytes(dir_.File("q.fbin"), FbinBytes(kRows, 2, queries));
  ASSERT_EQ(RunAdmin({"import", "v", "--file", dir_.File("v.fbin"), "--tenant", "t"}).exit_code, 0);

  RunResult result =
      RunAdmin({"--json", "search", "v", "--tenant", "t", "--query-file", dir_.File("q.fbin"),
                "--limit-queries", std::to_string(kQueries), "--k", std::to_string(kK), "--exact"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> lines = SplitLines(result.out);
  ASSERT_EQ(lines.size(), kQueries);

  for (size_t q = 0; q < kQueries; ++q) {
    // Brute force: every squared distance, best first, ties by id.
    std::vector<std::pair<float, uint64_t>> scored;
    for (int i = 0; i < kRows; ++i) {
      float dx = queries[2 * q] - vectors[2 * i];
      float dy = queries[2 * q + 1] - vectors[2 * i + 1];
      scored.emplace_back(dx * dx + dy * dy, static_cast<uint64_t>(i));
    }
    std::sort(scored.begin(), scored.end());
    std::vector<ExpectedHit> hits;
    for (size_t j = 0; j < kK; ++j) {
      hits.push_back({"t", scored[j].second, scored[j].first});
    }
    ASSERT_EQ(lines[q], ExpectedSearchLine(q, hits)) << "query " << q;
  }
}

TEST_F(ArborctlTest, SearchSendsPruneEpsilon) {
  // The collection is too small for a trained index, so a valid value leaves the hits exact.
  // An invalid value shows that the flag reaches the server, through Search (--vector) and
  // through SearchBatch (--query-file).
  CreateCollection("v", 2);
  WriteBytes(dir_.File("v.fbin"), FbinBytes(3, 2, {0, 0, -1, 1, 3, 4}));
  ASSERT_EQ(RunAdmin({"import", "v", "--file", dir_.File("v.fbin"), "--tenant", "t"}).exit_code, 0);

  RunResult off = RunAdmin({"--json", "search", "v", "--tenant", "t", "--vector", "-1,0.5",
                            "--k", "2", "--prune-epsilon", "-1"});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(off.out,
            "{\"query\": 0, \"results\": [{\"owner\": \"t\", \"id\": 1, \"score\": 0.25}, "
            "{\"owner\": \"t\", \"id\": 0, \"score\": 1.25}]}\n");

  RunResult single = RunAdmin({"search", "v", "--tenant", "t", "--vector", "-1,0.5", "--k", "2",
                               "--prune-epsilon", "101"});
  EXPECT_EQ(single.exit_code, 1);
  EXPECT_THAT(single.err, StartsWith("error: INVALID_ARGUMENT: params.prune_epsilon is 101;"));

  RunResult batch = RunAdmin({"search", "v", "--tenant", "t", "--query-file",
                              dir_.File("v.fbin"), "--k", "2", "--prune-epsilon", "1e9"});
  EXPECT_EQ(batch.exit_code, 1);
  EXPECT_THAT(batch.err, StartsWith("error: INVALID_ARGUMENT: params.prune_epsilon is 1e+09;"));
}

TEST_F(ArborctlTest, SearchTextTable) {
  CreateCollection("v", 1);
  WriteBytes(dir_.File("v.fbin"), FbinBytes(3, 1, {1, 1.5f, 9}));
  ASSERT_EQ(RunAdmin({"import", "v", "--file", dir_.File("v.fbin"), "--tenant", "t"}).exit_code, 0);

  RunResult result = RunAdmin({"search", "v", "--tenant", "t", "--vector", "1", "--k", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "query 0: 2 results\n"
            "  RANK  OWNER  ID  SCORE\n"
            "  1     t      0   0\n"
            "  2     t      1   0.25\n");

  CreateTenant("v", "empty");
  RunResult none = RunAdmin({"search", "v", "--tenant", "empty", "--vector", "1", "--k", "2"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, "query 0: 0 results\n");
}

TEST_F(ArborctlTest, ShareMakesVectorsVisible) {
  CreateCollection("v", 2);
  CreateTenant("v", "t2");
  CreateTenant("v", "t3");
  WriteBytes(dir_.File("v.fbin"), FbinBytes(3, 2, {1, 1, 2, 2, 7, 7.5f}));
  ASSERT_EQ(
      RunAdmin({"import", "v", "--file", dir_.File("v.fbin"), "--tenant", "t", "--first-id", "1"})
          .exit_code,
      0);
  ASSERT_EQ(CountOf("v", "t2"), 0);

  RunResult share =
      RunAdmin({"--json", "share", "v", "--tenant", "t", "--ids", "1,3", "--with", "t2,t3"});
  ASSERT_EQ(share.exit_code, 0) << share.err;
  EXPECT_EQ(share.out, "{\"granted_count\": 4}\n");
  EXPECT_EQ(CountOf("v", "t2"), 2);
  EXPECT_EQ(CountOf("v", "t3"), 2);

  // The reader sees the owner's values but not whom else they are shared with; the owner does.
  RunResult get =
      RunAdmin({"--json", "get", "v", "--tenant", "t2", "--ids", "3,2", "--owner", "t"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(get.out, "{\"owner\": \"t\", \"id\": 3, \"values\": [7, 7.5], \"shared_with\": []}\n");
  RunResult get_owner = RunAdmin({"--json", "get", "v", "--tenant", "t", "--ids", "3"});
  ASSERT_EQ(get_owner.exit_code, 0) << get_owner.err;
  EXPECT_EQ(get_owner.out,
            "{\"owner\": \"t\", \"id\": 3, \"values\": [7, 7.5], \"shared_with\": [\"t2\", "
            "\"t3\"]}\n");
  RunResult get_text = RunAdmin({"get", "v", "--tenant", "t", "--ids", "3"});
  EXPECT_EQ(get_text.out, "owner=t id=3 values=[7, 7.5] shared_with=t2,t3\n");

  RunResult search =
      RunAdmin({"--json", "search", "v", "--tenant", "t2", "--vector", "2,2", "--k", "5"});
  ASSERT_EQ(search.exit_code, 0) << search.err;
  EXPECT_EQ(search.out, ExpectedSearchLine(0, {{"t", 1, 2}, {"t", 3, 55.25}}) + "\n");

  RunResult unshare = RunAdmin({"unshare", "v", "--tenant", "t", "--ids", "1", "--with", "t2"});
  ASSERT_EQ(unshare.exit_code, 0) << unshare.err;
  EXPECT_EQ(unshare.out, "revoked 1 (id, tenant) pairs\n");
  EXPECT_EQ(CountOf("v", "t2"), 1);
  EXPECT_EQ(CountOf("v", "t3"), 2);

  RunResult missing_id = RunAdmin({"share", "v", "--tenant", "t", "--ids", "99", "--with", "t2"});
  EXPECT_EQ(missing_id.exit_code, 1);
  EXPECT_THAT(missing_id.err, StartsWith("error: NOT_FOUND: ids[0]: vector 99 not found"));

  RunResult remove = RunAdmin({"--json", "delete", "v", "--tenant", "t", "--ids", "1,2,3,4"});
  ASSERT_EQ(remove.exit_code, 0) << remove.err;
  EXPECT_EQ(remove.out, "{\"deleted_count\": 3}\n");
  EXPECT_EQ(CountOf("v", "t"), 0);
  EXPECT_EQ(CountOf("v", "t3"), 0);
}

TEST_F(ArborctlTest, BackupCreatePrintsInfo) {
  CreateCollection("docs", 3);
  const std::string path = dir_.File("backup1");
  RunResult text = RunAdmin({"backup", "create", path});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.err, "");
  EXPECT_THAT(text.out, StartsWith("path:            " + path + "\ncreated (UTC):   "));
  EXPECT_THAT(text.out, HasSubstr("\ncollections:     1\n"));
  EXPECT_THAT(text.out, EndsWith(" ms\narbord version:  0.1.0\n"));
  EXPECT_TRUE(std::filesystem::exists(path + "/backup.manifest"));
  EXPECT_TRUE(std::filesystem::exists(path + "/db/CURRENT"));

  const std::string json_path = dir_.File("backup2");
  RunResult json = RunAdmin({"--json", "backup", "create", json_path});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_TRUE(std::regex_match(
      json.out, std::regex("\\{\"path\": \"" + json_path +
                           "\", \"created_unix_ms\": [0-9]+, \"sequence_number\": [0-9]+, "
                           "\"file_count\": [0-9]+, \"bytes\": [0-9]+, "
                           "\"collection_count\": 1, \"duration_ms\": [0-9]+, "
                           "\"arbord_version\": \"0.1.0\"\\}\n")))
      << json.out;

  RunResult again = RunAdmin({"backup", "create", path});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, StartsWith("error: ALREADY_EXISTS: path '" + path + "' already exists"));
  EXPECT_EQ(again.out, "");
}

TEST_F(ArborctlTest, BackupCreateMakesPathAbsolute) {
  const std::filesystem::path previous = std::filesystem::current_path();
  std::filesystem::current_path(dir_.File(""));
  RunResult result = RunAdmin({"backup", "create", "relative"});
  std::filesystem::current_path(previous);

  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "note: sending the backup path as " + dir_.File("relative") +
                            "; it is a path on the server's host\n");
  EXPECT_THAT(result.out, StartsWith("path:            " + dir_.File("relative") + "\n"));
  EXPECT_TRUE(std::filesystem::exists(dir_.File("relative") + "/backup.manifest"));
}

TEST_F(ArborctlTest, BackupCreateNeedsAdminKey) {
  CreateCollection("docs", 3);
  CreateTenant("docs", "t");
  RunResult key = RunAdmin({"key", "create", "docs", "t"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  const std::string tenant_key = SplitLines(key.out).at(0);

  RunResult result = RunArborctlWith({"--server", server_->address(), "--key", tenant_key,
                                      "backup", "create", dir_.File("backup")});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, StartsWith("error: PERMISSION_DENIED: "));
  EXPECT_FALSE(std::filesystem::exists(dir_.File("backup")));
}

TEST_F(ArborctlTest, HealthExitCodes) {
  RunResult serving = RunArborctlWith({"--server", server_->address(), "health"});
  EXPECT_EQ(serving.exit_code, 0) << serving.err;
  EXPECT_EQ(serving.out, "SERVING\n");

  server_->SetServing(false);
  RunResult not_serving = RunArborctlWith({"--server", server_->address(), "--json", "health"});
  EXPECT_EQ(not_serving.exit_code, 1);
  EXPECT_EQ(not_serving.out, "{\"status\": \"NOT_SERVING\"}\n");
  EXPECT_EQ(not_serving.err, "error: UNAVAILABLE: the server health status is not SERVING\n");
}

}  // namespace
}  // namespace arbor::client

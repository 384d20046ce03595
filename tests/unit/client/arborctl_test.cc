// Tests of arborctl: its value parsers, its JSON output, and whole command lines run in-process
// against a fake server on loopback.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "client/arborctl_app.h"
#include "client/arborctl_output.h"
#include "client/arborctl_parse.h"
#include "tests/unit/client/fake_server.h"
#include "tests/unit/client/test_files.h"

namespace arbor::client {
namespace {

using ::arbor::client::testing::FakeArborServer;
using ::arbor::client::testing::FbinBytes;
using ::arbor::client::testing::IdxBytes;
using ::arbor::client::testing::RecordedRequests;
using ::arbor::client::testing::ScratchDir;
using ::arbor::client::testing::UnusedLoopbackPort;
using ::arbor::client::testing::WriteBytes;
using ::arbor::client::testing::WriteGzip;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kAdminKey[] = "admin-secret";

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
  EXPECT_EQ(CollectionJson(info),
            "{\"name\": \"docs\", \"dimension\": 128, \"metric\": \"ip\", \"vector_count\": 5, "
            "\"tenant_count\": 2, \"bytes\": 4096, \"created_unix_ms\": 1700000000000}");
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

// ---- Whole command lines ----

// Output and exit code of one arborctl run.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

RunResult RunArborctlWith(std::vector<std::string> args) {
  args.insert(args.begin(), "arborctl");
  std::vector<const char*> argv;
  for (const std::string& arg : args) {
    argv.push_back(arg.c_str());
  }
  std::ostringstream out;
  std::ostringstream err;
  RunResult result;
  result.exit_code = RunArborctl(static_cast<int>(argv.size()), argv.data(), out, err, false);
  result.out = out.str();
  result.err = err.str();
  return result;
}

class ArborctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Keys and servers set in the environment of the test run must not leak in.
    unsetenv("ARBOR_KEY");
    unsetenv("ARBOR_KEY_FILE");
    unsetenv("ARBOR_SERVER");
  }

  // Runs arborctl against the fake server with the admin key.
  RunResult RunAdmin(std::vector<std::string> args) {
    args.insert(args.begin(), {"--server", server_.address(), "--key", kAdminKey});
    return RunArborctlWith(std::move(args));
  }

  void CreateCollection(const std::string& name, int dim) {
    RunResult result =
        RunAdmin({"collection", "create", name, "--dim", std::to_string(dim), "--metric", "l2"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }

  FakeArborServer server_{kAdminKey};
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
      {"--key", "bad\nkey", "count", "c", "--tenant", "t"},
  };
  for (const std::vector<std::string>& args : command_lines) {
    std::vector<std::string> with_server = args;
    with_server.insert(with_server.begin(), {"--server", server_.address()});
    RunResult result = RunArborctlWith(with_server);
    EXPECT_EQ(result.exit_code, 2) << ::testing::PrintToString(args) << "\n" << result.err;
    EXPECT_THAT(result.err, StartsWith("error: ")) << ::testing::PrintToString(args);
  }
}

TEST_F(ArborctlTest, ServerErrorExitsOneWithCodeName) {
  RunResult result = RunAdmin({"collection", "describe", "missing"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "error: NOT_FOUND: collection missing not found\n");
}

TEST_F(ArborctlTest, MissingKeyGetsHint) {
  RunResult result = RunArborctlWith({"--server", server_.address(), "collection", "list"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, StartsWith("error: UNAUTHENTICATED: missing or invalid key"));
  EXPECT_THAT(result.err, HasSubstr("no key was given"));
}

TEST_F(ArborctlTest, UnreachableServerExitsOne) {
  std::string address = "127.0.0.1:" + std::to_string(UnusedLoopbackPort());
  RunResult result =
      RunArborctlWith({"--server", address, "--key", kAdminKey, "count", "c", "--tenant", "t"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, StartsWith("error: UNAVAILABLE: "));
}

TEST_F(ArborctlTest, KeyFromEnvironmentFile) {
  WriteBytes(dir_.File("admin.key"), "# test\nadmin-secret\n");
  setenv("ARBOR_KEY_FILE", dir_.File("admin.key").c_str(), 1);
  RunResult result =
      RunArborctlWith({"--server", server_.address(), "collection", "list", "--json"});
  unsetenv("ARBOR_KEY_FILE");
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

TEST_F(ArborctlTest, DescribePrintsJson) {
  CreateCollection("docs", 3);
  RunResult result = RunAdmin({"--json", "collection", "describe", "docs"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "{\"name\": \"docs\", \"dimension\": 3, \"metric\": \"l2\", \"vector_count\": 0, "
            "\"tenant_count\": 0, \"bytes\": 0, \"created_unix_ms\": 1700000000000}\n");
}

TEST_F(ArborctlTest, JsonFlagAfterSubcommand) {
  CreateCollection("docs", 3);
  RunResult result = RunAdmin({"collection", "list", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("{\"name\": \"docs\""));
}

TEST_F(ArborctlTest, TenantListFollowsPages) {
  CreateCollection("docs", 3);
  for (const char* tenant : {"a", "b", "c", "d", "e"}) {
    ASSERT_EQ(RunAdmin({"tenant", "create", "docs", tenant}).exit_code, 0);
  }

  RunResult result = RunAdmin({"--json", "tenant", "list", "docs"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 5);
  EXPECT_THAT(result.out, HasSubstr("{\"collection\": \"docs\", \"name\": \"e\""));
  EXPECT_EQ(server_.recorded().list_tenants.size(), 3u);

  RunResult table = RunAdmin({"tenant", "list", "docs"});
  EXPECT_THAT(table.out, StartsWith("NAME  OWNED  READABLE  CREATED (UTC)\na"));
}

TEST_F(ArborctlTest, KeyCreatePrintsOnlyKey) {
  CreateCollection("docs", 3);
  ASSERT_EQ(RunAdmin({"tenant", "create", "docs", "t1"}).exit_code, 0);

  RunResult result = RunAdmin({"key", "create", "docs", "t1"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "secret-1\n");
  EXPECT_THAT(result.err, HasSubstr("key-1"));

  RunResult list = RunAdmin({"--json", "key", "list", "docs"});
  EXPECT_EQ(list.out,
            "{\"key_id\": \"key-1\", \"collection\": \"docs\", \"tenant\": \"t1\", "
            "\"created_unix_ms\": 1700000000000}\n");
}

TEST_F(ArborctlTest, ImportWithLabelsCreatesTenantsAndBatches) {
  CreateCollection("images", 4);
  // Five 2x2 images with labels 3, 7, 3, 3, 7; --batch 2 splits tenant c3's three vectors.
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

  RecordedRequests recorded = server_.recorded();
  ASSERT_EQ(recorded.create_tenants.size(), 2u);
  EXPECT_EQ(recorded.create_tenants[0].tenant(), "c3");
  EXPECT_EQ(recorded.create_tenants[1].tenant(), "c7");

  std::map<std::string, std::vector<uint64_t>> ids_by_tenant;
  for (const v1::UpsertRequest& upsert : recorded.upserts) {
    EXPECT_LE(upsert.vectors_size(), 2);
    for (const v1::Vector& vector : upsert.vectors()) {
      ids_by_tenant[upsert.tenant()].push_back(vector.id());
      EXPECT_EQ(vector.values(0), static_cast<float>(vector.id() - 100));
    }
  }
  EXPECT_THAT(ids_by_tenant["c3"], ElementsAre(100, 102, 103));
  EXPECT_THAT(ids_by_tenant["c7"], ElementsAre(101, 104));

  // A second import finds the tenants already there.
  RunResult again =
      RunAdmin({"import", "images", "--file", dir_.File("images-idx3-ubyte.gz"), "--labels",
                dir_.File("labels-idx1-ubyte.gz"), "--tenant-prefix", "c"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, StartsWith("imported 5 vectors into 2 tenants of collection images"));
}

TEST_F(ArborctlTest, ImportRejectsLabelCountMismatch) {
  CreateCollection("v", 2);
  WriteBytes(dir_.File("v.fbin"), FbinBytes(3, 2, {1, 2, 3, 4, 5, 6}));
  WriteBytes(dir_.File("labels.txt"), "a\nb\n");

  RunResult result = RunAdmin({"import", "v", "--file", dir_.File("v.fbin"), "--labels",
                               dir_.File("labels.txt"), "--tenant-prefix", "t"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("has 2 labels, but vector file"));
  EXPECT_TRUE(server_.recorded().upserts.empty());
}

TEST_F(ArborctlTest, ImportServerErrorExitsOne) {
  CreateCollection("v", 3);
  WriteBytes(dir_.File("v.fbin"), FbinBytes(2, 2, {1, 2, 3, 4}));

  RunResult result = RunAdmin({"import", "v", "--file", dir_.File("v.fbin"), "--tenant", "t"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("error: INVALID_ARGUMENT: vector 0 has dimension 2"));
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
  RunResult result =
      RunAdmin({"--json", "search", "v", "--tenant", "t", "--vector", "-1,0.5", "--k", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "{\"query\": 0, \"results\": [{\"owner\": \"t\", \"id\": 0, \"score\": 0}, "
            "{\"owner\": \"t\", \"id\": 1, \"score\": 0.5}]}\n");

  RecordedRequests recorded = server_.recorded();
  ASSERT_EQ(recorded.searches.size(), 1u);
  EXPECT_THAT(recorded.searches[0].query(), ElementsAre(-1, 0.5f));
  EXPECT_EQ(recorded.searches[0].params().k(), 2u);
  EXPECT_FALSE(recorded.searches[0].params().exact());
}

TEST_F(ArborctlTest, SearchQueryFileSplitsBatches) {
  // 1500 queries whose first value is the row number; the fake echoes it as the hit id.
  std::vector<float> values;
  for (int i = 0; i < 1500; ++i) {
    values.push_back(static_cast<float>(i));
    values.push_back(0);
  }
  WriteBytes(dir_.File("q.fbin"), FbinBytes(1500, 2, values));

  RunResult result =
      RunAdmin({"--json", "search", "v", "--tenant", "t", "--query-file", dir_.File("q.fbin"),
                "--limit-queries", "1200", "--k", "5", "--exact"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> lines;
  std::istringstream stream(result.out);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), 1200u);
  EXPECT_EQ(lines[1100],
            "{\"query\": 1100, \"results\": [{\"owner\": \"t\", \"id\": 1100, \"score\": 1.25}]}");

  RecordedRequests recorded = server_.recorded();
  ASSERT_EQ(recorded.search_batches.size(), 2u);
  EXPECT_EQ(recorded.search_batches[0].queries_size(), 1024);
  EXPECT_EQ(recorded.search_batches[1].queries_size(), 176);
  EXPECT_TRUE(recorded.search_batches[0].params().exact());
}

TEST_F(ArborctlTest, SearchTextTable) {
  RunResult result = RunAdmin({"search", "v", "--tenant", "t", "--vector", "1", "--k", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "query 0: 2 results\n"
            "  RANK  OWNER  ID  SCORE\n"
            "  1     t      0   0\n"
            "  2     t      1   0.5\n");
}

TEST_F(ArborctlTest, GetAndShareSendIds) {
  RunResult get = RunAdmin({"--json", "get", "v", "--tenant", "t", "--ids", "7", "--owner", "o"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(get.out,
            "{\"owner\": \"o\", \"id\": 7, \"values\": [7, 7.5], \"shared_with\": "
            "[\"reader\\\"1\"]}\n");

  RunResult share =
      RunAdmin({"--json", "share", "v", "--tenant", "t", "--ids", "1,2", "--with", "t2,t3"});
  ASSERT_EQ(share.exit_code, 0) << share.err;
  EXPECT_EQ(share.out, "{\"granted_count\": 4}\n");

  RunResult unshare = RunAdmin({"unshare", "v", "--tenant", "t", "--ids", "1", "--with", "t2"});
  EXPECT_EQ(unshare.out, "revoked 1 (id, tenant) pairs\n");

  RunResult remove = RunAdmin({"--json", "delete", "v", "--tenant", "t", "--ids", "1,2,3"});
  EXPECT_EQ(remove.out, "{\"deleted_count\": 3}\n");

  RecordedRequests recorded = server_.recorded();
  ASSERT_EQ(recorded.shares.size(), 1u);
  EXPECT_THAT(recorded.shares[0].ids(), ElementsAre(1, 2));
  EXPECT_THAT(recorded.shares[0].with_tenants(), ElementsAre("t2", "t3"));
}

TEST_F(ArborctlTest, HealthExitCodes) {
  RunResult serving = RunArborctlWith({"--server", server_.address(), "health"});
  EXPECT_EQ(serving.exit_code, 0) << serving.err;
  EXPECT_EQ(serving.out, "SERVING\n");

  server_.SetServing(false);
  RunResult not_serving = RunArborctlWith({"--server", server_.address(), "--json", "health"});
  EXPECT_EQ(not_serving.exit_code, 1);
  EXPECT_EQ(not_serving.out, "{\"status\": \"NOT_SERVING\"}\n");
}

}  // namespace
}  // namespace arbor::client

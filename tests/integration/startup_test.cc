// arbord's start-up: the health service during and after recovery, the settings' sources and
// their precedence, and the log formats.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "client/arborctl_app.h"
#include "tests/integration/arbor_api.h"
#include "tests/integration/arbord_process.h"

namespace arbor::integration {
namespace {

using grpc::health::v1::HealthCheckResponse;

constexpr auto kServingTimeout = std::chrono::seconds(30);

std::unique_ptr<ArbordProcess> StartOrDie(ArbordOptions options) {
  absl::StatusOr<std::unique_ptr<ArbordProcess>> arbord = ArbordProcess::Start(std::move(options));
  EXPECT_TRUE(arbord.ok()) << arbord.status();
  return arbord.ok() ? *std::move(arbord) : nullptr;
}

HealthCheckResponse::ServingStatus CheckHealth(const std::string& address) {
  auto health = grpc::health::v1::Health::NewStub(Connect(address));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  HealthCheckResponse response;
  const grpc::Status status = health->Check(&context, request, &response);
  EXPECT_TRUE(IsOk(status));
  return response.status();
}

// Runs arborctl in-process with `args` and returns its exit code.
int RunArborctl(const std::vector<std::string>& args, std::string* output = nullptr) {
  std::vector<const char*> argv = {"arborctl"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out;
  std::ostringstream err;
  const int code = client::RunArborctl(static_cast<int>(argv.size()), argv.data(), out, err,
                                       /*err_is_terminal=*/false);
  if (output != nullptr) *output = out.str() + err.str();
  return code;
}

std::string WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream(path, std::ios::trunc) << contents;
  return path;
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          absl::StrCat("arbor-startup-", getpid(), "-", name))
      .string();
}

TEST(StartupTest, NotServingWhileRecovering) {
  const std::string gate = WriteFile(TempPath("gate"), "");
  ArbordOptions options;
  options.environment = {{"ARBOR_TEST_RECOVERY_GATE", gate}};
  options.wait_until_serving = false;
  std::unique_ptr<ArbordProcess> arbord = StartOrDie(options);
  ASSERT_NE(arbord, nullptr);

  EXPECT_EQ(CheckHealth(arbord->address()), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(RunArborctl({"--server", arbord->address(), "health"}), 1);

  ArborClient admin(arbord->address(), arbord->admin_key());
  v1::ListCollectionsResponse listed;
  const v1::ListCollectionsRequest list_request;
  EXPECT_TRUE(HasStatus(admin.Call(&v1::AdminService::Stub::ListCollections, list_request, &listed),
                        grpc::StatusCode::UNAVAILABLE, "recovering"));
  // Searches fail the same way, before any collection lookup.
  v1::SearchResponse found;
  EXPECT_TRUE(HasStatus(admin.Search("docs", "alice", {1, 0}, 1, &found),
                        grpc::StatusCode::UNAVAILABLE, "recovering"));
  v1::SearchBatchResponse found_batch;
  EXPECT_TRUE(HasStatus(admin.SearchBatch("docs", "alice", {{1, 0}}, 1, &found_batch),
                        grpc::StatusCode::UNAVAILABLE, "recovering"));

  // A watcher receives NOT_SERVING first, then SERVING once recovery ends.
  auto health = grpc::health::v1::Health::NewStub(Connect(arbord->address()));
  grpc::ClientContext watch_context;
  watch_context.set_deadline(std::chrono::system_clock::now() + kServingTimeout);
  grpc::health::v1::HealthCheckRequest request;
  auto watch = health->Watch(&watch_context, request);
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::NOT_SERVING);

  std::filesystem::remove(gate);
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVING);
  watch_context.TryCancel();

  EXPECT_EQ(CheckHealth(arbord->address()), HealthCheckResponse::SERVING);
  EXPECT_EQ(RunArborctl({"--server", arbord->address(), "health"}), 0);
  EXPECT_TRUE(IsOk(admin.Call(&v1::AdminService::Stub::ListCollections, list_request, &listed)));

  absl::StatusOr<ExitStatus> stopped = arbord->Stop();
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_TRUE(stopped->CleanExit()) << stopped->ToString();
}

TEST(StartupTest, HealthUnknownServiceIsNotFound) {
  std::unique_ptr<ArbordProcess> arbord = StartOrDie({});
  ASSERT_NE(arbord, nullptr);
  auto health = grpc::health::v1::Health::NewStub(Connect(arbord->address()));

  for (const std::string service : {"arbor.v1.AdminService", "arbor.v1.VectorService"}) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    ASSERT_TRUE(IsOk(health->Check(&context, request, &response))) << service;
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING) << service;
  }

  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  request.set_service("no.such.Service");
  HealthCheckResponse response;
  EXPECT_TRUE(HasStatus(health->Check(&context, request, &response),
                        grpc::StatusCode::NOT_FOUND, "no.such.Service"));
}

// Every line of a JSON-lines log is one object with time, level, thread and message.
void ExpectJsonLines(const std::string& log) {
  std::vector<std::string> lines = absl::StrSplit(log, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  for (const std::string& line : lines) {
    if (absl::StartsWith(line, "---- integration harness")) continue;
    EXPECT_TRUE(absl::StartsWith(line, "{\"time\":\"")) << line;
    EXPECT_TRUE(absl::EndsWith(line, "\"}")) << line;
    EXPECT_TRUE(absl::StrContains(line, "\"level\":\"")) << line;
    EXPECT_TRUE(absl::StrContains(line, "\"message\":\"")) << line;
  }
}

bool HasJsonServingLine(const std::string& log) {
  return absl::StrContains(log, "\"level\":\"info\"") &&
         absl::StrContains(log, "\"message\":\"arbord serving on 127.0.0.1:");
}

TEST(StartupTest, JsonLogFormat) {
  ArbordOptions options;
  options.extra_args = {"--log-format", "json"};
  std::unique_ptr<ArbordProcess> arbord = StartOrDie(options);
  ASSERT_NE(arbord, nullptr);
  ASSERT_TRUE(arbord->Stop().ok());

  const std::string log = arbord->ReadLog();
  ExpectJsonLines(log);
  EXPECT_TRUE(HasJsonServingLine(log)) << log;
  EXPECT_TRUE(absl::StrContains(log, "\"message\":\"arbord stopped\"")) << log;
}

// The config file sets the log format unless the environment or the command line does.
TEST(StartupTest, SettingsPrecedence) {
  const std::string config =
      WriteFile(TempPath("arbord.toml"), "# test config\nlog-format = \"json\"\nsync = false\n");

  {
    ArbordOptions options;
    options.extra_args = {"--config", config};
    std::unique_ptr<ArbordProcess> arbord = StartOrDie(options);
    ASSERT_NE(arbord, nullptr);
    ASSERT_TRUE(arbord->Stop().ok());
    const std::string log = arbord->ReadLog();
    EXPECT_TRUE(HasJsonServingLine(log)) << "config file ignored:\n" << log;
    EXPECT_TRUE(absl::StrContains(log, "sync=false")) << log;
  }
  {
    ArbordOptions options;
    options.environment = {{"ARBOR_CONFIG", config}, {"ARBOR_LOG_FORMAT", "text"}};
    std::unique_ptr<ArbordProcess> arbord = StartOrDie(options);
    ASSERT_NE(arbord, nullptr);
    ASSERT_TRUE(arbord->Stop().ok());
    const std::string log = arbord->ReadLog();
    EXPECT_FALSE(absl::StrContains(log, "{\"time\"")) << "environment did not win:\n" << log;
    EXPECT_TRUE(absl::StrContains(log, " info arbord serving on ")) << log;
    EXPECT_TRUE(absl::StrContains(log, "sync=false")) << "config file ignored:\n" << log;
  }
  {
    ArbordOptions options;
    options.environment = {{"ARBOR_LOG_FORMAT", "text"}};
    options.extra_args = {"--config", config, "--log-format", "json", "--sync", "true"};
    std::unique_ptr<ArbordProcess> arbord = StartOrDie(options);
    ASSERT_NE(arbord, nullptr);
    ASSERT_TRUE(arbord->Stop().ok());
    const std::string log = arbord->ReadLog();
    EXPECT_TRUE(HasJsonServingLine(log)) << "command line did not win:\n" << log;
    EXPECT_TRUE(absl::StrContains(log, "sync=true")) << log;
  }
  std::filesystem::remove(config);
}

TEST(StartupTest, BadConfigFileExitsWithUsageError) {
  struct Case {
    std::string contents;
    std::string expected;
  };
  const Case cases[] = {
      {"no-such-setting = 1\n", "unknown setting \"no-such-setting\""},
      {"max-threads = 1\n", "invalid value \"1\" for \"max-threads\""},
      {"log-format = \"xml\"\n", "invalid value \"xml\" for \"log-format\""},
      {"[server]\nlisten = \"127.0.0.1:0\"\n", "tables are not supported"},
  };
  for (const Case& c : cases) {
    const std::string config = WriteFile(TempPath("bad.toml"), c.contents);
    const std::string log = TempPath("bad.log");
    absl::StatusOr<ExitStatus> exit = RunArbordUntilExit(
        {"--config", config, "--data-dir", TempPath("unused-data")}, log, std::chrono::seconds(30));
    ASSERT_TRUE(exit.ok()) << exit.status();
    EXPECT_TRUE(exit->exited) << c.contents << exit->ToString();
    EXPECT_EQ(exit->code, 2) << c.contents << exit->ToString();
    const std::string output = ReadFileOrEmpty(log);
    EXPECT_TRUE(absl::StrContains(output, c.expected)) << c.contents << output;
    EXPECT_TRUE(absl::StrContains(output, config)) << output;
    EXPECT_FALSE(std::filesystem::exists(TempPath("unused-data"))) << c.contents;
    std::filesystem::remove(config);
    std::filesystem::remove(log);
  }

  const std::string log = TempPath("missing.log");
  absl::StatusOr<ExitStatus> exit =
      RunArbordUntilExit({"--config", TempPath("missing.toml")}, log, std::chrono::seconds(30));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->code, 2);
  EXPECT_TRUE(absl::StrContains(ReadFileOrEmpty(log), "cannot read the config file"));
  std::filesystem::remove(log);
}

TEST(StartupTest, HelpListsUnitsDefaultsAndEnvironment) {
  const std::string log = TempPath("help.log");
  absl::StatusOr<ExitStatus> exit = RunArbordUntilExit({"--help"}, log, std::chrono::seconds(30));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(exit->CleanExit());
  const std::string help = ReadFileOrEmpty(log);
  for (const char* expected :
       {"--data-dir", "ARBOR_DATA_DIR", "--shutdown-grace", "Seconds", "ARBOR_SHUTDOWN_GRACE",
        "--tls-client-ca", "--log-format", "ARBOR_CONFIG", "127.0.0.1:7400",
        "Precedence: command line, then environment, then config file"}) {
    EXPECT_TRUE(absl::StrContains(help, expected)) << expected << "\n" << help;
  }
  std::filesystem::remove(log);
}

}  // namespace
}  // namespace arbor::integration

// arbord: the Arbor server.
//
// Start-up: parse the settings (flags, environment, config file), lock the data directory and
// resolve the admin key. Then start the metrics endpoint when --metrics-listen is given, and
// start serving gRPC with the health service at NOT_SERVING. Recover the database from RocksDB,
// then turn SERVING. Calls that arrive during recovery fail with UNAVAILABLE.
//
// SIGTERM or SIGINT turns the health status to NOT_SERVING, stops accepting calls, lets in-flight
// calls finish (up to --shutdown-grace), closes the database and exits 0. A stop signal that
// arrives during recovery takes effect once recovery has finished.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "server/backup.h"
#include "server/database.h"
#include "server/health.h"
#include "server/keys.h"
#include "server/logging.h"
#include "server/metrics_http.h"
#include "server/server_metrics.h"
#include "server/services.h"
#include "server/settings.h"
#include "server/tls.h"
#include "server/validation.h"
#include "spdlog/spdlog.h"
#include "storage/data_dir.h"

namespace arbor::server {
namespace {

// Test-only fault injection: while the file this variable names exists, arbord waits before it
// recovers its database, so that tests can observe the server during recovery.
constexpr char kRecoveryGateVariable[] = "ARBOR_TEST_RECOVERY_GATE";

// Writes the address the server listens on to DATA_DIR/arbord.addr, so that tools and tests
// that start arbord with port 0 can find the port the kernel chose.
void WriteAddressFile(const std::string& data_dir, const std::string& address) {
  const std::string path = data_dir + "/arbord.addr";
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << address << "\n";
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) spdlog::warn("cannot write {}: {}", path, error.message());
}

// Replaces the port of "host:port" with `port`.
std::string WithPort(const std::string& listen, int port) {
  const size_t colon = listen.rfind(':');
  return absl::StrCat(listen.substr(0, colon), ":", port);
}

void WaitForRecoveryGate() {
  const char* gate = std::getenv(kRecoveryGateVariable);
  if (gate == nullptr || *gate == '\0') return;
  spdlog::warn("{} is set (a test-only setting): recovery waits while {} exists",
               kRecoveryGateVariable, gate);
  std::error_code error;
  while (std::filesystem::exists(gate, error)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

absl::StatusOr<std::string> LoadAdminKey(const ServerSettings& settings) {
  const char* env_key = std::getenv("ARBOR_ADMIN_KEY");
  std::string created_key_path;
  absl::StatusOr<std::string> admin_key =
      ResolveAdminKey(settings.data_dir, settings.admin_key_file,
                      env_key == nullptr ? "" : env_key, &created_key_path);
  if (admin_key.ok() && !created_key_path.empty()) {
    spdlog::info("created a new admin key in {} (mode 0600); pass it to arborctl with "
                 "--key-file (arborctl reads ./data/admin.key by default)",
                 created_key_path);
  }
  return admin_key;
}

const char* TransportName(const ServerSettings& settings) {
  if (settings.tls_cert_file.empty()) return "plaintext";
  return settings.tls_client_ca_file.empty() ? "TLS" : "mutual TLS";
}

// The gRPC server with arbord's services, listening but not yet serving data calls.
struct GrpcServer {
  HealthService health;
  DatabaseSlot database_slot;
  AdminServiceImpl admin_service{&database_slot};
  VectorServiceImpl vector_service{&database_slot};
  std::unique_ptr<grpc::Server> server;
  std::string address;
  // Installed in the server when set (the metrics of every call).
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> interceptors;

  // Stops accepting calls and waits up to `grace` for the running ones.
  void Stop(std::chrono::seconds grace) {
    health.Shutdown();
    server->Shutdown(std::chrono::system_clock::now() + grace);
    server->Wait();
  }
};

absl::Status StartGrpcServer(const ServerSettings& settings, GrpcServer* grpc_server) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = MakeServerCredentials(
      {settings.tls_cert_file, settings.tls_key_file, settings.tls_client_ca_file});
  if (!credentials.ok()) return credentials.status();

  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  // gRPC 1.51 sets SO_REUSEPORT by default, so a second arbord could bind the port of a running
  // one and take some of its connections. Turning it off makes an occupied port an error.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(settings.listen, *credentials, &port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(kMaxMessageBytes));
  builder.SetMaxSendMessageSize(static_cast<int>(kMaxMessageBytes));
  grpc::ResourceQuota quota("arbord");
  quota.SetMaxThreads(settings.max_threads);
  builder.SetResourceQuota(quota);
  builder.RegisterService(&grpc_server->health);
  builder.RegisterService(&grpc_server->admin_service);
  builder.RegisterService(&grpc_server->vector_service);
  if (grpc_server->interceptors != nullptr) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(std::move(grpc_server->interceptors));
    builder.experimental().SetInterceptorCreators(std::move(creators));
  }

  grpc_server->server = builder.BuildAndStart();
  if (grpc_server->server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", settings.listen, " (--listen); is the address valid and the port free?"));
  }
  grpc_server->address = WithPort(settings.listen, port);
  return absl::OkStatus();
}

// Blocks until SIGTERM or SIGINT and returns the signal's name.
std::string WaitForStopSignal() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int received = 0;
  sigwait(&signals, &received);
  return strsignal(received);
}

int Run(const ServerSettings& settings) {
  // Before the lock is taken (RestoreBackup takes and releases it itself) and before the admin
  // key is resolved, which would create a new DATA_DIR/admin.key.
  if (!settings.restore_from.empty()) {
    if (absl::Status restored = RestoreBackup(settings.restore_from, settings.data_dir);
        !restored.ok()) {
      spdlog::error("cannot restore backup {}: {}", settings.restore_from, restored.ToString());
      return 1;
    }
  }

  absl::StatusOr<storage::DataDirLock> lock = storage::DataDirLock::Acquire(settings.data_dir);
  if (!lock.ok()) {
    spdlog::error("cannot use the data directory: {}", lock.status().ToString());
    return 1;
  }
  absl::StatusOr<std::string> admin_key = LoadAdminKey(settings);
  if (!admin_key.ok()) {
    spdlog::error("cannot load the admin key: {}", admin_key.status().ToString());
    return 1;
  }

  GrpcServer grpc_server;
  std::unique_ptr<ServerMetrics> metrics;
  if (!settings.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<ServerMetrics>> started = ServerMetrics::Start(
        settings.metrics_listen, settings.data_dir, &grpc_server.database_slot);
    if (!started.ok()) {
      spdlog::error("cannot serve metrics: {}", started.status().ToString());
      return 1;
    }
    metrics = *std::move(started);
    grpc_server.interceptors = metrics->NewInterceptorFactory();
  }

  if (absl::Status started = StartGrpcServer(settings, &grpc_server); !started.ok()) {
    spdlog::error("{}", started.ToString());
    return 1;
  }
  WriteAddressFile(settings.data_dir, grpc_server.address);
  spdlog::info("arbord listening on {} ({}); health is NOT_SERVING until recovery of {} ends",
               grpc_server.address, TransportName(settings), settings.data_dir);

  WaitForRecoveryGate();
  absl::StatusOr<std::unique_ptr<Database>> database =
      Database::Open({settings.data_dir, settings.sync, *admin_key}, *std::move(lock));
  if (!database.ok()) {
    spdlog::error("cannot open the database: {}", database.status().ToString());
    grpc_server.Stop(std::chrono::seconds(0));
    if (metrics != nullptr) metrics->Stop();
    std::error_code ignored;
    std::filesystem::remove(settings.data_dir + "/arbord.addr", ignored);
    return 1;
  }
  grpc_server.database_slot.Publish(database->get());
  grpc_server.health.SetServing(true);
  spdlog::info("arbord serving on {} (data in {})", grpc_server.address, settings.data_dir);

  const std::string signal_name = WaitForStopSignal();
  spdlog::info("received {}; draining in-flight calls (up to {} s)", signal_name,
               settings.shutdown_grace_seconds);
  grpc_server.Stop(std::chrono::seconds(settings.shutdown_grace_seconds));
  if (metrics != nullptr) metrics->Stop();

  const absl::Status closed = (*database)->Close();
  if (!closed.ok()) {
    spdlog::error("closing the database failed: {}", closed.ToString());
    return 1;
  }
  std::error_code error;
  std::filesystem::remove(settings.data_dir + "/arbord.addr", error);
  spdlog::info("arbord stopped");
  return 0;
}

}  // namespace
}  // namespace arbor::server

int main(int argc, char** argv) {
  // Block the stop signals before any thread starts, so that every thread inherits the mask
  // and only sigwait in Run receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  arbor::server::ServerSettings settings;
  CLI::App app{"arbord: the Arbor multi-tenant vector database server"};
  app.footer(
      "Every setting can also be set by its environment variable (shown as Env) or in the "
      "--config file.\nPrecedence: command line, then environment, then config file, then "
      "the default.");
  arbor::server::AddServerSettings(app, &settings);
  absl::Status parsed;
  try {
    parsed = arbor::server::ParseServerSettings(app, argc, argv);
  } catch (const CLI::ParseError& error) {
    // 0 for --help; every usage error exits 2, like the errors below.
    return app.exit(error) == 0 ? 0 : 2;
  }
  if (!parsed.ok()) {
    std::cerr << "arbord: " << parsed.message() << "\n";
    return 2;
  }

  if (absl::Status logging = arbor::server::ConfigureLogging(settings.log_level,
                                                             settings.log_format);
      !logging.ok()) {
    std::cerr << "arbord: " << logging.message() << "\n";
    return 2;
  }
  return arbor::server::Run(settings);
}

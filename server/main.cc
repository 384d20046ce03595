// arbord: the Arbor server.
//
// Start-up: parse flags, resolve the admin key, open the database (which recovers its state from
// RocksDB), start the metrics endpoint when --metrics-listen is given, then listen. SIGTERM or
// SIGINT stops accepting calls, lets in-flight calls finish (up to --shutdown-grace), stops the
// metrics endpoint, closes the database and exits 0.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "server/database.h"
#include "server/keys.h"
#include "server/metrics_http.h"
#include "server/server_metrics.h"
#include "server/services.h"
#include "server/validation.h"
#include "spdlog/spdlog.h"

namespace arbor::server {
namespace {

struct Flags {
  std::string data_dir = "./data";
  std::string listen = "127.0.0.1:7400";
  std::string admin_key_file;
  bool sync = true;
  std::string log_level = "info";
  int shutdown_grace_seconds = 10;
  int max_threads = 64;
  std::string metrics_listen;  // empty: no metrics endpoint
};

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

int Run(const Flags& flags) {
  if (auto level = spdlog::level::from_str(flags.log_level); level != spdlog::level::off ||
                                                              flags.log_level == "off") {
    spdlog::set_level(level);
  }
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");

  std::error_code error;
  std::filesystem::create_directories(flags.data_dir, error);
  if (error) {
    spdlog::error("cannot create data directory {}: {}", flags.data_dir, error.message());
    return 1;
  }

  const char* env_key = std::getenv("ARBOR_ADMIN_KEY");
  std::string created_key_path;
  auto admin_key = ResolveAdminKey(flags.data_dir, flags.admin_key_file,
                                   env_key == nullptr ? "" : env_key, &created_key_path);
  if (!admin_key.ok()) {
    spdlog::error("cannot load the admin key: {}", admin_key.status().ToString());
    return 1;
  }
  if (!created_key_path.empty()) {
    spdlog::info("created a new admin key in {} (mode 0600); pass it to arborctl with "
                 "--key-file (arborctl reads ./data/admin.key by default)",
                 created_key_path);
  }

  auto database = Database::Open({flags.data_dir, flags.sync, *admin_key});
  if (!database.ok()) {
    spdlog::error("cannot open the database: {}", database.status().ToString());
    return 1;
  }

  std::unique_ptr<ServerMetrics> metrics;
  if (!flags.metrics_listen.empty()) {
    auto started = ServerMetrics::Start(flags.metrics_listen, flags.data_dir, database->get());
    if (!started.ok()) {
      spdlog::error("cannot serve metrics: {}", started.status().ToString());
      return 1;
    }
    metrics = std::move(*started);
  }

  AdminServiceImpl admin_service(database->get());
  VectorServiceImpl vector_service(database->get());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  int port = 0;
  // gRPC 1.51 sets SO_REUSEPORT by default, so a second arbord could bind the port of a running
  // one and take some of its connections. Turning it off makes an occupied port an error.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(flags.listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(kMaxMessageBytes));
  builder.SetMaxSendMessageSize(static_cast<int>(kMaxMessageBytes));
  grpc::ResourceQuota quota("arbord");
  quota.SetMaxThreads(flags.max_threads);
  builder.SetResourceQuota(quota);
  builder.RegisterService(&admin_service);
  builder.RegisterService(&vector_service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  if (metrics != nullptr) interceptors.push_back(metrics->NewInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    spdlog::error("cannot listen on {}; is the address valid and the port free?", flags.listen);
    return 1;
  }
  server->GetHealthCheckService()->SetServingStatus(true);
  const std::string address = WithPort(flags.listen, port);
  WriteAddressFile(flags.data_dir, address);
  spdlog::info("arbord listening on {} (data in {})", address, flags.data_dir);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int received = 0;
  sigwait(&signals, &received);

  spdlog::info("received {}; draining in-flight calls (up to {} s)", strsignal(received),
               flags.shutdown_grace_seconds);
  server->GetHealthCheckService()->SetServingStatus(false);
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::seconds(flags.shutdown_grace_seconds));
  server->Wait();
  if (metrics != nullptr) metrics->Stop();

  const absl::Status closed = (*database)->Close();
  if (!closed.ok()) {
    spdlog::error("closing the database failed: {}", closed.ToString());
    return 1;
  }
  std::filesystem::remove(flags.data_dir + "/arbord.addr", error);
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

  arbor::server::Flags flags;
  CLI::App app{"arbord: the Arbor multi-tenant vector database server"};
  app.add_option("--data-dir", flags.data_dir, "Directory for the database, keys and lock file")
      ->capture_default_str();
  app.add_option("--listen", flags.listen, "HOST:PORT to serve gRPC on; port 0 picks a free one")
      ->capture_default_str();
  app.add_option("--admin-key-file", flags.admin_key_file,
                 "File holding the admin key (else $ARBOR_ADMIN_KEY, else DATA_DIR/admin.key, "
                 "created on first start)");
  app.add_option("--sync", flags.sync,
                 "Fsync each commit before acknowledging it (false trades the last writes before "
                 "an OS crash or power loss for speed)")
      ->capture_default_str();
  app.add_option("--log-level", flags.log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();
  app.add_option("--shutdown-grace", flags.shutdown_grace_seconds,
                 "Seconds in-flight calls may run after SIGTERM before they are cancelled")
      ->capture_default_str();
  app.add_option("--max-threads", flags.max_threads, "Maximum gRPC worker threads")
      ->capture_default_str()
      ->check(CLI::Range(2, 4096));
  app.add_option("--metrics-listen", flags.metrics_listen,
                 "HOST:PORT to serve Prometheus metrics on at /metrics; port 0 picks a free one "
                 "(off when not given)")
      ->check(CLI::Validator(
          [](std::string& value) {
            auto parsed = arbor::server::ParseListenAddress(value);
            return parsed.ok() ? std::string() : std::string(parsed.status().message());
          },
          "HOST:PORT"));
  CLI11_PARSE(app, argc, argv);

  return arbor::server::Run(flags);
}

// arbord: the Arbor server.
//
// Start-up: parse flags, resolve the admin key, open the database (which recovers its state from
// RocksDB), then listen. SIGTERM or SIGINT stops accepting calls, lets in-flight calls finish
// (up to --shutdown-grace), closes the database and exits 0.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "server/backup.h"
#include "server/database.h"
#include "server/keys.h"
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
  std::string restore_from;
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

  // Before the admin key is resolved, because that would create a new DATA_DIR/admin.key.
  if (!flags.restore_from.empty()) {
    if (absl::Status restored = RestoreBackup(flags.restore_from, flags.data_dir); !restored.ok()) {
      spdlog::error("cannot restore backup {}: {}", flags.restore_from, restored.ToString());
      return 1;
    }
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
  app.add_option("--restore-from", flags.restore_from,
                 "Backup directory to copy into --data-dir before starting; the data directory "
                 "must not contain a database yet");
  CLI11_PARSE(app, argc, argv);

  return arbor::server::Run(flags);
}

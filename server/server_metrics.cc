#include "server/server_metrics.h"

#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "arbor/v1/admin.pb.h"
#include "arbor/v1/vector.pb.h"
#include "google/protobuf/descriptor.h"
#include "grpc/health/v1/health.pb.h"
#include "server/database_metrics.h"
#include "spdlog/spdlog.h"
#include "storage/status_macros.h"

namespace arbor::server {
namespace {

// The method paths of the services arbord registers, which get series of their own. Each
// descriptor is reached through a message of its file, which makes the linker keep the file's
// generated code. The reflection service's code is inside libgrpc++_reflection, which installs
// no header for it, so its one method is named here (gRPC 1.51 serves only v1alpha).
std::vector<std::string> MeasuredMethodPaths() {
  const google::protobuf::ServiceDescriptor* services[] = {
      v1::CreateCollectionRequest::descriptor()->file()->FindServiceByName("AdminService"),
      v1::UpsertRequest::descriptor()->file()->FindServiceByName("VectorService"),
      grpc::health::v1::HealthCheckRequest::descriptor()->file()->FindServiceByName("Health"),
  };
  std::vector<std::string> paths = {
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"};
  for (const google::protobuf::ServiceDescriptor* service : services) {
    const std::vector<std::string> methods = MethodPathsOf(*service);
    paths.insert(paths.end(), methods.begin(), methods.end());
  }
  return paths;
}

// Writes `address` to `path` through a temporary file, so that a reader never sees half of it.
void WriteAddressFile(const std::string& path, const std::string& address) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << address << "\n";
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) spdlog::warn("cannot write {}: {}", path, error.message());
}

}  // namespace

std::string MetricsAddressFile(const std::string& data_dir) {
  return data_dir + "/arbord.metrics.addr";
}

absl::StatusOr<std::unique_ptr<ServerMetrics>> ServerMetrics::Start(const std::string& listen,
                                                                    const std::string& data_dir,
                                                                    const DatabaseSlot* database_slot) {
  ASSIGN_OR_RETURN(const ListenAddress address, ParseListenAddress(listen));
  auto metrics = std::unique_ptr<ServerMetrics>(new ServerMetrics());

  ASSIGN_OR_RETURN(metrics->grpc_,
                   GrpcMetrics::Create(&metrics->registry_, MeasuredMethodPaths()));
  AddDatabaseCollector(&metrics->registry_, database_slot, data_dir);

  MetricsRegistry* registry = &metrics->registry_;
  ASSIGN_OR_RETURN(metrics->http_,
                   MetricsHttpServer::Start(address, [registry] { return registry->Render(); }));

  metrics->address_ = metrics->http_->address();
  metrics->address_file_ = MetricsAddressFile(data_dir);
  WriteAddressFile(metrics->address_file_, metrics->address_);
  spdlog::info("serving metrics at http://{}/metrics", metrics->address_);
  return metrics;
}

ServerMetrics::~ServerMetrics() { Stop(); }

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
ServerMetrics::NewInterceptorFactory() const {
  return GrpcMetrics::NewInterceptorFactory(grpc_);
}

void ServerMetrics::Stop() {
  if (http_ == nullptr) return;
  http_->Stop();
  http_.reset();

  std::error_code error;
  std::filesystem::remove(address_file_, error);
  spdlog::info("metrics endpoint stopped");
}

}  // namespace arbor::server

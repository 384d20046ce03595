// Everything that `arbord --metrics-listen HOST:PORT` adds: a metrics registry with gRPC call
// metrics and the database collector, and the HTTP endpoint that serves it.
//
// Order in arbord:
//   1. Start, before the gRPC server starts and the database recovers (scrapes during recovery
//      report arbor_recovered 0 and the process figures). It writes DATA_DIR/arbord.metrics.addr
//      before the gRPC server starts, so the file exists by the time DATA_DIR/arbord.addr does.
//   2. NewInterceptorFactory, into the ServerBuilder before BuildAndStart.
//   3. Stop, after the gRPC server has stopped and before the database closes, because a scrape
//      reads the database.
//
// Thread safety: Start, Stop and the destructor are called from one thread.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/database.h"
#include "server/grpc_metrics.h"
#include "server/metrics.h"
#include "server/metrics_http.h"

namespace arbor::server {

class ServerMetrics {
 public:
  // Registers the metrics, binds `listen` (HOST:PORT; port 0 picks a free one) and writes the
  // bound address to DATA_DIR/arbord.metrics.addr. INVALID_ARGUMENT for a malformed `listen`,
  // UNAVAILABLE when it cannot be bound. The database published in `database_slot` must stay
  // open until Stop.
  static absl::StatusOr<std::unique_ptr<ServerMetrics>> Start(const std::string& listen,
                                                              const std::string& data_dir,
                                                              const DatabaseSlot* database_slot);

  // Stops, as Stop does.
  ~ServerMetrics();

  // An interceptor factory that counts every call of the gRPC server it is installed in.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewInterceptorFactory()
      const;

  // The bound HOST:PORT.
  const std::string& address() const { return address_; }

  // Stops the HTTP server, waiting for scrapes in progress, and removes the address file. Safe
  // to call twice.
  void Stop();

 private:
  ServerMetrics() = default;

  std::string address_;
  std::string address_file_;
  MetricsRegistry registry_;
  std::shared_ptr<GrpcMetrics> grpc_;
  std::unique_ptr<MetricsHttpServer> http_;
};

// The path of the file that contains the metrics address: DATA_DIR/arbord.metrics.addr.
std::string MetricsAddressFile(const std::string& data_dir);

}  // namespace arbor::server

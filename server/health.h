// grpc.health.v1.Health for arbord. The server starts NOT_SERVING, so that health checks and
// load balancers see it while it recovers its state, and turns SERVING once the database is
// open; it turns NOT_SERVING again when it starts to shut down.
//
// Service names: "" (the whole server), "arbor.v1.AdminService" and "arbor.v1.VectorService"
// all report the server's state; any other name is NOT_FOUND for Check and SERVICE_UNKNOWN for
// Watch, as the health protocol specifies.
//
// gRPC's built-in health service is not used because it reports SERVING from the moment the
// server starts, before recovery has finished.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <condition_variable>
#include <mutex>

#include "grpc/health/v1/health.grpc.pb.h"

namespace arbor::server {

class HealthService final : public grpc::health::v1::Health::Service {
 public:
  // Sets the status every Check returns and every Watch stream sends.
  void SetServing(bool serving);

  // Ends every Watch stream (they return OK) and makes new ones end at once, so that server
  // shutdown does not wait for them. The status stays NOT_SERVING.
  void Shutdown();

  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override;
  grpc::Status Watch(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override;

 private:
  grpc::health::v1::HealthCheckResponse::ServingStatus Current() const;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  bool serving_ = false;       // guarded by mu_
  bool shutting_down_ = false;  // guarded by mu_
  uint64_t version_ = 0;        // guarded by mu_; incremented on every change
};

// True when `service` names the whole server or one of arbord's services.
bool IsKnownHealthService(const std::string& service);

}  // namespace arbor::server

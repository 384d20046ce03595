#include "server/health.h"

#include <chrono>

namespace arbor::server {
namespace {

using grpc::health::v1::HealthCheckResponse;

// How often a Watch stream looks whether its client went away. A cancelled call wakes no
// condition variable, so the stream polls; this bounds how long a thread stays tied up.
constexpr std::chrono::milliseconds kWatchPollInterval(200);

}  // namespace

bool IsKnownHealthService(const std::string& service) {
  return service.empty() || service == "arbor.v1.AdminService" ||
         service == "arbor.v1.VectorService";
}

void HealthService::SetServing(bool serving) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutting_down_ || serving_ == serving) return;
    serving_ = serving;
    ++version_;
  }
  changed_.notify_all();
}

void HealthService::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
    serving_ = false;
    ++version_;
  }
  changed_.notify_all();
}

HealthCheckResponse::ServingStatus HealthService::Current() const {
  return serving_ ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
}

grpc::Status HealthService::Check(grpc::ServerContext*,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  HealthCheckResponse* response) {
  if (!IsKnownHealthService(request->service())) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "unknown service \"" + request->service() + "\"");
  }
  std::lock_guard<std::mutex> lock(mu_);
  response->set_status(Current());
  return grpc::Status::OK;
}

grpc::Status HealthService::Watch(grpc::ServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::ServerWriter<HealthCheckResponse>* writer) {
  HealthCheckResponse response;
  if (!IsKnownHealthService(request->service())) {
    response.set_status(HealthCheckResponse::SERVICE_UNKNOWN);
    writer->Write(response);
    return grpc::Status::OK;
  }

  std::unique_lock<std::mutex> lock(mu_);
  uint64_t sent_version = version_;
  response.set_status(Current());
  while (true) {
    lock.unlock();
    if (!writer->Write(response)) return grpc::Status::OK;  // the client went away
    lock.lock();

    while (version_ == sent_version && !shutting_down_ && !context->IsCancelled()) {
      changed_.wait_for(lock, kWatchPollInterval);
    }
    if (context->IsCancelled()) return grpc::Status::OK;
    sent_version = version_;
    response.set_status(Current());

    // At shutdown the stream sends the final NOT_SERVING and ends.
    if (shutting_down_) {
      lock.unlock();
      writer->Write(response);
      return grpc::Status::OK;
    }
  }
}

}  // namespace arbor::server

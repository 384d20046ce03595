// gRPC server metrics: calls per method and status code, and their latency, recorded by a
// server interceptor that gRPC runs for every call of every service on the server.
//
// Every series is registered when GrpcMetrics is created, for the method paths it is given, so
// recording a call is a lookup in a map that never changes plus a few atomic increments: no lock
// on the request path. Calls to any other path (gRPC also runs interceptors for methods the
// server does not implement) are counted under service="unknown", method="unknown", so that
// clients cannot create series.
//
// Thread safety: Record and the interceptors are safe from any thread.
#pragma once

#include <grpcpp/support/server_interceptor.h>
#include <grpcpp/support/status.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "server/metrics.h"

namespace arbor::server {

// Upper bounds, in seconds, of the latency buckets: 100 us to 10 s in steps of 1, 2.5 and 5 per
// decade, then 30 and 60 s.
const std::vector<double>& GrpcLatencyBuckets();

// The canonical name of a gRPC status code, such as "INVALID_ARGUMENT"; "UNKNOWN" for a value
// outside the 17 codes gRPC defines.
absl::string_view GrpcCodeName(grpc::StatusCode code);

// The paths gRPC uses for the methods of `service`: "/package.Service/Method".
std::vector<std::string> MethodPathsOf(const google::protobuf::ServiceDescriptor& service);

class GrpcMetrics {
 public:
  // Registers arbor_grpc_requests_total and arbor_grpc_request_duration_seconds, with labels
  // service, method and code, for each of `method_paths` ("/package.Service/Method") and for the
  // unknown method. The OK series are always rendered, the others once they have counted a call.
  // INVALID_ARGUMENT for a path that is not of that form or appears twice.
  static absl::StatusOr<std::shared_ptr<GrpcMetrics>> Create(
      MetricsRegistry* registry, const std::vector<std::string>& method_paths);

  // Counts one finished call of `method_path` that took `seconds`.
  void Record(absl::string_view method_path, grpc::StatusCode code, double seconds);

  // A factory for ServerBuilder::experimental().SetInterceptorCreators. Each interceptor
  // measures from its creation, when gRPC starts serving the call, until the status is about to
  // be sent, and records the call before the client can see the status. The factory keeps
  // `metrics` alive.
  static std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  NewInterceptorFactory(std::shared_ptr<GrpcMetrics> metrics);

 private:
  static constexpr size_t kCodeCount = 17;  // OK (0) to UNAUTHENTICATED (16)

  struct MethodSeries {
    std::array<Counter*, kCodeCount> requests{};
    std::array<Histogram*, kCodeCount> durations{};
  };

  GrpcMetrics() = default;

  static absl::StatusOr<MethodSeries> RegisterMethod(MetricsRegistry* registry,
                                                     absl::string_view service,
                                                     absl::string_view method);

  absl::flat_hash_map<std::string, MethodSeries> methods_;  // by path; constant after Create
  MethodSeries unknown_;
};

}  // namespace arbor::server

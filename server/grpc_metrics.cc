#include "server/grpc_metrics.h"

#include <atomic>
#include <chrono>

#include "absl/strings/str_cat.h"

namespace arbor::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

constexpr char kRequestsName[] = "arbor_grpc_requests_total";
constexpr char kRequestsHelp[] = "gRPC calls finished, by service, method and status code.";
constexpr char kDurationName[] = "arbor_grpc_request_duration_seconds";
constexpr char kDurationHelp[] =
    "Time from the start of a gRPC call until its status is sent, by service, method and "
    "status code.";
constexpr char kUnknown[] = "unknown";

constexpr std::array<absl::string_view, 17> kCodeNames = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

// Splits "/package.Service/Method" into its service and method.
bool SplitMethodPath(absl::string_view path, absl::string_view* service,
                     absl::string_view* method) {
  if (path.size() < 4 || path[0] != '/') return false;
  const size_t slash = path.find('/', 1);
  if (slash == absl::string_view::npos || slash == 1 || slash + 1 == path.size()) return false;
  if (path.find('/', slash + 1) != absl::string_view::npos) return false;
  *service = path.substr(1, slash - 1);
  *method = path.substr(slash + 1);
  return true;
}

// Measures one call. gRPC creates it when the call starts and deletes it when the call is done.
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(GrpcMetrics* metrics, const char* method_path)
      : metrics_(metrics),
        method_path_(method_path == nullptr ? "" : method_path),
        start_(std::chrono::steady_clock::now()) {}

  // If gRPC deletes the interceptor without a status having been sent, the call is counted as
  // CANCELLED, so that every call that started is counted once.
  ~MetricsInterceptor() override { RecordOnce(grpc::StatusCode::CANCELLED); }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      RecordOnce(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void RecordOnce(grpc::StatusCode code) {
    if (recorded_.exchange(true)) return;
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    metrics_->Record(method_path_, code, elapsed.count());
  }

  GrpcMetrics* const metrics_;
  // Points into the call's ServerRpcInfo, which owns this interceptor and outlives it.
  const absl::string_view method_path_;
  const std::chrono::steady_clock::time_point start_;
  // Atomic because gRPC may intercept a stream's reads and writes on different threads.
  std::atomic<bool> recorded_{false};
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(std::shared_ptr<GrpcMetrics> metrics)
      : metrics_(std::move(metrics)) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_.get(), info->method());
  }

 private:
  const std::shared_ptr<GrpcMetrics> metrics_;
};

}  // namespace

const std::vector<double>& GrpcLatencyBuckets() {
  static const std::vector<double> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                               0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                               1,      2.5,     5,      10,    30,     60};
  return kBuckets;
}

absl::string_view GrpcCodeName(grpc::StatusCode code) {
  const auto index = static_cast<size_t>(code);
  return index < kCodeNames.size() ? kCodeNames[index] : "UNKNOWN";
}

std::vector<std::string> MethodPathsOf(const google::protobuf::ServiceDescriptor& service) {
  std::vector<std::string> paths;
  for (int i = 0; i < service.method_count(); ++i) {
    paths.push_back(absl::StrCat("/", service.full_name(), "/", service.method(i)->name()));
  }
  return paths;
}

absl::StatusOr<GrpcMetrics::MethodSeries> GrpcMetrics::RegisterMethod(MetricsRegistry* registry,
                                                                      absl::string_view service,
                                                                      absl::string_view method) {
  MethodSeries series;
  for (size_t code = 0; code < kCodeCount; ++code) {
    const Labels labels = {{"service", std::string(service)},
                           {"method", std::string(method)},
                           {"code", std::string(kCodeNames[code])}};
    const Visibility visibility = code == 0 ? Visibility::kAlways : Visibility::kOnceNonZero;

    absl::StatusOr<Counter*> requests =
        registry->AddCounter(kRequestsName, kRequestsHelp, labels, visibility);
    if (!requests.ok()) return requests.status();
    absl::StatusOr<Histogram*> durations = registry->AddHistogram(
        kDurationName, kDurationHelp, labels, GrpcLatencyBuckets(), visibility);
    if (!durations.ok()) return durations.status();

    series.requests[code] = *requests;
    series.durations[code] = *durations;
  }
  return series;
}

absl::StatusOr<std::shared_ptr<GrpcMetrics>> GrpcMetrics::Create(
    MetricsRegistry* registry, const std::vector<std::string>& method_paths) {
  auto metrics = std::shared_ptr<GrpcMetrics>(new GrpcMetrics());
  for (const std::string& path : method_paths) {
    absl::string_view service;
    absl::string_view method;
    if (!SplitMethodPath(path, &service, &method)) {
      return absl::InvalidArgumentError(
          absl::StrCat("gRPC method path '", path, "' is not of the form /package.Service/Method"));
    }
    if (metrics->methods_.contains(path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("gRPC method path '", path, "' is listed twice"));
    }
    absl::StatusOr<MethodSeries> series = RegisterMethod(registry, service, method);
    if (!series.ok()) return series.status();
    metrics->methods_.emplace(path, *series);
  }

  absl::StatusOr<MethodSeries> unknown = RegisterMethod(registry, kUnknown, kUnknown);
  if (!unknown.ok()) return unknown.status();
  metrics->unknown_ = *unknown;
  return metrics;
}

void GrpcMetrics::Record(absl::string_view method_path, grpc::StatusCode code, double seconds) {
  const auto found = methods_.find(method_path);
  const MethodSeries& series = found == methods_.end() ? unknown_ : found->second;
  size_t index = static_cast<size_t>(code);
  if (index >= kCodeCount) index = static_cast<size_t>(grpc::StatusCode::UNKNOWN);

  series.requests[index]->Increment();
  series.durations[index]->Observe(seconds);
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
GrpcMetrics::NewInterceptorFactory(std::shared_ptr<GrpcMetrics> metrics) {
  return std::make_unique<MetricsInterceptorFactory>(std::move(metrics));
}

}  // namespace arbor::server

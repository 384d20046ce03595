#include "server/metrics_http.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace arbor::server {
namespace {

constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";
constexpr size_t kWorkerThreads = 2;

absl::Status InvalidListenAddress(absl::string_view text, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(
      "'", text, "' is not a valid HOST:PORT (", reason,
      "); use for example 127.0.0.1:7401, [::1]:7401 or 0.0.0.0:0"));
}

// SO_REUSEADDR lets a restarted arbord bind the port while connections of the previous one are
// in TIME_WAIT. cpp-httplib 0.11.4 sets SO_REUSEPORT instead, which would let two processes
// bind the same port and split the scrapes between them.
void SetSocketOptions(int socket) {
  int yes = 1;
  setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

}  // namespace

std::string ListenAddress::ToString() const {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) return InvalidListenAddress(text, "no port");

  ListenAddress address;
  absl::string_view host = text.substr(0, colon);
  const absl::string_view port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != absl::string_view::npos) {
    return InvalidListenAddress(text, "an IPv6 host needs brackets");
  }
  if (host.empty()) return InvalidListenAddress(text, "no host");

  const bool digits = !port.empty() && port.size() <= 5 &&
                      std::all_of(port.begin(), port.end(), absl::ascii_isdigit);
  if (!digits || !absl::SimpleAtoi(port, &address.port) || address.port > 65535) {
    return InvalidListenAddress(text, "the port must be a number from 0 to 65535");
  }
  address.host = std::string(host);
  return address;
}

MetricsHttpServer::MetricsHttpServer() : server_(std::make_unique<httplib::Server>()) {}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const ListenAddress& address, RenderFunction render) {
  auto http = std::unique_ptr<MetricsHttpServer>(new MetricsHttpServer());
  httplib::Server& server = *http->server_;
  server.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  server.set_socket_options(SetSocketOptions);
  server.Get("/metrics", [render = std::move(render)](const httplib::Request&,
                                                       httplib::Response& response) {
    response.set_content(render(), kContentType);
  });
  server.set_error_handler([](const httplib::Request&, httplib::Response& response) {
    if (response.status == 404) {
      response.set_content("not found; arbord serves metrics at /metrics\n", "text/plain");
    }
  });

  // Binding here, on the caller's thread, makes an unusable address an error of Start.
  int port = address.port;
  const bool bound = port == 0 ? (port = server.bind_to_any_port(address.host)) > 0
                               : server.bind_to_port(address.host, port);
  if (!bound) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", address.ToString(),
        " for metrics; check that the host is an address of this machine and the port is free"));
  }
  http->address_ = ListenAddress{address.host, port}.ToString();

  http->thread_ = std::thread([raw = http.get()] {
    raw->server_->listen_after_bind();
    raw->listen_returned_ = true;
  });

  http->WaitUntilListening();
  if (http->listen_returned_) {
    return absl::InternalError(
        absl::StrCat("the metrics server on ", http->address_, " stopped right after starting"));
  }
  return http;
}

void MetricsHttpServer::WaitUntilListening() const {
  // listen_after_bind marks the server running as its first step, or returns at once.
  while (!server_->is_running() && !listen_returned_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void MetricsHttpServer::Stop() {
  if (!thread_.joinable()) return;
  // cpp-httplib's stop() does nothing before the accept loop runs, which would leave the
  // thread serving forever.
  WaitUntilListening();
  server_->stop();
  thread_.join();
}

}  // namespace arbor::server

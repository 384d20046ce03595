// The HTTP endpoint for Prometheus: GET /metrics returns the text that a render function
// produces, with the content type of the text exposition format 0.0.4. Any other path gets 404.
// Served by cpp-httplib on a background thread with a pool of two worker threads, because
// scrapes are rare and each renders in well under a second.
//
// Thread safety: Start, Stop and the destructor are called from one thread. The render function
// runs on the worker threads, up to two at a time.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace httplib {
class Server;
}

namespace arbor::server {

// A HOST:PORT to listen on. An IPv6 host is written in brackets, "[::1]:7401".
struct ListenAddress {
  std::string host;  // without brackets
  int port = 0;      // 0 lets the kernel pick a free port

  // HOST:PORT again, with brackets around an IPv6 host.
  std::string ToString() const;
};

// Parses HOST:PORT. INVALID_ARGUMENT, with the value and the expected form, for a missing host,
// a missing colon, or a port that is not a number from 0 to 65535.
absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view text);

class MetricsHttpServer {
 public:
  using RenderFunction = std::function<std::string()>;

  // Binds `address` and starts serving; returns once the server accepts connections.
  // UNAVAILABLE when the address cannot be bound (an unknown host, or a port in use: unlike
  // cpp-httplib's default, the socket does not set SO_REUSEPORT, so a second process cannot
  // share the port).
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(const ListenAddress& address,
                                                                   RenderFunction render);

  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // Stops the server, as Stop does.
  ~MetricsHttpServer();

  // HOST:PORT that the server listens on, with the port the kernel chose for port 0.
  const std::string& address() const { return address_; }

  // Stops accepting connections and waits for the requests in progress to finish. Safe to call
  // twice.
  void Stop();

 private:
  MetricsHttpServer();
  // Waits until the listening thread runs its accept loop or has returned.
  void WaitUntilListening() const;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> listen_returned_{false};
  std::string address_;
};

}  // namespace arbor::server

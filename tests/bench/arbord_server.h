// A real arbord started by the end-to-end benchmark method as a child process.
//
// The server listens on 127.0.0.1 with a port the kernel picks, on a fresh temporary data
// directory under $TMPDIR (else /tmp), and writes its stdout and stderr to DATA_DIR/arbord.log.
// The destructor kills a server that still runs and removes the directory. Errors are thrown as
// std::runtime_error with the log's end in the message, as the rest of the benchmark does.
//
// Thread safety: CpuSeconds and ResidentBytes only read /proc, so any thread may call them while
// the server runs. Every other method must be called from one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace arbor::bench {

class ArbordServer {
 public:
  // Creates the data directory and runs `binary` --data-dir DIR --listen 127.0.0.1:0
  // `extra_args`, then waits up to `timeout` for DATA_DIR/arbord.addr. The admin key is read
  // from DATA_DIR/admin.key, which arbord creates because ARBOR_ADMIN_KEY is removed from the
  // child's environment.
  static std::unique_ptr<ArbordServer> Start(const std::string& binary,
                                             const std::vector<std::string>& extra_args,
                                             std::chrono::seconds timeout);

  ArbordServer(const ArbordServer&) = delete;
  ArbordServer& operator=(const ArbordServer&) = delete;

  // Kills a still running server with SIGKILL, then removes the data directory.
  ~ArbordServer();

  // Sends SIGTERM and waits up to `timeout` for the server to exit. Throws when it is still
  // running then (after killing it with SIGKILL) or when it exits other than with code 0.
  void Stop(std::chrono::seconds timeout);

  // Returns the user plus system CPU time of every thread of the server since it started, in
  // seconds, from /proc/PID/stat (so in steps of 1 / sysconf(_SC_CLK_TCK), usually 10 ms).
  double CpuSeconds() const;

  // Returns the server's VmRSS from /proc/PID/status, in bytes.
  size_t ResidentBytes() const;

  // Returns the last `max_bytes` bytes of DATA_DIR/arbord.log.
  std::string LogTail(size_t max_bytes) const;

  // Returns the lines of DATA_DIR/arbord.log that contain `text`.
  std::vector<std::string> LogLinesContaining(const std::string& text) const;

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  const std::string& address() const { return address_; }
  const std::string& admin_key() const { return admin_key_; }
  const std::string& data_dir() const { return data_dir_; }

 private:
  explicit ArbordServer(std::string data_dir) : data_dir_(std::move(data_dir)) {}

  void Launch(const std::string& binary, const std::vector<std::string>& extra_args,
              std::chrono::seconds timeout);
  std::string log_path() const { return data_dir_ + "/arbord.log"; }

  std::string data_dir_;
  pid_t pid_ = -1;
  std::string address_;
  std::string admin_key_;
};

}  // namespace arbor::bench

// Runs a real arbord as a child process for integration tests.
//
// Each ArbordProcess owns a fresh temporary data directory. arbord listens on 127.0.0.1 with a
// port the kernel picks, and writes its stdout and stderr to DATA_DIR/arbord.log. When the test
// that owns the process has failed, the destructor prints that log and keeps the directory for
// inspection; otherwise it removes the directory.
//
// Not thread-safe: use one ArbordProcess from one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace arbor::integration {

// How a child process ended.
struct ExitStatus {
  // True when the process called exit() with `code`, false when `signal` ended it.
  bool exited = false;
  int code = -1;
  int signal = 0;

  bool CleanExit() const { return exited && code == 0; }
  std::string ToString() const;
};

// The options arbord starts with, besides --data-dir and --listen.
struct ArbordOptions {
  std::vector<std::string> extra_args;  // e.g. {"--sync", "false"}
  // When set, passed as --admin-key-file and read for the admin key; else arbord creates
  // DATA_DIR/admin.key and the harness reads that.
  std::string admin_key_file;
  std::chrono::seconds start_timeout{20};
  // Environment variables set for arbord. Variables starting with ARBOR_ are never inherited
  // from the test's own environment.
  std::vector<std::pair<std::string, std::string>> environment;
  // Whether Start and Restart wait for the health service to report SERVING (over a plaintext
  // channel), or return as soon as arbord has written its address.
  bool wait_until_serving = true;
};

class ArbordProcess {
 public:
  // Creates a data directory under $TMPDIR (else /tmp) and starts arbord on it.
  static absl::StatusOr<std::unique_ptr<ArbordProcess>> Start(ArbordOptions options = {});

  ArbordProcess(const ArbordProcess&) = delete;
  ArbordProcess& operator=(const ArbordProcess&) = delete;

  // Kills a still running arbord, then prints the log and keeps the data directory if the
  // current test failed, else removes the directory.
  ~ArbordProcess();

  // Sends SIGTERM and waits up to `timeout` for the exit. When arbord is still running after
  // that, it is killed with SIGKILL and an error is returned.
  absl::StatusOr<ExitStatus> Stop(std::chrono::seconds timeout = std::chrono::seconds(30));

  // Sends SIGKILL and waits for the process to end.
  absl::StatusOr<ExitStatus> Kill();

  // Starts arbord again on the same data directory. REQUIRES: the previous process has ended.
  // The new process listens on a new port, so callers must connect again.
  absl::Status Restart();

  // Sends `signal` without waiting.
  absl::Status Signal(int signal);

  // Waits up to `timeout` for the process to end by itself.
  absl::StatusOr<ExitStatus> Wait(std::chrono::seconds timeout);

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  const std::string& address() const { return address_; }
  const std::string& admin_key() const { return admin_key_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string log_path() const { return data_dir_ + "/arbord.log"; }
  std::string ReadLog() const;

 private:
  ArbordProcess(std::string data_dir, ArbordOptions options)
      : data_dir_(std::move(data_dir)), options_(std::move(options)) {}

  // Spawns arbord and waits until it has written DATA_DIR/arbord.addr and, unless
  // options_.wait_until_serving is false, until it reports SERVING.
  absl::Status Launch();
  absl::Status WaitUntilServing(std::chrono::steady_clock::time_point deadline);

  std::string data_dir_;
  ArbordOptions options_;
  pid_t pid_ = -1;
  std::string address_;
  std::string admin_key_;
};

// Runs arbord with `args` (after the binary name) until it exits by itself, with stdout and
// stderr going to `log_path`. Kills it and returns an error when it is still running after
// `timeout`.
absl::StatusOr<ExitStatus> RunArbordUntilExit(const std::vector<std::string>& args,
                                              const std::string& log_path,
                                              std::chrono::seconds timeout);

// Returns the contents of a file, or an empty string when it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace arbor::integration

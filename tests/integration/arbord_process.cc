#include "tests/integration/arbord_process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"

extern char** environ;

namespace arbor::integration {
namespace {

constexpr std::chrono::milliseconds kPollInterval{10};

// The log is printed only up to this size, from its end, so that a runaway log does not flood
// the test output.
constexpr size_t kMaxPrintedLogBytes = 64 << 10;

ExitStatus FromWaitStatus(int status) {
  ExitStatus result;
  if (WIFEXITED(status)) {
    result.exited = true;
    result.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

std::string ErrnoText(const char* what) { return absl::StrCat(what, ": ", std::strerror(errno)); }

// Starts ARBORD_PATH with `args`, stdout and stderr appended to `log_path`, stdin from /dev/null.
// The child gets its own process group, an empty signal mask and an environment without
// ARBOR_ADMIN_KEY (so that arbord uses DATA_DIR/admin.key), and is killed if the test dies.
// Environment variables of the spawned arbord: the test's own, without the ARBOR_ variables
// (they would change arbord's settings behind the test's back), plus `extra`.
std::vector<std::string> ChildEnvironment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env_text;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!absl::StartsWith(*entry, "ARBOR_")) env_text.emplace_back(*entry);
  }
  for (const auto& [name, value] : extra) env_text.push_back(absl::StrCat(name, "=", value));
  return env_text;
}

absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& args, const std::string& log_path,
                            const std::vector<std::pair<std::string, std::string>>& env = {}) {
  // Everything the child needs is built before fork(), because after fork() in a threaded
  // process the child may only make async-signal-safe calls.
  std::vector<std::string> argv_text = {ARBORD_PATH};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_text = ChildEnvironment(env);
  std::vector<char*> envp;
  for (std::string& entry : env_text) envp.push_back(entry.data());
  envp.push_back(nullptr);

  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return absl::InternalError(ErrnoText(log_path.c_str()));
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    close(log_fd);
    return absl::InternalError(ErrnoText("/dev/null"));
  }
  static constexpr char kExecFailed[] = "integration harness: execve of arbord failed\n";

  const pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    close(null_fd);
    return absl::InternalError(ErrnoText("fork"));
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    if (write(STDERR_FILENO, kExecFailed, sizeof(kExecFailed) - 1) < 0) {
      // Nothing more can be reported from here.
    }
    _exit(127);
  }
  close(log_fd);
  close(null_fd);
  return pid;
}

// Reaps `pid` if it has ended, else returns nullopt.
absl::StatusOr<std::optional<ExitStatus>> TryReap(pid_t pid) {
  int status = 0;
  const pid_t result = waitpid(pid, &status, WNOHANG);
  if (result == 0) return std::nullopt;
  if (result < 0) return absl::InternalError(ErrnoText("waitpid"));
  return FromWaitStatus(status);
}

// Waits up to `timeout` for `pid` to end, and returns nullopt when it still runs.
absl::StatusOr<std::optional<ExitStatus>> WaitFor(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    absl::StatusOr<std::optional<ExitStatus>> reaped = TryReap(pid);
    if (!reaped.ok() || reaped->has_value()) return reaped;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
}

// The first line of a key file that is neither blank nor a '#' comment, without surrounding
// whitespace.
std::string FirstKeyLine(const std::string& text) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const absl::string_view stripped = absl::StripAsciiWhitespace(line);
    if (stripped.empty() || stripped.front() == '#') continue;
    return std::string(stripped);
  }
  return "";
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (exited) return absl::StrCat("exit code ", code);
  if (signal != 0) return absl::StrCat("signal ", signal, " (", strsignal(signal), ")");
  return "unknown exit status";
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

absl::StatusOr<std::unique_ptr<ArbordProcess>> ArbordProcess::Start(ArbordOptions options) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp",
                                     "/arbord-integration-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) return absl::InternalError(ErrnoText("mkdtemp"));

  auto process =
      std::unique_ptr<ArbordProcess>(new ArbordProcess(pattern, std::move(options)));
  absl::Status launched = process->Launch();
  if (!launched.ok()) return launched;
  return process;
}

ArbordProcess::~ArbordProcess() {
  if (running()) {
    absl::StatusOr<ExitStatus> killed = Kill();
    if (!killed.ok()) std::cerr << "cannot kill arbord " << pid_ << ": " << killed.status() << "\n";
  }
  if (::testing::Test::HasFailure()) {
    std::string log = ReadLog();
    if (log.size() > kMaxPrintedLogBytes) {
      log = absl::StrCat("[... first ", log.size() - kMaxPrintedLogBytes, " bytes left out]\n",
                         log.substr(log.size() - kMaxPrintedLogBytes));
    }
    std::cerr << "---- arbord log " << log_path() << " (data directory kept) ----\n"
              << log << "---- end of arbord log ----\n";
    return;
  }
  std::error_code error;
  std::filesystem::remove_all(data_dir_, error);
}

absl::Status ArbordProcess::Launch() {
  // A killed arbord leaves its address file behind; a stale one must not be mistaken for the
  // address of the new process.
  const std::string address_path = data_dir_ + "/arbord.addr";
  std::error_code error;
  std::filesystem::remove(address_path, error);
  address_.clear();

  std::vector<std::string> args = {"--data-dir", data_dir_, "--listen", "127.0.0.1:0"};
  if (!options_.admin_key_file.empty()) {
    args.push_back("--admin-key-file");
    args.push_back(options_.admin_key_file);
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  absl::StatusOr<pid_t> pid = Spawn(args, log_path(), options_.environment);
  if (!pid.ok()) return pid.status();
  pid_ = *pid;

  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (true) {
    absl::StatusOr<std::optional<ExitStatus>> reaped = TryReap(pid_);
    if (!reaped.ok()) return reaped.status();
    if (reaped->has_value()) {
      pid_ = -1;
      return absl::InternalError(absl::StrCat("arbord ended during start-up with ",
                                              (*reaped)->ToString(), "; log:\n", ReadLog()));
    }

    const std::string address(absl::StripAsciiWhitespace(ReadFileOrEmpty(address_path)));
    if (!address.empty()) {
      address_ = address;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      Kill().IgnoreError();
      return absl::DeadlineExceededError(absl::StrCat(
          "arbord did not write ", address_path, " within ", options_.start_timeout.count(),
          " s; log:\n", ReadLog()));
    }
    std::this_thread::sleep_for(kPollInterval);
  }

  const std::string key_path = options_.admin_key_file.empty() ? data_dir_ + "/admin.key"
                                                               : options_.admin_key_file;
  admin_key_ = FirstKeyLine(ReadFileOrEmpty(key_path));
  if (admin_key_.empty()) return absl::InternalError(absl::StrCat("no admin key in ", key_path));
  if (!options_.wait_until_serving) return absl::OkStatus();
  return WaitUntilServing(deadline);
}

absl::Status ArbordProcess::WaitUntilServing(std::chrono::steady_clock::time_point deadline) {
  // arbord writes its address before it recovers the database; data calls work once the
  // health service reports SERVING.
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  while (true) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    const grpc::Status status = health->Check(&context, request, &response);
    if (status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return absl::OkStatus();
    }

    absl::StatusOr<std::optional<ExitStatus>> reaped = TryReap(pid_);
    if (!reaped.ok()) return reaped.status();
    if (reaped->has_value()) {
      pid_ = -1;
      return absl::InternalError(absl::StrCat("arbord ended during recovery with ",
                                              (*reaped)->ToString(), "; log:\n", ReadLog()));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      Kill().IgnoreError();
      return absl::DeadlineExceededError(absl::StrCat(
          "arbord did not report SERVING within ", options_.start_timeout.count(),
          " s; last health check: ", status.error_message(), "; log:\n", ReadLog()));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

absl::Status ArbordProcess::Signal(int signal) {
  if (!running()) return absl::FailedPreconditionError("arbord is not running");
  if (kill(pid_, signal) != 0) return absl::InternalError(ErrnoText("kill"));
  return absl::OkStatus();
}

absl::StatusOr<ExitStatus> ArbordProcess::Wait(std::chrono::seconds timeout) {
  if (!running()) return absl::FailedPreconditionError("arbord is not running");
  absl::StatusOr<std::optional<ExitStatus>> reaped = WaitFor(pid_, timeout);
  if (!reaped.ok()) return reaped.status();
  if (!reaped->has_value()) {
    return absl::DeadlineExceededError(
        absl::StrCat("arbord ", pid_, " still runs after ", timeout.count(), " s"));
  }
  pid_ = -1;
  return **reaped;
}

absl::StatusOr<ExitStatus> ArbordProcess::Stop(std::chrono::seconds timeout) {
  if (absl::Status sent = Signal(SIGTERM); !sent.ok()) return sent;
  absl::StatusOr<ExitStatus> ended = Wait(timeout);
  if (ended.ok()) return ended;

  const pid_t stuck = pid_;
  Kill().IgnoreError();
  return absl::DeadlineExceededError(absl::StrCat("arbord ", stuck, " did not exit within ",
                                                  timeout.count(), " s of SIGTERM; killed it"));
}

absl::StatusOr<ExitStatus> ArbordProcess::Kill() {
  if (absl::Status sent = Signal(SIGKILL); !sent.ok()) return sent;
  int status = 0;
  if (waitpid(pid_, &status, 0) < 0) return absl::InternalError(ErrnoText("waitpid"));
  pid_ = -1;
  return FromWaitStatus(status);
}

absl::Status ArbordProcess::Restart() {
  if (running()) return absl::FailedPreconditionError("arbord is still running");
  std::ofstream(log_path(), std::ios::app) << "---- integration harness: restarting arbord ----\n";
  return Launch();
}

std::string ArbordProcess::ReadLog() const { return ReadFileOrEmpty(log_path()); }

absl::StatusOr<ExitStatus> RunArbordUntilExit(const std::vector<std::string>& args,
                                              const std::string& log_path,
                                              std::chrono::seconds timeout) {
  absl::StatusOr<pid_t> pid = Spawn(args, log_path);
  if (!pid.ok()) return pid.status();
  absl::StatusOr<std::optional<ExitStatus>> reaped = WaitFor(*pid, timeout);
  if (!reaped.ok()) return reaped.status();
  if (reaped->has_value()) return **reaped;

  kill(*pid, SIGKILL);
  int status = 0;
  waitpid(*pid, &status, 0);
  return absl::DeadlineExceededError(
      absl::StrCat("arbord ", *pid, " still ran after ", timeout.count(), " s; killed it"));
}

}  // namespace arbor::integration

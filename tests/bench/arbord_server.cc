#include "tests/bench/arbord_server.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "client/client.h"

extern char** environ;

namespace arbor::bench {
namespace {

constexpr std::chrono::milliseconds kPollInterval{10};
constexpr size_t kLogTailBytes = 4096;

std::string ErrnoMessage(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal ") + strsignal(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

// Forks and executes `argv` with stdout and stderr appended to `log_path` and stdin from
// /dev/null. The child gets the environment without ARBOR_ADMIN_KEY and receives SIGKILL when
// the thread that started it ends, so that a crashed benchmark leaves no server behind.
pid_t Spawn(std::vector<std::string> argv_text, const std::string& log_path) {
  // Everything the child uses is prepared before fork(), because after fork() in a threaded
  // process the child may only make async-signal-safe calls.
  std::vector<char*> argv;
  for (std::string& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_text;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, "ARBOR_ADMIN_KEY=", 16) != 0) env_text.emplace_back(*entry);
  }
  std::vector<char*> envp;
  for (std::string& entry : env_text) envp.push_back(entry.data());
  envp.push_back(nullptr);

  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error(ErrnoMessage("failed to open " + log_path));
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    close(log_fd);
    throw std::runtime_error(ErrnoMessage("failed to open /dev/null"));
  }
  static constexpr char kExecFailed[] = "arbor_bench: execve of arbord failed\n";

  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    if (write(STDERR_FILENO, kExecFailed, sizeof(kExecFailed) - 1) < 0) {
      // The log cannot be written either, but the exit code 127 still reports the failure.
    }
    _exit(127);
  }
  const int fork_errno = errno;
  close(log_fd);
  close(null_fd);
  if (pid < 0) {
    errno = fork_errno;
    throw std::runtime_error(ErrnoMessage("fork"));
  }
  return pid;
}

}  // namespace

std::unique_ptr<ArbordServer> ArbordServer::Start(const std::string& binary,
                                                  const std::vector<std::string>& extra_args,
                                                  std::chrono::seconds timeout) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string pattern = std::string(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp") +
                        "/arbor-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error(ErrnoMessage("failed to create a directory from the pattern " + pattern));
  }
  std::unique_ptr<ArbordServer> server(new ArbordServer(pattern));
  server->Launch(binary, extra_args, timeout);
  return server;
}

void ArbordServer::Launch(const std::string& binary, const std::vector<std::string>& extra_args,
                          std::chrono::seconds timeout) {
  std::vector<std::string> argv = {binary, "--data-dir", data_dir_, "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  pid_ = Spawn(argv, log_path());

  const std::string address_path = data_dir_ + "/arbord.addr";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (address_.empty()) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("arbord ended during start-up with " + DescribeWaitStatus(status) +
                               "; end of " + log_path() + ":\n" + LogTail(kLogTailBytes));
    }
    std::istringstream address_file(ReadWholeFile(address_path));
    address_file >> address_;
    if (!address_.empty()) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error("timed out after " + std::to_string(timeout.count()) +
                               " s waiting for arbord to write " + address_path +
                               "; end of its log:\n" + LogTail(kLogTailBytes));
    }
    std::this_thread::sleep_for(kPollInterval);
  }

  absl::StatusOr<std::string> key = client::ReadKeyFile(data_dir_ + "/admin.key");
  if (!key.ok()) throw std::runtime_error("failed to read the admin key: " + key.status().ToString());
  admin_key_ = *key;
}

ArbordServer::~ArbordServer() {
  if (running()) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  std::error_code error;
  std::filesystem::remove_all(data_dir_, error);
  if (error) {
    std::fprintf(stderr, "arbor_bench: failed to remove %s: %s\n", data_dir_.c_str(),
                 error.message().c_str());
  }
}

void ArbordServer::Stop(std::chrono::seconds timeout) {
  if (!running()) throw std::runtime_error("arbord is not running");
  if (kill(pid_, SIGTERM) != 0) throw std::runtime_error(ErrnoMessage("kill SIGTERM"));

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(kPollInterval);
      continue;
    }
    const pid_t stuck = pid_;
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
    throw std::runtime_error("arbord " + std::to_string(stuck) + " still ran " +
                             std::to_string(timeout.count()) +
                             " s after SIGTERM and was killed; end of its log:\n" +
                             LogTail(kLogTailBytes));
  }
  pid_ = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("arbord stopped with " + DescribeWaitStatus(status) +
                             " instead of exit code 0; end of its log:\n" +
                             LogTail(kLogTailBytes));
  }
}

double ArbordServer::CpuSeconds() const {
  const std::string path = "/proc/" + std::to_string(pid_) + "/stat";
  const std::string stat = ReadWholeFile(path);
  // The command name in field 2 may contain spaces, so fields are counted after its ')'.
  const size_t name_end = stat.rfind(')');
  if (name_end == std::string::npos) throw std::runtime_error("failed to parse " + path);
  std::istringstream fields(stat.substr(name_end + 2));
  // Fields 3 to 13 come before utime (14) and stime (15).
  std::string skipped;
  for (int field = 3; field <= 13; ++field) fields >> skipped;
  unsigned long long user_ticks = 0;
  unsigned long long system_ticks = 0;
  if (!(fields >> user_ticks >> system_ticks)) throw std::runtime_error("failed to parse " + path);
  return double(user_ticks + system_ticks) / double(sysconf(_SC_CLK_TCK));
}

size_t ArbordServer::ResidentBytes() const {
  const std::string path = "/proc/" + std::to_string(pid_) + "/status";
  std::istringstream status(ReadWholeFile(path));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  throw std::runtime_error(path + " has no VmRSS line");
}

std::string ArbordServer::LogTail(size_t max_bytes) const {
  const std::string log = ReadWholeFile(log_path());
  return log.size() <= max_bytes ? log : log.substr(log.size() - max_bytes);
}

std::vector<std::string> ArbordServer::LogLinesContaining(const std::string& text) const {
  std::istringstream log(ReadWholeFile(log_path()));
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(log, line)) {
    if (line.find(text) != std::string::npos) lines.push_back(line);
  }
  return lines;
}

}  // namespace arbor::bench

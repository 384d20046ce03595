// The data directory: an exclusive lock so that one arbord at a time uses it.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace arbor::storage {

// Holds an advisory lock (flock) on DIR/arbord.lock for its lifetime. The file records the pid
// of the holder so that the error seen by a second server names the first.
class DataDirLock {
 public:
  // Creates `dir` if missing and takes the lock. A second holder gets FailedPrecondition naming
  // the directory and the pid of the process that has the lock.
  static absl::StatusOr<DataDirLock> Acquire(const std::string& dir);

  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace arbor::storage

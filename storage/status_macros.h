// Early-return helpers for absl::Status, used by storage/ and server/ (Abseil 20220623 ships
// none).
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ARBOR_STATUS_CONCAT_INNER(a, b) a##b
#define ARBOR_STATUS_CONCAT(a, b) ARBOR_STATUS_CONCAT_INNER(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the calling function unless it is OK.
#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    const ::absl::Status arbor_status_ = (expr); \
    if (!arbor_status_.ok()) return arbor_status_; \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status on error, else moves the value
// into `lhs`, which may be a declaration such as `auto x`.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  ASSIGN_OR_RETURN_IMPL(ARBOR_STATUS_CONCAT(arbor_statusor_, __LINE__), lhs, rexpr)

#define ASSIGN_OR_RETURN_IMPL(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                          \
  if (!statusor.ok()) return statusor.status();     \
  lhs = std::move(statusor).value()

// Request validation shared by every call: names, vectors, k and batch sizes.
//
// Each check returns INVALID_ARGUMENT with a message that names the field, the offending value
// and the limit, so that a client can fix the request without reading the server's code.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_field.h"

namespace arbor::server {

// Limits of the API, documented in docs/api.md.
inline constexpr size_t kMaxNameLength = 64;
inline constexpr uint32_t kMaxDimension = 4096;
inline constexpr uint32_t kMaxK = 1024;
inline constexpr size_t kMaxBatchVectors = 16384;  // vectors per Upsert, ids per other calls
inline constexpr size_t kMaxQueries = 1024;         // queries per SearchBatch
inline constexpr size_t kMaxShareTenants = 1024;    // with_tenants per Share or Unshare
inline constexpr uint32_t kDefaultTenantPage = 100;
inline constexpr uint32_t kMaxTenantPage = 1000;
inline constexpr uint32_t kDefaultListPage = 1000;
inline constexpr uint32_t kMaxListPage = 10000;
inline constexpr size_t kMaxMessageBytes = 64 << 20;

// Names of collections and tenants: 1 to 64 characters from [a-z0-9_.-], starting with a
// letter or digit. Upper case is rejected rather than folded, so that "Docs" and "docs" can
// never name two things or one thing depending on the call. `field` names the request field.
absl::Status ValidateName(absl::string_view field, absl::string_view name);

// Checks a vector's length against the collection's dimension and every value for NaN or
// infinity, and rejects an all-zero vector when `cosine` is set.
absl::Status ValidateVector(absl::string_view field, const google::protobuf::RepeatedField<float>& values,
                            uint32_t dimension, bool cosine);

absl::Status ValidateK(int32_t k);

// Rejects an empty batch and one over `max` items. `field` names the repeated field.
absl::Status ValidateBatchSize(absl::string_view field, size_t size, size_t max);

}  // namespace arbor::server

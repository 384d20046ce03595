// Request validation shared by every call: names, vectors, k and batch sizes.
//
// Each check returns INVALID_ARGUMENT with a message that names the field, the offending value
// and the limit, so that a client can fix the request without reading the server's code.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "arbor/v1/admin.pb.h"
#include "arbor/v1/vector.pb.h"
#include "storage/schema.h"
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
// Hits per SearchBatch (queries times k). A hit takes at most about 85 bytes (a 64-character
// owner, a 10-byte id, a score and framing), so this many fit in a message with room to spare.
inline constexpr size_t kMaxBatchHits = 512 * 1024;
// Vector bytes per Get response, leaving room under kMaxMessageBytes for owners and ids.
inline constexpr size_t kMaxGetVectorBytes = 56 << 20;

// Names of collections and tenants: 1 to 64 characters from [a-z0-9_.-], starting with a
// letter or digit. Upper case is rejected rather than folded, so that "Docs" and "docs" can
// never name two things or one thing depending on the call. `field` names the request field.
absl::Status ValidateName(absl::string_view field, absl::string_view name);

// Checks a vector's length against the collection's dimension and every value for NaN or
// infinity, and rejects an all-zero vector when `cosine` is set.
absl::Status ValidateVector(absl::string_view field, const google::protobuf::RepeatedField<float>& values,
                            uint32_t dimension, bool cosine);

absl::Status ValidateK(int32_t k);

inline constexpr uint32_t kMaxBudget = 1000000;
absl::Status ValidateBudget(uint32_t budget);

// Upper limit of prune_epsilon in IndexSettings and SearchParams. At this value an l2 or cosine
// search prunes only nodes more than 101 times as far from the query as the first shortlist.
inline constexpr float kMaxPruneEpsilon = 100.0f;

// Rejects NaN, infinities and values above kMaxPruneEpsilon. Negative finite values are valid
// and turn pruning off. `field` names the request field, such as "params.prune_epsilon".
absl::Status ValidatePruneEpsilon(absl::string_view field, float value);

// Checks params.k, params.budget and, when set, params.prune_epsilon.
absl::Status ValidateSearchParams(const v1::SearchParams& params);

// Fills the defaults of an IndexSettings message and checks every field's range. An unset
// prune_epsilon becomes index::kDefaultPruneEpsilon.
absl::StatusOr<storage::IndexSettingsRecord> ResolveIndexSettings(const v1::IndexSettings& settings);
v1::IndexSettings ToProto(const storage::IndexSettingsRecord& settings);

// Rejects an empty batch and one over `max` items. `field` names the repeated field.
absl::Status ValidateBatchSize(absl::string_view field, size_t size, size_t max);

// Rejects a response that does not fit in one gRPC message, which can happen only when many
// records carry long access lists. `what` is the advice appended to the error, such as "request fewer ids".
absl::Status CheckResponseSize(size_t bytes, absl::string_view what);

}  // namespace arbor::server

// Parsers for arborctl's option values and the key lookup order. They have no side effects
// besides reading key files, and every error is INVALID_ARGUMENT (or the key file's read error)
// with a message fit to print after "error: ".
//
// Thread safety: every function is thread-safe.

#ifndef ARBOR_CLIENT_ARBORCTL_PARSE_H_
#define ARBOR_CLIENT_ARBORCTL_PARSE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "arbor/v1/common.pb.h"

namespace arbor::client {

// Parses comma-separated floats such as "0.5, -1, 2e3". Blanks around values are allowed.
// Rejects empty text, empty items and values that are not finite.
absl::StatusOr<std::vector<float>> ParseVectorText(std::string_view text);

// Parses comma-separated decimal ids such as "1,2,3" (unsigned 64-bit).
absl::StatusOr<std::vector<uint64_t>> ParseIdList(std::string_view text);

// Parses comma-separated names such as "t2,t3". Blanks around names are trimmed and empty
// items are rejected; the server validates the names themselves.
absl::StatusOr<std::vector<std::string>> ParseNameList(std::string_view text);

// Parses "l2", "ip" or "cosine".
absl::StatusOr<v1::Metric> ParseMetric(std::string_view text);

// Returns "l2", "ip", "cosine", or "unspecified" for any other value.
std::string_view MetricName(v1::Metric metric);

// Sources of the bearer key, in lookup order.
struct KeySources {
  std::optional<std::string> key_flag;       // --key
  std::optional<std::string> key_file_flag;  // --key-file
  std::optional<std::string> env_key;        // $ARBOR_KEY
  std::optional<std::string> env_key_file;   // $ARBOR_KEY_FILE
  // Admin key file of a server started in the current directory with its default data dir,
  // used only when it exists.
  std::string default_key_file = "data/admin.key";
};

// Returns the first key found: --key, --key-file, $ARBOR_KEY, $ARBOR_KEY_FILE, then the default
// key file if it exists. Returns an empty string when none is set. Empty values of --key and
// $ARBOR_KEY count as unset. A key file that is named but unreadable or has no key is an error.
absl::StatusOr<std::string> ResolveKey(const KeySources& sources);

}  // namespace arbor::client

#endif  // ARBOR_CLIENT_ARBORCTL_PARSE_H_

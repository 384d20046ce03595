// The commands of arborctl, one function each, run after the command line was parsed.
//
// Contract: a command writes its result to io.out (one JSON object per line with --json, text
// otherwise) and notes such as progress to io.err. It returns the server's error unchanged, so
// the caller exits with 1, or an error marked by UsageError() for bad input such as an
// unreadable file, so the caller exits with 2. Output written before an error stays written.
//
// Thread safety: commands are meant to run one at a time on the thread that parsed the command
// line. They share only the Client, which is thread-safe.

#ifndef ARBOR_CLIENT_ARBORCTL_COMMANDS_H_
#define ARBOR_CLIENT_ARBORCTL_COMMANDS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "arbor/v1/common.pb.h"
#include "client/client.h"
#include "client/datasets.h"

namespace arbor::client {

struct CommandContext {
  const Client* client = nullptr;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // Draw a progress bar on err; true only when err is a terminal.
  bool show_progress = false;
  bool json = false;
};

// Marks `status` as an error in the user's input (exit code 2) instead of a server error.
absl::Status UsageError(absl::Status status);
absl::Status UsageError(std::string_view message);
bool IsUsageError(const absl::Status& status);

// AdminService commands.
absl::Status CreateCollectionCommand(const CommandContext& context, const std::string& name,
                                     uint32_t dimension, v1::Metric metric,
                                     const v1::IndexSettings& index);
absl::Status ListCollectionsCommand(const CommandContext& context);
absl::Status DescribeCollectionCommand(const CommandContext& context, const std::string& name);
absl::Status DropCollectionCommand(const CommandContext& context, const std::string& name);
absl::Status CreateTenantCommand(const CommandContext& context, const std::string& collection,
                                 const std::string& tenant);
absl::Status ListTenantsCommand(const CommandContext& context, const std::string& collection);
absl::Status DropTenantCommand(const CommandContext& context, const std::string& collection,
                               const std::string& tenant);
// Prints only the new key on out, and its key id on err.
absl::Status CreateKeyCommand(const CommandContext& context, const std::string& collection,
                              const std::string& tenant);
// An empty tenant lists the keys of every tenant of the collection.
absl::Status ListKeysCommand(const CommandContext& context, const std::string& collection,
                             const std::string& tenant);
absl::Status RevokeKeyCommand(const CommandContext& context, const std::string& collection,
                              const std::string& key_id);

// Asks the server to write a backup to `path`, a path on the server's host. A relative path is
// made absolute against the current directory, with a note on err, since the server rejects
// relative paths.
absl::Status CreateBackupCommand(const CommandContext& context, const std::string& path);

// Prints the server's health and returns UNAVAILABLE unless it is SERVING.
absl::Status HealthCommand(const CommandContext& context);

// VectorService commands.
struct ImportOptions {
  std::string collection;
  std::string file;
  std::optional<VectorFormat> format;  // Inferred from the file name when unset.
  // Either tenant is set, or labels_file is, and vector i goes to tenant_prefix + label i.
  std::string tenant;
  std::string labels_file;
  std::string tenant_prefix;
  uint64_t first_id = 0;     // Id of row 0; row i gets first_id + i.
  size_t batch_size = 1000;  // Max vectors per Upsert request.
  // Imports only the first max_rows rows of the file, and uses only the first max_rows labels.
  std::optional<size_t> max_rows;
};
absl::Status ImportCommand(const CommandContext& context, const ImportOptions& options);

struct SearchOptions {
  std::string collection;
  std::string tenant;
  // Exactly one of query_values and query_file is set.
  std::optional<std::vector<float>> query_values;
  std::string query_file;
  std::optional<VectorFormat> format;
  std::optional<size_t> max_queries;  // Reads only this many rows of query_file.
  uint32_t k = 10;
  bool exact = false;
  uint32_t budget = 0;  // 0 lets the server choose
  std::optional<float> prune_epsilon;  // unset keeps the collection's setting
};
absl::Status SearchCommand(const CommandContext& context, const SearchOptions& options);

// An empty owner reads the tenant's own vectors.
absl::Status GetCommand(const CommandContext& context, const std::string& collection,
                        const std::string& tenant, const std::vector<uint64_t>& ids,
                        const std::string& owner);
absl::Status DeleteCommand(const CommandContext& context, const std::string& collection,
                           const std::string& tenant, const std::vector<uint64_t>& ids);
// Shares the ids with the tenants when `share` is true, else revokes those grants.
absl::Status ShareCommand(const CommandContext& context, bool share, const std::string& collection,
                          const std::string& tenant, const std::vector<uint64_t>& ids,
                          const std::vector<std::string>& with_tenants);
absl::Status CountCommand(const CommandContext& context, const std::string& collection,
                          const std::string& tenant);

}  // namespace arbor::client

#endif  // ARBOR_CLIENT_ARBORCTL_COMMANDS_H_

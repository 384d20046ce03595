// Output formats of arborctl: one-line JSON objects for --json and aligned text tables.
//
// JSON objects use the proto field names (snake_case) and print uint64 and int64 values as JSON
// numbers. Metrics print as "l2", "ip" or "cosine". Scores print as the shortest decimal that
// reads back as the same float32, or null for NaN and infinity, which JSON cannot represent.
//
// Thread safety: every function is thread-safe, and a JsonObject or TextTable belongs to one
// thread.

#ifndef ARBOR_CLIENT_ARBORCTL_OUTPUT_H_
#define ARBOR_CLIENT_ARBORCTL_OUTPUT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "arbor/v1/admin.pb.h"
#include "arbor/v1/common.pb.h"
#include "arbor/v1/vector.pb.h"

namespace arbor::client {

// Returns `text` as a quoted JSON string.
std::string JsonString(std::string_view text);

// Returns the shortest decimal text that reads back as `value`, or "null" if it is not finite.
std::string JsonFloat(float value);
std::string JsonDouble(double value);

// Builds one JSON object, keeping the keys in the order they were added.
class JsonObject {
 public:
  JsonObject& AddString(std::string_view key, std::string_view value);
  JsonObject& AddUint(std::string_view key, uint64_t value);
  JsonObject& AddInt(std::string_view key, int64_t value);
  JsonObject& AddBool(std::string_view key, bool value);
  JsonObject& AddDouble(std::string_view key, double value);
  // Adds a value that is already JSON text, such as a nested object or array.
  JsonObject& AddRaw(std::string_view key, std::string_view json);

  // Returns the object on one line, e.g. {"count": 3}.
  std::string ToString() const;

 private:
  std::vector<std::string> members_;
};

// JSON for the API messages that arborctl prints.
std::string CollectionJson(const v1::CollectionInfo& info);
std::string TenantJson(const v1::TenantInfo& info);
std::string KeyJson(const v1::KeyInfo& info);
std::string BackupJson(const v1::BackupInfo& info);
std::string RecordJson(const v1::Record& record);
// {"query": i, "results": [{"owner": "...", "id": N, "score": X}, ...]}
std::string SearchResultJson(uint64_t query_index, const v1::SearchResponse& response);

// Formats milliseconds since the Unix epoch as UTC, e.g. "2024-05-01 12:00:00Z".
std::string FormatUnixMillis(int64_t unix_ms);

// Text table whose columns are padded to their widest cell and separated by two spaces.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header);

  void AddRow(std::vector<std::string> cells);

  // Returns the header and every row, each line ending in '\n'.
  std::string ToString() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// Human-readable forms of the same messages.
std::string CollectionText(const v1::CollectionInfo& info);
std::string CollectionTable(const std::vector<v1::CollectionInfo>& collections);
std::string TenantTable(const std::vector<v1::TenantInfo>& tenants);
std::string KeyTable(const std::vector<v1::KeyInfo>& keys);
std::string BackupText(const v1::BackupInfo& info);
// One line per record; long vectors show their first values and their length.
std::string RecordText(const v1::Record& record);
std::string SearchResultText(uint64_t query_index, const v1::SearchResponse& response);

}  // namespace arbor::client

#endif  // ARBOR_CLIENT_ARBORCTL_OUTPUT_H_

#include "client/arborctl_output.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/arborctl_parse.h"

namespace arbor::client {
namespace {

absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }

// Vector values that RecordText() shows before it elides the rest.
constexpr int kShownValues = 8;

template <typename T>
std::string ShortestDecimal(T value) {
  if (!std::isfinite(value)) {
    return "null";
  }
  char buffer[64];
  std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

std::string JsonArrayOfStrings(const google::protobuf::RepeatedPtrField<std::string>& values) {
  std::vector<std::string> items;
  items.reserve(values.size());
  for (const std::string& value : values) {
    items.push_back(JsonString(value));
  }
  return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
}

}  // namespace

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string JsonFloat(float value) { return ShortestDecimal(value); }

std::string JsonDouble(double value) { return ShortestDecimal(value); }

JsonObject& JsonObject::AddString(std::string_view key, std::string_view value) {
  return AddRaw(key, JsonString(value));
}

JsonObject& JsonObject::AddUint(std::string_view key, uint64_t value) {
  return AddRaw(key, absl::StrCat(value));
}

JsonObject& JsonObject::AddInt(std::string_view key, int64_t value) {
  return AddRaw(key, absl::StrCat(value));
}

JsonObject& JsonObject::AddBool(std::string_view key, bool value) {
  return AddRaw(key, value ? "true" : "false");
}

JsonObject& JsonObject::AddDouble(std::string_view key, double value) {
  return AddRaw(key, JsonDouble(value));
}

JsonObject& JsonObject::AddRaw(std::string_view key, std::string_view json) {
  members_.push_back(absl::StrCat(JsonString(key), ": ", ToAbsl(json)));
  return *this;
}

std::string JsonObject::ToString() const {
  return absl::StrCat("{", absl::StrJoin(members_, ", "), "}");
}

std::string IndexSettingsJson(const v1::IndexSettings& settings) {
  JsonObject json;
  json.AddUint("branching", settings.branching())
      .AddUint("max_leaf_size", settings.max_leaf_size())
      .AddUint("split_threshold", settings.split_threshold())
      .AddUint("merge_threshold", settings.merge_threshold())
      .AddUint("train_threshold", settings.train_threshold())
      .AddUint("retrain_growth", settings.retrain_growth());
  // Servers that predate the setting leave it unset.
  if (settings.has_prune_epsilon()) {
    json.AddRaw("prune_epsilon", JsonFloat(settings.prune_epsilon()));
  }
  return json.ToString();
}

std::string IndexJson(const v1::IndexInfo& index) {
  return JsonObject()
      .AddBool("trained", index.trained())
      .AddUint("tree_nodes", index.tree_nodes())
      .AddUint("tree_depth", index.tree_depth())
      .AddInt("trained_unix_ms", index.trained_unix_ms())
      .AddUint("vectors_at_training", index.vectors_at_training())
      .AddUint("memory_bytes", index.memory_bytes())
      .AddRaw("settings", IndexSettingsJson(index.settings()))
      .ToString();
}

std::string CollectionJson(const v1::CollectionInfo& info) {
  return JsonObject()
      .AddString("name", info.name())
      .AddUint("dimension", info.dimension())
      .AddString("metric", MetricName(info.metric()))
      .AddUint("vector_count", info.vector_count())
      .AddUint("tenant_count", info.tenant_count())
      .AddUint("bytes", info.bytes())
      .AddInt("created_unix_ms", info.created_unix_ms())
      .AddRaw("index", IndexJson(info.index()))
      .ToString();
}

std::string TenantJson(const v1::TenantInfo& info) {
  return JsonObject()
      .AddString("collection", info.collection())
      .AddString("name", info.name())
      .AddUint("owned_count", info.owned_count())
      .AddUint("readable_count", info.readable_count())
      .AddInt("created_unix_ms", info.created_unix_ms())
      .AddUint("shortlists", info.shortlists())
      .AddUint("split_nodes", info.split_nodes())
      .AddUint("max_depth", info.max_depth())
      .ToString();
}

std::string KeyJson(const v1::KeyInfo& info) {
  return JsonObject()
      .AddString("key_id", info.key_id())
      .AddString("collection", info.collection())
      .AddString("tenant", info.tenant())
      .AddInt("created_unix_ms", info.created_unix_ms())
      .ToString();
}

std::string BackupJson(const v1::BackupInfo& info) {
  return JsonObject()
      .AddString("path", info.path())
      .AddInt("created_unix_ms", info.created_unix_ms())
      .AddUint("sequence_number", info.sequence_number())
      .AddUint("file_count", info.file_count())
      .AddUint("bytes", info.bytes())
      .AddUint("collection_count", info.collection_count())
      .AddInt("duration_ms", info.duration_ms())
      .AddString("arbord_version", info.arbord_version())
      .ToString();
}

std::string RecordJson(const v1::Record& record) {
  std::vector<std::string> values;
  values.reserve(record.values_size());
  for (float value : record.values()) {
    values.push_back(JsonFloat(value));
  }
  return JsonObject()
      .AddString("owner", record.owner())
      .AddUint("id", record.id())
      .AddRaw("values", absl::StrCat("[", absl::StrJoin(values, ", "), "]"))
      .AddRaw("shared_with", JsonArrayOfStrings(record.shared_with()))
      .ToString();
}

std::string SearchResultJson(uint64_t query_index, const v1::SearchResponse& response) {
  std::vector<std::string> hits;
  hits.reserve(response.hits_size());
  for (const v1::Hit& hit : response.hits()) {
    hits.push_back(JsonObject()
                       .AddString("owner", hit.owner())
                       .AddUint("id", hit.id())
                       .AddRaw("score", JsonFloat(hit.score()))
                       .ToString());
  }
  return JsonObject()
      .AddUint("query", query_index)
      .AddRaw("results", absl::StrCat("[", absl::StrJoin(hits, ", "), "]"))
      .ToString();
}

std::string FormatUnixMillis(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%SZ", absl::FromUnixMillis(unix_ms), absl::UTCTimeZone());
}

TextTable::TextTable(std::vector<std::string> header) { rows_.push_back(std::move(header)); }

void TextTable::AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

std::string TextTable::ToString() const {
  std::vector<size_t> widths;
  for (const std::vector<std::string>& row : rows_) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }

  std::string out;
  for (const std::vector<std::string>& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) {
        line += "  ";
      }
      line += row[i];
      line.append(widths[i] - row[i].size(), ' ');
    }
    // Trailing padding of the last column serves no purpose.
    line.erase(line.find_last_not_of(' ') + 1);
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string IndexText(const v1::IndexInfo& index) {
  if (!index.trained()) {
    return absl::StrCat("not trained (exact search until ", index.settings().train_threshold(),
                        " vectors)");
  }
  return absl::StrCat("trained at ", FormatUnixMillis(index.trained_unix_ms()), " on ",
                      index.vectors_at_training(), " vectors; ", index.tree_nodes(),
                      " nodes, depth ", index.tree_depth(), ", ", index.memory_bytes(),
                      " bytes in memory");
}

// The "prune epsilon:" line of describe, or nothing when the server did not report it.
std::string PruneEpsilonText(const v1::IndexSettings& settings) {
  if (!settings.has_prune_epsilon()) {
    return "";
  }
  const float epsilon = settings.prune_epsilon();
  return absl::StrCat("prune epsilon: ", JsonFloat(epsilon),
                      epsilon < 0 ? " (pruning off)" : "", "\n");
}

std::string CollectionText(const v1::CollectionInfo& info) {
  return absl::StrCat("name:          ", info.name(), "\n", "dimension:     ", info.dimension(),
                      "\n", "metric:        ", ToAbsl(MetricName(info.metric())), "\n",
                      "vectors:       ", info.vector_count(), "\n",
                      "tenants:       ", info.tenant_count(), "\n", "bytes:         ", info.bytes(),
                      "\n", "created (UTC): ", FormatUnixMillis(info.created_unix_ms()), "\n",
                      "index:         ", IndexText(info.index()), "\n",
                      PruneEpsilonText(info.index().settings()));
}

std::string CollectionTable(const std::vector<v1::CollectionInfo>& collections) {
  TextTable table({"NAME", "DIMENSION", "METRIC", "VECTORS", "TENANTS", "BYTES", "CREATED (UTC)"});
  for (const v1::CollectionInfo& info : collections) {
    table.AddRow({info.name(), absl::StrCat(info.dimension()),
                  std::string(MetricName(info.metric())), absl::StrCat(info.vector_count()),
                  absl::StrCat(info.tenant_count()), absl::StrCat(info.bytes()),
                  FormatUnixMillis(info.created_unix_ms())});
  }
  return table.ToString();
}

std::string TenantTable(const std::vector<v1::TenantInfo>& tenants) {
  TextTable table({"NAME", "OWNED", "READABLE", "CREATED (UTC)"});
  for (const v1::TenantInfo& info : tenants) {
    table.AddRow({info.name(), absl::StrCat(info.owned_count()),
                  absl::StrCat(info.readable_count()), FormatUnixMillis(info.created_unix_ms())});
  }
  return table.ToString();
}

std::string KeyTable(const std::vector<v1::KeyInfo>& keys) {
  TextTable table({"KEY_ID", "TENANT", "CREATED (UTC)"});
  for (const v1::KeyInfo& info : keys) {
    table.AddRow({info.key_id(), info.tenant(), FormatUnixMillis(info.created_unix_ms())});
  }
  return table.ToString();
}

std::string BackupText(const v1::BackupInfo& info) {
  return absl::StrCat("path:            ", info.path(), "\n",
                      "created (UTC):   ", FormatUnixMillis(info.created_unix_ms()), "\n",
                      "sequence number: ", info.sequence_number(), "\n",
                      "files:           ", info.file_count(), "\n",
                      "bytes:           ", info.bytes(), "\n",
                      "collections:     ", info.collection_count(), "\n",
                      "duration:        ", info.duration_ms(), " ms\n",
                      "arbord version:  ", info.arbord_version(), "\n");
}

std::string RecordText(const v1::Record& record) {
  std::vector<std::string> shown_values;
  int shown_count = std::min(record.values_size(), kShownValues);
  for (int i = 0; i < shown_count; ++i) {
    shown_values.push_back(JsonFloat(record.values(i)));
  }
  if (record.values_size() > kShownValues) {
    shown_values.push_back(absl::StrCat("... (", record.values_size(), " values)"));
  }

  std::string line = absl::StrCat("owner=", record.owner(), " id=", record.id(), " values=[",
                                  absl::StrJoin(shown_values, ", "), "]");
  if (record.shared_with_size() > 0) {
    absl::StrAppend(&line, " shared_with=", absl::StrJoin(record.shared_with(), ","));
  }
  return absl::StrCat(line, "\n");
}

std::string SearchResultText(uint64_t query_index, const v1::SearchResponse& response) {
  std::string out = absl::StrCat("query ", query_index, ": ", response.hits_size(),
                                 response.hits_size() == 1 ? " result\n" : " results\n");
  if (response.hits_size() == 0) {
    return out;
  }

  TextTable table({"RANK", "OWNER", "ID", "SCORE"});
  int rank = 1;
  for (const v1::Hit& hit : response.hits()) {
    table.AddRow(
        {absl::StrCat(rank++), hit.owner(), absl::StrCat(hit.id()), JsonFloat(hit.score())});
  }
  for (absl::string_view line : absl::StrSplit(table.ToString(), '\n', absl::SkipEmpty())) {
    absl::StrAppend(&out, "  ", line, "\n");
  }
  return out;
}

}  // namespace arbor::client

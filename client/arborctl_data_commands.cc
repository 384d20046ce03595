// Vector commands of arborctl: import, search, get, delete, share, unshare and count.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/arborctl_commands.h"
#include "client/arborctl_output.h"

namespace arbor::client {
namespace {

// Requests are kept under this size, half the server's 64 MiB receive limit, so that an estimate
// that is a little off can never make the server reject a request.
constexpr size_t kMaxRequestBytes = size_t{32} << 20;

// Upper bound of the protobuf bytes one vector or query adds to a request besides its float32
// values: the field tags, three length prefixes and a varint id.
constexpr size_t kPerVectorOverheadBytes = 24;

// Max queries in one SearchBatch request, the server's limit.
constexpr size_t kMaxQueriesPerBatch = 1024;

// The progress bar is redrawn at most this often.
constexpr auto kProgressInterval = std::chrono::milliseconds(100);

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Rows per request such that the request stays under kMaxRequestBytes, at most max_rows.
size_t RowsPerRequest(size_t dim, size_t max_rows) {
  size_t by_size = kMaxRequestBytes / (4 * dim + kPerVectorOverheadBytes);
  return std::clamp<size_t>(by_size, 1, max_rows);
}

absl::StatusOr<std::unique_ptr<VectorReader>> OpenVectorFile(const std::string& path,
                                                             std::optional<VectorFormat> format) {
  if (!format.has_value()) {
    absl::StatusOr<VectorFormat> inferred = InferVectorFormat(path);
    if (!inferred.ok()) {
      return UsageError(absl::InvalidArgumentError(
          absl::StrCat(inferred.status().message(), " with --format fvecs|fbin|npy|idx")));
    }
    format = *inferred;
  }

  absl::StatusOr<std::unique_ptr<VectorReader>> reader = VectorReader::Open(path, format);
  if (!reader.ok()) {
    return UsageError(reader.status());
  }
  return reader;
}

// Progress of an import, drawn on one terminal line that is rewritten in place.
class ProgressBar {
 public:
  ProgressBar(std::ostream* err, bool enabled, std::optional<size_t> total)
      : err_(err), enabled_(enabled), total_(total), start_(Clock::now()) {}

  void Update(size_t done) {
    if (!enabled_ || Clock::now() - last_draw_ < kProgressInterval) {
      return;
    }
    Draw(done);
  }

  // Draws the final state and ends the line. Later calls do nothing.
  void Finish(size_t done) {
    if (!enabled_ || finished_) {
      return;
    }
    Draw(done);
    *err_ << "\n" << std::flush;
    finished_ = true;
  }

 private:
  void Draw(size_t done) {
    constexpr int kWidth = 30;
    double seconds = SecondsSince(start_);
    double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;

    std::string line;
    if (total_.has_value() && *total_ > 0) {
      double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(*total_));
      int filled = static_cast<int>(fraction * kWidth);
      line =
          absl::StrFormat("[%s%s] %5.1f%%  %d/%d vectors  %.0f vectors/s", std::string(filled, '#'),
                          std::string(kWidth - filled, '.'), fraction * 100, done, *total_, rate);
    } else {
      line = absl::StrFormat("%d vectors  %.0f vectors/s", done, rate);
    }
    // "\r" returns to the start of the line and "\x1b[K" erases what a longer line left.
    *err_ << "\r" << line << "\x1b[K" << std::flush;
    last_draw_ = Clock::now();
  }

  std::ostream* err_;
  bool enabled_;
  std::optional<size_t> total_;
  Clock::time_point start_;
  Clock::time_point last_draw_;
  bool finished_ = false;
};

// Collects vectors into one Upsert request per tenant and sends a request once it contains
// rows_per_request vectors.
class Uploader {
 public:
  Uploader(const CommandContext& context, std::string collection, size_t dim,
           size_t rows_per_request)
      : context_(context),
        collection_(std::move(collection)),
        dim_(dim),
        rows_per_request_(rows_per_request) {}

  size_t stored() const { return stored_; }
  uint64_t inserted() const { return inserted_; }
  uint64_t updated() const { return updated_; }
  size_t tenants_written() const { return tenants_written_.size(); }

  absl::Status Add(const std::string& tenant, uint64_t id, const float* values) {
    v1::UpsertRequest& request = pending_[tenant];
    v1::Vector* vector = request.add_vectors();
    vector->set_id(id);
    vector->mutable_values()->Add(values, values + dim_);

    if (static_cast<size_t>(request.vectors_size()) >= rows_per_request_) {
      return Send(tenant, request);
    }
    return absl::OkStatus();
  }

  absl::Status Flush() {
    for (auto& [tenant, request] : pending_) {
      if (request.vectors_size() > 0) {
        absl::Status sent = Send(tenant, request);
        if (!sent.ok()) {
          return sent;
        }
      }
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Send(const std::string& tenant, v1::UpsertRequest& request) {
    request.set_collection(collection_);
    request.set_tenant(tenant);
    absl::StatusOr<v1::UpsertResponse> response = context_.client->Upsert(request);
    if (!response.ok()) {
      return response.status();
    }

    stored_ += static_cast<size_t>(request.vectors_size());
    inserted_ += response->inserted_count();
    updated_ += response->updated_count();
    tenants_written_.insert(tenant);
    request.clear_vectors();
    return absl::OkStatus();
  }

  const CommandContext& context_;
  std::string collection_;
  size_t dim_;
  size_t rows_per_request_;
  std::map<std::string, v1::UpsertRequest> pending_;
  std::set<std::string> tenants_written_;
  size_t stored_ = 0;
  uint64_t inserted_ = 0;
  uint64_t updated_ = 0;
};

// Creates the tenant unless it exists. A tenant key may not create tenants, but its own tenant
// exists, so PERMISSION_DENIED is ignored when `is_own_tenant_possible` is true.
absl::Status EnsureTenant(const CommandContext& context, const std::string& collection,
                          const std::string& tenant, bool is_own_tenant_possible) {
  v1::CreateTenantRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  absl::StatusOr<v1::TenantInfo> created = context.client->CreateTenant(request);
  if (created.ok() || absl::IsAlreadyExists(created.status())) {
    return absl::OkStatus();
  }
  if (is_own_tenant_possible && absl::IsPermissionDenied(created.status())) {
    return absl::OkStatus();
  }
  return created.status();
}

// Returns the number of rows the import reads, which is the file's row count capped by --limit,
// or nullopt when the file does not state its row count.
std::optional<size_t> RowsToImport(const ImportOptions& options, const VectorReader& reader) {
  std::optional<size_t> rows = reader.total_rows();
  if (rows.has_value() && options.max_rows.has_value()) {
    rows = std::min(*rows, *options.max_rows);
  }
  return rows;
}

// Reads the labels, keeps the first --limit of them, and checks their count against the number
// of rows to import when it is known.
absl::StatusOr<std::vector<std::string>> ReadImportLabels(const ImportOptions& options,
                                                          const VectorReader& reader) {
  absl::StatusOr<std::vector<std::string>> labels = ReadLabels(options.labels_file);
  if (!labels.ok()) {
    return UsageError(labels.status());
  }
  if (options.max_rows.has_value() && labels->size() > *options.max_rows) {
    labels->resize(*options.max_rows);
  }

  std::optional<size_t> rows = RowsToImport(options, reader);
  if (rows.has_value() && *rows != labels->size()) {
    if (rows != reader.total_rows()) {
      return UsageError(absl::StrCat("labels file ", options.labels_file, " has ", labels->size(),
                                     " labels, but --limit ", *options.max_rows, " selects ", *rows,
                                     " rows of vector file ", options.file,
                                     "; expected one label per vector"));
    }
    return UsageError(absl::StrCat("labels file ", options.labels_file, " has ", labels->size(),
                                   " labels, but vector file ", options.file, " has ", *rows,
                                   " rows; expected one label per vector"));
  }
  return labels;
}

// Tenant names in the order they are first used.
std::vector<std::string> ImportTenants(const ImportOptions& options,
                                       const std::vector<std::string>& labels) {
  if (options.labels_file.empty()) {
    return {options.tenant};
  }
  std::vector<std::string> tenants;
  std::set<std::string> seen;
  for (const std::string& label : labels) {
    std::string tenant = options.tenant_prefix + label;
    if (seen.insert(tenant).second) {
      tenants.push_back(tenant);
    }
  }
  return tenants;
}

struct ImportSummary {
  size_t vectors = 0;
  size_t tenants = 0;
  uint64_t inserted = 0;
  uint64_t updated = 0;
  double seconds = 0;
};

void PrintImportSummary(const CommandContext& context, const ImportOptions& options,
                        const ImportSummary& summary) {
  double rate = summary.seconds > 0 ? static_cast<double>(summary.vectors) / summary.seconds : 0;
  if (context.json) {
    *context.out << JsonObject()
                        .AddString("collection", options.collection)
                        .AddUint("vectors", summary.vectors)
                        .AddUint("tenants", summary.tenants)
                        .AddUint("inserted", summary.inserted)
                        .AddUint("updated", summary.updated)
                        .AddDouble("seconds", std::round(summary.seconds * 1000) / 1000)
                        .AddDouble("vectors_per_second", std::round(rate * 10) / 10)
                        .ToString()
                 << "\n";
    return;
  }
  *context.out << absl::StrFormat(
      "imported %d vectors into %d %s of collection %s in %.3f s (%.1f vectors/s; %d inserted, "
      "%d updated)\n",
      summary.vectors, summary.tenants, summary.tenants == 1 ? "tenant" : "tenants",
      options.collection, summary.seconds, rate, summary.inserted, summary.updated);
}

// Reads every row of `reader`, or the first options.max_rows, and sends each to its tenant.
absl::Status UploadRows(const ImportOptions& options, const std::vector<std::string>& labels,
                        VectorReader& reader, Uploader& uploader, ProgressBar& progress,
                        size_t rows_per_request) {
  size_t dim = reader.dim();
  std::vector<float> buffer;
  while (true) {
    buffer.clear();
    size_t first_row = reader.rows_read();
    size_t requested_rows = rows_per_request;
    if (options.max_rows.has_value()) {
      requested_rows = std::min(requested_rows, *options.max_rows - first_row);
      if (requested_rows == 0) {
        break;
      }
    }
    absl::StatusOr<size_t> rows = reader.ReadRows(requested_rows, &buffer);
    if (!rows.ok()) {
      return UsageError(rows.status());
    }
    if (*rows == 0) {
      break;
    }

    for (size_t i = 0; i < *rows; ++i) {
      size_t row = first_row + i;
      if (row > std::numeric_limits<uint64_t>::max() - options.first_id) {
        return UsageError(absl::StrCat("the id of row ", row,
                                       " would exceed 2^64-1; use a "
                                       "smaller --first-id"));
      }
      const std::string* tenant = &options.tenant;
      std::string labeled_tenant;
      if (!options.labels_file.empty()) {
        if (row >= labels.size()) {
          return UsageError(absl::StrCat("vector file ", options.file, " has more rows than the ",
                                         labels.size(), " labels in ", options.labels_file));
        }
        labeled_tenant = options.tenant_prefix + labels[row];
        tenant = &labeled_tenant;
      }

      absl::Status added = uploader.Add(*tenant, options.first_id + row, &buffer[i * dim]);
      if (!added.ok()) {
        return added;
      }
    }
    progress.Update(uploader.stored());
  }

  absl::Status flushed = uploader.Flush();
  if (!flushed.ok()) {
    return flushed;
  }
  if (!options.labels_file.empty() && reader.rows_read() != labels.size()) {
    return UsageError(absl::StrCat("vector file ", options.file, " has ", reader.rows_read(),
                                   " rows, but labels file ", options.labels_file, " has ",
                                   labels.size(), " labels"));
  }
  return absl::OkStatus();
}

void PrintSearchResult(const CommandContext& context, uint64_t query_index,
                       const v1::SearchResponse& response) {
  if (context.json) {
    *context.out << SearchResultJson(query_index, response) << "\n";
  } else {
    *context.out << SearchResultText(query_index, response);
  }
}

absl::Status SearchOneVector(const CommandContext& context, const SearchOptions& options,
                             const v1::SearchParams& params) {
  v1::SearchRequest request;
  request.set_collection(options.collection);
  request.set_tenant(options.tenant);
  request.mutable_query()->Add(options.query_values->begin(), options.query_values->end());
  *request.mutable_params() = params;

  absl::StatusOr<v1::SearchResponse> response = context.client->Search(request);
  if (!response.ok()) {
    return response.status();
  }
  PrintSearchResult(context, 0, *response);
  return absl::OkStatus();
}

absl::Status SearchQueryFile(const CommandContext& context, const SearchOptions& options,
                             const v1::SearchParams& params) {
  absl::StatusOr<std::unique_ptr<VectorReader>> reader =
      OpenVectorFile(options.query_file, options.format);
  if (!reader.ok()) {
    return reader.status();
  }
  size_t dim = (*reader)->dim();
  size_t rows_per_request = RowsPerRequest(dim, kMaxQueriesPerBatch);

  std::vector<float> buffer;
  while (true) {
    size_t first_row = (*reader)->rows_read();
    size_t requested_rows = rows_per_request;
    if (options.max_queries.has_value()) {
      requested_rows = std::min(requested_rows, *options.max_queries - first_row);
      if (requested_rows == 0) {
        break;
      }
    }

    buffer.clear();
    absl::StatusOr<size_t> rows = (*reader)->ReadRows(requested_rows, &buffer);
    if (!rows.ok()) {
      return UsageError(rows.status());
    }
    if (*rows == 0) {
      break;
    }

    v1::SearchBatchRequest request;
    request.set_collection(options.collection);
    request.set_tenant(options.tenant);
    *request.mutable_params() = params;
    for (size_t i = 0; i < *rows; ++i) {
      request.add_queries()->mutable_values()->Add(&buffer[i * dim], &buffer[(i + 1) * dim]);
    }

    absl::StatusOr<v1::SearchBatchResponse> response = context.client->SearchBatch(request);
    if (!response.ok()) {
      return response.status();
    }
    if (static_cast<size_t>(response->results_size()) != *rows) {
      return absl::InternalError(absl::StrCat("the server returned ", response->results_size(),
                                              " results for ", *rows, " queries"));
    }
    for (size_t i = 0; i < *rows; ++i) {
      PrintSearchResult(context, first_row + i, response->results(static_cast<int>(i)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ImportCommand(const CommandContext& context, const ImportOptions& options) {
  Clock::time_point start = Clock::now();

  absl::StatusOr<std::unique_ptr<VectorReader>> reader =
      OpenVectorFile(options.file, options.format);
  if (!reader.ok()) {
    return reader.status();
  }
  std::vector<std::string> labels;
  if (!options.labels_file.empty()) {
    absl::StatusOr<std::vector<std::string>> read_labels = ReadImportLabels(options, **reader);
    if (!read_labels.ok()) {
      return read_labels.status();
    }
    labels = *std::move(read_labels);
  }

  bool single_tenant = options.labels_file.empty();
  for (const std::string& tenant : ImportTenants(options, labels)) {
    absl::Status ensured = EnsureTenant(context, options.collection, tenant, single_tenant);
    if (!ensured.ok()) {
      return ensured;
    }
  }

  size_t rows_per_request = RowsPerRequest((*reader)->dim(), options.batch_size);
  Uploader uploader(context, options.collection, (*reader)->dim(), rows_per_request);
  ProgressBar progress(context.err, context.show_progress, RowsToImport(options, **reader));
  absl::Status uploaded =
      UploadRows(options, labels, **reader, uploader, progress, rows_per_request);
  progress.Finish(uploader.stored());
  if (!uploaded.ok()) {
    *context.err << "import stopped after " << uploader.stored() << " vectors were stored\n";
    return uploaded;
  }

  ImportSummary summary;
  summary.vectors = uploader.stored();
  summary.tenants = uploader.tenants_written();
  summary.inserted = uploader.inserted();
  summary.updated = uploader.updated();
  summary.seconds = SecondsSince(start);
  PrintImportSummary(context, options, summary);
  return absl::OkStatus();
}

absl::Status SearchCommand(const CommandContext& context, const SearchOptions& options) {
  v1::SearchParams params;
  params.set_k(options.k);
  params.set_exact(options.exact);
  params.set_budget(options.budget);
  if (options.prune_epsilon.has_value()) {
    params.set_prune_epsilon(*options.prune_epsilon);
  }

  if (options.query_values.has_value()) {
    return SearchOneVector(context, options, params);
  }
  return SearchQueryFile(context, options, params);
}

absl::Status GetCommand(const CommandContext& context, const std::string& collection,
                        const std::string& tenant, const std::vector<uint64_t>& ids,
                        const std::string& owner) {
  v1::GetRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  request.mutable_ids()->Add(ids.begin(), ids.end());
  request.set_owner(owner);
  absl::StatusOr<v1::GetResponse> response = context.client->Get(request);
  if (!response.ok()) {
    return response.status();
  }

  for (const v1::Record& record : response->records()) {
    *context.out << (context.json ? RecordJson(record) + "\n" : RecordText(record));
  }
  return absl::OkStatus();
}

absl::Status DeleteCommand(const CommandContext& context, const std::string& collection,
                           const std::string& tenant, const std::vector<uint64_t>& ids) {
  v1::DeleteRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  request.mutable_ids()->Add(ids.begin(), ids.end());
  absl::StatusOr<v1::DeleteResponse> response = context.client->Delete(request);
  if (!response.ok()) {
    return response.status();
  }

  if (context.json) {
    *context.out << JsonObject().AddUint("deleted_count", response->deleted_count()).ToString()
                 << "\n";
  } else {
    *context.out << "deleted " << response->deleted_count() << " vectors\n";
  }
  return absl::OkStatus();
}

absl::Status ShareCommand(const CommandContext& context, bool share, const std::string& collection,
                          const std::string& tenant, const std::vector<uint64_t>& ids,
                          const std::vector<std::string>& with_tenants) {
  uint64_t changed = 0;
  if (share) {
    v1::ShareRequest request;
    request.set_collection(collection);
    request.set_tenant(tenant);
    request.mutable_ids()->Add(ids.begin(), ids.end());
    request.mutable_with_tenants()->Add(with_tenants.begin(), with_tenants.end());
    absl::StatusOr<v1::ShareResponse> response = context.client->Share(request);
    if (!response.ok()) {
      return response.status();
    }
    changed = response->granted_count();
  } else {
    v1::UnshareRequest request;
    request.set_collection(collection);
    request.set_tenant(tenant);
    request.mutable_ids()->Add(ids.begin(), ids.end());
    request.mutable_with_tenants()->Add(with_tenants.begin(), with_tenants.end());
    absl::StatusOr<v1::UnshareResponse> response = context.client->Unshare(request);
    if (!response.ok()) {
      return response.status();
    }
    changed = response->revoked_count();
  }

  if (context.json) {
    *context.out
        << JsonObject().AddUint(share ? "granted_count" : "revoked_count", changed).ToString()
        << "\n";
  } else {
    *context.out << (share ? "granted " : "revoked ") << changed << " (id, tenant) pairs\n";
  }
  return absl::OkStatus();
}

absl::Status CountCommand(const CommandContext& context, const std::string& collection,
                          const std::string& tenant) {
  v1::CountRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  absl::StatusOr<v1::CountResponse> response = context.client->Count(request);
  if (!response.ok()) {
    return response.status();
  }

  if (context.json) {
    *context.out << JsonObject().AddUint("count", response->count()).ToString() << "\n";
  } else {
    *context.out << response->count() << "\n";
  }
  return absl::OkStatus();
}

}  // namespace arbor::client

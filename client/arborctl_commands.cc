// Admin and health commands of arborctl. The vector commands are in arborctl_data_commands.cc.

#include "client/arborctl_commands.h"

#include <filesystem>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "client/arborctl_output.h"
#include "client/arborctl_parse.h"

namespace arbor::client {
namespace {

// Payload type URL that marks a usage error.
constexpr char kUsageErrorPayload[] = "type.arbor.dev/arborctl.UsageError";

}  // namespace

absl::Status UsageError(absl::Status status) {
  status.SetPayload(kUsageErrorPayload, absl::Cord());
  return status;
}

absl::Status UsageError(std::string_view message) {
  return UsageError(absl::InvalidArgumentError(absl::string_view(message.data(), message.size())));
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsageErrorPayload).has_value();
}

absl::Status CreateCollectionCommand(const CommandContext& context, const std::string& name,
                                     uint32_t dimension, v1::Metric metric,
                                     const v1::IndexSettings& index) {
  v1::CreateCollectionRequest request;
  request.set_name(name);
  request.set_dimension(dimension);
  request.set_metric(metric);
  *request.mutable_index() = index;
  absl::StatusOr<v1::CollectionInfo> info = context.client->CreateCollection(request);
  if (!info.ok()) {
    return info.status();
  }

  if (context.json) {
    *context.out << CollectionJson(*info) << "\n";
  } else {
    *context.out << "created collection " << info->name() << " (dimension " << info->dimension()
                 << ", metric " << MetricName(info->metric()) << ")\n";
  }
  return absl::OkStatus();
}

absl::Status ListCollectionsCommand(const CommandContext& context) {
  absl::StatusOr<v1::ListCollectionsResponse> response =
      context.client->ListCollections(v1::ListCollectionsRequest());
  if (!response.ok()) {
    return response.status();
  }

  if (context.json) {
    for (const v1::CollectionInfo& info : response->collections()) {
      *context.out << CollectionJson(info) << "\n";
    }
  } else {
    *context.out << CollectionTable(
        {response->collections().begin(), response->collections().end()});
  }
  return absl::OkStatus();
}

absl::Status DescribeCollectionCommand(const CommandContext& context, const std::string& name) {
  v1::DescribeCollectionRequest request;
  request.set_name(name);
  absl::StatusOr<v1::CollectionInfo> info = context.client->DescribeCollection(request);
  if (!info.ok()) {
    return info.status();
  }

  *context.out << (context.json ? CollectionJson(*info) + "\n" : CollectionText(*info));
  return absl::OkStatus();
}

absl::Status DropCollectionCommand(const CommandContext& context, const std::string& name) {
  v1::DropCollectionRequest request;
  request.set_name(name);
  absl::StatusOr<v1::DropCollectionResponse> response = context.client->DropCollection(request);
  if (!response.ok()) {
    return response.status();
  }

  if (context.json) {
    *context.out << JsonObject().AddString("collection", name).AddBool("dropped", true).ToString()
                 << "\n";
  } else {
    *context.out << "dropped collection " << name << "\n";
  }
  return absl::OkStatus();
}

absl::Status CreateTenantCommand(const CommandContext& context, const std::string& collection,
                                 const std::string& tenant) {
  v1::CreateTenantRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  absl::StatusOr<v1::TenantInfo> info = context.client->CreateTenant(request);
  if (!info.ok()) {
    return info.status();
  }

  if (context.json) {
    *context.out << TenantJson(*info) << "\n";
  } else {
    *context.out << "created tenant " << info->name() << " in collection " << info->collection()
                 << "\n";
  }
  return absl::OkStatus();
}

absl::Status ListTenantsCommand(const CommandContext& context, const std::string& collection) {
  // Pages of the largest size the API allows, so few calls are needed.
  constexpr uint32_t kPageSize = 1000;

  v1::ListTenantsRequest request;
  request.set_collection(collection);
  request.set_page_size(kPageSize);
  std::vector<v1::TenantInfo> tenants;
  while (true) {
    absl::StatusOr<v1::ListTenantsResponse> page = context.client->ListTenants(request);
    if (!page.ok()) {
      return page.status();
    }
    for (const v1::TenantInfo& info : page->tenants()) {
      if (context.json) {
        *context.out << TenantJson(info) << "\n";
      } else {
        tenants.push_back(info);
      }
    }
    if (page->next_page_token().empty()) {
      break;
    }
    request.set_page_token(page->next_page_token());
  }

  if (!context.json) {
    *context.out << TenantTable(tenants);
  }
  return absl::OkStatus();
}

absl::Status DropTenantCommand(const CommandContext& context, const std::string& collection,
                               const std::string& tenant) {
  v1::DropTenantRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  absl::StatusOr<v1::DropTenantResponse> response = context.client->DropTenant(request);
  if (!response.ok()) {
    return response.status();
  }

  if (context.json) {
    *context.out << JsonObject()
                        .AddString("collection", collection)
                        .AddString("tenant", tenant)
                        .AddBool("dropped", true)
                        .ToString()
                 << "\n";
  } else {
    *context.out << "dropped tenant " << tenant << " from collection " << collection << "\n";
  }
  return absl::OkStatus();
}

absl::Status CreateKeyCommand(const CommandContext& context, const std::string& collection,
                              const std::string& tenant) {
  v1::CreateKeyRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  absl::StatusOr<v1::CreateKeyResponse> response = context.client->CreateKey(request);
  if (!response.ok()) {
    return response.status();
  }

  // The key alone on stdout lets scripts capture it with $(arborctl key create ...), even with
  // --json. The server keeps only its hash, so this is the only time it is shown.
  *context.out << response->key() << "\n";
  *context.out << std::flush;
  *context.err << "key id: " << response->key_id() << "\n";
  return absl::OkStatus();
}

absl::Status ListKeysCommand(const CommandContext& context, const std::string& collection,
                             const std::string& tenant) {
  v1::ListKeysRequest request;
  request.set_collection(collection);
  request.set_tenant(tenant);
  absl::StatusOr<v1::ListKeysResponse> response = context.client->ListKeys(request);
  if (!response.ok()) {
    return response.status();
  }

  if (context.json) {
    for (const v1::KeyInfo& info : response->keys()) {
      *context.out << KeyJson(info) << "\n";
    }
  } else {
    *context.out << KeyTable({response->keys().begin(), response->keys().end()});
  }
  return absl::OkStatus();
}

absl::Status RevokeKeyCommand(const CommandContext& context, const std::string& collection,
                              const std::string& key_id) {
  v1::RevokeKeyRequest request;
  request.set_collection(collection);
  request.set_key_id(key_id);
  absl::StatusOr<v1::RevokeKeyResponse> response = context.client->RevokeKey(request);
  if (!response.ok()) {
    return response.status();
  }

  if (context.json) {
    *context.out << JsonObject()
                        .AddString("collection", collection)
                        .AddString("key_id", key_id)
                        .AddBool("revoked", true)
                        .ToString()
                 << "\n";
  } else {
    *context.out << "revoked key " << key_id << "\n";
  }
  return absl::OkStatus();
}

absl::Status CreateBackupCommand(const CommandContext& context, const std::string& path) {
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(path, error);
  if (error) {
    return UsageError(absl::StrCat("cannot make the backup path '", path,
                                   "' absolute: ", error.message()));
  }
  if (std::filesystem::path(path).is_relative()) {
    *context.err << "note: sending the backup path as " << absolute.string()
                 << "; it is a path on the server's host\n";
  }

  v1::CreateBackupRequest request;
  request.set_path(absolute.string());
  absl::StatusOr<v1::BackupInfo> info = context.client->CreateBackup(request);
  if (!info.ok()) {
    return info.status();
  }

  *context.out << (context.json ? BackupJson(*info) + "\n" : BackupText(*info));
  return absl::OkStatus();
}

absl::Status HealthCommand(const CommandContext& context) {
  absl::StatusOr<bool> serving = context.client->Health();
  if (!serving.ok()) {
    return serving.status();
  }

  // Client::Health() folds NOT_SERVING, UNKNOWN and SERVICE_UNKNOWN into false.
  std::string status = *serving ? "SERVING" : "NOT_SERVING";
  if (context.json) {
    *context.out << JsonObject().AddString("status", status).ToString() << "\n";
  } else {
    *context.out << status << "\n";
  }
  if (!*serving) {
    return absl::UnavailableError("the server health status is not SERVING");
  }
  return absl::OkStatus();
}

}  // namespace arbor::client

#include "client/arborctl_app.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/arborctl_commands.h"
#include "client/arborctl_parse.h"
#include "client/client.h"

namespace arbor::client {
namespace {

// A parsed command: what to run, whether it needs the bearer key, and its call deadline in
// seconds when --timeout is not given (else the global default).
struct Action {
  std::function<absl::Status(const CommandContext&)> run;
  bool needs_key = true;
  std::optional<double> default_timeout_seconds;
};

// A backup's duration grows with the database, so `backup create` waits longer by default.
constexpr double kBackupTimeoutSeconds = 3600;

// Options of the top-level command, valid for every subcommand.
struct GlobalOptions {
  std::string server = kDefaultServerAddress;
  std::string key;
  std::string key_file;
  CLI::Option* key_option = nullptr;
  CLI::Option* key_file_option = nullptr;
  CLI::Option* timeout_option = nullptr;
  bool json = false;
  double timeout_seconds = 60;
  bool tls = false;
  TlsFiles tls_files;
  std::string tls_server_name;
};

// CLI11 2.1 converts integers with strtoull(text, nullptr, 0), which reads "010" as octal and
// wraps "-1" into a huge unsigned value. This transform accepts only decimal digits and strips
// leading zeros before that conversion runs.
CLI::Validator DecimalInteger() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (value.empty() || !std::all_of(value.begin(), value.end(), absl::ascii_isdigit)) {
          return absl::StrCat("expected a non-negative decimal integer, got \"", value, "\"");
        }
        size_t first_nonzero = value.find_first_not_of('0');
        value = first_nonzero == std::string::npos ? "0" : value.substr(first_nonzero);
        return std::string();
      },
      "", "DECIMAL");
}

std::optional<std::string> GetEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) {
    return std::nullopt;
  }
  return std::string(value);
}

absl::StatusOr<std::string> FindKey(const GlobalOptions& global) {
  KeySources sources;
  if (global.key_option->count() > 0) {
    sources.key_flag = global.key;
  }
  if (global.key_file_option->count() > 0) {
    sources.key_file_flag = global.key_file;
  }
  sources.env_key = GetEnv("ARBOR_KEY");
  sources.env_key_file = GetEnv("ARBOR_KEY_FILE");
  return ResolveKey(sources);
}

// Wraps a parse error of an option value as a usage error that names the option.
absl::Status OptionError(std::string_view option, const absl::Status& status) {
  return UsageError(absl::InvalidArgumentError(
      absl::StrCat(absl::string_view(option.data(), option.size()), ": ", status.message())));
}

void AddCollectionCommands(CLI::App& app, Action& action) {
  CLI::App* group = app.add_subcommand("collection", "Create, list, describe and drop collections");
  group->require_subcommand(1);

  auto create_name = std::make_shared<std::string>();
  auto create_dim = std::make_shared<uint32_t>(0);
  auto create_metric = std::make_shared<std::string>();
  CLI::App* create = group->add_subcommand("create", "Create a collection");
  create->add_option("name", *create_name, "Collection name")->required();
  create->add_option("--dim", *create_dim, "Vector dimension")
      ->required()
      ->transform(DecimalInteger());
  create->add_option("--metric", *create_metric, "Distance function")
      ->required()
      ->check(CLI::IsMember({"l2", "ip", "cosine"}));
  // Index settings; 0 (the default) lets the server choose.
  auto add_setting = [create](const char* flag, auto* field, const char* help) {
    create->add_option(flag, *field, help)->transform(DecimalInteger());
  };
  auto branching = std::make_shared<uint32_t>(0);
  auto max_leaf_size = std::make_shared<uint32_t>(0);
  auto split_threshold = std::make_shared<uint32_t>(0);
  auto merge_threshold = std::make_shared<uint32_t>(0);
  auto train_threshold = std::make_shared<uint64_t>(0);
  auto retrain_growth = std::make_shared<uint32_t>(0);
  add_setting("--branching", branching.get(), "Children per node of the index tree (default 16)");
  add_setting("--max-leaf-size", max_leaf_size.get(),
              "Training vectors under a leaf of the tree, at most (default 256)");
  add_setting("--split-threshold", split_threshold.get(),
              "A tenant's shortlist longer than this is split (default 128)");
  add_setting("--merge-threshold", merge_threshold.get(),
              "A tenant's split node with this many vectors or fewer folds back (default "
              "split-threshold / 4)");
  add_setting("--train-threshold", train_threshold.get(),
              "Vectors before the first tree is trained (default 10000)");
  add_setting("--retrain-growth", retrain_growth.get(),
              "Retrain when the collection grew this many times (default 4)");
  // Unlike the settings above, 0 is a valid prune epsilon, so the field is sent only when the
  // flag is given.
  auto prune_epsilon = std::make_shared<float>(0.0f);
  CLI::Option* prune_epsilon_option = create->add_option(
      "--prune-epsilon", *prune_epsilon,
      "Query-aware pruning: searches stop at tree nodes more than (1 + this value) times as far "
      "from the query as the first shortlist. 0 prunes the most and a negative value turns "
      "pruning off (default 1, at most 100)");
  create->callback([&action, create_name, create_dim, create_metric, branching, max_leaf_size,
                    split_threshold, merge_threshold, train_threshold, retrain_growth,
                    prune_epsilon, prune_epsilon_option] {
    action.run = [=, has_prune_epsilon = prune_epsilon_option->count() > 0](
                     const CommandContext& context) {
      absl::StatusOr<v1::Metric> metric = ParseMetric(*create_metric);
      if (!metric.ok()) {
        return OptionError("--metric", metric.status());
      }
      v1::IndexSettings index;
      index.set_branching(*branching);
      index.set_max_leaf_size(*max_leaf_size);
      index.set_split_threshold(*split_threshold);
      index.set_merge_threshold(*merge_threshold);
      index.set_train_threshold(*train_threshold);
      index.set_retrain_growth(*retrain_growth);
      if (has_prune_epsilon) {
        index.set_prune_epsilon(*prune_epsilon);
      }
      return CreateCollectionCommand(context, *create_name, *create_dim, *metric, index);
    };
  });

  CLI::App* list = group->add_subcommand("list", "List collections");
  list->callback([&action] { action.run = ListCollectionsCommand; });

  auto describe_name = std::make_shared<std::string>();
  CLI::App* describe = group->add_subcommand("describe", "Show one collection");
  describe->add_option("name", *describe_name, "Collection name")->required();
  describe->callback([&action, describe_name] {
    action.run = [=](const CommandContext& context) {
      return DescribeCollectionCommand(context, *describe_name);
    };
  });

  auto drop_name = std::make_shared<std::string>();
  CLI::App* drop = group->add_subcommand("drop", "Drop a collection and all its vectors");
  drop->add_option("name", *drop_name, "Collection name")->required();
  drop->callback([&action, drop_name] {
    action.run = [=](const CommandContext& context) {
      return DropCollectionCommand(context, *drop_name);
    };
  });
}

void AddTenantCommands(CLI::App& app, Action& action) {
  CLI::App* group = app.add_subcommand("tenant", "Create, list and drop tenants of a collection");
  group->require_subcommand(1);

  auto collection = std::make_shared<std::string>();
  auto tenant = std::make_shared<std::string>();

  CLI::App* create = group->add_subcommand("create", "Create a tenant");
  create->add_option("collection", *collection, "Collection name")->required();
  create->add_option("name", *tenant, "Tenant name")->required();
  create->callback([&action, collection, tenant] {
    action.run = [=](const CommandContext& context) {
      return CreateTenantCommand(context, *collection, *tenant);
    };
  });

  CLI::App* list = group->add_subcommand("list", "List the tenants of a collection");
  list->add_option("collection", *collection, "Collection name")->required();
  list->callback([&action, collection] {
    action.run = [=](const CommandContext& context) {
      return ListTenantsCommand(context, *collection);
    };
  });

  CLI::App* drop = group->add_subcommand("drop", "Drop a tenant and the vectors it owns");
  drop->add_option("collection", *collection, "Collection name")->required();
  drop->add_option("name", *tenant, "Tenant name")->required();
  drop->callback([&action, collection, tenant] {
    action.run = [=](const CommandContext& context) {
      return DropTenantCommand(context, *collection, *tenant);
    };
  });
}

void AddKeyCommands(CLI::App& app, Action& action) {
  CLI::App* group = app.add_subcommand("key", "Create, list and revoke tenant keys");
  group->require_subcommand(1);

  auto collection = std::make_shared<std::string>();
  auto tenant = std::make_shared<std::string>();
  auto key_id = std::make_shared<std::string>();

  CLI::App* create = group->add_subcommand(
      "create", "Create a key for a tenant; prints only the key on stdout, and its id on stderr");
  create->add_option("collection", *collection, "Collection name")->required();
  create->add_option("tenant", *tenant, "Tenant name")->required();
  create->callback([&action, collection, tenant] {
    action.run = [=](const CommandContext& context) {
      return CreateKeyCommand(context, *collection, *tenant);
    };
  });

  CLI::App* list = group->add_subcommand("list", "List the keys of a collection or tenant");
  list->add_option("collection", *collection, "Collection name")->required();
  list->add_option("tenant", *tenant, "Tenant name; omit to list every tenant's keys");
  list->callback([&action, collection, tenant] {
    action.run = [=](const CommandContext& context) {
      return ListKeysCommand(context, *collection, *tenant);
    };
  });

  CLI::App* revoke = group->add_subcommand("revoke", "Revoke a key by its id");
  revoke->add_option("collection", *collection, "Collection name")->required();
  revoke->add_option("key_id", *key_id, "Key id, as printed by key create or key list")->required();
  revoke->callback([&action, collection, key_id] {
    action.run = [=](const CommandContext& context) {
      return RevokeKeyCommand(context, *collection, *key_id);
    };
  });
}

void AddImportCommand(CLI::App& app, Action& action) {
  struct Values {
    ImportOptions options;
    std::string format;
    size_t max_rows = 0;
  };
  auto values = std::make_shared<Values>();
  ImportOptions& options = values->options;

  CLI::App* import_command =
      app.add_subcommand("import", "Upsert the vectors of a file; vector i gets id --first-id + i");
  import_command->add_option("collection", options.collection, "Collection name")->required();
  import_command
      ->add_option("--file", options.file, "Vector file (fvecs, fbin, npy or idx; may be gzip)")
      ->required();
  import_command
      ->add_option("--format", values->format, "File format; inferred from the name if omitted")
      ->check(CLI::IsMember({"fvecs", "fbin", "npy", "idx"}));
  CLI::Option* tenant =
      import_command->add_option("--tenant", options.tenant, "Tenant that owns every vector");
  CLI::Option* labels = import_command->add_option(
      "--labels", options.labels_file,
      "Label file (one label per line, or idx1); vector i goes to tenant PREFIX + label i");
  CLI::Option* prefix = import_command->add_option("--tenant-prefix", options.tenant_prefix,
                                                   "Prefix of the tenant names made from labels");
  import_command->add_option("--first-id", options.first_id, "Id of the first vector")
      ->transform(DecimalInteger())
      ->capture_default_str();
  import_command->add_option("--batch", options.batch_size, "Max vectors per Upsert request")
      ->transform(DecimalInteger())
      ->check(CLI::Range(1, 16384))
      ->capture_default_str();
  CLI::Option* limit =
      import_command
          ->add_option("--limit", values->max_rows,
                       "Import only the first N rows of --file, with the first N labels of "
                       "--labels")
          ->transform(DecimalInteger())
          ->check(CLI::Range(size_t{1}, std::numeric_limits<size_t>::max()));
  tenant->excludes(labels);
  labels->needs(prefix);
  prefix->needs(labels);

  import_command->callback([&action, values, tenant, labels, limit] {
    action.run = [values, has_tenant = tenant->count() > 0, has_labels = labels->count() > 0,
                  has_limit = limit->count() > 0](const CommandContext& context) {
      if (!has_tenant && !has_labels) {
        return UsageError("import needs --tenant, or --labels with --tenant-prefix");
      }
      ImportOptions options = values->options;
      if (!values->format.empty()) {
        options.format = *ParseVectorFormat(values->format);
      }
      if (has_limit) {
        options.max_rows = values->max_rows;
      }
      return ImportCommand(context, options);
    };
  });
}

void AddSearchCommand(CLI::App& app, Action& action) {
  struct Values {
    SearchOptions options;
    std::string vector_text;
    std::string format;
    size_t max_queries = 0;
    float prune_epsilon = 0.0f;
  };
  auto values = std::make_shared<Values>();
  SearchOptions& options = values->options;

  CLI::App* search = app.add_subcommand("search", "Find the k nearest vectors a tenant may read");
  search->add_option("collection", options.collection, "Collection name")->required();
  search->add_option("--tenant", options.tenant, "Tenant to search as")->required();
  CLI::Option* vector =
      search->add_option("--vector", values->vector_text, "One query as \"x,y,...\"");
  CLI::Option* query_file = search->add_option("--query-file", options.query_file,
                                               "File of queries, read like import --file");
  search->add_option("--format", values->format, "Format of --query-file")
      ->check(CLI::IsMember({"fvecs", "fbin", "npy", "idx"}))
      ->needs(query_file);
  CLI::Option* limit = search
                           ->add_option("--limit-queries", values->max_queries,
                                        "Use only the first N rows of --query-file")
                           ->transform(DecimalInteger())
                           ->needs(query_file);
  search->add_option("--k", options.k, "Number of results per query")
      ->required()
      ->transform(DecimalInteger());
  search->add_flag("--exact", options.exact, "Scan every readable vector instead of the index");
  search->add_option("--budget", options.budget,
                     "Candidates the index gathers before its exact scan (default: the "
                     "server's, max(2 * split threshold, 16 * k, a tenth of the tenant's "
                     "readable vectors))")
      ->transform(DecimalInteger());
  CLI::Option* prune_epsilon =
      search->add_option("--prune-epsilon", values->prune_epsilon,
                         "Query-aware pruning for these queries in place of the collection's "
                         "setting (see collection create). 0 prunes the most and a negative "
                         "value turns pruning off");
  vector->excludes(query_file);

  search->callback([&action, values, vector, query_file, limit, prune_epsilon] {
    action.run = [values, has_vector = vector->count() > 0, has_file = query_file->count() > 0,
                  has_limit = limit->count() > 0,
                  has_prune_epsilon = prune_epsilon->count() > 0](const CommandContext& context) {
      SearchOptions options = values->options;
      if (has_vector) {
        absl::StatusOr<std::vector<float>> query = ParseVectorText(values->vector_text);
        if (!query.ok()) {
          return OptionError("--vector", query.status());
        }
        options.query_values = *std::move(query);
      } else if (!has_file) {
        return UsageError("search needs --vector or --query-file");
      }
      if (!values->format.empty()) {
        options.format = *ParseVectorFormat(values->format);
      }
      if (has_limit) {
        options.max_queries = values->max_queries;
      }
      if (has_prune_epsilon) {
        options.prune_epsilon = values->prune_epsilon;
      }
      return SearchCommand(context, options);
    };
  });
}

// Adds get, delete, share, unshare and count.
void AddVectorCommands(CLI::App& app, Action& action) {
  struct Values {
    std::string collection;
    std::string tenant;
    std::string ids;
    std::string with;
    std::string owner;
  };
  auto values = std::make_shared<Values>();

  CLI::App* get = app.add_subcommand("get", "Read vectors by id");
  CLI::App* remove = app.add_subcommand("delete", "Delete vectors the tenant owns");
  CLI::App* share = app.add_subcommand("share", "Let other tenants read vectors the tenant owns");
  CLI::App* unshare = app.add_subcommand("unshare", "Revoke what share granted");
  CLI::App* count = app.add_subcommand("count", "Count the vectors a tenant may read");
  for (CLI::App* command : {get, remove, share, unshare, count}) {
    command->add_option("collection", values->collection, "Collection name")->required();
    command->add_option("--tenant", values->tenant, "Tenant to act as")->required();
  }
  for (CLI::App* command : {get, remove, share, unshare}) {
    command->add_option("--ids", values->ids, "Comma-separated vector ids, e.g. 1,2,3")->required();
  }
  for (CLI::App* command : {share, unshare}) {
    command->add_option("--with", values->with, "Comma-separated tenant names, e.g. t2,t3")
        ->required();
  }
  get->add_option("--owner", values->owner,
                  "Owner of the ids when reading vectors shared by another tenant");

  get->callback([&action, values] {
    action.run = [values](const CommandContext& context) {
      absl::StatusOr<std::vector<uint64_t>> ids = ParseIdList(values->ids);
      if (!ids.ok()) {
        return OptionError("--ids", ids.status());
      }
      return GetCommand(context, values->collection, values->tenant, *ids, values->owner);
    };
  });
  remove->callback([&action, values] {
    action.run = [values](const CommandContext& context) {
      absl::StatusOr<std::vector<uint64_t>> ids = ParseIdList(values->ids);
      if (!ids.ok()) {
        return OptionError("--ids", ids.status());
      }
      return DeleteCommand(context, values->collection, values->tenant, *ids);
    };
  });
  for (bool is_share : {true, false}) {
    (is_share ? share : unshare)->callback([&action, values, is_share] {
      action.run = [values, is_share](const CommandContext& context) {
        absl::StatusOr<std::vector<uint64_t>> ids = ParseIdList(values->ids);
        if (!ids.ok()) {
          return OptionError("--ids", ids.status());
        }
        absl::StatusOr<std::vector<std::string>> with = ParseNameList(values->with);
        if (!with.ok()) {
          return OptionError("--with", with.status());
        }
        return ShareCommand(context, is_share, values->collection, values->tenant, *ids, *with);
      };
    });
  }
  count->callback([&action, values] {
    action.run = [values](const CommandContext& context) {
      return CountCommand(context, values->collection, values->tenant);
    };
  });
}

void AddBackupCommands(CLI::App& app, Action& action) {
  CLI::App* group = app.add_subcommand("backup", "Back up the server's database");
  group->require_subcommand(1);

  auto path = std::make_shared<std::string>();
  CLI::App* create = group->add_subcommand(
      "create",
      "Write a backup of the running server to DIR, a new directory on the server's host (a "
      "relative DIR is made absolute against this directory; in a container, run arborctl "
      "there, e.g. with docker exec)");
  create->add_option("dir", *path, "Backup directory; it must not exist, its parent must")
      ->required();
  create->callback([&action, path] {
    action.run = [=](const CommandContext& context) { return CreateBackupCommand(context, *path); };
    action.default_timeout_seconds = kBackupTimeoutSeconds;
  });
}

void AddHealthCommand(CLI::App& app, Action& action) {
  CLI::App* health = app.add_subcommand(
      "health", "Check the server's health; exits with 0 only when it reports SERVING");
  health->callback([&action] {
    action.run = HealthCommand;
    action.needs_key = false;
  });
}

void AddGlobalOptions(CLI::App& app, GlobalOptions& global) {
  app.add_option("--server", global.server, "Server address as HOST:PORT")
      ->envname("ARBOR_SERVER")
      ->capture_default_str();
  global.key_option = app.add_option("--key", global.key, "Bearer key (admin or tenant key)");
  global.key_file_option = app.add_option("--key-file", global.key_file,
                                          "File holding the key: the first line that is not empty "
                                          "and not a '#' comment");
  global.key_option->excludes(global.key_file_option);
  app.add_flag("--json", global.json, "Print results as JSON, one object per line");
  global.timeout_option =
      app.add_option("--timeout", global.timeout_seconds,
                     "Deadline of each call, in seconds (backup create: 3600 unless given)")
          ->check(CLI::Range(0.001, 1e6))
          ->capture_default_str();
  app.add_flag("--tls", global.tls,
               "Connect over TLS, verifying the server with the system's CA certificates "
               "(implied by --tls-ca, --tls-cert and --tls-key)")
      ->envname("ARBOR_CLIENT_TLS");
  app.add_option("--tls-ca", global.tls_files.ca_file,
                 "PEM CA certificates that verify the server (implies --tls)")
      ->envname("ARBOR_CLIENT_TLS_CA");
  app.add_option("--tls-cert", global.tls_files.cert_file,
                 "PEM client certificate, for servers that require mutual TLS")
      ->envname("ARBOR_CLIENT_TLS_CERT");
  app.add_option("--tls-key", global.tls_files.key_file, "PEM private key of --tls-cert")
      ->envname("ARBOR_CLIENT_TLS_KEY");
  app.add_option("--tls-server-name", global.tls_server_name,
                 "Host name expected in the server's certificate, when it differs from the "
                 "host in --server")
      ->envname("ARBOR_CLIENT_TLS_SERVER_NAME");
}

// The TLS settings of the global options; tls.enabled is false for a plaintext connection.
absl::StatusOr<ClientOptions::Tls> TlsOptions(const GlobalOptions& global) {
  const TlsFiles& files = global.tls_files;
  const bool enabled = global.tls || !files.ca_file.empty() || !files.cert_file.empty() ||
                       !files.key_file.empty() || !global.tls_server_name.empty();
  if (!enabled) return ClientOptions::Tls();

  absl::StatusOr<ClientOptions::Tls> tls = LoadTlsFiles(files);
  if (!tls.ok()) return tls.status();
  tls->server_name_override = global.tls_server_name;
  return tls;
}

std::string FailureMessage(const CLI::App* app, const CLI::Error& error) {
  (void)app;
  return absl::StrCat("error: ", error.what(), "\nRun with --help for more information.\n");
}

// Prints the error of a failed command and returns the exit code for it.
int ReportError(const absl::Status& status, bool key_given, std::ostream& err) {
  if (IsUsageError(status)) {
    err << "error: " << status.message() << "\n";
    return kExitUsageError;
  }

  err << "error: " << absl::StatusCodeToString(status.code()) << ": " << status.message();
  if (absl::IsUnauthenticated(status) && !key_given) {
    err << " (no key was given: pass --key or --key-file, or set ARBOR_KEY or ARBOR_KEY_FILE)";
  }
  err << "\n";
  return kExitServerError;
}

// Finds the key, connects and runs the parsed command. Returns the exit code.
int RunAction(const GlobalOptions& global, const Action& action, std::ostream& out,
              std::ostream& err, bool err_is_terminal) {
  std::string key;
  if (action.needs_key) {
    absl::StatusOr<std::string> found = FindKey(global);
    if (!found.ok()) {
      return ReportError(UsageError(found.status()), false, err);
    }
    key = *std::move(found);
  }

  absl::StatusOr<ClientOptions::Tls> tls = TlsOptions(global);
  if (!tls.ok()) {
    return ReportError(UsageError(tls.status()), !key.empty(), err);
  }

  ClientOptions client_options;
  client_options.tls = *std::move(tls);
  client_options.server_address = global.server;
  client_options.key = key;
  double timeout_seconds = global.timeout_seconds;
  if (global.timeout_option->count() == 0 && action.default_timeout_seconds.has_value()) {
    timeout_seconds = *action.default_timeout_seconds;
  }
  client_options.deadline =
      std::chrono::milliseconds(static_cast<int64_t>(std::ceil(timeout_seconds * 1000)));
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(client_options);
  if (!client.ok()) {
    return ReportError(UsageError(client.status()), !key.empty(), err);
  }

  CommandContext context;
  context.client = client->get();
  context.out = &out;
  context.err = &err;
  context.show_progress = err_is_terminal;
  context.json = global.json;
  absl::Status status = action.run(context);
  out.flush();
  if (!status.ok()) {
    return ReportError(status, !key.empty(), err);
  }
  return kExitSuccess;
}

}  // namespace

int RunArborctl(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
                bool err_is_terminal) {
  CLI::App app("Admin and data tool for an Arbor vector database server.", "arborctl");
  app.fallthrough();
  app.require_subcommand(1);
  app.failure_message(FailureMessage);
  app.footer(
      "Key lookup order: --key, --key-file, $ARBOR_KEY, $ARBOR_KEY_FILE, then ./data/admin.key "
      "if it exists.\nExit codes: 0 success, 1 server error, 2 usage error.");

  GlobalOptions global;
  Action action;
  AddGlobalOptions(app, global);
  AddCollectionCommands(app, action);
  AddTenantCommands(app, action);
  AddKeyCommands(app, action);
  AddImportCommand(app, action);
  AddSearchCommand(app, action);
  AddVectorCommands(app, action);
  AddBackupCommands(app, action);
  AddHealthCommand(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error, out, err);
    return code == 0 ? kExitSuccess : kExitUsageError;
  }

  try {
    return RunAction(global, action, out, err, err_is_terminal);
  } catch (const std::exception& error) {
    // Commands report errors as absl::Status. This catch turns anything thrown anyway, such as
    // std::bad_alloc, into an error line and an exit code instead of std::terminate().
    err << "error: INTERNAL: " << error.what() << "\n";
    return kExitServerError;
  }
}

}  // namespace arbor::client

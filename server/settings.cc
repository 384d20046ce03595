#include "server/settings.h"

#include <fstream>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "server/metrics_http.h"

namespace arbor::server {
namespace {

// Adds a flag with its environment variable; the help text gets the default appended by CLI11.
CLI::Option* AddSetting(CLI::App& app, const std::string& flag, auto* value,
                        const std::string& help) {
  CLI::Option* option = app.add_option(flag, *value, help);
  option->envname(EnvironmentVariableFor(flag));
  return option;
}

// The value of --config from the parsed command line or environment; empty when neither set it.
std::string ConfigFilePath(const CLI::App& app) {
  const CLI::Option* option = app.get_option_no_throw("--config");
  if (option == nullptr || option->empty()) return "";
  return option->as<std::string>();
}

absl::StatusOr<std::vector<CLI::ConfigItem>> ReadConfigFile(const std::string& path) {
  std::ifstream input(path);
  if (!input.good()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read the config file \"", path, "\" (--config)"));
  }
  try {
    return CLI::ConfigTOML().from_config(input);
  } catch (const CLI::Error& error) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot parse the config file \"", path, "\": ", error.what()));
  }
}

// Applies one `name = value` item unless the command line or the environment set the option.
absl::Status ApplyConfigItem(CLI::App& app, const std::string& path, const CLI::ConfigItem& item) {
  // CLI11 reports a [table] as marker items named "++" and "--" and prefixes the keys inside it.
  if (!item.parents.empty() || item.name == "++" || item.name == "--") {
    return absl::InvalidArgumentError(absl::StrCat(
        "config file \"", path, "\": tables are not supported; write every setting at the top "
        "level as name = value (found \"", item.fullname(), "\")"));
  }

  const std::string flag = "--" + absl::StrReplaceAll(item.name, {{"_", "-"}});
  CLI::Option* option = app.get_option_no_throw(flag);
  if (option == nullptr || flag == "--config" || flag == "--help") {
    return absl::InvalidArgumentError(absl::StrCat("config file \"", path, "\": unknown setting \"",
                                                   item.name, "\"; see arbord --help"));
  }
  if (!option->empty()) return absl::OkStatus();  // the command line or environment wins

  if (item.inputs.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat("config file \"", path, "\": setting \"",
                                                   item.name, "\" needs exactly one value, got ",
                                                   item.inputs.size()));
  }
  try {
    option->add_result(item.inputs.front());
    option->run_callback();
  } catch (const CLI::Error& error) {
    return absl::InvalidArgumentError(absl::StrCat("config file \"", path, "\": invalid value \"",
                                                   item.inputs.front(), "\" for \"", item.name,
                                                   "\": ", error.what()));
  }
  return absl::OkStatus();
}

}  // namespace

std::string EnvironmentVariableFor(const std::string& flag) {
  std::string name = flag.substr(flag.find_first_not_of('-'));
  name = absl::StrReplaceAll(name, {{"-", "_"}});
  absl::AsciiStrToUpper(&name);
  return "ARBOR_" + name;
}

void AddServerSettings(CLI::App& app, ServerSettings* settings) {
  app.option_defaults()->always_capture_default();

  AddSetting(app, "--config", &settings->config_file,
             "TOML file of settings (name = value per line, names as these flags without "
             "dashes); the command line and environment override it");
  AddSetting(app, "--data-dir", &settings->data_dir,
             "Directory of the database, the admin key and the lock file");
  AddSetting(app, "--listen", &settings->listen,
             "HOST:PORT to serve gRPC on; port 0 picks a free port and writes the address to "
             "DATA_DIR/arbord.addr");
  AddSetting(app, "--admin-key-file", &settings->admin_key_file,
             "File holding the admin key (else $ARBOR_ADMIN_KEY, else DATA_DIR/admin.key, "
             "created on first start)");
  AddSetting(app, "--sync", &settings->sync,
             "Fsync each commit before acknowledging it (false trades the last writes before an "
             "OS crash or power loss for speed)");
  AddSetting(app, "--log-level", &settings->log_level, "Log level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  AddSetting(app, "--log-format", &settings->log_format,
             "Log line format: text, or json for one JSON object per line")
      ->check(CLI::IsMember({"text", "json"}));
  AddSetting(app, "--shutdown-grace", &settings->shutdown_grace_seconds,
             "Seconds in-flight calls may run after SIGTERM before they are cancelled")
      ->check(CLI::Range(0, 3600));
  AddSetting(app, "--max-threads", &settings->max_threads, "Maximum gRPC worker threads")
      ->check(CLI::Range(2, 4096));
  AddSetting(app, "--tls-cert", &settings->tls_cert_file,
             "PEM certificate chain of the server; with --tls-key, gRPC is served over TLS");
  AddSetting(app, "--tls-key", &settings->tls_key_file, "PEM private key of --tls-cert");
  AddSetting(app, "--tls-client-ca", &settings->tls_client_ca_file,
             "PEM CA certificates; when given, every client must present a certificate signed "
             "by one of them (mutual TLS)");
  AddSetting(app, "--metrics-listen", &settings->metrics_listen,
             "HOST:PORT to serve Prometheus metrics on at /metrics; port 0 picks a free port "
             "and writes the address to DATA_DIR/arbord.metrics.addr (off when not given)")
      ->check(CLI::Validator(
          [](std::string& value) {
            absl::StatusOr<ListenAddress> parsed = ParseListenAddress(value);
            return parsed.ok() ? std::string() : std::string(parsed.status().message());
          },
          "HOST:PORT"));
  AddSetting(app, "--restore-from", &settings->restore_from,
             "Backup directory to copy into --data-dir before starting; the data directory must "
             "not contain a database yet");
}

absl::Status ParseServerSettings(CLI::App& app, int argc, const char* const* argv) {
  app.parse(argc, argv);

  const std::string path = ConfigFilePath(app);
  if (path.empty()) return absl::OkStatus();

  absl::StatusOr<std::vector<CLI::ConfigItem>> items = ReadConfigFile(path);
  if (!items.ok()) return items.status();
  for (const CLI::ConfigItem& item : *items) {
    if (absl::Status applied = ApplyConfigItem(app, path, item); !applied.ok()) return applied;
  }
  return absl::OkStatus();
}

}  // namespace arbor::server

// arbord's settings: every setting is a command-line flag, an environment variable and a key of
// the config file.
//
// Precedence, highest first: the command line, the environment (ARBOR_ and the flag name in
// upper case with '_' for '-', e.g. ARBOR_DATA_DIR for --data-dir), the config file (--config or
// ARBOR_CONFIG), then the built-in default.
//
// The config file is TOML with one `name = value` pair per line, where name is the flag without
// its leading dashes (`data-dir = "/var/lib/arbor"`, `sync = false`, `max-threads = 32`).
// Comments start with '#'. Tables ([section]) are rejected, as are names that are not settings.
//
// Not thread-safe; parse once at start-up.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "absl/status/status.h"

namespace arbor::server {

struct ServerSettings {
  std::string config_file;
  std::string data_dir = "./data";
  std::string listen = "127.0.0.1:7400";
  std::string admin_key_file;
  bool sync = true;
  std::string log_level = "info";
  std::string log_format = "text";  // "text" or "json"
  int shutdown_grace_seconds = 10;
  int max_threads = 64;

  // TLS for gRPC: PEM files. Certificate and key come together; a client CA also requires
  // every client to present a certificate signed by it (mutual TLS).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;

  // HOST:PORT of the Prometheus /metrics endpoint; empty turns it off.
  std::string metrics_listen;

  // Backup directory (from arborctl backup create) copied into data_dir before start-up.
  std::string restore_from;
};

// Registers every setting of `settings` as a flag of `app`, with its environment variable, unit
// and default in the help text. `settings` must outlive `app`.
void AddServerSettings(CLI::App& app, ServerSettings* settings);

// Parses the command line and the environment, then fills every setting that neither of them
// set from the config file, if one was named. Throws what CLI::App::parse throws
// (CLI::ParseError, including the request for --help); returns INVALID_ARGUMENT for a config file
// that cannot be read or parsed, names an unknown setting or gives an invalid value.
absl::Status ParseServerSettings(CLI::App& app, int argc, const char* const* argv);

// The environment variable of a flag: "--data-dir" -> "ARBOR_DATA_DIR".
std::string EnvironmentVariableFor(const std::string& flag);

}  // namespace arbor::server

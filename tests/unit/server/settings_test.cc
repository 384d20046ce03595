#include "server/settings.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace arbor::server {
namespace {

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
    setenv(name_.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(name_.c_str()); }

 private:
  std::string name_;
};

class SettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_path_ = (std::filesystem::temp_directory_path() /
                    ("arbor-settings-" + std::to_string(getpid()) + ".toml"))
                       .string();
  }
  void TearDown() override { std::filesystem::remove(config_path_); }

  void WriteConfig(const std::string& contents) {
    std::ofstream(config_path_, std::ios::trunc) << contents;
  }

  // Parses `args` (after the program name) into settings_.
  absl::Status Parse(std::vector<std::string> args) {
    args.insert(args.begin(), "arbord");
    std::vector<const char*> argv;
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    app_ = std::make_unique<CLI::App>("arbord");
    settings_ = ServerSettings();
    AddServerSettings(*app_, &settings_);
    return ParseServerSettings(*app_, static_cast<int>(argv.size()), argv.data());
  }

  std::string config_path_;
  std::unique_ptr<CLI::App> app_;
  ServerSettings settings_;
};

TEST_F(SettingsTest, DefaultsWithoutSources) {
  ASSERT_TRUE(Parse({}).ok());
  EXPECT_EQ(settings_.data_dir, "./data");
  EXPECT_EQ(settings_.listen, "127.0.0.1:7400");
  EXPECT_TRUE(settings_.sync);
  EXPECT_EQ(settings_.log_format, "text");
  EXPECT_EQ(settings_.shutdown_grace_seconds, 10);
  EXPECT_EQ(settings_.max_threads, 64);
}

TEST_F(SettingsTest, ConfigFileSetsValues) {
  WriteConfig(
      "# comment\n"
      "data-dir = \"/var/lib/arbor\"\n"
      "listen = '0.0.0.0:7400'\n"
      "sync = false\n"
      "max_threads = 32\n"
      "shutdown-grace = 3\n");
  ASSERT_TRUE(Parse({"--config", config_path_}).ok());
  EXPECT_EQ(settings_.data_dir, "/var/lib/arbor");
  EXPECT_EQ(settings_.listen, "0.0.0.0:7400");
  EXPECT_FALSE(settings_.sync);
  EXPECT_EQ(settings_.max_threads, 32);
  EXPECT_EQ(settings_.shutdown_grace_seconds, 3);
}

TEST_F(SettingsTest, EnvironmentBeatsConfigFile) {
  WriteConfig("data-dir = \"/from/config\"\nmax-threads = 32\n");
  ScopedEnv data_dir("ARBOR_DATA_DIR", "/from/env");
  ScopedEnv config("ARBOR_CONFIG", config_path_);
  ASSERT_TRUE(Parse({}).ok());
  EXPECT_EQ(settings_.data_dir, "/from/env");
  EXPECT_EQ(settings_.max_threads, 32);
}

TEST_F(SettingsTest, CommandLineBeatsEnvironmentAndConfigFile) {
  WriteConfig("data-dir = \"/from/config\"\n");
  ScopedEnv data_dir("ARBOR_DATA_DIR", "/from/env");
  ASSERT_TRUE(Parse({"--config", config_path_, "--data-dir", "/from/flag"}).ok());
  EXPECT_EQ(settings_.data_dir, "/from/flag");
}

TEST_F(SettingsTest, UnknownConfigSettingRejected) {
  WriteConfig("data-dir = \"/x\"\nlisten-port = 7400\n");
  const absl::Status status = Parse({"--config", config_path_});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), "unknown setting \"listen-port\""))
      << status;
  EXPECT_TRUE(absl::StrContains(status.message(), config_path_)) << status;
}

TEST_F(SettingsTest, InvalidConfigValueRejected) {
  WriteConfig("max-threads = 100000\n");
  const absl::Status status = Parse({"--config", config_path_});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), "\"100000\" for \"max-threads\"")) << status;
}

TEST_F(SettingsTest, ConfigFileCannotNameConfig) {
  WriteConfig("config = \"/other.toml\"\n");
  const absl::Status status = Parse({"--config", config_path_});
  EXPECT_TRUE(absl::StrContains(status.message(), "unknown setting \"config\"")) << status;
}

TEST_F(SettingsTest, MissingConfigFileRejected) {
  const absl::Status status = Parse({"--config", config_path_ + ".missing"});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), "cannot read the config file")) << status;
}

TEST_F(SettingsTest, InvalidEnvironmentValueThrows) {
  ScopedEnv format("ARBOR_LOG_FORMAT", "xml");
  EXPECT_THROW(Parse({}).IgnoreError(), CLI::ValidationError);
}

TEST(EnvironmentVariableForTest, UpperSnakeCase) {
  EXPECT_EQ(EnvironmentVariableFor("--data-dir"), "ARBOR_DATA_DIR");
  EXPECT_EQ(EnvironmentVariableFor("--tls-client-ca"), "ARBOR_TLS_CLIENT_CA");
  EXPECT_EQ(EnvironmentVariableFor("--sync"), "ARBOR_SYNC");
}

}  // namespace
}  // namespace arbor::server

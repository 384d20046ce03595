// Log set-up for arbord: the level and the line format (text for people, JSON lines for log
// collectors) of spdlog's default logger.
//
// Not thread-safe: configure once at start-up, before other threads log.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "spdlog/formatter.h"

namespace arbor::server {

// Formats each record as one JSON object on one line:
//   {"time":"2026-12-04T23:20:48.123Z","level":"info","thread":1234,"message":"..."}
// time is UTC with milliseconds. The message is escaped as a JSON string, and bytes that are
// not valid UTF-8 become U+FFFD, so every line parses as JSON whatever a message contains.
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// Appends `text` to `out` as the body of a JSON string (without the quotes).
void AppendJsonEscaped(absl::string_view text, std::string* out);

// Sets the default logger's level ("trace" ... "off") and format ("text" or "json").
// INVALID_ARGUMENT names the value and the accepted ones.
absl::Status ConfigureLogging(const std::string& level, const std::string& format);

}  // namespace arbor::server

#include "server/logging.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "spdlog/spdlog.h"

namespace arbor::server {
namespace {

// Length of the UTF-8 sequence that starts at text[i], or 0 when the bytes there are not a
// valid, shortest-form sequence of a scalar value.
size_t Utf8SequenceLength(absl::string_view text, size_t i) {
  const auto byte = [&](size_t at) { return static_cast<uint8_t>(text[at]); };
  const auto continuation = [&](size_t at) { return at < text.size() && (byte(at) & 0xC0) == 0x80; };

  const uint8_t lead = byte(i);
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(i + 1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (!continuation(i + 1) || !continuation(i + 2)) return 0;
    if (lead == 0xE0 && byte(i + 1) < 0xA0) return 0;   // overlong
    if (lead == 0xED && byte(i + 1) >= 0xA0) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (!continuation(i + 1) || !continuation(i + 2) || !continuation(i + 3)) return 0;
    if (lead == 0xF0 && byte(i + 1) < 0x90) return 0;   // overlong
    if (lead == 0xF4 && byte(i + 1) >= 0x90) return 0;  // beyond U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

void AppendJsonEscaped(absl::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const auto unit = static_cast<uint8_t>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (unit < 0x20 || unit == 0x7F) {
      out->append("\\u00");
      out->push_back(kHex[unit >> 4]);
      out->push_back(kHex[unit & 0xF]);
    } else if (unit >= 0x80) {
      const size_t length = Utf8SequenceLength(text, i);
      if (length == 0) {
        out->append("\\ufffd");
        ++i;
        continue;
      }
      out->append(text.data() + i, length);
      i += length;
      continue;
    } else {
      out->push_back(c);
    }
    ++i;
  }
}

void JsonLogFormatter::format(const spdlog::details::log_msg& message,
                              spdlog::memory_buf_t& dest) {
  std::string line = "{\"time\":\"";
  line += absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromChrono(message.time),
                           absl::UTCTimeZone());
  const spdlog::string_view_t level = spdlog::level::to_string_view(message.level);
  absl::StrAppend(&line, "\",\"level\":\"", absl::string_view(level.data(), level.size()),
                  "\",\"thread\":", message.thread_id, ",\"message\":\"");
  AppendJsonEscaped(absl::string_view(message.payload.data(), message.payload.size()), &line);
  line += "\"}\n";
  dest.append(line.data(), line.data() + line.size());
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

absl::Status ConfigureLogging(const std::string& level, const std::string& format) {
  const spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid --log-level \"", level, "\"; expected trace, debug, info, warn, error or off"));
  }

  if (format == "json") {
    spdlog::set_formatter(std::make_unique<JsonLogFormatter>());
  } else if (format == "text") {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --log-format \"", format, "\"; expected text or json"));
  }
  spdlog::set_level(parsed);
  return absl::OkStatus();
}

}  // namespace arbor::server

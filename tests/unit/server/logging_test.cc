#include "server/logging.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "spdlog/details/log_msg.h"

namespace arbor::server {
namespace {

std::string Escaped(absl::string_view text) {
  std::string out;
  AppendJsonEscaped(text, &out);
  return out;
}

TEST(JsonEscapeTest, QuotesBackslashesAndControls) {
  EXPECT_EQ(Escaped("plain text"), "plain text");
  EXPECT_EQ(Escaped("say \"hi\""), "say \\\"hi\\\"");
  EXPECT_EQ(Escaped("C:\\dir"), "C:\\\\dir");
  EXPECT_EQ(Escaped("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  EXPECT_EQ(Escaped(absl::string_view("\x01\x1f\x7f", 3)), "\\u0001\\u001f\\u007f");
  EXPECT_EQ(Escaped(absl::string_view("nul\0end", 7)), "nul\\u0000end");
}

TEST(JsonEscapeTest, KeepsValidUtf8) {
  EXPECT_EQ(Escaped("caf\xc3\xa9"), "caf\xc3\xa9");                    // 2 bytes
  EXPECT_EQ(Escaped("\xe2\x82\xac"), "\xe2\x82\xac");                  // 3 bytes
  EXPECT_EQ(Escaped("\xf0\x9f\x8c\xb3"), "\xf0\x9f\x8c\xb3");          // 4 bytes
}

TEST(JsonEscapeTest, ReplacesInvalidUtf8) {
  EXPECT_EQ(Escaped("a\xff" "b"), "a\\ufffdb");                 // never valid
  EXPECT_EQ(Escaped("\xc3"), "\\ufffd");                        // truncated
  EXPECT_EQ(Escaped("\xc0\xaf"), "\\ufffd\\ufffd");             // overlong
  EXPECT_EQ(Escaped("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");  // surrogate
  EXPECT_EQ(Escaped("\xf4\x90\x80\x80"), "\\ufffd\\ufffd\\ufffd\\ufffd");  // > U+10FFFF
}

TEST(JsonLogFormatterTest, OneObjectPerLine) {
  spdlog::details::log_msg message("arbord", spdlog::level::warn, "tenant \"t1\"\nfailed");
  message.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764889248123));
  message.thread_id = 42;
  spdlog::memory_buf_t buffer;
  JsonLogFormatter().format(message, buffer);
  EXPECT_EQ(std::string(buffer.data(), buffer.size()),
            "{\"time\":\"2025-12-04T23:00:48.123Z\",\"level\":\"warning\",\"thread\":42,"
            "\"message\":\"tenant \\\"t1\\\"\\nfailed\"}\n");
}

TEST(ConfigureLoggingTest, RejectsUnknownValues) {
  const absl::Status level = ConfigureLogging("loud", "text");
  EXPECT_EQ(level.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(level.message(), "\"loud\"")) << level;
  const absl::Status format = ConfigureLogging("info", "xml");
  EXPECT_EQ(format.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(format.message(), "\"xml\"")) << format;
  EXPECT_TRUE(ConfigureLogging("info", "text").ok());
}

}  // namespace
}  // namespace arbor::server

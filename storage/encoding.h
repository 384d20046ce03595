// Byte encodings of the keys and values Arbor stores in RocksDB.
//
// Keys use big-endian integers so that RocksDB's bytewise order sorts them numerically; values
// use little-endian integers and floats. Every value starts with a one-byte format version so
// that a later release can read what an earlier one wrote. Decoding never reads past the end of
// its input: a short or malformed value is a DataLoss error.
#pragma once

#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"

namespace arbor::storage {

using CollectionId = uint32_t;
using TenantId = uint32_t;
using VectorId = uint64_t;

void AppendBigEndian32(std::string* out, uint32_t value);
void AppendBigEndian64(std::string* out, uint64_t value);
uint32_t ReadBigEndian32(absl::string_view bytes);
uint64_t ReadBigEndian64(absl::string_view bytes);

// Builds a value field by field.
class ValueWriter {
 public:
  explicit ValueWriter(uint8_t version) { bytes_.push_back(static_cast<char>(version)); }

  void U8(uint8_t v) { bytes_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v);
  void U64(uint64_t v);
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void F32(float v) { U32(std::bit_cast<uint32_t>(v)); }  // the IEEE 754 bits, little-endian
  void String(absl::string_view s);  // length-prefixed
  void Floats(const float* values, size_t count);  // raw, the count is known from the schema

  std::string Take() { return std::move(bytes_); }

 private:
  std::string bytes_;
};

// Reads a value written by ValueWriter. Each accessor fails once the input is exhausted.
class ValueReader {
 public:
  // `what` names the value in error messages, e.g. "collection record 'fm'".
  ValueReader(absl::string_view bytes, std::string what);

  // Checks the format version byte against the range this build reads.
  absl::Status ExpectVersion(uint8_t min_version, uint8_t max_version);
  absl::StatusOr<uint8_t> U8();
  absl::StatusOr<uint32_t> U32();
  absl::StatusOr<uint64_t> U64();
  absl::StatusOr<int64_t> I64();
  absl::StatusOr<float> F32();
  absl::StatusOr<std::string> String();
  absl::Status Floats(float* out, size_t count);
  // Fails unless every byte was consumed.
  absl::Status ExpectEnd() const;

  uint8_t version() const { return version_; }
  size_t remaining() const { return bytes_.size() - offset_; }

 private:
  absl::Status Need(size_t count) const;

  absl::string_view bytes_;
  std::string what_;
  size_t offset_ = 0;
  uint8_t version_ = 0;
};

}  // namespace arbor::storage

#include "storage/encoding.h"

#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace arbor::storage {

void AppendBigEndian32(std::string* out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

void AppendBigEndian64(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

uint32_t ReadBigEndian32(absl::string_view bytes) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

uint64_t ReadBigEndian64(absl::string_view bytes) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

void ValueWriter::U32(uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<char>(v >> (8 * i)));
}

void ValueWriter::U64(uint64_t v) {
  for (int i = 0; i < 8; ++i) bytes_.push_back(static_cast<char>(v >> (8 * i)));
}

void ValueWriter::String(absl::string_view s) {
  U32(static_cast<uint32_t>(s.size()));
  bytes_.append(s.data(), s.size());
}

void ValueWriter::Floats(const float* values, size_t count) {
  static_assert(std::endian::native == std::endian::little, "values are stored little-endian");
  bytes_.append(reinterpret_cast<const char*>(values), count * sizeof(float));
}

ValueReader::ValueReader(absl::string_view bytes, std::string what)
    : bytes_(bytes), what_(std::move(what)) {}

absl::Status ValueReader::Need(size_t count) const {
  if (remaining() >= count) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(what_, " is truncated: needs ", count,
                                          " more bytes at offset ", offset_, " of ",
                                          bytes_.size()));
}

absl::Status ValueReader::ExpectVersion(uint8_t min_version, uint8_t max_version) {
  auto version = U8();
  if (!version.ok()) return version.status();
  version_ = *version;
  if (version_ >= min_version && version_ <= max_version) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(what_, " has format version ", version_,
                                          ", but this build reads versions ", min_version, " to ",
                                          max_version, "; upgrade arbord to read this data"));
}

absl::StatusOr<uint8_t> ValueReader::U8() {
  if (auto s = Need(1); !s.ok()) return s;
  return static_cast<uint8_t>(bytes_[offset_++]);
}

absl::StatusOr<uint32_t> ValueReader::U32() {
  if (auto s = Need(4); !s.ok()) return s;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(bytes_[offset_ + i])} << (8 * i);
  offset_ += 4;
  return v;
}

absl::StatusOr<uint64_t> ValueReader::U64() {
  if (auto s = Need(8); !s.ok()) return s;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(bytes_[offset_ + i])} << (8 * i);
  offset_ += 8;
  return v;
}

absl::StatusOr<int64_t> ValueReader::I64() {
  auto v = U64();
  if (!v.ok()) return v.status();
  return static_cast<int64_t>(*v);
}

absl::StatusOr<float> ValueReader::F32() {
  auto bits = U32();
  if (!bits.ok()) return bits.status();
  return std::bit_cast<float>(*bits);
}

absl::StatusOr<std::string> ValueReader::String() {
  auto size = U32();
  if (!size.ok()) return size.status();
  if (auto s = Need(*size); !s.ok()) return s;
  std::string value(bytes_.substr(offset_, *size));
  offset_ += *size;
  return value;
}

absl::Status ValueReader::Floats(float* out, size_t count) {
  if (auto s = Need(count * sizeof(float)); !s.ok()) return s;
  std::memcpy(out, bytes_.data() + offset_, count * sizeof(float));
  offset_ += count * sizeof(float);
  return absl::OkStatus();
}

absl::Status ValueReader::ExpectEnd() const {
  if (remaining() == 0) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrCat(what_, " has ", remaining(), " unexpected trailing bytes"));
}

}  // namespace arbor::storage

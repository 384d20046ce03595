#include "client/datasets.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "client/binary_input.h"
#include "client/npy_header.h"

namespace arbor::client {
namespace {

using internal::ConvertElements;
using internal::ElementKind;
using internal::ElementType;
using internal::ElementTypeName;
using internal::FileError;
using internal::FormatShape;
using internal::GzFile;
using internal::LoadBigEndian32;
using internal::LoadLittleEndian32;
using internal::NpyHeader;
using internal::ParseNpyDescr;
using internal::ReadNpyHeader;

// ReadVectors() reads rows in chunks of about this many bytes of file data.
constexpr size_t kReadChunkBytes = size_t{4} << 20;

// ReadVectors() reserves memory for the declared row count only up to this many values, because
// the header of a compressed file cannot be checked against the file size up front.
constexpr size_t kMaxReserveValues = size_t{1} << 26;

absl::Status CheckDimension(absl::string_view path, uint64_t dim, absl::string_view source) {
  if (dim == 0 || dim > kMaxVectorDimension) {
    return FileError(
        path, absl::StrCat(source, " gives dimension ", dim, ", expected 1..", kMaxVectorDimension,
                           "; the file may not be in the format it is read as"));
  }
  return absl::OkStatus();
}

// Reader for formats whose header gives the row count and whose rows are `dim` values of one
// element type with nothing in between: fbin, npy and idx.
class FixedRowReader final : public VectorReader {
 public:
  FixedRowReader(std::unique_ptr<GzFile> file, VectorFormat format, size_t rows, size_t dim,
                 ElementType type)
      : file_(std::move(file)),
        format_(format),
        rows_(rows),
        dim_(dim),
        type_(type),
        row_bytes_(dim * type.size),
        data_offset_(file_->offset()) {}

  // Checks the header against the file size when the file is not compressed, so a truncated
  // file or one with a wrong header fails before any row is returned.
  absl::Status CheckPlainSize() {
    std::optional<uint64_t> size = file_->plain_size();
    if (!size.has_value()) {
      return absl::OkStatus();
    }

    uint64_t expected = data_offset_ + static_cast<uint64_t>(rows_) * row_bytes_;
    if (*size < expected) {
      uint64_t row = (*size - data_offset_) / row_bytes_;
      return FileError(
          file_->path(),
          absl::StrCat("truncated at row ", row, " (byte offset ", data_offset_ + row * row_bytes_,
                       "): the header declares ", rows_, " rows of ", row_bytes_,
                       " bytes, so the file needs ", expected, " bytes but has ", *size));
    }
    if (*size > expected) {
      return TrailingDataError(expected);
    }
    return absl::OkStatus();
  }

  VectorFormat format() const override { return format_; }
  size_t dim() const override { return dim_; }
  std::optional<size_t> total_rows() const override { return rows_; }
  size_t rows_read() const override { return rows_read_; }

  absl::StatusOr<size_t> ReadRows(size_t max_rows, std::vector<float>* out) override {
    if (max_rows == 0) {
      return absl::InvalidArgumentError("ReadRows: max_rows must be positive");
    }
    size_t count = std::min(max_rows, rows_ - rows_read_);
    if (count == 0) {
      absl::Status end = CheckEnd();
      if (!end.ok()) {
        return end;
      }
      return 0;
    }

    buffer_.resize(count * row_bytes_);
    absl::StatusOr<size_t> read_bytes = file_->Read(buffer_.data(), buffer_.size());
    if (!read_bytes.ok()) {
      return read_bytes.status();
    }
    if (*read_bytes < buffer_.size()) {
      return TruncatedError(*read_bytes);
    }

    size_t old_size = out->size();
    out->resize(old_size + count * dim_);
    ConvertElements(type_, buffer_.data(), count * dim_, out->data() + old_size);
    rows_read_ += count;
    return count;
  }

 private:
  absl::Status TruncatedError(size_t read_bytes) const {
    size_t row = rows_read_ + read_bytes / row_bytes_;
    size_t partial = read_bytes % row_bytes_;
    uint64_t offset = data_offset_ + static_cast<uint64_t>(row) * row_bytes_;
    if (partial > 0) {
      return FileError(file_->path(), absl::StrCat("truncated at row ", row, " (byte offset ",
                                                   offset, "): expected ", row_bytes_,
                                                   " bytes for the row, found ", partial));
    }
    return FileError(file_->path(), absl::StrCat("truncated at row ", row, " (byte offset ", offset,
                                                 "): the header declares ", rows_,
                                                 " rows, but the file ends after ", row));
  }

  absl::Status TrailingDataError(uint64_t offset) const {
    return FileError(file_->path(),
                     absl::StrCat("unexpected data at byte offset ", offset, " after the ", rows_,
                                  " rows of ", dim_, " ", ElementTypeName(type_),
                                  " values the header declares; the header does not match "
                                  "the data"));
  }

  // Checks once, after the last row, that the file has no more data.
  absl::Status CheckEnd() {
    if (end_checked_) {
      return absl::OkStatus();
    }
    end_checked_ = true;

    unsigned char extra = 0;
    uint64_t offset = file_->offset();
    absl::StatusOr<size_t> read_bytes = file_->Read(&extra, 1);
    if (!read_bytes.ok()) {
      return read_bytes.status();
    }
    if (*read_bytes > 0) {
      return TrailingDataError(offset);
    }
    return absl::OkStatus();
  }

  std::unique_ptr<GzFile> file_;
  VectorFormat format_;
  size_t rows_;
  size_t dim_;
  ElementType type_;
  size_t row_bytes_;
  uint64_t data_offset_;
  size_t rows_read_ = 0;
  bool end_checked_ = false;
  std::vector<unsigned char> buffer_;
};

// Opens a FixedRowReader after its header was read and checks the size of a plain file.
absl::StatusOr<std::unique_ptr<VectorReader>> MakeFixedRowReader(std::unique_ptr<GzFile> file,
                                                                 VectorFormat format, size_t rows,
                                                                 size_t dim, ElementType type) {
  auto reader = std::make_unique<FixedRowReader>(std::move(file), format, rows, dim, type);
  absl::Status size_check = reader->CheckPlainSize();
  if (!size_check.ok()) {
    return size_check;
  }
  return reader;
}

// fvecs: every row is an int32 dimension followed by that many float32 values.
class FvecsReader final : public VectorReader {
 public:
  static absl::StatusOr<std::unique_ptr<VectorReader>> Open(std::unique_ptr<GzFile> file) {
    unsigned char header[4];
    absl::StatusOr<size_t> read_bytes = file->Read(header, sizeof(header));
    if (!read_bytes.ok()) {
      return read_bytes.status();
    }
    if (*read_bytes == 0) {
      return FileError(file->path(),
                       "file is empty; expected fvecs rows (an int32 dimension, then that many "
                       "float32 values)");
    }
    if (*read_bytes < sizeof(header)) {
      return FileError(file->path(), absl::StrCat("truncated at row 0 (byte offset 0): expected "
                                                  "a 4-byte dimension, found ",
                                                  *read_bytes, " bytes"));
    }

    auto dim = static_cast<int32_t>(LoadLittleEndian32(header));
    if (dim <= 0 || static_cast<uint64_t>(dim) > kMaxVectorDimension) {
      return FileError(file->path(),
                       absl::StrCat("row 0 (byte offset 0) has dimension ", dim, ", expected 1..",
                                    kMaxVectorDimension, "; the file may not be an fvecs file"));
    }

    auto reader =
        std::unique_ptr<FvecsReader>(new FvecsReader(std::move(file), static_cast<size_t>(dim)));
    absl::Status size_check = reader->CheckPlainSize();
    if (!size_check.ok()) {
      return size_check;
    }
    return reader;
  }

  VectorFormat format() const override { return VectorFormat::kFvecs; }
  size_t dim() const override { return dim_; }
  std::optional<size_t> total_rows() const override { return total_rows_; }
  size_t rows_read() const override { return rows_read_; }

  absl::StatusOr<size_t> ReadRows(size_t max_rows, std::vector<float>* out) override {
    if (max_rows == 0) {
      return absl::InvalidArgumentError("ReadRows: max_rows must be positive");
    }

    // Open() already consumed the dimension of row 0, so it is put back in front here.
    buffer_.resize(max_rows * row_bytes_);
    size_t prefix_bytes = 0;
    if (!first_header_used_) {
      std::memcpy(buffer_.data(), first_header_, sizeof(first_header_));
      prefix_bytes = sizeof(first_header_);
      first_header_used_ = true;
    }
    absl::StatusOr<size_t> read_bytes =
        file_->Read(buffer_.data() + prefix_bytes, buffer_.size() - prefix_bytes);
    if (!read_bytes.ok()) {
      return read_bytes.status();
    }
    size_t available = prefix_bytes + *read_bytes;

    size_t full_rows = available / row_bytes_;
    if (available % row_bytes_ != 0) {
      return TruncatedError(full_rows, available % row_bytes_);
    }

    size_t old_size = out->size();
    out->resize(old_size + full_rows * dim_);
    for (size_t i = 0; i < full_rows; ++i) {
      const unsigned char* row = buffer_.data() + i * row_bytes_;
      absl::Status row_check = CheckRowDimension(rows_read_ + i, row);
      if (!row_check.ok()) {
        out->resize(old_size);
        return row_check;
      }
      ConvertElements(ElementType{}, row + 4, dim_, out->data() + old_size + i * dim_);
    }
    rows_read_ += full_rows;
    return full_rows;
  }

 private:
  FvecsReader(std::unique_ptr<GzFile> file, size_t dim)
      : file_(std::move(file)), dim_(dim), row_bytes_(4 + 4 * dim) {
    uint32_t dim32 = static_cast<uint32_t>(dim);
    for (int i = 0; i < 4; ++i) {
      first_header_[i] = static_cast<unsigned char>(dim32 >> (8 * i));
    }
  }

  absl::Status CheckPlainSize() {
    std::optional<uint64_t> size = file_->plain_size();
    if (!size.has_value()) {
      return absl::OkStatus();
    }
    if (*size % row_bytes_ != 0) {
      return FileError(
          file_->path(),
          absl::StrCat("file size ", *size, " is not a multiple of the row size ", row_bytes_,
                       " (4-byte dimension plus ", dim_,
                       " float32 values, from row 0); the file is truncated or its rows have "
                       "different dimensions"));
    }
    total_rows_ = static_cast<size_t>(*size / row_bytes_);
    return absl::OkStatus();
  }

  absl::Status CheckRowDimension(size_t row, const unsigned char* bytes) const {
    auto dim = static_cast<int32_t>(LoadLittleEndian32(bytes));
    if (dim != static_cast<int32_t>(dim_)) {
      return FileError(file_->path(),
                       absl::StrCat("row ", row, " (byte offset ", row * row_bytes_,
                                    ") has dimension ", dim, ", expected ", dim_, " like row 0"));
    }
    return absl::OkStatus();
  }

  absl::Status TruncatedError(size_t full_rows, size_t partial_bytes) const {
    size_t row = rows_read_ + full_rows;
    return FileError(file_->path(),
                     absl::StrCat("truncated at row ", row, " (byte offset ", row * row_bytes_,
                                  "): expected ", row_bytes_, " bytes for the row (dimension ",
                                  dim_, "), found ", partial_bytes));
  }

  std::unique_ptr<GzFile> file_;
  size_t dim_;
  size_t row_bytes_;
  std::optional<size_t> total_rows_;
  size_t rows_read_ = 0;
  unsigned char first_header_[4];
  bool first_header_used_ = false;
  std::vector<unsigned char> buffer_;
};

absl::StatusOr<std::unique_ptr<VectorReader>> OpenFbin(std::unique_ptr<GzFile> file) {
  unsigned char header[8];
  absl::Status read = file->ReadExact(header, sizeof(header),
                                      "the fbin header (uint32 rows, "
                                      "uint32 dimension)");
  if (!read.ok()) {
    return read;
  }

  uint32_t rows = LoadLittleEndian32(header);
  uint32_t dim = LoadLittleEndian32(header + 4);
  absl::Status dim_check = CheckDimension(file->path(), dim, "the fbin header");
  if (!dim_check.ok()) {
    return dim_check;
  }
  return MakeFixedRowReader(std::move(file), VectorFormat::kFbin, rows, dim, ElementType{});
}

absl::StatusOr<std::unique_ptr<VectorReader>> OpenNpy(std::unique_ptr<GzFile> file) {
  absl::StatusOr<NpyHeader> header = ReadNpyHeader(*file);
  if (!header.ok()) {
    return header.status();
  }

  std::optional<ElementType> type = ParseNpyDescr(header->descr);
  if (!type.has_value()) {
    return FileError(file->path(),
                     absl::StrCat("unsupported dtype '", header->descr,
                                  "'; expected float32 or float64 ('<f4', '<f8'), a signed or "
                                  "unsigned integer of 1, 2, 4 or 8 bytes ('|u1', '<i4', ...), "
                                  "either byte order"));
  }
  if (header->fortran_order) {
    return FileError(file->path(),
                     "the array is stored in Fortran (column-major) order, expected C order; "
                     "save it with numpy.ascontiguousarray()");
  }
  if (header->shape.size() != 2) {
    return FileError(file->path(), absl::StrCat("the array has shape ", FormatShape(header->shape),
                                                ", expected a 2-d array (rows, dimension)"));
  }

  uint64_t rows = header->shape[0];
  uint64_t dim = header->shape[1];
  absl::Status dim_check = CheckDimension(file->path(), dim, "the npy shape");
  if (!dim_check.ok()) {
    return dim_check;
  }
  if (rows > std::numeric_limits<uint32_t>::max()) {
    return FileError(file->path(), absl::StrCat("the npy shape declares ", rows,
                                                " rows, more than the 2^32-1 this reader "
                                                "accepts"));
  }
  return MakeFixedRowReader(std::move(file), VectorFormat::kNpy, rows, dim, *type);
}

// Maps the type byte of an idx magic number to its element type.
std::optional<ElementType> IdxElementType(unsigned char code) {
  switch (code) {
    case 0x08:
      return ElementType{ElementKind::kUnsigned, 1, true};
    case 0x09:
      return ElementType{ElementKind::kSigned, 1, true};
    case 0x0B:
      return ElementType{ElementKind::kSigned, 2, true};
    case 0x0C:
      return ElementType{ElementKind::kSigned, 4, true};
    case 0x0D:
      return ElementType{ElementKind::kFloat, 4, true};
    case 0x0E:
      return ElementType{ElementKind::kFloat, 8, true};
    default:
      return std::nullopt;
  }
}

absl::Status BadIdxMagic(absl::string_view path, uint32_t magic, absl::string_view expected) {
  return FileError(
      path, absl::StrFormat("bad magic 0x%08X at byte offset 0: expected %s", magic, expected));
}

absl::StatusOr<std::unique_ptr<VectorReader>> OpenIdx(std::unique_ptr<GzFile> file) {
  unsigned char magic_bytes[4];
  absl::Status read = file->ReadExact(magic_bytes, sizeof(magic_bytes), "the idx magic number");
  if (!read.ok()) {
    return read;
  }
  uint32_t magic = LoadBigEndian32(magic_bytes);
  constexpr absl::string_view kExpected =
      "an idx header 0x0000TTNN such as 0x00000803 for unsigned-byte images";
  if (magic_bytes[0] != 0 || magic_bytes[1] != 0) {
    return BadIdxMagic(file->path(), magic, kExpected);
  }

  std::optional<ElementType> type = IdxElementType(magic_bytes[2]);
  if (!type.has_value()) {
    return BadIdxMagic(
        file->path(), magic,
        absl::StrFormat("%s (element type 0x%02X is unknown)", kExpected, magic_bytes[2]));
  }
  size_t dimensions = magic_bytes[3];
  if (dimensions == 1) {
    return BadIdxMagic(file->path(), magic,
                       absl::StrCat(kExpected,
                                    "; this is a 1-d idx file such as a label file, "
                                    "which holds no vectors"));
  }
  if (dimensions == 0) {
    return BadIdxMagic(file->path(), magic, kExpected);
  }

  std::vector<unsigned char> size_bytes(4 * dimensions);
  read = file->ReadExact(size_bytes.data(), size_bytes.size(), "the idx dimension sizes");
  if (!read.ok()) {
    return read;
  }
  uint32_t rows = LoadBigEndian32(size_bytes.data());
  uint64_t dim = 1;
  for (size_t i = 1; i < dimensions; ++i) {
    dim *= LoadBigEndian32(size_bytes.data() + 4 * i);
    if (dim > kMaxVectorDimension) {
      break;
    }
  }
  absl::Status dim_check = CheckDimension(file->path(), dim, "the idx header");
  if (!dim_check.ok()) {
    return dim_check;
  }
  return MakeFixedRowReader(std::move(file), VectorFormat::kIdx, rows, dim, *type);
}

// Reads the labels of an idx1 file whose 4-byte magic was already read.
absl::StatusOr<std::vector<std::string>> ReadIdxLabels(GzFile& file,
                                                       const unsigned char* magic_bytes) {
  uint32_t magic = LoadBigEndian32(magic_bytes);
  if (magic != 0x00000801) {
    return BadIdxMagic(file.path(), magic, "0x00000801 for an idx label file (1-d unsigned bytes)");
  }

  unsigned char count_bytes[4];
  absl::Status read = file.ReadExact(count_bytes, sizeof(count_bytes), "the idx label count");
  if (!read.ok()) {
    return read;
  }
  uint32_t count = LoadBigEndian32(count_bytes);

  std::vector<unsigned char> values(count);
  absl::StatusOr<size_t> read_bytes = file.Read(values.data(), values.size());
  if (!read_bytes.ok()) {
    return read_bytes.status();
  }
  if (*read_bytes < count) {
    return FileError(file.path(),
                     absl::StrCat("truncated at label ", *read_bytes, " (byte offset ",
                                  8 + *read_bytes, "): the header declares ", count, " labels"));
  }

  unsigned char extra = 0;
  read_bytes = file.Read(&extra, 1);
  if (!read_bytes.ok()) {
    return read_bytes.status();
  }
  if (*read_bytes > 0) {
    return FileError(file.path(),
                     absl::StrCat("unexpected data at byte offset ", 8 + count, " after the ",
                                  count, " labels the header declares"));
  }

  std::vector<std::string> labels;
  labels.reserve(count);
  for (unsigned char value : values) {
    labels.push_back(absl::StrCat(value));
  }
  return labels;
}

// Splits a text label file into trimmed lines. Empty lines at the end are ignored.
absl::StatusOr<std::vector<std::string>> ParseTextLabels(absl::string_view path,
                                                         absl::string_view text) {
  size_t nul = text.find('\0');
  if (nul != absl::string_view::npos) {
    return FileError(path, absl::StrCat("contains a NUL byte at byte offset ", nul,
                                        "; expected a text file with one label per line or an "
                                        "idx label file"));
  }

  std::vector<std::string> labels;
  size_t first_empty_line = 0;  // 1-based line number of the first empty line, or 0.
  size_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    absl::string_view label = absl::StripAsciiWhitespace(line);
    if (label.empty()) {
      if (first_empty_line == 0) {
        first_empty_line = line_number;
      }
      continue;
    }
    if (first_empty_line != 0) {
      return FileError(path, absl::StrCat("line ", first_empty_line,
                                          " is empty; every line must hold the label of one "
                                          "vector"));
    }
    labels.emplace_back(label);
  }
  return labels;
}

}  // namespace

absl::StatusOr<VectorFormat> ParseVectorFormat(std::string_view format_name) {
  absl::string_view name(format_name.data(), format_name.size());
  if (name == "fvecs") return VectorFormat::kFvecs;
  if (name == "fbin") return VectorFormat::kFbin;
  if (name == "npy") return VectorFormat::kNpy;
  if (name == "idx") return VectorFormat::kIdx;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown vector format '", name, "'; expected fvecs, fbin, npy or idx"));
}

std::string_view VectorFormatName(VectorFormat format) {
  switch (format) {
    case VectorFormat::kFvecs:
      return "fvecs";
    case VectorFormat::kFbin:
      return "fbin";
    case VectorFormat::kNpy:
      return "npy";
    case VectorFormat::kIdx:
      return "idx";
  }
  return "unknown";
}

absl::StatusOr<VectorFormat> InferVectorFormat(std::string_view file_path) {
  absl::string_view path(file_path.data(), file_path.size());
  std::string name = absl::AsciiStrToLower(path.substr(path.rfind('/') + 1));
  bool compressed = absl::EndsWith(name, ".gz");
  if (compressed) {
    name.resize(name.size() - 3);
  }

  if (absl::EndsWith(name, ".fvecs")) return VectorFormat::kFvecs;
  if (absl::EndsWith(name, ".fbin")) return VectorFormat::kFbin;
  if (absl::EndsWith(name, ".npy")) return VectorFormat::kNpy;
  if (absl::StrContains(name, "idx") || absl::StrContains(name, "ubyte") || compressed) {
    return VectorFormat::kIdx;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "cannot infer the format of ", path,
      " from its name: expected a name ending in .fvecs, .fbin or .npy (optionally followed by "
      ".gz), or an idx name containing \"idx\" or \"ubyte\"; name the format explicitly"));
}

absl::StatusOr<std::unique_ptr<VectorReader>> VectorReader::Open(
    const std::string& path, std::optional<VectorFormat> format) {
  if (!format.has_value()) {
    absl::StatusOr<VectorFormat> inferred = InferVectorFormat(path);
    if (!inferred.ok()) {
      return inferred.status();
    }
    format = *inferred;
  }

  absl::StatusOr<std::unique_ptr<GzFile>> file = GzFile::Open(path);
  if (!file.ok()) {
    return file.status();
  }

  switch (*format) {
    case VectorFormat::kFvecs:
      return FvecsReader::Open(*std::move(file));
    case VectorFormat::kFbin:
      return OpenFbin(*std::move(file));
    case VectorFormat::kNpy:
      return OpenNpy(*std::move(file));
    case VectorFormat::kIdx:
      return OpenIdx(*std::move(file));
  }
  return absl::InvalidArgumentError("unknown vector format");
}

absl::StatusOr<VectorData> ReadVectors(const std::string& path, std::optional<VectorFormat> format,
                                       std::optional<size_t> max_rows) {
  absl::StatusOr<std::unique_ptr<VectorReader>> reader = VectorReader::Open(path, format);
  if (!reader.ok()) {
    return reader.status();
  }

  VectorData result;
  result.dim = (*reader)->dim();
  std::optional<size_t> expected_rows = (*reader)->total_rows();
  if (max_rows.has_value()) {
    expected_rows = std::min(expected_rows.value_or(*max_rows), *max_rows);
  }
  if (expected_rows.has_value()) {
    result.data.reserve(std::min(*expected_rows * result.dim, kMaxReserveValues));
  }

  size_t chunk_rows = std::max<size_t>(1, kReadChunkBytes / (4 * result.dim));
  while (true) {
    size_t requested_rows = chunk_rows;
    if (max_rows.has_value()) {
      requested_rows = std::min(requested_rows, *max_rows - result.rows);
      if (requested_rows == 0) {
        break;
      }
    }
    absl::StatusOr<size_t> read_rows = (*reader)->ReadRows(requested_rows, &result.data);
    if (!read_rows.ok()) {
      return read_rows.status();
    }
    if (*read_rows == 0) {
      break;
    }
    result.rows += *read_rows;
  }
  return result;
}

absl::StatusOr<std::vector<std::string>> ReadLabels(const std::string& path) {
  absl::StatusOr<std::unique_ptr<GzFile>> file = GzFile::Open(path);
  if (!file.ok()) {
    return file.status();
  }

  // An idx file starts with two zero bytes, which no text label file does.
  unsigned char prefix[4];
  absl::StatusOr<size_t> prefix_bytes = (*file)->Read(prefix, sizeof(prefix));
  if (!prefix_bytes.ok()) {
    return prefix_bytes.status();
  }
  if (*prefix_bytes >= 2 && prefix[0] == 0 && prefix[1] == 0) {
    if (*prefix_bytes < 4) {
      return FileError(path, "truncated at byte offset 0: expected a 4-byte idx magic number");
    }
    return ReadIdxLabels(**file, prefix);
  }

  std::string text(reinterpret_cast<char*>(prefix), *prefix_bytes);
  char buffer[64 * 1024];
  while (true) {
    absl::StatusOr<size_t> read_bytes = (*file)->Read(buffer, sizeof(buffer));
    if (!read_bytes.ok()) {
      return read_bytes.status();
    }
    if (*read_bytes == 0) {
      break;
    }
    text.append(buffer, *read_bytes);
  }
  return ParseTextLabels(path, text);
}

}  // namespace arbor::client

#include "client/npy_header.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace arbor::client::internal {
namespace {

// Header text of a .npy file longer than this is rejected as corrupt. NumPy pads a plain 2-d
// header to 64 or 128 bytes.
constexpr size_t kMaxNpyHeaderBytes = size_t{1} << 20;

// Parses the dict literal of a .npy header. It accepts string keys with string, boolean or
// integer-tuple values, which is everything NumPy writes for a plain array.
class NpyHeaderParser {
 public:
  explicit NpyHeaderParser(absl::string_view text) : text_(text) {}

  absl::StatusOr<NpyHeader> Parse() {
    NpyHeader header;
    bool has_descr = false;
    bool has_fortran_order = false;
    bool has_shape = false;

    if (!Consume('{')) {
      return Error("expected '{'");
    }
    while (true) {
      if (Consume('}')) {
        break;
      }
      absl::StatusOr<std::string> key = ParseString();
      if (!key.ok()) {
        return key.status();
      }
      if (!Consume(':')) {
        return Error("expected ':' after a key");
      }

      absl::Status value = absl::OkStatus();
      if (*key == "descr") {
        has_descr = true;
        absl::StatusOr<std::string> descr = ParseString();
        value = descr.ok() ? absl::OkStatus() : descr.status();
        if (descr.ok()) {
          header.descr = *descr;
        }
      } else if (*key == "fortran_order") {
        has_fortran_order = true;
        value = ParseBool(&header.fortran_order);
      } else if (*key == "shape") {
        has_shape = true;
        value = ParseShape(&header.shape);
      } else {
        return Error(absl::StrCat("unexpected key '", *key, "'"));
      }
      if (!value.ok()) {
        return value;
      }

      if (Consume(',')) {
        continue;
      }
      if (Consume('}')) {
        break;
      }
      return Error("expected ',' or '}' after a value");
    }

    if (!has_descr || !has_fortran_order || !has_shape) {
      return Error("expected the keys 'descr', 'fortran_order' and 'shape'");
    }
    return header;
  }

 private:
  void SkipSpace() {
    while (position_ < text_.size() && absl::ascii_isspace(text_[position_])) {
      ++position_;
    }
  }

  bool Consume(char c) {
    SkipSpace();
    if (position_ < text_.size() && text_[position_] == c) {
      ++position_;
      return true;
    }
    return false;
  }

  bool ConsumeWord(absl::string_view word) {
    SkipSpace();
    if (text_.substr(position_, word.size()) == word) {
      position_ += word.size();
      return true;
    }
    return false;
  }

  absl::Status Error(absl::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(message, " at character ", position_, " of the header"));
  }

  absl::StatusOr<std::string> ParseString() {
    SkipSpace();
    if (position_ >= text_.size() || (text_[position_] != '\'' && text_[position_] != '"')) {
      return Error("expected a quoted string");
    }
    char quote = text_[position_++];
    size_t end = text_.find(quote, position_);
    if (end == absl::string_view::npos) {
      return Error("unterminated string");
    }
    std::string value(text_.substr(position_, end - position_));
    position_ = end + 1;
    return value;
  }

  absl::Status ParseBool(bool* value) {
    if (ConsumeWord("True")) {
      *value = true;
      return absl::OkStatus();
    }
    if (ConsumeWord("False")) {
      *value = false;
      return absl::OkStatus();
    }
    return Error("expected True or False");
  }

  absl::Status ParseShape(std::vector<uint64_t>* shape) {
    if (!Consume('(')) {
      return Error("expected '(' to start the shape");
    }
    while (!Consume(')')) {
      SkipSpace();
      size_t start = position_;
      while (position_ < text_.size() && absl::ascii_isdigit(text_[position_])) {
        ++position_;
      }
      uint64_t size = 0;
      if (!absl::SimpleAtoi(text_.substr(start, position_ - start), &size)) {
        return Error("expected a non-negative integer in the shape");
      }
      shape->push_back(size);
      if (!Consume(',')) {
        if (!Consume(')')) {
          return Error("expected ',' or ')' in the shape");
        }
        break;
      }
    }
    return absl::OkStatus();
  }

  absl::string_view text_;
  size_t position_ = 0;
};

}  // namespace

std::optional<ElementType> ParseNpyDescr(absl::string_view descr) {
  if (descr.size() < 3) {
    return std::nullopt;
  }

  ElementType type;
  char byte_order = descr[0];
  char kind = descr[1];
  size_t size = 0;
  if (!absl::SimpleAtoi(descr.substr(2), &size)) {
    return std::nullopt;
  }
  type.size = size;

  if (kind == 'f') {
    type.kind = ElementKind::kFloat;
  } else if (kind == 'i') {
    type.kind = ElementKind::kSigned;
  } else if (kind == 'u') {
    type.kind = ElementKind::kUnsigned;
  } else {
    return std::nullopt;
  }

  // '|' means "byte order not applicable", and NumPy writes it only for 1-byte types. '=' is the
  // writer's native order, taken as little-endian like every common NumPy platform.
  if (byte_order == '<' || byte_order == '=') {
    type.big_endian = false;
  } else if (byte_order == '>') {
    type.big_endian = true;
  } else if (byte_order == '|' && size == 1) {
    type.big_endian = false;
  } else {
    return std::nullopt;
  }

  if (!IsSupported(type)) {
    return std::nullopt;
  }
  return type;
}

std::string FormatShape(const std::vector<uint64_t>& shape) {
  if (shape.size() == 1) {
    return absl::StrCat("(", shape[0], ",)");
  }
  return absl::StrCat("(", absl::StrJoin(shape, ", "), ")");
}

absl::StatusOr<NpyHeader> ReadNpyHeader(GzFile& file) {
  unsigned char prefix[8];
  absl::Status read = file.ReadExact(prefix, sizeof(prefix), "the npy magic and version");
  if (!read.ok()) {
    return read;
  }
  if (std::memcmp(prefix, "\x93NUMPY", 6) != 0) {
    return FileError(
        file.path(),
        absl::StrFormat("bad magic at byte offset 0: expected "
                        "\\x93NUMPY, found %s; not a .npy file",
                        absl::CHexEscape(absl::string_view(reinterpret_cast<char*>(prefix), 6))));
  }

  int major = prefix[6];
  int minor = prefix[7];
  size_t length_bytes = 0;
  if (major == 1) {
    length_bytes = 2;
  } else if (major == 2 || major == 3) {
    length_bytes = 4;
  } else {
    return FileError(file.path(), absl::StrCat("unsupported npy version ", major, ".", minor,
                                               "; expected 1.0, 2.0 or 3.0"));
  }

  unsigned char length_field[4] = {0, 0, 0, 0};
  read = file.ReadExact(length_field, length_bytes, "the npy header length");
  if (!read.ok()) {
    return read;
  }
  size_t header_length = LoadLittleEndian32(length_field);
  if (header_length > kMaxNpyHeaderBytes) {
    return FileError(file.path(), absl::StrCat("npy header length ", header_length,
                                               " is larger than the maximum ", kMaxNpyHeaderBytes,
                                               "; the file is corrupt"));
  }

  std::string text(header_length, '\0');
  read = file.ReadExact(text.data(), header_length, "the npy header");
  if (!read.ok()) {
    return read;
  }

  absl::StatusOr<NpyHeader> header = NpyHeaderParser(text).Parse();
  if (!header.ok()) {
    return FileError(file.path(), absl::StrCat("invalid npy header: ", header.status().message(),
                                               ": ", absl::StripAsciiWhitespace(text)));
  }
  return header;
}

}  // namespace arbor::client::internal

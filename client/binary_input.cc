#include "client/binary_input.h"

#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace arbor::client::internal {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the readers convert little-endian data by copying it, so they need a little-endian "
              "host");

template <typename T>
void ConvertAs(const unsigned char* source, size_t count, bool swap_bytes, float* destination) {
  unsigned char bytes[sizeof(T)];
  for (size_t i = 0; i < count; ++i) {
    std::memcpy(bytes, source + i * sizeof(T), sizeof(T));
    if (swap_bytes) {
      std::reverse(bytes, bytes + sizeof(T));
    }
    T value;
    std::memcpy(&value, bytes, sizeof(T));
    destination[i] = static_cast<float>(value);
  }
}

}  // namespace

absl::Status FileError(absl::string_view path, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", message));
}

absl::StatusOr<std::unique_ptr<GzFile>> GzFile::Open(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", path));
  }
  if (S_ISDIR(info.st_mode)) {
    return FileError(path, "is a directory, expected a file");
  }

  errno = 0;
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    int error_number = errno != 0 ? errno : ENOMEM;
    return absl::ErrnoToStatus(error_number, absl::StrCat("cannot open ", path));
  }
  gzbuffer(file, 256 * 1024);

  return std::unique_ptr<GzFile>(new GzFile(path, file, static_cast<uint64_t>(info.st_size)));
}

GzFile::GzFile(std::string path, gzFile file, uint64_t file_size)
    : path_(std::move(path)), file_(file), file_size_(file_size) {}

GzFile::~GzFile() { gzclose(file_); }

std::optional<uint64_t> GzFile::plain_size() {
  if (gzdirect(file_) == 1) {
    return file_size_;
  }
  return std::nullopt;
}

absl::StatusOr<size_t> GzFile::Read(void* buffer, size_t size) {
  auto* out = static_cast<unsigned char*>(buffer);
  size_t total = 0;
  while (total < size) {
    unsigned chunk = static_cast<unsigned>(std::min<size_t>(size - total, 1u << 30));
    int read_bytes = gzread(file_, out + total, chunk);
    if (read_bytes < 0) {
      return ReadError();
    }
    if (read_bytes == 0) {
      break;
    }
    total += static_cast<size_t>(read_bytes);
    offset_ += static_cast<uint64_t>(read_bytes);
  }

  // zlib returns the bytes it decompressed before a corrupt or truncated gzip stream and
  // reports the error only through gzerror().
  if (total < size) {
    int error_code = Z_OK;
    gzerror(file_, &error_code);
    if (error_code != Z_OK) {
      return ReadError();
    }
  }
  return total;
}

absl::Status GzFile::ReadExact(void* buffer, size_t size, absl::string_view contents) {
  uint64_t start = offset_;
  absl::StatusOr<size_t> read_bytes = Read(buffer, size);
  if (!read_bytes.ok()) {
    return read_bytes.status();
  }
  if (*read_bytes < size) {
    return FileError(path_, absl::StrCat("truncated at byte offset ", start, ": expected ", size,
                                         " bytes of ", contents, ", found ", *read_bytes));
  }
  return absl::OkStatus();
}

absl::Status GzFile::ReadError() {
  int error_code = Z_OK;
  const char* message = gzerror(file_, &error_code);
  if (error_code == Z_ERRNO) {
    return absl::ErrnoToStatus(errno,
                               absl::StrCat("failed to read ", path_, " at byte offset ", offset_));
  }
  return FileError(path_, absl::StrCat("gzip data is corrupt or truncated after ", offset_,
                                       " uncompressed bytes: ", message));
}

std::string ElementTypeName(const ElementType& type) {
  absl::string_view kind = type.kind == ElementKind::kFloat    ? "float"
                           : type.kind == ElementKind::kSigned ? "int"
                                                               : "uint";
  return absl::StrCat(kind, type.size * 8);
}

void ConvertElements(const ElementType& type, const unsigned char* source, size_t count,
                     float* destination) {
  bool swap = type.big_endian;
  switch (type.kind) {
    case ElementKind::kFloat:
      if (type.size == 4) {
        ConvertAs<float>(source, count, swap, destination);
      } else {
        ConvertAs<double>(source, count, swap, destination);
      }
      return;
    case ElementKind::kSigned:
      switch (type.size) {
        case 1:
          return ConvertAs<int8_t>(source, count, swap, destination);
        case 2:
          return ConvertAs<int16_t>(source, count, swap, destination);
        case 4:
          return ConvertAs<int32_t>(source, count, swap, destination);
        default:
          return ConvertAs<int64_t>(source, count, swap, destination);
      }
    case ElementKind::kUnsigned:
      switch (type.size) {
        case 1:
          return ConvertAs<uint8_t>(source, count, swap, destination);
        case 2:
          return ConvertAs<uint16_t>(source, count, swap, destination);
        case 4:
          return ConvertAs<uint32_t>(source, count, swap, destination);
        default:
          return ConvertAs<uint64_t>(source, count, swap, destination);
      }
  }
}

bool IsSupported(const ElementType& type) {
  if (type.kind == ElementKind::kFloat) {
    return type.size == 4 || type.size == 8;
  }
  return type.size == 1 || type.size == 2 || type.size == 4 || type.size == 8;
}

uint32_t LoadBigEndian32(const unsigned char* bytes) {
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
         uint32_t{bytes[3]};
}

uint32_t LoadLittleEndian32(const unsigned char* bytes) {
  return (uint32_t{bytes[3]} << 24) | (uint32_t{bytes[2]} << 16) | (uint32_t{bytes[1]} << 8) |
         uint32_t{bytes[0]};
}

}  // namespace arbor::client::internal

// Building blocks of the vector file readers in datasets.cc: a file read through zlib, and the
// conversion of stored little- or big-endian values to float32.
//
// Errors follow datasets.h: INVALID_ARGUMENT naming the file and byte offset for malformed
// content, the errno-derived code when a file cannot be opened or read.
//
// Thread safety: a GzFile must be used by one thread at a time. The free functions are
// thread-safe.

#ifndef ARBOR_CLIENT_BINARY_INPUT_H_
#define ARBOR_CLIENT_BINARY_INPUT_H_

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace arbor::client::internal {

// Returns INVALID_ARGUMENT with the message "<path>: <message>".
absl::Status FileError(absl::string_view path, absl::string_view message);

// A file read through zlib, which reads gzip-compressed and plain files alike.
class GzFile {
 public:
  static absl::StatusOr<std::unique_ptr<GzFile>> Open(const std::string& path);

  ~GzFile();

  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  const std::string& path() const { return path_; }

  // Offset in the uncompressed data of the next byte Read() returns.
  uint64_t offset() const { return offset_; }

  // Size of the file when it is not compressed, so the header can be checked against it.
  std::optional<uint64_t> plain_size();

  // Reads up to `size` bytes. Returns fewer only at the end of the data.
  absl::StatusOr<size_t> Read(void* buffer, size_t size);

  // Reads exactly `size` bytes. `contents` names them in the error for a short read, e.g.
  // "the npy header".
  absl::Status ReadExact(void* buffer, size_t size, absl::string_view contents);

 private:
  GzFile(std::string path, gzFile file, uint64_t file_size);

  absl::Status ReadError();

  std::string path_;
  gzFile file_;
  uint64_t file_size_;
  uint64_t offset_ = 0;
};

enum class ElementKind { kFloat, kSigned, kUnsigned };

// Type of the stored values of a file, converted to float32 on reading.
struct ElementType {
  ElementKind kind = ElementKind::kFloat;
  size_t size = 4;
  bool big_endian = false;
};

// Returns e.g. "float32" or "uint8".
std::string ElementTypeName(const ElementType& type);

// Converts `count` stored values to float32. The type must be one IsSupported() accepts.
void ConvertElements(const ElementType& type, const unsigned char* source, size_t count,
                     float* destination);

// True for float32, float64 and signed or unsigned integers of 1, 2, 4 or 8 bytes.
bool IsSupported(const ElementType& type);

uint32_t LoadBigEndian32(const unsigned char* bytes);
uint32_t LoadLittleEndian32(const unsigned char* bytes);

}  // namespace arbor::client::internal

#endif  // ARBOR_CLIENT_BINARY_INPUT_H_

// Readers for files of dense vectors and for label files.
//
// Vector formats (every value is converted to float32, and integer values keep their value):
//   fvecs  per row: int32 dimension, then that many float32 values. Every row must have the
//          dimension of the first.
//   fbin   uint32 rows, uint32 dimension, then rows * dimension float32 values.
//   npy    NumPy .npy version 1.0, 2.0 or 3.0 holding a 2-d C-order array of float32, float64,
//          int8/16/32/64 or uint8/16/32/64, either byte order.
//   idx    MNIST idx: big-endian magic 0x0000TTNN (TT the element type, NN the number of
//          dimensions), NN big-endian uint32 sizes, then the elements. Images (0x00000803,
//          N x R x C unsigned bytes) become N rows of R*C values 0..255. Any idx file of 2 or
//          more dimensions and element type ubyte, byte, short, int, float or double is read the
//          same way.
// All multi-byte values are little-endian except in idx. Every file may be gzip-compressed:
// zlib's gzread() reads compressed and plain files alike.
//
// Every error message names the file, the row or byte offset, and what was expected. Malformed
// content (bad magic, truncated file, dimension mismatch, unsupported dtype) is
// INVALID_ARGUMENT. A file that cannot be opened or read gets the code derived from errno.
//
// Thread safety: the free functions are thread-safe. A VectorReader must be used by one thread
// at a time.

#ifndef ARBOR_CLIENT_DATASETS_H_
#define ARBOR_CLIENT_DATASETS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace arbor::client {

enum class VectorFormat { kFvecs, kFbin, kNpy, kIdx };

// Largest accepted vector dimension: 2^24 float32 values fill the 64 MiB message limit, so a
// larger vector could never be sent. A larger value in a header means the file is not in the
// format it was read as.
inline constexpr size_t kMaxVectorDimension = size_t{1} << 24;

// Vectors read from a file: `rows` rows of `dim` values each, stored row after row in `data`.
struct VectorData {
  size_t rows = 0;
  size_t dim = 0;
  std::vector<float> data;
};

// Parses a format name: "fvecs", "fbin", "npy" or "idx".
absl::StatusOr<VectorFormat> ParseVectorFormat(std::string_view name);

// Returns the name that ParseVectorFormat() accepts.
std::string_view VectorFormatName(VectorFormat format);

// Infers the format from a file name, ignoring a trailing ".gz": ".fvecs", ".fbin" and ".npy"
// map to their formats, and names containing "idx" or "ubyte" map to idx. Any other name
// ending in ".gz" is also taken as idx, because MNIST-style data sets ship that way.
absl::StatusOr<VectorFormat> InferVectorFormat(std::string_view path);

// Streams the rows of one vector file.
class VectorReader {
 public:
  // Opens `path` and reads its header (for fvecs, the dimension of the first row). With no
  // format given, infers it from the file name.
  static absl::StatusOr<std::unique_ptr<VectorReader>> Open(
      const std::string& path, std::optional<VectorFormat> format = std::nullopt);

  virtual ~VectorReader() = default;

  virtual VectorFormat format() const = 0;
  virtual size_t dim() const = 0;

  // Row count stated by the header. fvecs has no header, so this is nullopt for a compressed
  // fvecs file and the count derived from the file size for a plain one.
  virtual std::optional<size_t> total_rows() const = 0;

  // Rows returned by ReadRows() so far.
  virtual size_t rows_read() const = 0;

  // Appends up to max_rows rows (max_rows * dim() values) to *out and returns how many rows it
  // appended. Returns 0 once every row has been read; at that point it also checks that no data
  // follows the last row.
  virtual absl::StatusOr<size_t> ReadRows(size_t max_rows, std::vector<float>* out) = 0;
};

// Reads a whole vector file, or only its first max_rows rows. With no format given, infers it
// from the file name.
absl::StatusOr<VectorData> ReadVectors(const std::string& path,
                                       std::optional<VectorFormat> format = std::nullopt,
                                       std::optional<size_t> max_rows = std::nullopt);

// Reads one label per vector, either from an idx1 label file (magic 0x00000801, unsigned bytes;
// each label becomes its decimal text, e.g. "7") or from a text file with one label per line.
// Text labels are trimmed of surrounding whitespace, a final empty line is ignored, and any other
// empty line is an error because it would shift every later label to the wrong vector. Either
// kind may be gzip-compressed.
absl::StatusOr<std::vector<std::string>> ReadLabels(const std::string& path);

}  // namespace arbor::client

#endif  // ARBOR_CLIENT_DATASETS_H_

// Reading of the header of a NumPy .npy file (format versions 1.0, 2.0 and 3.0), for the npy
// reader in datasets.cc.
//
// Thread safety: every function is thread-safe; the GzFile passed in belongs to the caller.

#ifndef ARBOR_CLIENT_NPY_HEADER_H_
#define ARBOR_CLIENT_NPY_HEADER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/binary_input.h"

namespace arbor::client::internal {

// Fields of a .npy header, a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }.
struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<uint64_t> shape;
};

// Reads the magic string, version and header of a .npy file and leaves `file` at the first
// data byte. Errors are INVALID_ARGUMENT naming the file, or the file's read error.
absl::StatusOr<NpyHeader> ReadNpyHeader(GzFile& file);

// Parses a NumPy dtype string such as '<f4', '|u1' or '>i2'. Returns nullopt for a dtype that
// IsSupported() rejects or that is not a plain numeric type.
std::optional<ElementType> ParseNpyDescr(absl::string_view descr);

// Formats a shape like Python prints a tuple: "(2,)" or "(2, 3)".
std::string FormatShape(const std::vector<uint64_t>& shape);

}  // namespace arbor::client::internal

#endif  // ARBOR_CLIENT_NPY_HEADER_H_

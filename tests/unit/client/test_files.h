// Helpers for client tests that write data files: a scratch directory that is removed afterwards,
// and writers for plain and gzip-compressed bytes and for the binary layouts the readers accept.

#ifndef ARBOR_TESTS_UNIT_CLIENT_TEST_FILES_H_
#define ARBOR_TESTS_UNIT_CLIENT_TEST_FILES_H_

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace arbor::client::testing {

// A directory under the system temp dir, unique to the process and test, removed on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string("arbor_client_") + std::to_string(getpid()) + "_" +
                       (info != nullptr ? info->name() : "global");
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  // Returns the path of `name` inside the directory.
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(file.good()) << "failed to write " << path;
}

inline void WriteGzip(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << "failed to create " << path;
  int written = gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  ASSERT_EQ(written, static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

inline void AppendLittleEndian32(std::string* out, uint32_t value) {
  for (int i = 0; i < 4; ++i) {
    out->push_back(static_cast<char>(value >> (8 * i)));
  }
}

inline void AppendBigEndian32(std::string* out, uint32_t value) {
  for (int i = 3; i >= 0; --i) {
    out->push_back(static_cast<char>(value >> (8 * i)));
  }
}

inline void AppendFloats(std::string* out, const std::vector<float>& values) {
  size_t old_size = out->size();
  out->resize(old_size + values.size() * sizeof(float));
  std::memcpy(out->data() + old_size, values.data(), values.size() * sizeof(float));
}

// fvecs bytes of rows that may have different dimensions.
inline std::string FvecsBytes(const std::vector<std::vector<float>>& rows) {
  std::string out;
  for (const std::vector<float>& row : rows) {
    AppendLittleEndian32(&out, static_cast<uint32_t>(row.size()));
    AppendFloats(&out, row);
  }
  return out;
}

// fbin bytes with the given header and values, which need not agree.
inline std::string FbinBytes(uint32_t rows, uint32_t dim, const std::vector<float>& values) {
  std::string out;
  AppendLittleEndian32(&out, rows);
  AppendLittleEndian32(&out, dim);
  AppendFloats(&out, values);
  return out;
}

// idx bytes: magic 0x0000TTNN, then big-endian uint32 sizes, then the raw element bytes.
inline std::string IdxBytes(uint8_t type, const std::vector<uint32_t>& sizes,
                            const std::string& elements) {
  std::string out = {0, 0, static_cast<char>(type), static_cast<char>(sizes.size())};
  for (uint32_t size : sizes) {
    AppendBigEndian32(&out, size);
  }
  out += elements;
  return out;
}

// .npy bytes: header dict `dict_text` padded with spaces and a newline so that the data starts
// at a multiple of 64 bytes, as NumPy writes it.
inline std::string NpyBytes(const std::string& dict_text, const std::string& data,
                            int major_version = 1) {
  size_t length_bytes = major_version == 1 ? 2 : 4;
  size_t prefix = 8 + length_bytes;
  std::string header = dict_text;
  size_t total = prefix + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';

  std::string out = "\x93NUMPY";
  out.push_back(static_cast<char>(major_version));
  out.push_back(0);
  uint32_t length = static_cast<uint32_t>(header.size());
  for (size_t i = 0; i < length_bytes; ++i) {
    out.push_back(static_cast<char>(length >> (8 * i)));
  }
  return out + header + data;
}

}  // namespace arbor::client::testing

#endif  // ARBOR_TESTS_UNIT_CLIENT_TEST_FILES_H_

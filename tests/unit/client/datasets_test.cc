#include "client/datasets.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "tests/unit/client/test_files.h"

namespace arbor::client {
namespace {

using ::arbor::client::testing::AppendBigEndian32;
using ::arbor::client::testing::AppendFloats;
using ::arbor::client::testing::FbinBytes;
using ::arbor::client::testing::FvecsBytes;
using ::arbor::client::testing::IdxBytes;
using ::arbor::client::testing::NpyBytes;
using ::arbor::client::testing::ScratchDir;
using ::arbor::client::testing::WriteBytes;
using ::arbor::client::testing::WriteGzip;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

template <typename T>
std::string RawBytes(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

// Big-endian bytes of float32 values, as idx type 0x0D stores them.
std::string BigEndianFloats(const std::vector<float>& values) {
  std::string little;
  AppendFloats(&little, values);
  std::string out;
  for (size_t i = 0; i < little.size(); i += 4) {
    out.append(little.rbegin() + static_cast<long>(little.size() - i - 4),
               little.rbegin() + static_cast<long>(little.size() - i));
  }
  return out;
}

// ---- Format names ----

TEST(InferVectorFormatTest, MapsExtensions) {
  EXPECT_EQ(*InferVectorFormat("a/b/base.fvecs"), VectorFormat::kFvecs);
  EXPECT_EQ(*InferVectorFormat("base.FBIN"), VectorFormat::kFbin);
  EXPECT_EQ(*InferVectorFormat("queries.npy"), VectorFormat::kNpy);
  EXPECT_EQ(*InferVectorFormat("queries.npy.gz"), VectorFormat::kNpy);
  EXPECT_EQ(*InferVectorFormat("base.fvecs.gz"), VectorFormat::kFvecs);
  EXPECT_EQ(*InferVectorFormat("t10k-images-idx3-ubyte.gz"), VectorFormat::kIdx);
  EXPECT_EQ(*InferVectorFormat("train-images-idx3-ubyte"), VectorFormat::kIdx);
  EXPECT_EQ(*InferVectorFormat("images.gz"), VectorFormat::kIdx);
}

TEST(InferVectorFormatTest, RejectsUnknownName) {
  absl::StatusOr<VectorFormat> format = InferVectorFormat("/data/vectors.csv");
  ASSERT_FALSE(format.ok());
  EXPECT_EQ(format.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(format.status()), HasSubstr("/data/vectors.csv"));
}

TEST(ParseVectorFormatTest, RoundTripsNames) {
  for (VectorFormat format :
       {VectorFormat::kFvecs, VectorFormat::kFbin, VectorFormat::kNpy, VectorFormat::kIdx}) {
    EXPECT_EQ(*ParseVectorFormat(VectorFormatName(format)), format);
  }
  EXPECT_FALSE(ParseVectorFormat("bvecs").ok());
}

// ---- fvecs ----

TEST(FvecsTest, ReadsRows) {
  ScratchDir dir;
  std::string path = dir.File("base.fvecs");
  WriteBytes(path, FvecsBytes({{1, 2, 3}, {4, 5, 6}, {-1.5f, 0, 1e30f}}));

  absl::StatusOr<VectorData> data = ReadVectors(path);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->rows, 3u);
  EXPECT_EQ(data->dim, 3u);
  EXPECT_THAT(data->data, ElementsAre(1, 2, 3, 4, 5, 6, -1.5f, 0, 1e30f));
}

TEST(FvecsTest, ReadsGzipAndLimit) {
  ScratchDir dir;
  std::string path = dir.File("base.fvecs.gz");
  WriteGzip(path, FvecsBytes({{1, 2}, {3, 4}, {5, 6}}));

  absl::StatusOr<VectorData> data = ReadVectors(path, std::nullopt, 2);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->rows, 2u);
  EXPECT_THAT(data->data, ElementsAre(1, 2, 3, 4));
}

TEST(FvecsTest, TotalRowsKnownOnlyForPlainFile) {
  ScratchDir dir;
  WriteBytes(dir.File("a.fvecs"), FvecsBytes({{1}, {2}}));
  WriteGzip(dir.File("a.fvecs.gz"), FvecsBytes({{1}, {2}}));

  auto plain = VectorReader::Open(dir.File("a.fvecs"));
  auto compressed = VectorReader::Open(dir.File("a.fvecs.gz"));
  ASSERT_TRUE(plain.ok()) << plain.status();
  ASSERT_TRUE(compressed.ok()) << compressed.status();
  EXPECT_EQ((*plain)->total_rows(), std::optional<size_t>(2));
  EXPECT_EQ((*compressed)->total_rows(), std::nullopt);
}

TEST(FvecsTest, RejectsDimensionMismatch) {
  ScratchDir dir;
  // Rows of dimension 2, 1 and 3 take 12, 8 and 16 bytes: 36 bytes, a multiple of row 0's size,
  // so only the row check can catch the mismatch.
  std::string bytes = FvecsBytes({{1, 2}, {3}, {4, 5, 6}});
  WriteBytes(dir.File("mixed.fvecs"), bytes);
  WriteGzip(dir.File("mixed.fvecs.gz"), bytes);

  for (std::string name : {"mixed.fvecs", "mixed.fvecs.gz"}) {
    absl::StatusOr<VectorData> data = ReadVectors(dir.File(name));
    ASSERT_FALSE(data.ok()) << name;
    EXPECT_EQ(data.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Message(data.status()), HasSubstr(dir.File(name)));
    EXPECT_THAT(Message(data.status()), HasSubstr("row 1 (byte offset 12) has dimension 1"));
    EXPECT_THAT(Message(data.status()), HasSubstr("expected 2"));
  }
}

TEST(FvecsTest, RejectsTruncatedPlainFile) {
  ScratchDir dir;
  std::string bytes = FvecsBytes({{1, 2, 3}, {4, 5, 6}});
  bytes.resize(bytes.size() - 2);
  WriteBytes(dir.File("cut.fvecs"), bytes);

  absl::StatusOr<VectorData> data = ReadVectors(dir.File("cut.fvecs"));
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(Message(data.status()), HasSubstr("not a multiple of the row size 16"));
}

TEST(FvecsTest, RejectsTruncatedGzipFile) {
  ScratchDir dir;
  std::string bytes = FvecsBytes({{1, 2, 3}, {4, 5, 6}});
  bytes.resize(bytes.size() - 2);
  WriteGzip(dir.File("cut.fvecs.gz"), bytes);

  absl::StatusOr<VectorData> data = ReadVectors(dir.File("cut.fvecs.gz"));
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(Message(data.status()), HasSubstr("truncated at row 1 (byte offset 16)"));
  EXPECT_THAT(Message(data.status()), HasSubstr("expected 16 bytes"));
}

TEST(FvecsTest, RejectsEmptyFileAndBadDimension) {
  ScratchDir dir;
  WriteBytes(dir.File("empty.fvecs"), "");
  std::string negative;
  testing::AppendLittleEndian32(&negative, static_cast<uint32_t>(-3));
  WriteBytes(dir.File("negative.fvecs"), negative);

  absl::StatusOr<VectorData> empty = ReadVectors(dir.File("empty.fvecs"));
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(Message(empty.status()), HasSubstr("file is empty"));

  absl::StatusOr<VectorData> bad = ReadVectors(dir.File("negative.fvecs"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(Message(bad.status()), HasSubstr("row 0 (byte offset 0) has dimension -3"));
}

TEST(VectorReaderTest, StreamsRowsInChunks) {
  ScratchDir dir;
  std::vector<std::vector<float>> rows;
  for (int i = 0; i < 10; ++i) {
    rows.push_back({static_cast<float>(i), static_cast<float>(-i)});
  }
  WriteBytes(dir.File("rows.fvecs"), FvecsBytes(rows));

  auto reader = VectorReader::Open(dir.File("rows.fvecs"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<float> values;
  std::vector<size_t> chunk_sizes;
  while (true) {
    absl::StatusOr<size_t> read = (*reader)->ReadRows(4, &values);
    ASSERT_TRUE(read.ok()) << read.status();
    if (*read == 0) {
      break;
    }
    chunk_sizes.push_back(*read);
  }

  EXPECT_THAT(chunk_sizes, ElementsAre(4, 4, 2));
  EXPECT_EQ((*reader)->rows_read(), 10u);
  ASSERT_EQ(values.size(), 20u);
  EXPECT_EQ(values[18], 9);
  EXPECT_EQ(values[19], -9);
}

// ---- fbin ----

TEST(FbinTest, ReadsRows) {
  ScratchDir dir;
  WriteBytes(dir.File("base.fbin"), FbinBytes(2, 3, {1, 2, 3, 4, 5, 6}));

  absl::StatusOr<VectorData> data = ReadVectors(dir.File("base.fbin"));
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->rows, 2u);
  EXPECT_EQ(data->dim, 3u);
  EXPECT_THAT(data->data, ElementsAre(1, 2, 3, 4, 5, 6));
}

TEST(FbinTest, ReadsWithExplicitFormatAndLimit) {
  ScratchDir dir;
  WriteGzip(dir.File("vectors.bin.gz"), FbinBytes(3, 1, {7, 8, 9}));

  absl::StatusOr<VectorData> data = ReadVectors(dir.File("vectors.bin.gz"), VectorFormat::kFbin, 1);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->rows, 1u);
  EXPECT_THAT(data->data, ElementsAre(7));
}

TEST(FbinTest, RejectsTruncatedPlainFileAtOpen) {
  ScratchDir dir;
  WriteBytes(dir.File("cut.fbin"), FbinBytes(3, 2, {1, 2, 3, 4, 5}));

  absl::StatusOr<VectorData> data = ReadVectors(dir.File("cut.fbin"));
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(data.status()), HasSubstr("truncated at row 2 (byte offset 24)"));
  EXPECT_THAT(Message(data.status()), HasSubstr("declares 3 rows"));
}

TEST(FbinTest, RejectsTruncatedGzipFileWhileReading) {
  ScratchDir dir;
  WriteGzip(dir.File("cut.fbin.gz"), FbinBytes(3, 2, {1, 2, 3, 4, 5}));

  absl::StatusOr<VectorData> data = ReadVectors(dir.File("cut.fbin.gz"));
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(Message(data.status()), HasSubstr("truncated at row 2 (byte offset 24)"));
  EXPECT_THAT(Message(data.status()), HasSubstr("expected 8 bytes for the row, found 4"));
}

TEST(FbinTest, RejectsTrailingData) {
  ScratchDir dir;
  std::string bytes = FbinBytes(1, 2, {1, 2, 3});
  WriteBytes(dir.File("long.fbin"), bytes);
  WriteGzip(dir.File("long.fbin.gz"), bytes);

  for (std::string name : {"long.fbin", "long.fbin.gz"}) {
    absl::StatusOr<VectorData> data = ReadVectors(dir.File(name));
    ASSERT_FALSE(data.ok()) << name;
    EXPECT_THAT(Message(data.status()), HasSubstr("unexpected data at byte offset 16"));
  }
}

TEST(FbinTest, RejectsZeroDimensionAndShortHeader) {
  ScratchDir dir;
  WriteBytes(dir.File("zero.fbin"), FbinBytes(0, 0, {}));
  WriteBytes(dir.File("short.fbin"), std::string("\x01\x00\x00", 3));

  absl::StatusOr<VectorData> zero = ReadVectors(dir.File("zero.fbin"));
  ASSERT_FALSE(zero.ok());
  EXPECT_THAT(Message(zero.status()), HasSubstr("dimension 0"));

  absl::StatusOr<VectorData> short_header = ReadVectors(dir.File("short.fbin"));
  ASSERT_FALSE(short_header.ok());
  EXPECT_THAT(Message(short_header.status()), HasSubstr("expected 8 bytes of the fbin header"));
}

TEST(FbinTest, ReadsEmptyMatrix) {
  ScratchDir dir;
  WriteBytes(dir.File("none.fbin"), FbinBytes(0, 4, {}));

  absl::StatusOr<VectorData> data = ReadVectors(dir.File("none.fbin"));
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->rows, 0u);
  EXPECT_EQ(data->dim, 4u);
}

TEST(OpenTest, ReportsMissingFileAndDirectory) {
  ScratchDir dir;
  absl::StatusOr<VectorData> missing = ReadVectors(dir.File("missing.fbin"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(missing.status()), HasSubstr("missing.fbin"));

  std::filesystem::create_directory(dir.File("folder.fbin"));
  absl::StatusOr<VectorData> folder = ReadVectors(dir.File("folder.fbin"));
  ASSERT_FALSE(folder.ok());
  EXPECT_THAT(Message(folder.status()), HasSubstr("is a directory"));
}

// ---- npy ----

TEST(NpyTest, ReadsFloat32) {
  ScratchDir dir;
  std::vector<float> values = {1, 2, 3, 4, 5, 6};
  WriteBytes(
      dir.File("a.npy"),
      NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", RawBytes(values)));

  absl::StatusOr<VectorData> data = ReadVectors(dir.File("a.npy"));
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->rows, 2u);
  EXPECT_EQ(data->dim, 3u);
  EXPECT_THAT(data->data, ElementsAreArray(values));
}

TEST(NpyTest, ConvertsFloat64Uint8AndInt32) {
  ScratchDir dir;
  WriteBytes(dir.File("f8.npy"),
             NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }",
                      RawBytes(std::vector<double>{0.25, -3.5})));
  WriteBytes(dir.File("u1.npy"),
             NpyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }",
                      RawBytes(std::vector<uint8_t>{0, 1, 128, 255})));
  WriteBytes(dir.File("i4.npy"),
             NpyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 3), }",
                      RawBytes(std::vector<int32_t>{-7, 0, 100000})));

  absl::StatusOr<VectorData> f8 = ReadVectors(dir.File("f8.npy"));
  ASSERT_TRUE(f8.ok()) << f8.status();
  EXPECT_THAT(f8->data, ElementsAre(0.25f, -3.5f));

  absl::StatusOr<VectorData> u1 = ReadVectors(dir.File("u1.npy"));
  ASSERT_TRUE(u1.ok()) << u1.status();
  EXPECT_THAT(u1->data, ElementsAre(0, 1, 128, 255));

  absl::StatusOr<VectorData> i4 = ReadVectors(dir.File("i4.npy"));
  ASSERT_TRUE(i4.ok()) << i4.status();
  EXPECT_THAT(i4->data, ElementsAre(-7, 0, 100000));
}

TEST(NpyTest, ReadsBigEndianFloat32) {
  ScratchDir dir;
  WriteBytes(dir.File("be.npy"),
             NpyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1, 2), }",
                      BigEndianFloats({1.5f, -2})));

  absl::StatusOr<VectorData> data = ReadVectors(dir.File("be.npy"));
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_THAT(data->data, ElementsAre(1.5f, -2));
}

TEST(NpyTest, AcceptsHeaderVariants) {
  ScratchDir dir;
  std::vector<float> values = {1, 2};
  // Version 2.0 (4-byte header length), keys in another order, double quotes, no trailing
  // comma, and extra blanks.
  WriteBytes(dir.File("v2.npy"),
             NpyBytes("{ \"shape\" : ( 1 , 2 ) , \"fortran_order\": False, \"descr\": \"<f4\" }",
                      RawBytes(values), 2));
  WriteGzip(dir.File("v1.npy.gz"),
            NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,1)}", RawBytes(values)));

  absl::StatusOr<VectorData> v2 = ReadVectors(dir.File("v2.npy"));
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->rows, 1u);
  EXPECT_EQ(v2->dim, 2u);

  absl::StatusOr<VectorData> gz = ReadVectors(dir.File("v1.npy.gz"));
  ASSERT_TRUE(gz.ok()) << gz.status();
  EXPECT_EQ(gz->rows, 2u);
  EXPECT_EQ(gz->dim, 1u);
  EXPECT_THAT(gz->data, ElementsAre(1, 2));
}

TEST(NpyTest, RejectsFortranOrder) {
  ScratchDir dir;
  WriteBytes(dir.File("f.npy"),
             NpyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 2), }",
                      RawBytes(std::vector<float>{1, 2})));

  absl::StatusOr<VectorData> data = ReadVectors(dir.File("f.npy"));
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(data.status()), HasSubstr("Fortran"));
}

TEST(NpyTest, RejectsShapesOtherThan2d) {
  ScratchDir dir;
  WriteBytes(dir.File("one.npy"),
             NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                      RawBytes(std::vector<float>{1, 2})));
  WriteBytes(dir.File("three.npy"),
             NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 2), }",
                      RawBytes(std::vector<float>{1, 2})));

  absl::StatusOr<VectorData> one_dim = ReadVectors(dir.File("one.npy"));
  ASSERT_FALSE(one_dim.ok());
  EXPECT_THAT(Message(one_dim.status()), HasSubstr("shape (2,), expected a 2-d array"));

  absl::StatusOr<VectorData> three_dims = ReadVectors(dir.File("three.npy"));
  ASSERT_FALSE(three_dims.ok());
  EXPECT_THAT(Message(three_dims.status()), HasSubstr("shape (1, 1, 2), expected a 2-d array"));
}

TEST(NpyTest, RejectsUnsupportedDtype) {
  ScratchDir dir;
  WriteBytes(dir.File("c8.npy"),
             NpyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1, 1), }",
                      std::string(8, '\0')));

  absl::StatusOr<VectorData> data = ReadVectors(dir.File("c8.npy"));
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(Message(data.status()), HasSubstr("unsupported dtype '<c8'"));
}

TEST(NpyTest, RejectsBadMagicAndVersion) {
  ScratchDir dir;
  WriteBytes(dir.File("magic.npy"), "NOTNUMPY" + std::string(100, ' '));
  std::string version4 = NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }",
                                  RawBytes(std::vector<float>{1}));
  version4[6] = 4;
  WriteBytes(dir.File("v4.npy"), version4);

  absl::StatusOr<VectorData> magic = ReadVectors(dir.File("magic.npy"));
  ASSERT_FALSE(magic.ok());
  EXPECT_THAT(Message(magic.status()), HasSubstr("bad magic at byte offset 0"));

  absl::StatusOr<VectorData> v4 = ReadVectors(dir.File("v4.npy"));
  ASSERT_FALSE(v4.ok());
  EXPECT_THAT(Message(v4.status()), HasSubstr("unsupported npy version 4.0"));
}

TEST(NpyTest, RejectsMalformedHeader) {
  ScratchDir dir;
  WriteBytes(dir.File("bad.npy"),
             NpyBytes("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1, 1), }",
                      RawBytes(std::vector<float>{1})));
  WriteBytes(dir.File("missing.npy"),
             NpyBytes("{'descr': '<f4', 'shape': (1, 1), }", RawBytes(std::vector<float>{1})));

  absl::StatusOr<VectorData> bad = ReadVectors(dir.File("bad.npy"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(Message(bad.status()), HasSubstr("expected True or False"));

  absl::StatusOr<VectorData> missing = ReadVectors(dir.File("missing.npy"));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(Message(missing.status()), HasSubstr("'fortran_order'"));
}

TEST(NpyTest, RejectsTruncatedData) {
  ScratchDir dir;
  WriteBytes(dir.File("cut.npy"),
             NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
                      RawBytes(std::vector<float>{1, 2, 3})));

  absl::StatusOr<VectorData> data = ReadVectors(dir.File("cut.npy"));
  ASSERT_FALSE(data.ok());
  // The padded header ends at byte 128, so row 1 starts at 128 + 8.
  EXPECT_THAT(Message(data.status()), HasSubstr("truncated at row 1 (byte offset 136)"));
}

// ---- idx ----

TEST(IdxTest, ReadsImagesPlainAndGzip) {
  ScratchDir dir;
  // Two 2x3 images; 255 must stay 255.
  std::string pixels = {0,  1,  2,  3,  4,  static_cast<char>(255),
                        10, 20, 30, 40, 50, static_cast<char>(200)};
  std::string bytes = IdxBytes(0x08, {2, 2, 3}, pixels);
  WriteBytes(dir.File("images-idx3-ubyte"), bytes);
  WriteGzip(dir.File("images-idx3-ubyte.gz"), bytes);

  for (std::string name : {"images-idx3-ubyte", "images-idx3-ubyte.gz"}) {
    absl::StatusOr<VectorData> data = ReadVectors(dir.File(name));
    ASSERT_TRUE(data.ok()) << name << ": " << data.status();
    EXPECT_EQ(data->rows, 2u);
    EXPECT_EQ(data->dim, 6u);
    EXPECT_THAT(data->data, ElementsAre(0, 1, 2, 3, 4, 255, 10, 20, 30, 40, 50, 200));
  }
}

TEST(IdxTest, ReadsBigEndianFloats) {
  ScratchDir dir;
  WriteBytes(dir.File("floats.idx"), IdxBytes(0x0D, {1, 2}, BigEndianFloats({0.5f, -8})));

  absl::StatusOr<VectorData> data = ReadVectors(dir.File("floats.idx"));
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->dim, 2u);
  EXPECT_THAT(data->data, ElementsAre(0.5f, -8));
}

TEST(IdxTest, RejectsBadMagic) {
  ScratchDir dir;
  WriteBytes(dir.File("bad.idx"), std::string("\x12\x34\x08\x03", 4) + std::string(20, '\0'));

  absl::StatusOr<VectorData> data = ReadVectors(dir.File("bad.idx"));
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(data.status()), HasSubstr("bad magic 0x12340803 at byte offset 0"));
}

TEST(IdxTest, RejectsLabelFileAsVectors) {
  ScratchDir dir;
  WriteBytes(dir.File("labels-idx1-ubyte"), IdxBytes(0x08, {3}, std::string("\x01\x02\x03", 3)));

  absl::StatusOr<VectorData> data = ReadVectors(dir.File("labels-idx1-ubyte"));
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(Message(data.status()), HasSubstr("0x00000801"));
  EXPECT_THAT(Message(data.status()), HasSubstr("1-d idx file"));
}

TEST(IdxTest, RejectsTruncatedGzip) {
  ScratchDir dir;
  std::string bytes = IdxBytes(0x08, {3, 2, 2}, std::string(10, '\x07'));
  WriteGzip(dir.File("cut-idx3-ubyte.gz"), bytes);

  absl::StatusOr<VectorData> data = ReadVectors(dir.File("cut-idx3-ubyte.gz"));
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(Message(data.status()), HasSubstr("truncated at row 2 (byte offset 24)"));
}

TEST(IdxTest, RejectsCorruptGzipStream) {
  ScratchDir dir;
  std::string path = dir.File("corrupt-idx3-ubyte.gz");
  testing::WriteGzip(path, IdxBytes(0x08, {50, 4, 4}, std::string(800, '\x05')));
  std::string compressed;
  {
    std::ifstream file(path, std::ios::binary);
    compressed.assign(std::istreambuf_iterator<char>(file), {});
  }
  // Cut the gzip stream in the middle, as an interrupted download would.
  WriteBytes(path, compressed.substr(0, compressed.size() / 2));

  absl::StatusOr<VectorData> data = ReadVectors(path);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(data.status()), HasSubstr(path));
}

// ---- labels ----

TEST(ReadLabelsTest, ReadsIdxLabelsPlainAndGzip) {
  ScratchDir dir;
  std::string bytes = IdxBytes(0x08, {4}, std::string("\x00\x09\x03\xff", 4));
  WriteBytes(dir.File("labels-idx1-ubyte"), bytes);
  WriteGzip(dir.File("labels-idx1-ubyte.gz"), bytes);

  for (std::string name : {"labels-idx1-ubyte", "labels-idx1-ubyte.gz"}) {
    absl::StatusOr<std::vector<std::string>> labels = ReadLabels(dir.File(name));
    ASSERT_TRUE(labels.ok()) << name << ": " << labels.status();
    EXPECT_THAT(*labels, ElementsAre("0", "9", "3", "255"));
  }
}

TEST(ReadLabelsTest, ReadsTextLines) {
  ScratchDir dir;
  WriteBytes(dir.File("labels.txt"), "shoe\r\n  bag \nshirt\n\n\n");
  WriteGzip(dir.File("labels.txt.gz"), "a\nb");

  absl::StatusOr<std::vector<std::string>> text = ReadLabels(dir.File("labels.txt"));
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_THAT(*text, ElementsAre("shoe", "bag", "shirt"));

  absl::StatusOr<std::vector<std::string>> gz = ReadLabels(dir.File("labels.txt.gz"));
  ASSERT_TRUE(gz.ok()) << gz.status();
  EXPECT_THAT(*gz, ElementsAre("a", "b"));
}

TEST(ReadLabelsTest, RejectsEmptyLineInMiddle) {
  ScratchDir dir;
  WriteBytes(dir.File("labels.txt"), "a\n\nb\n");

  absl::StatusOr<std::vector<std::string>> labels = ReadLabels(dir.File("labels.txt"));
  ASSERT_FALSE(labels.ok());
  EXPECT_THAT(Message(labels.status()), HasSubstr("line 2 is empty"));
}

TEST(ReadLabelsTest, RejectsImageFileAndTruncatedLabels) {
  ScratchDir dir;
  WriteBytes(dir.File("images-idx3-ubyte"), IdxBytes(0x08, {1, 1, 1}, std::string(1, '\0')));
  WriteBytes(dir.File("cut-idx1-ubyte"), IdxBytes(0x08, {5}, std::string("\x01\x02", 2)));

  absl::StatusOr<std::vector<std::string>> images = ReadLabels(dir.File("images-idx3-ubyte"));
  ASSERT_FALSE(images.ok());
  EXPECT_THAT(Message(images.status()), HasSubstr("bad magic 0x00000803"));

  absl::StatusOr<std::vector<std::string>> cut = ReadLabels(dir.File("cut-idx1-ubyte"));
  ASSERT_FALSE(cut.ok());
  EXPECT_THAT(Message(cut.status()), HasSubstr("truncated at label 2 (byte offset 10)"));
  EXPECT_THAT(Message(cut.status()), HasSubstr("declares 5 labels"));
}

TEST(ReadLabelsTest, ReportsMissingFile) {
  absl::StatusOr<std::vector<std::string>> labels = ReadLabels("/nonexistent/labels.txt");
  ASSERT_FALSE(labels.ok());
  EXPECT_EQ(labels.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(labels.status()), HasSubstr("/nonexistent/labels.txt"));
}

// ---- Fashion-MNIST from the Debian package dataset-fashion-mnist ----

constexpr char kFashionImages[] = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
constexpr char kFashionLabels[] = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";

TEST(FashionMnistTest, ReadsTestImagesAndLabels) {
  ASSERT_TRUE(std::filesystem::exists(kFashionImages))
      << kFashionImages << " is missing; install the Debian package dataset-fashion-mnist";

  absl::StatusOr<VectorData> images = ReadVectors(kFashionImages);
  ASSERT_TRUE(images.ok()) << images.status();
  EXPECT_EQ(images->rows, 10000u);
  EXPECT_EQ(images->dim, 784u);
  ASSERT_EQ(images->data.size(), 10000u * 784u);
  auto [min_pixel, max_pixel] = std::minmax_element(images->data.begin(), images->data.end());
  EXPECT_EQ(*min_pixel, 0);
  EXPECT_EQ(*max_pixel, 255);

  absl::StatusOr<std::vector<std::string>> labels = ReadLabels(kFashionLabels);
  ASSERT_TRUE(labels.ok()) << labels.status();
  EXPECT_EQ(labels->size(), 10000u);
  std::set<std::string> distinct(labels->begin(), labels->end());
  EXPECT_THAT(distinct, ElementsAre("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
}

}  // namespace
}  // namespace arbor::client

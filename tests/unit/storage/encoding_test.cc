// Round trips, truncation and version checks of the value codecs, and the order of the keys.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/encoding.h"
#include "storage/schema.h"

namespace arbor::storage {
namespace {

using ::testing::HasSubstr;

// Calls `decode` on every proper prefix of `encoded` and expects DataLoss from each.
void ExpectEveryPrefixIsDataLoss(const std::string& encoded,
                                 const std::function<absl::Status(absl::string_view)>& decode) {
  for (size_t length = 0; length < encoded.size(); ++length) {
    SCOPED_TRACE(testing::Message() << "prefix of " << length << " of " << encoded.size()
                                    << " bytes");
    const absl::Status status = decode(absl::string_view(encoded).substr(0, length));
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  }
}

// Returns `encoded` with its format version byte replaced.
std::string WithVersion(std::string encoded, uint8_t version) {
  encoded[0] = static_cast<char>(version);
  return encoded;
}

CollectionRecord SampleCollection() {
  CollectionRecord record;
  record.id = 0x01020304;
  record.name = "docs.v2_main-1";
  record.dimension = 4096;
  record.metric = 3;
  record.created_unix_ms = -1234567890123;  // negative to cover the sign of I64
  record.next_tenant_id = 0xfffffffe;
  record.index = {16, 256, 128, 32, uint64_t{1} << 40, 4, 0.25f};
  return record;
}

// SampleCollection() encoded field by field in format version 1, which has the same fields in
// the same order but no index.prune_epsilon.
std::string SampleCollectionVersion1() {
  const CollectionRecord record = SampleCollection();
  ValueWriter w(1);
  w.U32(record.id);
  w.String(record.name);
  w.U32(record.dimension);
  w.U8(record.metric);
  w.I64(record.created_unix_ms);
  w.U32(record.next_tenant_id);
  w.U32(record.index.branching);
  w.U32(record.index.max_leaf_size);
  w.U32(record.index.split_threshold);
  w.U32(record.index.merge_threshold);
  w.U64(record.index.train_threshold);
  w.U32(record.index.retrain_growth);
  return w.Take();
}

TenantRecord SampleTenant() {
  TenantRecord record;
  record.id = 77;
  record.name = "customer-42";
  record.created_unix_ms = 1700000000000;
  return record;
}

KeyRecord SampleKey() {
  KeyRecord record;
  record.key_id = "0123456789abcdef";
  record.collection_id = 9;
  record.tenant_id = 0xffffffff;
  for (size_t i = 0; i < record.hash.size(); ++i) record.hash[i] = static_cast<uint8_t>(255 - i);
  record.created_unix_ms = std::numeric_limits<int64_t>::max();
  return record;
}

TEST(BigEndian, WritesMostSignificantByteFirst) {
  std::string bytes;
  AppendBigEndian32(&bytes, 0x01020304);
  AppendBigEndian64(&bytes, 0x05060708090a0b0cULL);
  EXPECT_EQ(bytes, std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 12));
}

TEST(BigEndian, ReadsBackWhatWasWritten) {
  for (uint32_t value : {0u, 1u, 255u, 256u, 0x80000000u, 0xffffffffu}) {
    std::string bytes;
    AppendBigEndian32(&bytes, value);
    ASSERT_EQ(bytes.size(), 4u);
    EXPECT_EQ(ReadBigEndian32(bytes), value);
  }
  for (uint64_t value : {uint64_t{0}, uint64_t{255}, uint64_t{256}, uint64_t{1} << 63,
                         std::numeric_limits<uint64_t>::max()}) {
    std::string bytes;
    AppendBigEndian64(&bytes, value);
    ASSERT_EQ(bytes.size(), 8u);
    EXPECT_EQ(ReadBigEndian64(bytes), value);
  }
}

TEST(ValueCodec, RoundTripsEveryFieldType) {
  const float floats[] = {1.5f, -0.0f, std::numeric_limits<float>::max(),
                          std::numeric_limits<float>::denorm_min()};
  ValueWriter writer(7);
  writer.U8(0xab);
  writer.U32(0xdeadbeef);
  writer.U64(0x0123456789abcdefULL);
  writer.I64(-5);
  writer.F32(-2.5f);
  writer.String("");
  writer.String(std::string("with\0nul", 8));
  writer.Floats(floats, 4);
  const std::string bytes = writer.Take();

  ValueReader reader(bytes, "test value");
  ASSERT_TRUE(reader.ExpectVersion(7, 7).ok());
  EXPECT_EQ(reader.version(), 7);
  EXPECT_EQ(*reader.U8(), 0xab);
  EXPECT_EQ(*reader.U32(), 0xdeadbeefu);
  EXPECT_EQ(*reader.U64(), 0x0123456789abcdefULL);
  EXPECT_EQ(*reader.I64(), -5);
  EXPECT_EQ(*reader.F32(), -2.5f);
  EXPECT_EQ(*reader.String(), "");
  EXPECT_EQ(*reader.String(), std::string("with\0nul", 8));
  float decoded[4] = {};
  ASSERT_TRUE(reader.Floats(decoded, 4).ok());
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(std::memcmp(&decoded[i], &floats[i], sizeof(float)), 0) << "float " << i;
  }
  EXPECT_EQ(reader.remaining(), 0u);
  EXPECT_TRUE(reader.ExpectEnd().ok());
}

TEST(ValueCodec, IntegersAreLittleEndian) {
  ValueWriter writer(1);
  writer.U32(0x01020304);
  EXPECT_EQ(writer.Take(), std::string("\x01\x04\x03\x02\x01", 5));
}

TEST(ValueCodec, FloatIsLittleEndianIeee754) {
  ValueWriter writer(1);
  writer.F32(1.0f);  // 0x3f800000
  EXPECT_EQ(writer.Take(), std::string("\x01\x00\x00\x80\x3f", 5));
}

TEST(ValueCodec, TruncatedReadIsDataLossNamingTheValue) {
  ValueWriter writer(1);
  writer.U32(1);
  const std::string bytes = writer.Take();

  ValueReader reader(absl::string_view(bytes).substr(0, 3), "collection record 'fm'");
  ASSERT_TRUE(reader.ExpectVersion(1, 1).ok());
  const absl::StatusOr<uint32_t> value = reader.U32();
  ASSERT_EQ(value.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(value.status().message(), HasSubstr("collection record 'fm'"));
  EXPECT_THAT(value.status().message(), HasSubstr("truncated"));
}

TEST(ValueCodec, StringLengthBeyondInputIsDataLoss) {
  ValueWriter writer(1);
  writer.U32(0xffffffff);  // a length prefix far larger than the input
  writer.U8('x');
  const std::string bytes = writer.Take();

  ValueReader reader(bytes, "value");
  ASSERT_TRUE(reader.ExpectVersion(1, 1).ok());
  EXPECT_EQ(reader.String().status().code(), absl::StatusCode::kDataLoss);
}

TEST(ValueCodec, VersionOutsideRangeIsDataLossNamingIt) {
  for (uint8_t version : {uint8_t{0}, uint8_t{3}, uint8_t{255}}) {
    SCOPED_TRACE(testing::Message() << "version " << int{version});
    const std::string bytes = ValueWriter(version).Take();
    ValueReader reader(bytes, "tenant record");
    const absl::Status status = reader.ExpectVersion(1, 2);
    ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(status.message(), HasSubstr(absl::StrCat("format version ", version)));
    EXPECT_THAT(status.message(), HasSubstr("tenant record"));
  }
}

TEST(ValueCodec, EmptyInputHasNoVersion) {
  ValueReader reader("", "value");
  EXPECT_EQ(reader.ExpectVersion(1, 1).code(), absl::StatusCode::kDataLoss);
}

TEST(ValueCodec, TrailingBytesAreDataLoss) {
  ValueWriter writer(1);
  writer.U8(1);
  writer.U8(2);
  const std::string bytes = writer.Take();
  ValueReader reader(bytes, "value");
  ASSERT_TRUE(reader.ExpectVersion(1, 1).ok());
  ASSERT_TRUE(reader.U8().ok());
  const absl::Status status = reader.ExpectEnd();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("1 unexpected trailing bytes"));
}

TEST(CollectionCodec, RoundTrips) {
  const CollectionRecord record = SampleCollection();
  const absl::StatusOr<CollectionRecord> decoded = DecodeCollection(EncodeCollection(record));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->id, record.id);
  EXPECT_EQ(decoded->name, record.name);
  EXPECT_EQ(decoded->dimension, record.dimension);
  EXPECT_EQ(decoded->metric, record.metric);
  EXPECT_EQ(decoded->created_unix_ms, record.created_unix_ms);
  EXPECT_EQ(decoded->next_tenant_id, record.next_tenant_id);
  EXPECT_EQ(decoded->index.branching, 16u);
  EXPECT_EQ(decoded->index.max_leaf_size, 256u);
  EXPECT_EQ(decoded->index.split_threshold, 128u);
  EXPECT_EQ(decoded->index.merge_threshold, 32u);
  EXPECT_EQ(decoded->index.train_threshold, uint64_t{1} << 40);
  EXPECT_EQ(decoded->index.retrain_growth, 4u);
  EXPECT_EQ(decoded->index.prune_epsilon, 0.25f);
}

TEST(CollectionCodec, RoundTripsEveryPruneEpsilon) {
  for (float epsilon : {-1.0f, -0.0f, 0.0f, 1.0f, 100.0f, std::numeric_limits<float>::min()}) {
    SCOPED_TRACE(testing::Message() << "prune_epsilon " << epsilon);
    CollectionRecord record = SampleCollection();
    record.index.prune_epsilon = epsilon;
    const absl::StatusOr<CollectionRecord> decoded = DecodeCollection(EncodeCollection(record));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(std::bit_cast<uint32_t>(decoded->index.prune_epsilon),
              std::bit_cast<uint32_t>(epsilon));
  }
}

TEST(CollectionCodec, WritesFormatVersion2) {
  const std::string encoded = EncodeCollection(SampleCollection());
  ASSERT_FALSE(encoded.empty());
  EXPECT_EQ(encoded[0], 2);
  EXPECT_EQ(encoded.size(), SampleCollectionVersion1().size() + sizeof(float));
}

TEST(CollectionCodec, DecodesVersion1WithDefaultPruneEpsilon) {
  const CollectionRecord expected = SampleCollection();
  const absl::StatusOr<CollectionRecord> decoded = DecodeCollection(SampleCollectionVersion1());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->id, expected.id);
  EXPECT_EQ(decoded->name, expected.name);
  EXPECT_EQ(decoded->dimension, expected.dimension);
  EXPECT_EQ(decoded->metric, expected.metric);
  EXPECT_EQ(decoded->created_unix_ms, expected.created_unix_ms);
  EXPECT_EQ(decoded->next_tenant_id, expected.next_tenant_id);
  EXPECT_EQ(decoded->index.branching, expected.index.branching);
  EXPECT_EQ(decoded->index.max_leaf_size, expected.index.max_leaf_size);
  EXPECT_EQ(decoded->index.split_threshold, expected.index.split_threshold);
  EXPECT_EQ(decoded->index.merge_threshold, expected.index.merge_threshold);
  EXPECT_EQ(decoded->index.train_threshold, expected.index.train_threshold);
  EXPECT_EQ(decoded->index.retrain_growth, expected.index.retrain_growth);
  EXPECT_EQ(decoded->index.prune_epsilon, 1.0f);
}

TEST(CollectionCodec, Version1TruncationAndTrailingBytesAreDataLoss) {
  const std::string version1 = SampleCollectionVersion1();
  ExpectEveryPrefixIsDataLoss(version1, [](absl::string_view bytes) {
    return DecodeCollection(bytes).status();
  });

  // A version 1 record followed by a float is not a version 2 record.
  std::string with_float = version1;
  with_float.append("\x00\x00\x80\x3f", 4);
  EXPECT_EQ(DecodeCollection(with_float).status().code(), absl::StatusCode::kDataLoss);
}

TEST(TreeCheckpointCodec, RoundTrips) {
  TreeCheckpoint checkpoint{1234, 60000, std::string("tree\0bytes", 10)};
  auto decoded = DecodeTreeCheckpoint(EncodeTreeCheckpoint(checkpoint));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->trained_unix_ms, 1234);
  EXPECT_EQ(decoded->vectors_at_training, 60000u);
  EXPECT_EQ(decoded->tree, checkpoint.tree);
  ExpectEveryPrefixIsDataLoss(EncodeTreeCheckpoint(checkpoint), [](absl::string_view bytes) {
    return DecodeTreeCheckpoint(bytes).status();
  });
}

TEST(SplitNodesCodec, RoundTrips) {
  const SplitNodes split_nodes = {{1, {0, 3, 7}}, {9, {}}, {4000000000u, {0}}};
  auto decoded = DecodeSplitNodes(EncodeSplitNodes(split_nodes));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, split_nodes);
  ExpectEveryPrefixIsDataLoss(EncodeSplitNodes(split_nodes), [](absl::string_view bytes) {
    return DecodeSplitNodes(bytes).status();
  });
}

TEST(CollectionCodec, EveryTruncationIsDataLoss) {
  ExpectEveryPrefixIsDataLoss(EncodeCollection(SampleCollection()), [](absl::string_view bytes) {
    return DecodeCollection(bytes).status();
  });
}

TEST(CollectionCodec, TrailingByteIsDataLoss) {
  EXPECT_EQ(DecodeCollection(EncodeCollection(SampleCollection()) + "x").status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(CollectionCodec, FutureVersionIsDataLossNamingIt) {
  const absl::Status status =
      DecodeCollection(WithVersion(EncodeCollection(SampleCollection()), 3)).status();
  ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("format version 3"));
  EXPECT_THAT(status.message(), HasSubstr("collection record"));
}

TEST(TenantCodec, RoundTrips) {
  const TenantRecord record = SampleTenant();
  const absl::StatusOr<TenantRecord> decoded = DecodeTenant(EncodeTenant(record));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->id, record.id);
  EXPECT_EQ(decoded->name, record.name);
  EXPECT_EQ(decoded->created_unix_ms, record.created_unix_ms);
}

TEST(TenantCodec, EveryTruncationIsDataLoss) {
  ExpectEveryPrefixIsDataLoss(EncodeTenant(SampleTenant()), [](absl::string_view bytes) {
    return DecodeTenant(bytes).status();
  });
}

TEST(TenantCodec, FutureVersionIsDataLossNamingIt) {
  const absl::Status status = DecodeTenant(WithVersion(EncodeTenant(SampleTenant()), 9)).status();
  ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("format version 9"));
}

TEST(KeyCodec, RoundTrips) {
  const KeyRecord record = SampleKey();
  const absl::StatusOr<KeyRecord> decoded = DecodeKey(EncodeKey(record));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->key_id, record.key_id);
  EXPECT_EQ(decoded->collection_id, record.collection_id);
  EXPECT_EQ(decoded->tenant_id, record.tenant_id);
  EXPECT_EQ(decoded->hash, record.hash);
  EXPECT_EQ(decoded->created_unix_ms, record.created_unix_ms);
}

TEST(KeyCodec, EveryTruncationIsDataLoss) {
  ExpectEveryPrefixIsDataLoss(EncodeKey(SampleKey()), [](absl::string_view bytes) {
    return DecodeKey(bytes).status();
  });
}

TEST(KeyCodec, FutureVersionIsDataLossNamingIt) {
  const absl::Status status = DecodeKey(WithVersion(EncodeKey(SampleKey()), 2)).status();
  ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("format version 2"));
}

TEST(KeyCodec, ShortHashIsDataLoss) {
  ValueWriter writer(1);
  writer.String("0123456789abcdef");
  writer.U32(1);
  writer.U32(2);
  writer.String(std::string(31, 'h'));
  writer.I64(0);
  const absl::Status status = DecodeKey(writer.Take()).status();
  ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("31-byte hash"));
}

TEST(VectorCodec, RoundTripsExactBits) {
  const std::vector<float> values = {0.1f, -2.5f, 1e30f, -0.0f, 3.0f};
  const std::string bytes = EncodeVector(values.data(), values.size());
  EXPECT_EQ(bytes.size(), 1 + values.size() * sizeof(float));

  std::vector<float> decoded(values.size());
  ASSERT_TRUE(DecodeVector(bytes, values.size(), decoded.data()).ok());
  EXPECT_EQ(std::memcmp(decoded.data(), values.data(), values.size() * sizeof(float)), 0);
}

TEST(VectorCodec, EveryTruncationIsDataLoss) {
  const std::vector<float> values = {1, 2, 3};
  std::vector<float> out(3);
  ExpectEveryPrefixIsDataLoss(EncodeVector(values.data(), 3), [&](absl::string_view bytes) {
    return DecodeVector(bytes, 3, out.data());
  });
}

TEST(VectorCodec, WrongDimensionIsDataLoss) {
  const std::vector<float> values = {1, 2, 3};
  const std::string bytes = EncodeVector(values.data(), 3);
  std::vector<float> out(4);
  EXPECT_EQ(DecodeVector(bytes, 2, out.data()).code(), absl::StatusCode::kDataLoss);
  const absl::Status longer = DecodeVector(bytes, 4, out.data());
  ASSERT_EQ(longer.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(longer.message(), HasSubstr("expected 4 floats"));
}

TEST(VectorCodec, FutureVersionIsDataLossNamingIt) {
  const std::vector<float> values = {1, 2};
  std::vector<float> out(2);
  const absl::Status status =
      DecodeVector(WithVersion(EncodeVector(values.data(), 2), 2), 2, out.data());
  ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("format version 2"));
}

TEST(AclCodec, RoundTrips) {
  for (const std::vector<TenantId>& readers :
       {std::vector<TenantId>{}, std::vector<TenantId>{5},
        std::vector<TenantId>{9, 2, 0xffffffff, 7}}) {
    SCOPED_TRACE(testing::Message() << readers.size() << " readers");
    const absl::StatusOr<std::vector<TenantId>> decoded = DecodeAcl(EncodeAcl(readers));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, readers);  // grant order is kept
  }
}

TEST(AclCodec, EveryTruncationIsDataLoss) {
  ExpectEveryPrefixIsDataLoss(EncodeAcl({3, 4, 5}), [](absl::string_view bytes) {
    return DecodeAcl(bytes).status();
  });
}

TEST(AclCodec, CountMismatchIsDataLoss) {
  ValueWriter writer(1);
  writer.U32(3);  // claims 3 readers but contains 2
  writer.U32(1);
  writer.U32(2);
  EXPECT_EQ(DecodeAcl(writer.Take()).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeAcl(EncodeAcl({1, 2}) + "xy").status().code(), absl::StatusCode::kDataLoss);
}

TEST(AclCodec, FutureVersionIsDataLossNamingIt) {
  const absl::Status status = DecodeAcl(WithVersion(EncodeAcl({1}), 2)).status();
  ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("format version 2"));
}

TEST(VectorKeyOrder, BytewiseOrderIsNumeric) {
  EXPECT_LT(VectorKey(1, 1, 255), VectorKey(1, 1, 256));
  EXPECT_LT(VectorKey(1, 255, 9), VectorKey(1, 256, 0));
  EXPECT_LT(VectorKey(255, 9, 9), VectorKey(256, 0, 0));
  EXPECT_LT(VectorKey(1, 1, 0x7fffffffffffffffULL), VectorKey(1, 1, 0x8000000000000000ULL));
  EXPECT_LT(VectorKey(1, 0x7fffffff, 0), VectorKey(1, 0x80000000, 0));
}

TEST(VectorKeyOrder, SortedKeysMatchSortedNumbers) {
  std::mt19937_64 rng(20240601);
  std::vector<std::tuple<CollectionId, TenantId, VectorId>> tuples;
  for (int i = 0; i < 2000; ++i) {
    // Mix small values (shared prefixes) with full-range ones.
    const bool small = i % 2 == 0;
    tuples.emplace_back(static_cast<CollectionId>(small ? rng() % 3 : rng()),
                        static_cast<TenantId>(small ? rng() % 300 : rng()),
                        small ? rng() % 70000 : rng());
  }
  std::vector<std::string> keys;
  for (const auto& [collection, owner, id] : tuples) keys.push_back(VectorKey(collection, owner, id));

  std::sort(tuples.begin(), tuples.end());
  std::sort(keys.begin(), keys.end());  // std::string compares bytes as unsigned char
  for (size_t i = 0; i < keys.size(); ++i) {
    const auto [collection, owner, id] = tuples[i];
    ASSERT_EQ(keys[i], VectorKey(collection, owner, id)) << "position " << i;
  }
}

TEST(VectorKeyCodec, DecodesWhatWasEncoded) {
  const absl::StatusOr<DecodedVectorKey> decoded =
      DecodeVectorKey(VectorKey(0xfffffffe, 256, 0xffffffffffffffffULL));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->collection, 0xfffffffeu);
  EXPECT_EQ(decoded->owner, 256u);
  EXPECT_EQ(decoded->id, 0xffffffffffffffffULL);
}

TEST(VectorKeyCodec, WrongSizeIsDataLoss) {
  const std::string key = VectorKey(1, 2, 3);
  for (size_t length = 0; length < key.size(); ++length) {
    EXPECT_EQ(DecodeVectorKey(key.substr(0, length)).status().code(),
              absl::StatusCode::kDataLoss)
        << "length " << length;
  }
  EXPECT_EQ(DecodeVectorKey(key + "x").status().code(), absl::StatusCode::kDataLoss);
}

// Checks that [start, end) contains exactly the keys for which `inside` is true, for a grid of
// keys around the range's edges.
void ExpectRangeContainsExactly(const std::string& start, const std::string& end,
                                const std::function<bool(CollectionId, TenantId)>& inside) {
  const std::vector<uint32_t> numbers = {0, 1, 6, 7, 8, 255, 256, 0xfffffffe, 0xffffffff};
  const std::vector<uint64_t> ids = {0, 1, 255, 256, 0xffffffffffffffffULL};
  for (CollectionId collection : numbers) {
    for (TenantId owner : numbers) {
      for (VectorId id : ids) {
        const std::string key = VectorKey(collection, owner, id);
        const bool in_range = start <= key && key < end;
        ASSERT_EQ(in_range, inside(collection, owner))
            << "collection " << collection << " owner " << owner << " id " << id;
      }
    }
  }
}

TEST(KeyRanges, OwnerRangeContainsExactlyTheOwnersKeys) {
  for (TenantId owner : {TenantId{0}, TenantId{7}, TenantId{255}, TenantId{0xfffffffe},
                         TenantId{0xffffffff}}) {
    SCOPED_TRACE(testing::Message() << "owner " << owner);
    ExpectRangeContainsExactly(OwnerRangeStart(7, owner), OwnerRangeEnd(7, owner),
                               [&](CollectionId c, TenantId o) { return c == 7 && o == owner; });
  }
}

TEST(KeyRanges, CollectionRangeContainsExactlyTheCollectionsKeys) {
  for (CollectionId collection : {CollectionId{0}, CollectionId{7}, CollectionId{255},
                                  CollectionId{0xfffffffe}}) {
    SCOPED_TRACE(testing::Message() << "collection " << collection);
    ExpectRangeContainsExactly(CollectionRangeStart(collection), CollectionRangeEnd(collection),
                               [&](CollectionId c, TenantId) { return c == collection; });
  }
}

TEST(CatalogKeys, TenantKeysOfACollectionShareItsPrefix) {
  const std::string prefix = TenantKeyPrefix(255);
  for (const std::string& name : {std::string("a"), std::string("zzzz"), std::string(64, 'z')}) {
    const std::string key = TenantKey(255, name);
    EXPECT_EQ(key.substr(0, prefix.size()), prefix) << name;
    EXPECT_LT(key, TenantKeyPrefix(256)) << name;
    EXPECT_GT(key, TenantKey(254, std::string(64, 'z'))) << name;
  }
}

TEST(CatalogKeys, KindsUseDistinctTags) {
  // Recovery scans each kind as a range between its tag and the next letter.
  EXPECT_EQ(CollectionKey("fm"), "cfm");
  EXPECT_EQ(CollectionKeyPrefix(), "c");
  EXPECT_EQ(TenantKeyPrefix(1).front(), 't');
  EXPECT_EQ(ApiKeyKey("0123"), "k0123");
  EXPECT_EQ(ApiKeyKeyPrefix(), "k");
  EXPECT_EQ(NextCollectionIdKey().front(), 'm');
}

}  // namespace
}  // namespace arbor::storage

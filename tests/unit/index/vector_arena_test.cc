#include "index/vector_arena.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace arbor::index {
namespace {

bool Aligned(const float* p) {
  return reinterpret_cast<uintptr_t>(p) % VectorArena::kChunkBytes == 0;
}

TEST(VectorArena, PacksWholeVectorsIntoAlignedChunks) {
  VectorArena arena(784);  // 3,136 bytes per vector: 668 fit in 2 MiB
  EXPECT_EQ(arena.slots_per_chunk(), 668u);
  EXPECT_EQ(arena.capacity(), 0u);

  arena.Grow(1);
  EXPECT_EQ(arena.capacity(), 668u);
  EXPECT_EQ(arena.allocated_bytes(), VectorArena::kChunkBytes);
  arena.Grow(669);
  EXPECT_EQ(arena.capacity(), 2u * 668u);
  EXPECT_EQ(arena.allocated_bytes(), 2 * VectorArena::kChunkBytes);

  EXPECT_TRUE(Aligned(arena.At(0)));
  EXPECT_TRUE(Aligned(arena.At(668)));
  EXPECT_EQ(arena.At(1), arena.At(0) + 784);
  // The last slot of a chunk ends inside it.
  EXPECT_LE(arena.At(667) + 784, arena.At(0) + VectorArena::kChunkBytes / sizeof(float));
}

TEST(VectorArena, GrowingKeepsStoredVectors) {
  VectorArena arena(4);
  const size_t per_chunk = arena.slots_per_chunk();
  ASSERT_EQ(per_chunk, VectorArena::kChunkBytes / 16);

  arena.Grow(3);
  const float* first = arena.At(2);
  for (uint32_t slot = 0; slot < 3; ++slot) {
    for (size_t d = 0; d < 4; ++d) arena.At(slot)[d] = float(slot * 10 + d);
  }
  arena.Grow(3 * per_chunk + 1);
  EXPECT_EQ(arena.capacity(), 4 * per_chunk);
  EXPECT_EQ(arena.At(2), first);
  for (uint32_t slot = 0; slot < 3; ++slot) {
    for (size_t d = 0; d < 4; ++d) EXPECT_EQ(arena.At(slot)[d], float(slot * 10 + d));
  }

  // Slots at chunk boundaries are distinct and writable.
  const uint32_t last = static_cast<uint32_t>(4 * per_chunk - 1);
  arena.At(last)[3] = 7.0f;
  arena.At(static_cast<uint32_t>(per_chunk))[0] = 8.0f;
  EXPECT_EQ(arena.At(last)[3], 7.0f);
  EXPECT_EQ(arena.At(static_cast<uint32_t>(per_chunk))[0], 8.0f);
}

TEST(VectorArena, LargeVectorGetsOwnChunks) {
  const size_t dim = VectorArena::kChunkBytes / sizeof(float) + 1;  // 2 MiB and 4 bytes
  VectorArena arena(dim);
  EXPECT_EQ(arena.slots_per_chunk(), 1u);
  arena.Grow(2);
  EXPECT_EQ(arena.allocated_bytes(), 4 * VectorArena::kChunkBytes);
  EXPECT_TRUE(Aligned(arena.At(1)));
  arena.At(0)[dim - 1] = 1.0f;
  arena.At(1)[0] = 2.0f;
  EXPECT_EQ(arena.At(0)[dim - 1], 1.0f);
}

}  // namespace
}  // namespace arbor::index

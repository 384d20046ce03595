#include "index/vector_arena.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>

namespace arbor::index {
namespace {

uint32_t SlotsPerChunk(size_t dim) {
  const size_t vector_bytes = dim * sizeof(float);
  return static_cast<uint32_t>(std::max<size_t>(1, VectorArena::kChunkBytes / vector_bytes));
}

size_t ChunkBytes(size_t dim) {
  const size_t used = SlotsPerChunk(dim) * dim * sizeof(float);
  const size_t unit = VectorArena::kChunkBytes;
  return (used + unit - 1) / unit * unit;
}

}  // namespace

VectorArena::VectorArena(size_t dim)
    : dim_(dim), slots_per_chunk_(SlotsPerChunk(dim)), chunk_bytes_(ChunkBytes(dim)) {}

void VectorArena::FreeChunk::operator()(float* chunk) const { std::free(chunk); }

void VectorArena::Grow(size_t slots) {
  while (capacity() < slots) {
    void* memory = std::aligned_alloc(kChunkBytes, chunk_bytes_);
    if (memory == nullptr) throw std::bad_alloc();
    // Advice only: a kernel without transparent huge pages refuses it and ordinary pages serve.
    if (!chunks_.empty()) madvise(memory, chunk_bytes_, MADV_HUGEPAGE);
    chunks_.emplace_back(static_cast<float*>(memory));
  }
}

}  // namespace arbor::index

// VectorArena: storage for fixed-size float vectors addressed by slot number.
//
// Vectors live in chunks of 2 MiB, each aligned to 2 MiB. A vector larger than that gets a chunk
// of its own, rounded up to whole 2 MiB. A search reads vectors scattered over the whole arena,
// and with 4 KiB pages nearly every vector costs a TLB miss. So every chunk after the first is
// advised for transparent huge pages (madvise MADV_HUGEPAGE), which Linux backs with 2 MiB pages
// when it has them. Scans of the benchmark's 784-d vectors used 6-33% less CPU per query with
// them (docs/benchmarks.md). The first chunk keeps 4 KiB pages, so that a small collection does
// not hold a whole 2 MiB page for a few vectors.
//
// Growing adds chunks and never moves a stored vector, so a pointer from At() stays valid for
// the arena's lifetime. New chunks are not zeroed, because the owner writes a slot before it
// reads it.
//
// Thread safety: none. Const methods may run in parallel with each other. Grow() needs
// exclusive access, which CuratorIndex has from its caller on every write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace arbor::index {

class VectorArena {
 public:
  // Size and alignment of a chunk: the huge page size of x86-64 Linux.
  static constexpr size_t kChunkBytes = size_t{2} << 20;

  // REQUIRES: dim > 0.
  explicit VectorArena(size_t dim);

  size_t dim() const { return dim_; }
  size_t slots_per_chunk() const { return slots_per_chunk_; }
  // Slots with memory behind them: 0 .. capacity() - 1.
  size_t capacity() const { return chunks_.size() * slots_per_chunk_; }
  // Bytes allocated for vectors, free and unwritten slots included.
  size_t allocated_bytes() const { return chunks_.size() * chunk_bytes_; }

  // Adds chunks until `slots` slots have memory. Throws std::bad_alloc when memory runs out.
  void Grow(size_t slots);

  // The vector of `slot`. REQUIRES: slot < capacity().
  float* At(uint32_t slot) {
    return chunks_[slot / slots_per_chunk_].get() + size_t{slot % slots_per_chunk_} * dim_;
  }
  const float* At(uint32_t slot) const {
    return chunks_[slot / slots_per_chunk_].get() + size_t{slot % slots_per_chunk_} * dim_;
  }

 private:
  struct FreeChunk {
    void operator()(float* chunk) const;
  };

  const size_t dim_;
  const uint32_t slots_per_chunk_;
  const size_t chunk_bytes_;
  std::vector<std::unique_ptr<float[], FreeChunk>> chunks_;
};

}  // namespace arbor::index

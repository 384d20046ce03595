#include "index/node_tenant_filter.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace arbor::index {
namespace {

// Stale keys at or above this share of a filter's keys make NeedsRebuild true. Every query of a
// stale tenant is a false positive at that node, so stale keys are kept few.
constexpr uint32_t kStaleShareDivisor = 4;

// The output function of the SplitMix64 generator, which mixes every input bit into every
// output bit. absl::Hash would vary from process to process; this places the same bits in every
// run, so benchmark results repeat.
uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// The two double-hashing halves for (node, tenant). h2 is odd, so that the probes of one key
// stay distinct modulo 2^32.
struct ProbeHashes {
  uint32_t h1;
  uint32_t h2;
};

ProbeHashes HashesOf(NodeId node, TenantId tenant) {
  const uint64_t mixed = Mix64((uint64_t{node} << 32) | tenant);
  return {static_cast<uint32_t>(mixed), static_cast<uint32_t>(mixed >> 32) | 1u};
}

// Maps a 32-bit hash onto [0, bit_count) by multiplication, which is unbiased enough for
// bit_count far below 2^32 and avoids a division.
uint64_t ReduceToRange(uint32_t hash, uint32_t bit_count) {
  return (uint64_t{hash} * bit_count) >> 32;
}

bool TestBit(const std::vector<uint64_t>& words, uint64_t bit) {
  return (words[bit >> 6] >> (bit & 63)) & 1;
}

void SetBit(std::vector<uint64_t>& words, uint64_t bit) {
  words[bit >> 6] |= uint64_t{1} << (bit & 63);
}

}  // namespace

absl::StatusOr<NodeTenantFilter> NodeTenantFilter::Create(size_t node_count, double bits_per_key) {
  if (!(bits_per_key >= kMinBitsPerKey && bits_per_key <= kMaxBitsPerKey)) {
    return absl::InvalidArgumentError(absl::StrCat("bits_per_key is ", bits_per_key,
                                                   "; it must be between ", kMinBitsPerKey, " and ",
                                                   kMaxBitsPerKey));
  }
  if (node_count > std::numeric_limits<NodeId>::max()) {
    return absl::InvalidArgumentError(absl::StrCat("node_count is ", node_count,
                                                   "; node ids hold at most ",
                                                   std::numeric_limits<NodeId>::max()));
  }
  const size_t hash_count =
      std::max<size_t>(1, static_cast<size_t>(std::lround(bits_per_key * std::log(2.0))));
  return NodeTenantFilter(node_count, bits_per_key, hash_count);
}

NodeTenantFilter::NodeTenantFilter(size_t node_count, double bits_per_key, size_t hash_count)
    : bits_per_key_(bits_per_key), hash_count_(hash_count), filters_(node_count) {}

size_t NodeTenantFilter::BitsFor(size_t capacity) const {
  const double bits = std::ceil(static_cast<double>(capacity) * bits_per_key_);
  assert(bits < double{std::numeric_limits<uint32_t>::max()});
  return static_cast<size_t>(bits);
}

void NodeTenantFilter::Rebuild(NodeId node, absl::Span<const TenantId> tenants, size_t capacity) {
  assert(node < filters_.size());
  capacity = std::max(capacity, tenants.size());
  Resize(node, BitsFor(capacity));

  NodeFilter& filter = filters_[node];
  filter.capacity = static_cast<uint32_t>(capacity);
  filter.keys = static_cast<uint32_t>(tenants.size());
  filter.stale = 0;
  for (TenantId tenant : tenants) SetProbes(filter, node, tenant);
  CompactIfWasteful();
}

bool NodeTenantFilter::Insert(NodeId node, TenantId tenant) {
  assert(node < filters_.size());
  if (filters_[node].bit_count == 0) {
    Resize(node, BitsFor(kMinCapacity));
    filters_[node].capacity = kMinCapacity;
    CompactIfWasteful();
  }
  if (MayContain(node, tenant)) return false;

  NodeFilter& filter = filters_[node];
  SetProbes(filter, node, tenant);
  filter.keys++;
  return true;
}

void NodeTenantFilter::RecordRemoval(NodeId node) {
  assert(node < filters_.size());
  NodeFilter& filter = filters_[node];
  if (filter.stale < filter.keys) filter.stale++;
}

bool NodeTenantFilter::MayContain(NodeId node, TenantId tenant) const {
  assert(node < filters_.size());
  const NodeFilter& filter = filters_[node];
  if (filter.keys == 0) return false;

  const ProbeHashes hashes = HashesOf(node, tenant);
  uint32_t probe = hashes.h1;
  for (size_t i = 0; i < hash_count_; ++i) {
    if (!TestBit(words_, filter.first_bit + ReduceToRange(probe, filter.bit_count))) {
      return false;
    }
    probe += hashes.h2;
  }
  return true;
}

bool NodeTenantFilter::NeedsRebuild(NodeId node) const {
  const NodeFilter& filter = filters_[node];
  return filter.keys > filter.capacity ||
         (filter.stale > 0 && filter.stale * kStaleShareDivisor >= filter.keys);
}

double NodeTenantFilter::ExpectedFalsePositiveRate(NodeId node) const {
  const NodeFilter& filter = filters_[node];
  if (filter.keys == 0) return 0.0;
  const double k = static_cast<double>(hash_count_);
  const double fill = 1.0 - std::exp(-k * filter.keys / filter.bit_count);
  return std::pow(fill, k);
}

size_t NodeTenantFilter::MemoryBytes() const {
  return words_.capacity() * sizeof(uint64_t) + filters_.capacity() * sizeof(NodeFilter);
}

void NodeTenantFilter::SetProbes(const NodeFilter& filter, NodeId node, TenantId tenant) {
  const ProbeHashes hashes = HashesOf(node, tenant);
  uint32_t probe = hashes.h1;
  for (size_t i = 0; i < hash_count_; ++i) {
    SetBit(words_, filter.first_bit + ReduceToRange(probe, filter.bit_count));
    probe += hashes.h2;
  }
}

void NodeTenantFilter::Resize(NodeId node, size_t bit_count) {
  NodeFilter& filter = filters_[node];
  if (bit_count != filter.bit_count) {
    abandoned_bits_ += filter.bit_count;
    filter.first_bit = used_bits_;
    filter.bit_count = static_cast<uint32_t>(bit_count);
    used_bits_ += bit_count;
    words_.resize((used_bits_ + 63) / 64, 0);
  }

  // Clear the filter's range word by word. Its first and last words may be shared with the
  // neighbouring filters, so only the range's own bits are cleared there.
  uint64_t bit = filter.first_bit;
  const uint64_t end = filter.first_bit + filter.bit_count;
  while (bit < end) {
    const uint64_t offset = bit & 63;
    const uint64_t span = std::min<uint64_t>(64 - offset, end - bit);
    const uint64_t mask = span == 64 ? ~uint64_t{0} : ((uint64_t{1} << span) - 1) << offset;
    words_[bit >> 6] &= ~mask;
    bit += span;
  }
}

void NodeTenantFilter::CompactIfWasteful() {
  if (abandoned_bits_ > LiveBits()) Compact();
}

void NodeTenantFilter::Compact() {
  std::vector<uint64_t> words((LiveBits() + 63) / 64, 0);
  uint64_t next = 0;
  for (NodeFilter& filter : filters_) {
    for (uint64_t i = 0; i < filter.bit_count; ++i) {
      if (TestBit(words_, filter.first_bit + i)) SetBit(words, next + i);
    }
    filter.first_bit = next;
    next += filter.bit_count;
  }
  words_ = std::move(words);
  used_bits_ = next;
  abandoned_bits_ = 0;
}

}  // namespace arbor::index

#include "index/flat_index.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "index/topk.h"

namespace arbor::index {

FlatIndex::FlatIndex(size_t dim, Metric metric) : dim_(dim), metric_(metric) {}

void FlatIndex::AddTenant(TenantId tenant, std::string name) {
  assert(!tenants_.contains(tenant));
  tenants_.emplace(tenant, TenantState{});
  if (names_.size() <= tenant) names_.resize(static_cast<size_t>(tenant) + 1);
  names_[tenant] = std::move(name);
}

size_t FlatIndex::RemoveTenant(TenantId tenant) {
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return 0;

  // Copy the list: deleting and revoking below edit it in place.
  const std::vector<Slot> readable = it->second.readable;
  size_t deleted = 0;
  for (Slot slot : readable) {
    const VectorKey key = slots_[slot].key;
    if (key.owner == tenant) {
      Delete(key);
      ++deleted;
    } else {
      Revoke(key, tenant);
    }
  }

  tenants_.erase(tenant);
  names_[tenant].clear();
  return deleted;
}

bool FlatIndex::Upsert(VectorKey key, const float* values) {
  assert(tenants_.contains(key.owner));
  auto it = slot_of_.find(key);
  if (it != slot_of_.end()) {
    StoreValues(it->second, values);
    return false;
  }

  const Slot slot = AllocateSlot();
  slots_[slot].key = key;
  StoreValues(slot, values);
  AddReader(slot, key.owner);
  tenants_[key.owner].owned++;
  slot_of_.emplace(key, slot);
  return true;
}

bool FlatIndex::Delete(VectorKey key) {
  auto it = slot_of_.find(key);
  if (it == slot_of_.end()) return false;

  const Slot slot = it->second;
  while (!slots_[slot].readers.empty()) {
    RemoveReaderAt(slot, slots_[slot].readers.size() - 1);
  }
  tenants_[key.owner].owned--;
  slot_of_.erase(it);
  FreeSlot(slot);
  return true;
}

bool FlatIndex::Grant(VectorKey key, TenantId reader) {
  auto it = slot_of_.find(key);
  assert(it != slot_of_.end());
  assert(tenants_.contains(reader));
  if (CanRead(key, reader)) return false;

  AddReader(it->second, reader);
  return true;
}

bool FlatIndex::Revoke(VectorKey key, TenantId reader) {
  auto it = slot_of_.find(key);
  if (it == slot_of_.end() || reader == key.owner) return false;

  const auto& readers = slots_[it->second].readers;
  for (size_t i = 1; i < readers.size(); ++i) {
    if (readers[i].tenant == reader) {
      RemoveReaderAt(it->second, i);
      return true;
    }
  }
  return false;
}

bool FlatIndex::CanRead(VectorKey key, TenantId reader) const {
  auto it = slot_of_.find(key);
  if (it == slot_of_.end()) return false;
  for (const ReaderRef& ref : slots_[it->second].readers) {
    if (ref.tenant == reader) return true;
  }
  return false;
}

std::vector<TenantId> FlatIndex::SharedWith(VectorKey key) const {
  std::vector<TenantId> result;
  auto it = slot_of_.find(key);
  if (it == slot_of_.end()) return result;

  const auto& readers = slots_[it->second].readers;
  for (size_t i = 1; i < readers.size(); ++i) result.push_back(readers[i].tenant);
  return result;
}

std::vector<VectorKey> FlatIndex::ReadableKeys(TenantId tenant) const {
  std::vector<VectorKey> keys;
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return keys;

  keys.reserve(it->second.readable.size());
  for (Slot slot : it->second.readable) keys.push_back(slots_[slot].key);
  return keys;
}

size_t FlatIndex::ReadableCount(TenantId tenant) const {
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? 0 : it->second.readable.size();
}

size_t FlatIndex::OwnedCount(TenantId tenant) const {
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? 0 : it->second.owned;
}

size_t FlatIndex::MemoryBytes() const {
  size_t bytes = vectors_.capacity() * sizeof(float);
  bytes += slots_.capacity() * sizeof(SlotInfo);
  bytes += free_slots_.capacity() * sizeof(Slot);
  bytes += slot_of_.capacity() * (sizeof(VectorKey) + sizeof(Slot) + 1);
  for (const auto& [tenant, state] : tenants_) {
    bytes += sizeof(TenantId) + sizeof(TenantState) + state.readable.capacity() * sizeof(Slot);
  }
  return bytes;
}

std::vector<Neighbor> FlatIndex::SearchExact(TenantId tenant, const float* query,
                                             size_t k) const {
  auto it = tenants_.find(tenant);
  if (it == tenants_.end() || k == 0) return {};

  std::vector<float> normalized;
  if (metric_ == Metric::kCosine) {
    normalized.assign(query, query + dim_);
    NormalizeInPlace(normalized.data(), dim_);
    query = normalized.data();
  }

  TopK top(k, &names_);
  for (Slot slot : it->second.readable) {
    const float distance = RankingDistance(metric_, query, SlotVector(slot), dim_);
    if (distance <= top.Threshold()) top.Push(distance, slots_[slot].key);
  }
  return top.Take();
}

FlatIndex::Slot FlatIndex::AllocateSlot() {
  if (!free_slots_.empty()) {
    const Slot slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  const Slot slot = static_cast<Slot>(slots_.size());
  slots_.emplace_back();
  vectors_.resize(vectors_.size() + dim_);
  return slot;
}

void FlatIndex::StoreValues(Slot slot, const float* values) {
  float* target = SlotVector(slot);
  std::memcpy(target, values, dim_ * sizeof(float));
  if (metric_ == Metric::kCosine) NormalizeInPlace(target, dim_);
}

void FlatIndex::AddReader(Slot slot, TenantId reader) {
  std::vector<Slot>& list = tenants_[reader].readable;
  slots_[slot].readers.push_back(ReaderRef{reader, static_cast<uint32_t>(list.size())});
  list.push_back(slot);
}

// Removes reader i of `slot` from the slot and, by swapping with the last entry, from the
// reader's list; the moved slot's back reference is fixed up.
void FlatIndex::RemoveReaderAt(Slot slot, size_t reader_index) {
  auto& readers = slots_[slot].readers;
  const ReaderRef ref = readers[reader_index];
  readers.erase(readers.begin() + reader_index);

  std::vector<Slot>& list = tenants_[ref.tenant].readable;
  const Slot moved = list.back();
  list[ref.position] = moved;
  list.pop_back();
  if (moved == slot) return;

  for (ReaderRef& moved_ref : slots_[moved].readers) {
    if (moved_ref.tenant == ref.tenant) {
      moved_ref.position = ref.position;
      break;
    }
  }
}

void FlatIndex::FreeSlot(Slot slot) {
  slots_[slot].key = VectorKey{};
  free_slots_.push_back(slot);
}

}  // namespace arbor::index

// A bounded collection of the k best neighbors seen so far.
//
// Order: smaller distance first, then the owner's name, then the id, so that results are
// deterministic when distances tie. A NaN distance ranks after every number. Not thread-safe.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "index/types.h"

namespace arbor::index {

class TopK {
 public:
  // `owner_names[t]` must be the name of tenant t for every owner passed to Push; it is read only
  // when two distances tie.
  TopK(size_t k, const std::vector<std::string>* owner_names) : k_(k), names_(owner_names) {
    heap_.reserve(k);
  }

  // The distance a candidate must beat (or tie) to enter; +infinity until k are held.
  float Threshold() const {
    return heap_.size() < k_ ? std::numeric_limits<float>::infinity() : heap_.front().distance;
  }

  void Push(float distance, VectorKey key) {
    if (k_ == 0) return;
    if (std::isnan(distance)) distance = std::numeric_limits<float>::infinity();

    const Neighbor candidate{distance, key};
    if (heap_.size() < k_) {
      heap_.push_back(candidate);
      std::push_heap(heap_.begin(), heap_.end(), Less());
      return;
    }
    if (!Less()(candidate, heap_.front())) return;

    std::pop_heap(heap_.begin(), heap_.end(), Less());
    heap_.back() = candidate;
    std::push_heap(heap_.begin(), heap_.end(), Less());
  }

  // Returns the neighbors best first and empties the collection.
  std::vector<Neighbor> Take() {
    std::sort_heap(heap_.begin(), heap_.end(), Less());
    return std::move(heap_);
  }

 private:
  struct Comparator {
    const std::vector<std::string>* names;

    bool operator()(const Neighbor& a, const Neighbor& b) const {
      if (a.distance != b.distance) return a.distance < b.distance;
      if (a.key.owner != b.key.owner) return (*names)[a.key.owner] < (*names)[b.key.owner];
      return a.key.id < b.key.id;
    }
  };

  Comparator Less() const { return Comparator{names_}; }

  size_t k_;
  const std::vector<std::string>* names_;
  std::vector<Neighbor> heap_;  // max-heap under Less: the worst kept neighbor is in front
};

}  // namespace arbor::index

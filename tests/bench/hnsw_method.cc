// hnswlib baseline: one HierarchicalNSW per tenant, holding every vector the tenant may read, so
// a vector shared with r tenants is stored r + 1 times. Written against hnswlib 0.6.2.
//
// hnswlib picks its SIMD distance at compile time, so CMake compiles this file alone with
// -O3 -march=native. hnswlib.h defines non-inline functions and globals: no other translation
// unit of the binary may include it.
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <numeric>
#include <thread>

#include "tests/bench/bench_methods.h"

namespace arbor::bench {
namespace {

using Hnsw = hnswlib::HierarchicalNSW<float>;

std::string SimdName() {
#if defined(USE_AVX512)
  return "avx512 (compiled), runtime check " + std::string(AVX512Capable() ? "passed" : "failed");
#elif defined(USE_AVX)
  return "avx (compiled)";
#elif defined(USE_SSE)
  return "sse (compiled)";
#else
  return "scalar";
#endif
}

class HnswTenant : public SearchMethod {
 public:
  explicit HnswTenant(const HnswParams& params) : params_(params) {}

  void Build(const Workload& workload) override {
    space_ = std::make_unique<hnswlib::L2Space>(workload.dim);
    const size_t tenants = workload.readable.size();
    indexes_.resize(tenants);
    to_base_ = workload.readable;

    // Largest tenants first, so the threads finish at about the same time.
    std::vector<uint32_t> order(tenants);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return workload.readable[a].size() > workload.readable[b].size();
    });
    std::atomic<size_t> next{0};
    auto build = [&]() {
      for (size_t i = next++; i < tenants; i = next++) {
        const uint32_t tenant = order[i];
        const auto& ids = workload.readable[tenant];
        auto index = std::make_unique<Hnsw>(space_.get(), std::max<size_t>(ids.size(), 1), params_.m,
                                            params_.ef_construction, params_.seed + tenant);
        for (size_t local = 0; local < ids.size(); ++local) {
          index->addPoint(workload.BaseVector(ids[local]), local);
        }
        indexes_[tenant] = std::move(index);
      }
    };
    std::vector<std::thread> workers;
    for (size_t t = 0; t < std::max<size_t>(params_.build_threads, 1); ++t) workers.emplace_back(build);
    for (auto& worker : workers) worker.join();
  }

  std::vector<KnobSetting> Knobs() const override {
    std::vector<KnobSetting> knobs;
    for (size_t ef : params_.efs) knobs.push_back({"hnsw-tenant", "ef", ef});
    return knobs;
  }

  void ApplyKnob(const KnobSetting& knob) override {
    for (auto& index : indexes_) index->setEf(knob.value);
  }

  void Search(uint32_t tenant, const float* query, size_t k,
              std::vector<uint32_t>* ids) const override {
    auto result = indexes_[tenant]->searchKnn(query, k);
    ids->resize(result.size());
    // searchKnn returns a max-heap: the farthest neighbor on top.
    for (size_t i = result.size(); i > 0; --i) {
      (*ids)[i - 1] = to_base_[tenant][result.top().second];
      result.pop();
    }
  }

  MemoryCount CountMemory() const override {
    size_t level0 = 0;
    size_t upper_links = 0;
    size_t lock_tables = 0;
    size_t element_locks = 0;
    size_t id_maps = 0;
    for (size_t tenant = 0; tenant < indexes_.size(); ++tenant) {
      const Hnsw& index = *indexes_[tenant];
      level0 += index.max_elements_ * index.size_data_per_element_;
      for (size_t i = 0; i < index.cur_element_count; ++i) {
        upper_links += size_t(index.element_levels_[i]) * index.size_links_per_element_;
      }
      lock_tables += index.link_list_update_locks_.size() * sizeof(std::mutex);
      element_locks += index.link_list_locks_.size() * sizeof(std::mutex);
      id_maps += to_base_[tenant].capacity() * sizeof(uint32_t);
    }
    MemoryCount memory;
    memory.parts = {{"level-0 data and links", level0},
                    {"upper-level links", upper_links},
                    {"local-to-base id maps", id_maps}};
    memory.counted_bytes = level0 + upper_links + id_maps;
    memory.excluded = {{"lock tables (65,536 mutexes per index)", lock_tables},
                       {"per-element mutexes", element_locks}};
    return memory;
  }

  JsonObject Describe() const override {
    size_t elements = 0;
    for (const auto& index : indexes_) elements += index->cur_element_count;
    return JsonObject()
        .Add("stored_vectors", elements)
        .Add("m", params_.m)
        .Add("ef_construction", params_.ef_construction)
        .Add("simd", SimdName())
        .Add("build_threads", params_.build_threads);
  }

 private:
  HnswParams params_;
  std::unique_ptr<hnswlib::L2Space> space_;
  std::vector<std::unique_ptr<Hnsw>> indexes_;
  std::vector<std::vector<uint32_t>> to_base_;
};

}  // namespace

std::unique_ptr<SearchMethod> MakeHnswTenant(const HnswParams& params) {
  return std::make_unique<HnswTenant>(params);
}

}  // namespace arbor::bench

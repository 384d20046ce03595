// faiss baselines: one IVF index shared by all tenants and filtered per query, and one index per
// tenant. Written against faiss 1.7.3 as Debian 12 ships it.
//
// Searches send one query per call, as a tenant-scoped service would. faiss parallelises with
// OpenMP inside a call, so every search thread limits OpenMP to 1 thread: the 1- and 2-thread
// runs then measure the same single-threaded search. Training uses OpenMP's default thread count.
#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/invlists/InvertedLists.h>
#include <faiss/utils/utils.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>

#include "tests/bench/bench_methods.h"

namespace arbor::bench {
namespace {

using faiss_id = faiss::Index::idx_t;

size_t IvfListBytes(const faiss::IndexIVF& index) {
  const auto* lists = dynamic_cast<const faiss::ArrayInvertedLists*>(index.invlists);
  if (lists == nullptr) throw std::logic_error("IndexIVFFlat without ArrayInvertedLists");
  size_t bytes = 0;
  for (size_t list = 0; list < lists->nlist; ++list) {
    bytes += lists->codes[list].capacity() + lists->ids[list].capacity() * sizeof(faiss_id);
  }
  return bytes;
}

size_t CentroidBytes(const faiss::IndexIVF& index) {
  return size_t(index.quantizer->ntotal) * size_t(index.d) * sizeof(float);
}

std::string FaissBuildOptions() { return faiss::get_compile_options(); }

// Writes up to k valid labels, mapped through `to_base` when given.
void CollectLabels(const faiss_id* labels, size_t k, const std::vector<uint32_t>* to_base,
                   std::vector<uint32_t>* ids) {
  ids->clear();
  for (size_t i = 0; i < k; ++i) {
    if (labels[i] < 0) continue;
    ids->push_back(to_base ? (*to_base)[size_t(labels[i])] : static_cast<uint32_t>(labels[i]));
  }
}

class FaissSharedIvf : public SearchMethod {
 public:
  explicit FaissSharedIvf(const FaissSharedParams& params) : params_(params) {}

  void Build(const Workload& workload) override {
    const size_t n = workload.base_count;
    nlist_ = params_.nlist > 0 ? params_.nlist
                               : std::max<size_t>(1, size_t(std::lround(4 * std::sqrt(double(n)))));
    auto* quantizer = new faiss::IndexFlatL2(faiss_id(workload.dim));
    index_ = std::make_unique<faiss::IndexIVFFlat>(quantizer, workload.dim, nlist_,
                                                   faiss::METRIC_L2);
    index_->own_fields = true;
    index_->cp.niter = int(params_.kmeans_iterations);

    const double start = NowSeconds();
    // By default 40 training vectors per list, just above the 39 below which faiss warns. More
    // is slow: Debian's generic faiss build with reference BLAS took 40 s for one k-means
    // iteration of 980 centroids over all 60,000 vectors on the machine of docs/benchmarks.md.
    const size_t train_count =
        std::min(n, params_.train_size == 0 ? 40 * nlist_ : params_.train_size);
    if (train_count == n) {
      index_->train(faiss_id(n), workload.base.data());
    } else {
      std::vector<uint32_t> ids(n);
      std::iota(ids.begin(), ids.end(), 0);
      std::mt19937_64 rng(7);
      std::shuffle(ids.begin(), ids.end(), rng);
      std::vector<float> sample(train_count * workload.dim);
      for (size_t i = 0; i < train_count; ++i) {
        std::copy_n(workload.BaseVector(ids[i]), workload.dim, sample.begin() + i * workload.dim);
      }
      index_->train(faiss_id(train_count), sample.data());
    }
    train_seconds_ = NowSeconds() - start;
    train_count_ = train_count;
    // Labels are the base ids 0..n-1, which is what add() assigns.
    index_->add(faiss_id(n), workload.base.data());

    // One bitmap per tenant over the base ids: the tenant's access list in the form faiss reads.
    const size_t bitmap_bytes = (n + 7) / 8;
    bitmaps_.assign(workload.readable.size(), std::vector<uint8_t>(bitmap_bytes, 0));
    for (size_t tenant = 0; tenant < workload.readable.size(); ++tenant) {
      for (uint32_t id : workload.readable[tenant]) bitmaps_[tenant][id / 8] |= uint8_t(1u << (id % 8));
      selectors_.push_back(
          std::make_unique<faiss::IDSelectorBitmap>(bitmap_bytes, bitmaps_[tenant].data()));
    }
  }

  std::vector<KnobSetting> Knobs() const override {
    std::vector<KnobSetting> knobs;
    for (size_t nprobe : params_.nprobes) {
      if (nprobe <= nlist_) knobs.push_back({"faiss-ivf-shared", "nprobe", nprobe});
    }
    if (knobs.empty() || knobs.back().value != nlist_) {
      knobs.push_back({"faiss-ivf-shared", "nprobe", nlist_});
    }
    return knobs;
  }

  void ApplyKnob(const KnobSetting& knob) override { nprobe_ = std::min(knob.value, nlist_); }

  void PrepareSearchThread() const override { omp_set_num_threads(1); }

  void Search(uint32_t tenant, const float* query, size_t k,
              std::vector<uint32_t>* ids) const override {
    faiss::SearchParametersIVF search_params;
    search_params.nprobe = nprobe_;
    search_params.sel = selectors_[tenant].get();
    std::vector<float> distances(k);
    std::vector<faiss_id> labels(k);
    index_->search(1, query, faiss_id(k), distances.data(), labels.data(), &search_params);
    CollectLabels(labels.data(), k, nullptr, ids);
  }

  MemoryCount CountMemory() const override {
    MemoryCount memory;
    const size_t lists = IvfListBytes(*index_);
    const size_t centroids = CentroidBytes(*index_);
    size_t bitmaps = 0;
    for (const auto& bitmap : bitmaps_) bitmaps += bitmap.capacity();
    memory.parts = {{"inverted lists (codes + ids)", lists},
                    {"centroids", centroids},
                    {"per-tenant bitmaps", bitmaps}};
    memory.counted_bytes = lists + centroids + bitmaps;
    return memory;
  }

  JsonObject Describe() const override {
    return JsonObject()
        .Add("nlist", nlist_)
        .Add("train_vectors", train_count_)
        .Add("train_s", train_seconds_)
        .Add("faiss_compile_options", FaissBuildOptions())
        .Add("build_threads", size_t(omp_get_max_threads()));
  }

 private:
  FaissSharedParams params_;
  size_t nlist_ = 0;
  size_t nprobe_ = 1;
  size_t train_count_ = 0;
  double train_seconds_ = 0.0;
  std::unique_ptr<faiss::IndexIVFFlat> index_;
  std::vector<std::vector<uint8_t>> bitmaps_;
  std::vector<std::unique_ptr<faiss::IDSelectorBitmap>> selectors_;
};

class FaissTenantIvf : public SearchMethod {
 public:
  explicit FaissTenantIvf(const FaissTenantParams& params) : params_(params) {}

  void Build(const Workload& workload) override {
    const size_t tenants = workload.readable.size();
    indexes_.resize(tenants);
    nlists_.assign(tenants, 0);
    to_base_ = workload.readable;

    std::vector<float> vectors;
    for (size_t tenant = 0; tenant < tenants; ++tenant) {
      const auto& ids = workload.readable[tenant];
      vectors.resize(ids.size() * workload.dim);
      for (size_t i = 0; i < ids.size(); ++i) {
        std::copy_n(workload.BaseVector(ids[i]), workload.dim, vectors.begin() + i * workload.dim);
      }
      const faiss_id n = faiss_id(ids.size());
      if (ids.size() < params_.min_ivf_size) {
        auto flat = std::make_unique<faiss::IndexFlatL2>(faiss_id(workload.dim));
        flat->add(n, vectors.data());
        indexes_[tenant] = std::move(flat);
        continue;
      }
      const size_t nlist = std::max<size_t>(1, size_t(std::lround(std::sqrt(double(ids.size())))));
      auto ivf = std::make_unique<faiss::IndexIVFFlat>(
          new faiss::IndexFlatL2(faiss_id(workload.dim)), workload.dim, nlist, faiss::METRIC_L2);
      ivf->own_fields = true;
      ivf->cp.niter = int(params_.kmeans_iterations);
      ivf->train(n, vectors.data());
      ivf->add(n, vectors.data());
      nlists_[tenant] = nlist;
      max_nlist_ = std::max(max_nlist_, nlist);
      ivf_tenants_++;
      indexes_[tenant] = std::move(ivf);
    }
  }

  std::vector<KnobSetting> Knobs() const override {
    std::vector<KnobSetting> knobs;
    for (size_t nprobe : params_.nprobes) {
      if (nprobe <= std::max<size_t>(max_nlist_, 1)) knobs.push_back({"faiss-ivf-tenant", "nprobe", nprobe});
    }
    return knobs;
  }

  void ApplyKnob(const KnobSetting& knob) override {
    for (size_t tenant = 0; tenant < indexes_.size(); ++tenant) {
      if (nlists_[tenant] == 0) continue;
      static_cast<faiss::IndexIVFFlat*>(indexes_[tenant].get())->nprobe =
          std::min(knob.value, nlists_[tenant]);
    }
  }

  void PrepareSearchThread() const override { omp_set_num_threads(1); }

  void Search(uint32_t tenant, const float* query, size_t k,
              std::vector<uint32_t>* ids) const override {
    std::vector<float> distances(k);
    std::vector<faiss_id> labels(k);
    indexes_[tenant]->search(1, query, faiss_id(k), distances.data(), labels.data());
    CollectLabels(labels.data(), k, &to_base_[tenant], ids);
  }

  MemoryCount CountMemory() const override {
    size_t lists = 0;
    size_t centroids = 0;
    size_t flat = 0;
    size_t id_maps = 0;
    for (size_t tenant = 0; tenant < indexes_.size(); ++tenant) {
      id_maps += to_base_[tenant].capacity() * sizeof(uint32_t);
      if (nlists_[tenant] == 0) {
        flat += static_cast<const faiss::IndexFlatL2*>(indexes_[tenant].get())->codes.capacity();
        continue;
      }
      const auto& ivf = *static_cast<const faiss::IndexIVFFlat*>(indexes_[tenant].get());
      lists += IvfListBytes(ivf);
      centroids += CentroidBytes(ivf);
    }
    MemoryCount memory;
    memory.parts = {{"inverted lists (codes + ids)", lists},
                    {"centroids", centroids},
                    {"flat indexes", flat},
                    {"local-to-base id maps", id_maps}};
    memory.counted_bytes = lists + centroids + flat + id_maps;
    return memory;
  }

  JsonObject Describe() const override {
    return JsonObject()
        .Add("ivf_tenants", ivf_tenants_)
        .Add("flat_tenants", indexes_.size() - ivf_tenants_)
        .Add("max_nlist", max_nlist_)
        .Add("faiss_compile_options", FaissBuildOptions())
        .Add("build_threads", size_t(omp_get_max_threads()));
  }

 private:
  FaissTenantParams params_;
  std::vector<std::unique_ptr<faiss::Index>> indexes_;
  std::vector<size_t> nlists_;  // 0 for a tenant with an IndexFlatL2
  std::vector<std::vector<uint32_t>> to_base_;
  size_t max_nlist_ = 0;
  size_t ivf_tenants_ = 0;
};

}  // namespace

std::unique_ptr<SearchMethod> MakeFaissSharedIvf(const FaissSharedParams& params) {
  return std::make_unique<FaissSharedIvf>(params);
}

std::unique_ptr<SearchMethod> MakeFaissTenantIvf(const FaissTenantParams& params) {
  return std::make_unique<FaissTenantIvf>(params);
}

}  // namespace arbor::bench

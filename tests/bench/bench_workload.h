// Workload of the tenant-scoped search benchmark: Fashion-MNIST images spread over tenants whose
// sizes follow a Zipf law, vectors shared with further tenants, two query mixes, and the exact
// per-tenant ground truth.
//
// Everything is drawn from one seed, so every process of a run (one per method) rebuilds the
// same workload. Errors (a missing or malformed data file, impossible parameters) are thrown as
// std::runtime_error with the file or value in the message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace arbor::bench {

struct WorkloadOptions {
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  size_t base_size = 0;  // training images used as the base, a seeded random subset; 0 means all
  size_t tenants = 1000;
  double zipf_exponent = 1.0;       // owner of rank r gets a share proportional to r^-exponent
  double preferred_fraction = 0.9;  // share of a tenant's vectors drawn from its preferred classes
  double shared_fraction = 0.1;     // share of the base vectors granted to further tenants
  size_t max_extra_readers = 10;    // a shared vector gets 1 to this many further readers
  size_t queries_per_mix = 1000;
  // Query images: when set, each is a test image of the class of a random vector the tenant
  // can read, so tenants search for their own kind of data. Otherwise any test image.
  bool tenant_class_queries = false;
  size_t k = 10;
  uint64_t seed = 42;

  // Canonical text of every parameter and the data files' sizes; its hash names the
  // ground-truth cache file.
  std::string Describe() const;
};

// Queries of one mix: query i searches tenant `tenants[i]` with test image `test_images[i]`.
struct QueryMix {
  std::string name;
  std::vector<uint32_t> tenants;
  std::vector<uint32_t> test_images;
};

inline constexpr uint32_t kNoId = UINT32_MAX;

// Exact top-k of one mix, per query: the base ids best first (kNoId after `counts[i]`), the
// squared distance of the last true neighbor, and min(k, vectors the tenant may read).
struct GroundTruth {
  std::vector<uint32_t> ids;
  std::vector<double> last_distance;
  std::vector<uint32_t> counts;
};

struct Workload {
  WorkloadOptions options;
  size_t dim = 0;
  size_t base_count = 0;
  std::vector<float> base;  // base_count rows of dim pixel values 0..255
  std::vector<uint8_t> base_labels;
  std::vector<float> test;  // every test image
  std::vector<uint32_t> owner;                        // base id -> owning tenant
  std::vector<std::pair<uint32_t, uint32_t>> grants;  // (base id, reader other than the owner)
  std::vector<std::vector<uint32_t>> readable;        // tenant -> sorted base ids it may read
  std::vector<QueryMix> mixes;                        // "proportional", then "uniform"
  size_t owned_in_preferred_class = 0;  // base vectors whose label is a preferred class of the owner

  const float* BaseVector(uint32_t id) const { return base.data() + size_t{id} * dim; }
  const float* Query(const QueryMix& mix, size_t i) const {
    return test.data() + size_t{mix.test_images[i]} * dim;
  }
  bool CanRead(uint32_t tenant, uint32_t id) const;
};

// Loads the data set and draws tenants, shares and queries.
Workload BuildWorkload(const WorkloadOptions& options);

// Squared Euclidean distance in double precision. Pixel values are integers, so the result is
// exact and the same in every process.
double ExactL2Squared(const float* a, const float* b, size_t dim);

// Returns the ground truth of every mix, read from `cache_dir` when a file for the same
// workload is there, otherwise computed by brute force and written there. Sets `*from_cache`.
std::vector<GroundTruth> LoadOrComputeGroundTruth(const Workload& workload,
                                                  const std::string& cache_dir,
                                                  bool* from_cache);

// Returns a mix for SearchBatch calls of `batch_size` queries: each query of `mix` becomes
// `batch_size` consecutive queries of the same tenant, with test images drawn at random (seeded
// by the workload's seed, the mix's name and batch_size). The tenants keep the distribution of `mix`, and
// the result has mix.tenants.size() * batch_size queries.
QueryMix MakeBatchedMix(const Workload& workload, const QueryMix& mix, size_t batch_size);

// The same as LoadOrComputeGroundTruth for other mixes of the workload. `mixes_description`
// must identify how `mixes` were made (for example the batch size), because the cache file is
// named by a hash of the workload's parameters and that text.
std::vector<GroundTruth> LoadOrComputeGroundTruth(const Workload& workload,
                                                  const std::vector<QueryMix>& mixes,
                                                  const std::string& mixes_description,
                                                  const std::string& cache_dir,
                                                  bool* from_cache);

}  // namespace arbor::bench

#include "tests/bench/bench_workload.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace arbor::bench {
namespace {

constexpr size_t kClasses = 10;
constexpr char kCacheMagic[8] = {'A', 'R', 'B', 'G', 'T', 'R', 'U', '1'};

// Contents of an MNIST idx file: its sizes and the unsigned bytes that follow the header.
struct IdxFile {
  std::vector<uint32_t> sizes;
  std::vector<uint8_t> bytes;
};

IdxFile ReadIdx(const std::string& path, uint32_t expected_magic) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    throw std::runtime_error("cannot open " + path + "; install the package dataset-fashion-mnist " +
                             "or pass --data-dir");
  }
  auto read_exact = [&](void* target, size_t count) {
    size_t done = 0;
    while (done < count) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(count - done, 1u << 30));
      const int got = gzread(file, static_cast<char*>(target) + done, chunk);
      if (got <= 0) {
        gzclose(file);
        throw std::runtime_error(path + " is truncated: expected " + std::to_string(count) +
                                 " bytes after offset " + std::to_string(done));
      }
      done += static_cast<size_t>(got);
    }
  };
  auto read_big_endian = [&]() {
    uint8_t raw[4];
    read_exact(raw, 4);
    return (uint32_t{raw[0]} << 24) | (uint32_t{raw[1]} << 16) | (uint32_t{raw[2]} << 8) | raw[3];
  };

  const uint32_t magic = read_big_endian();
  if (magic != expected_magic) {
    gzclose(file);
    char message[160];
    std::snprintf(message, sizeof(message), "%s: idx magic is 0x%08x, expected 0x%08x",
                  path.c_str(), magic, expected_magic);
    throw std::runtime_error(message);
  }
  IdxFile idx;
  size_t total = 1;
  for (uint32_t d = 0; d < (magic & 0xff); ++d) {
    idx.sizes.push_back(read_big_endian());
    total *= idx.sizes.back();
  }
  idx.bytes.resize(total);
  read_exact(idx.bytes.data(), total);
  gzclose(file);
  return idx;
}

// Images as rows of float pixel values, with their labels.
void ReadImages(const std::string& images_path, const std::string& labels_path,
                std::vector<float>* pixels, std::vector<uint8_t>* labels, size_t* dim) {
  const IdxFile images = ReadIdx(images_path, 0x00000803);
  const IdxFile label_file = ReadIdx(labels_path, 0x00000801);
  if (images.sizes.size() != 3 || label_file.sizes[0] != images.sizes[0]) {
    throw std::runtime_error(images_path + " and " + labels_path +
                             " do not describe the same number of 2-d images");
  }
  *dim = size_t{images.sizes[1]} * images.sizes[2];
  pixels->assign(images.bytes.begin(), images.bytes.end());
  *labels = label_file.bytes;
}

uint64_t Fnv1a64(const std::string& text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

// Splits `total` vectors over `tenants` owners by a Zipf law, every owner getting at least 1.
// Rounding leftovers go to the largest fractional parts; a deficit caused by the minimum of 1
// is taken from the largest owners.
std::vector<size_t> ZipfSizes(size_t total, size_t tenants, double exponent) {
  if (tenants == 0 || total < tenants) {
    throw std::runtime_error("cannot give each of " + std::to_string(tenants) +
                             " tenants a vector out of " + std::to_string(total) +
                             "; lower --tenants or raise --base-size");
  }
  std::vector<double> weights(tenants);
  for (size_t r = 0; r < tenants; ++r) weights[r] = std::pow(double(r + 1), -exponent);
  const double weight_sum = std::accumulate(weights.begin(), weights.end(), 0.0);

  std::vector<size_t> sizes(tenants);
  std::vector<std::pair<double, size_t>> remainders;
  size_t assigned = 0;
  for (size_t r = 0; r < tenants; ++r) {
    const double exact = double(total) * weights[r] / weight_sum;
    sizes[r] = std::max<size_t>(1, static_cast<size_t>(exact));
    remainders.emplace_back(exact - std::floor(exact), r);
    assigned += sizes[r];
  }
  std::sort(remainders.begin(), remainders.end(), std::greater<>());
  for (size_t i = 0; assigned < total; i = (i + 1) % tenants, ++assigned) {
    sizes[remainders[i].second]++;
  }
  for (size_t r = 0; assigned > total; r = (r + 1) % tenants) {
    if (sizes[r] > 1) {
      sizes[r]--;
      assigned--;
    }
  }
  return sizes;
}

// Draws each owner's vectors from per-class pools, `preferred_fraction` of them from one to
// three preferred classes. When a preferred pool runs dry the draw falls back to any class.
void AssignOwners(const WorkloadOptions& options, const std::vector<size_t>& sizes,
                  std::mt19937_64& rng, Workload* workload) {
  std::array<std::vector<uint32_t>, kClasses> pools;
  for (uint32_t id = 0; id < workload->base_count; ++id) {
    pools[workload->base_labels[id]].push_back(id);
  }
  for (auto& pool : pools) std::shuffle(pool.begin(), pool.end(), rng);
  size_t remaining = workload->base_count;

  auto take_from = [&](size_t cls) {
    const uint32_t id = pools[cls].back();
    pools[cls].pop_back();
    remaining--;
    return id;
  };
  // A uniformly random remaining vector: its class is chosen in proportion to the pool sizes.
  auto take_any = [&]() {
    size_t position = std::uniform_int_distribution<size_t>(0, remaining - 1)(rng);
    for (size_t cls = 0; cls < kClasses; ++cls) {
      if (position < pools[cls].size()) return take_from(cls);
      position -= pools[cls].size();
    }
    throw std::logic_error("class pools hold fewer vectors than counted");
  };

  std::vector<uint32_t> order(options.tenants);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);

  workload->owner.assign(workload->base_count, kNoId);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (uint32_t tenant : order) {
    std::array<size_t, kClasses> classes;
    std::iota(classes.begin(), classes.end(), 0);
    std::shuffle(classes.begin(), classes.end(), rng);
    const size_t preferred_count = std::uniform_int_distribution<size_t>(1, 3)(rng);
    const std::vector<size_t> preferred(classes.begin(), classes.begin() + preferred_count);

    for (size_t i = 0; i < sizes[tenant]; ++i) {
      uint32_t id = kNoId;
      if (unit(rng) < options.preferred_fraction) {
        std::vector<size_t> open;
        for (size_t cls : preferred) {
          if (!pools[cls].empty()) open.push_back(cls);
        }
        if (!open.empty()) {
          id = take_from(open[std::uniform_int_distribution<size_t>(0, open.size() - 1)(rng)]);
        }
      }
      if (id == kNoId) id = take_any();
      workload->owner[id] = tenant;
      if (std::find(preferred.begin(), preferred.end(), workload->base_labels[id]) !=
          preferred.end()) {
        workload->owned_in_preferred_class++;
      }
    }
  }
}

// Picks the shared vectors and, for each, 1 to max_extra_readers distinct further readers.
void AssignGrants(const WorkloadOptions& options, std::mt19937_64& rng, Workload* workload) {
  const size_t shared = static_cast<size_t>(std::llround(options.shared_fraction *
                                                         double(workload->base_count)));
  const size_t max_readers = std::min(options.max_extra_readers, options.tenants - 1);
  if (shared == 0 || max_readers == 0) return;

  std::vector<uint32_t> ids(workload->base_count);
  std::iota(ids.begin(), ids.end(), 0);
  std::shuffle(ids.begin(), ids.end(), rng);
  std::uniform_int_distribution<size_t> reader_count(1, max_readers);
  std::uniform_int_distribution<uint32_t> any_tenant(0, static_cast<uint32_t>(options.tenants - 1));
  for (size_t i = 0; i < shared; ++i) {
    const uint32_t id = ids[i];
    std::vector<uint32_t> readers;
    const size_t count = reader_count(rng);
    while (readers.size() < count) {
      const uint32_t reader = any_tenant(rng);
      if (reader == workload->owner[id]) continue;
      if (std::find(readers.begin(), readers.end(), reader) != readers.end()) continue;
      readers.push_back(reader);
    }
    for (uint32_t reader : readers) workload->grants.emplace_back(id, reader);
  }
}

// Test images by class, for queries that match the tenant's data.
using ImagesByClass = std::vector<std::vector<uint32_t>>;

ImagesByClass GroupByClass(const std::vector<uint8_t>& labels) {
  ImagesByClass groups;
  for (uint32_t image = 0; image < labels.size(); ++image) {
    if (labels[image] >= groups.size()) groups.resize(labels[image] + 1);
    groups[labels[image]].push_back(image);
  }
  return groups;
}

// A test image for a query of `tenant`: any image, or with `test_by_class` an image of the class
// of one of the tenant's readable vectors drawn at random.
uint32_t DrawQueryImage(const Workload& workload, size_t tenant,
                        const ImagesByClass* test_by_class, size_t test_count,
                        std::mt19937_64& rng) {
  const auto& readable = workload.readable[tenant];
  if (test_by_class == nullptr || readable.empty()) {
    return std::uniform_int_distribution<uint32_t>(0, static_cast<uint32_t>(test_count - 1))(rng);
  }
  std::uniform_int_distribution<size_t> pick(0, readable.size() - 1);
  const uint32_t sample = readable[pick(rng)];
  const auto& images = (*test_by_class)[workload.base_labels[sample]];
  return images[std::uniform_int_distribution<size_t>(0, images.size() - 1)(rng)];
}

QueryMix DrawMix(const std::string& name, bool proportional, size_t count, size_t test_count,
                 const ImagesByClass* test_by_class, std::mt19937_64& rng,
                 const Workload& workload) {
  std::vector<double> cumulative;
  double total = 0.0;
  for (const auto& ids : workload.readable) {
    total += proportional ? double(ids.size()) : 1.0;
    cumulative.push_back(total);
  }
  std::uniform_real_distribution<double> point(0.0, total);

  QueryMix mix;
  mix.name = name;
  for (size_t i = 0; i < count; ++i) {
    const double x = point(rng);
    const size_t tenant = std::min<size_t>(
        std::upper_bound(cumulative.begin(), cumulative.end(), x) - cumulative.begin(),
        cumulative.size() - 1);
    mix.tenants.push_back(static_cast<uint32_t>(tenant));
    mix.test_images.push_back(DrawQueryImage(workload, tenant, test_by_class, test_count, rng));
  }
  return mix;
}

GroundTruth ComputeGroundTruth(const Workload& workload, const QueryMix& mix) {
  const size_t k = workload.options.k;
  const size_t count = mix.tenants.size();
  GroundTruth truth;
  truth.ids.assign(count * k, kNoId);
  truth.last_distance.assign(count, 0.0);
  truth.counts.assign(count, 0);

  auto solve = [&](size_t first, size_t stride) {
    std::vector<std::pair<double, uint32_t>> scored;
    for (size_t q = first; q < count; q += stride) {
      const float* query = workload.Query(mix, q);
      scored.clear();
      for (uint32_t id : workload.readable[mix.tenants[q]]) {
        scored.emplace_back(ExactL2Squared(query, workload.BaseVector(id), workload.dim), id);
      }
      const size_t top = std::min(k, scored.size());
      std::partial_sort(scored.begin(), scored.begin() + top, scored.end());
      for (size_t i = 0; i < top; ++i) truth.ids[q * k + i] = scored[i].second;
      truth.counts[q] = static_cast<uint32_t>(top);
      truth.last_distance[q] = top > 0 ? scored[top - 1].first : 0.0;
    }
  };
  const size_t threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> workers;
  for (size_t t = 0; t < threads; ++t) workers.emplace_back(solve, t, threads);
  for (auto& worker : workers) worker.join();
  return truth;
}

template <typename T>
void WriteVector(std::ofstream& out, const std::vector<T>& values) {
  const uint64_t size = values.size();
  out.write(reinterpret_cast<const char*>(&size), sizeof(size));
  out.write(reinterpret_cast<const char*>(values.data()), std::streamsize(size * sizeof(T)));
}

template <typename T>
bool ReadVector(std::ifstream& in, std::vector<T>* values) {
  uint64_t size = 0;
  if (!in.read(reinterpret_cast<char*>(&size), sizeof(size)) || size > (uint64_t{1} << 32)) {
    return false;
  }
  values->resize(size);
  return bool(in.read(reinterpret_cast<char*>(values->data()), std::streamsize(size * sizeof(T))));
}

// Reads a cache file written for exactly `description`; returns false on any mismatch.
bool ReadCache(const std::string& path, const std::string& description, size_t mixes,
               std::vector<GroundTruth>* truths) {
  std::ifstream in(path, std::ios::binary);
  char magic[sizeof(kCacheMagic)];
  std::vector<char> stored;
  if (!in.read(magic, sizeof(magic)) || std::memcmp(magic, kCacheMagic, sizeof(magic)) != 0 ||
      !ReadVector(in, &stored) || std::string(stored.begin(), stored.end()) != description) {
    return false;
  }
  truths->resize(mixes);
  for (GroundTruth& truth : *truths) {
    if (!ReadVector(in, &truth.ids) || !ReadVector(in, &truth.last_distance) ||
        !ReadVector(in, &truth.counts)) {
      return false;
    }
  }
  return true;
}

// Writes to a temporary name, then renames, so that an interrupted run leaves no partial file.
void WriteCache(const std::string& path, const std::string& description,
                const std::vector<GroundTruth>& truths) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(kCacheMagic, sizeof(kCacheMagic));
    WriteVector(out, std::vector<char>(description.begin(), description.end()));
    for (const GroundTruth& truth : truths) {
      WriteVector(out, truth.ids);
      WriteVector(out, truth.last_distance);
      WriteVector(out, truth.counts);
    }
    if (!out) throw std::runtime_error("failed to write the ground-truth cache " + temporary);
  }
  std::filesystem::rename(temporary, path);
}

}  // namespace

std::string WorkloadOptions::Describe() const {
  std::ostringstream text;
  text.precision(17);
  text << "data_dir=" << data_dir;
  for (const char* name : {"train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"}) {
    std::error_code error;
    const auto bytes = std::filesystem::file_size(data_dir + "/" + name, error);
    text << " " << name << "=" << (error ? 0 : bytes);
  }
  text << " base_size=" << base_size << " tenants=" << tenants << " zipf=" << zipf_exponent
       << " preferred=" << preferred_fraction << " shared=" << shared_fraction
       << " max_extra_readers=" << max_extra_readers << " queries=" << queries_per_mix
       << " k=" << k << " seed=" << seed;
  // Appended only when set, so that the cache files of earlier workloads keep their names.
  if (tenant_class_queries) text << " tenant_class_queries=1";
  return text.str();
}

bool Workload::CanRead(uint32_t tenant, uint32_t id) const {
  const auto& ids = readable[tenant];
  return std::binary_search(ids.begin(), ids.end(), id);
}

double ExactL2Squared(const float* a, const float* b, size_t dim) {
  double sum = 0.0;
  for (size_t i = 0; i < dim; ++i) {
    const double d = double(a[i]) - double(b[i]);
    sum += d * d;
  }
  return sum;
}

Workload BuildWorkload(const WorkloadOptions& options) {
  if (options.k == 0 || options.queries_per_mix == 0) {
    throw std::runtime_error("--k and --queries must be at least 1");
  }
  Workload workload;
  workload.options = options;
  std::mt19937_64 rng(options.seed);

  std::vector<float> train;
  std::vector<uint8_t> train_labels;
  std::vector<uint8_t> test_labels;
  size_t test_dim = 0;
  ReadImages(options.data_dir + "/train-images-idx3-ubyte.gz",
             options.data_dir + "/train-labels-idx1-ubyte.gz", &train, &train_labels,
             &workload.dim);
  ReadImages(options.data_dir + "/t10k-images-idx3-ubyte.gz",
             options.data_dir + "/t10k-labels-idx1-ubyte.gz", &workload.test, &test_labels,
             &test_dim);
  if (test_dim != workload.dim) {
    throw std::runtime_error("test images have " + std::to_string(test_dim) +
                             " pixels but training images " + std::to_string(workload.dim) +
                             "; check --data-dir");
  }

  // The base: all training images, or a seeded random subset kept in file order.
  const size_t train_count = train_labels.size();
  std::vector<uint32_t> chosen(train_count);
  std::iota(chosen.begin(), chosen.end(), 0);
  if (options.base_size > 0 && options.base_size < train_count) {
    std::shuffle(chosen.begin(), chosen.end(), rng);
    chosen.resize(options.base_size);
    std::sort(chosen.begin(), chosen.end());
  }
  workload.base_count = chosen.size();
  workload.base.resize(workload.base_count * workload.dim);
  for (size_t i = 0; i < chosen.size(); ++i) {
    std::copy_n(train.begin() + size_t{chosen[i]} * workload.dim, workload.dim,
                workload.base.begin() + i * workload.dim);
    workload.base_labels.push_back(train_labels[chosen[i]]);
  }

  const std::vector<size_t> sizes =
      ZipfSizes(workload.base_count, options.tenants, options.zipf_exponent);
  AssignOwners(options, sizes, rng, &workload);
  AssignGrants(options, rng, &workload);

  workload.readable.assign(options.tenants, {});
  for (uint32_t id = 0; id < workload.base_count; ++id) {
    workload.readable[workload.owner[id]].push_back(id);
  }
  for (const auto& [id, reader] : workload.grants) workload.readable[reader].push_back(id);
  for (auto& ids : workload.readable) std::sort(ids.begin(), ids.end());

  const size_t test_count = test_labels.size();
  const ImagesByClass test_by_class = GroupByClass(test_labels);
  const ImagesByClass* by_class = options.tenant_class_queries ? &test_by_class : nullptr;
  workload.mixes.push_back(DrawMix("proportional", true, options.queries_per_mix, test_count,
                                   by_class, rng, workload));
  workload.mixes.push_back(DrawMix("uniform", false, options.queries_per_mix, test_count,
                                   by_class, rng, workload));
  return workload;
}

std::vector<GroundTruth> LoadOrComputeGroundTruth(const Workload& workload,
                                                  const std::string& cache_dir,
                                                  bool* from_cache) {
  return LoadOrComputeGroundTruth(workload, workload.mixes, "", cache_dir, from_cache);
}

QueryMix MakeBatchedMix(const Workload& workload, const QueryMix& mix, size_t batch_size) {
  if (batch_size == 0) throw std::runtime_error("the batch size must be at least 1");
  const size_t test_count = workload.test.size() / workload.dim;
  std::mt19937_64 rng(workload.options.seed ^ Fnv1a64(mix.name) ^ (0x9e3779b97f4a7c15ull * batch_size));
  std::uniform_int_distribution<uint32_t> image(0, static_cast<uint32_t>(test_count - 1));

  QueryMix batched;
  batched.name = mix.name + ", " + std::to_string(batch_size) + " queries per tenant";
  for (uint32_t tenant : mix.tenants) {
    for (size_t i = 0; i < batch_size; ++i) {
      batched.tenants.push_back(tenant);
      batched.test_images.push_back(image(rng));
    }
  }
  return batched;
}

std::vector<GroundTruth> LoadOrComputeGroundTruth(const Workload& workload,
                                                  const std::vector<QueryMix>& mixes,
                                                  const std::string& mixes_description,
                                                  const std::string& cache_dir,
                                                  bool* from_cache) {
  std::string description = workload.options.Describe();
  if (!mixes_description.empty()) description += " mixes=" + mixes_description;
  char name[64];
  std::snprintf(name, sizeof(name), "groundtruth-%016llx.bin",
                static_cast<unsigned long long>(Fnv1a64(description)));
  const std::string path = cache_dir + "/" + name;

  std::vector<GroundTruth> truths;
  if (ReadCache(path, description, mixes.size(), &truths)) {
    *from_cache = true;
    return truths;
  }
  *from_cache = false;
  truths.clear();
  for (const QueryMix& mix : mixes) truths.push_back(ComputeGroundTruth(workload, mix));
  std::filesystem::create_directories(cache_dir);
  WriteCache(path, description, truths);
  return truths;
}

}  // namespace arbor::bench

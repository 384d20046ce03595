// Arbor end to end: a real arbord (ArbordServer) loaded with the workload's tenants, vectors and
// grants over gRPC, then searched through the C++ client library, one Search or SearchBatch call
// at a time per search thread.
//
// The collection gets the in-process method's index settings and a train_threshold equal to the
// number of base vectors, so the server trains its own tree once the last vector is in. That
// tree differs from the in-process one: the server trains on a sample of at most 50,000 vectors
// with its own k-means seed, so recall at the same budget may differ a little.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "client/client.h"
#include "tests/bench/arbord_server.h"
#include "tests/bench/bench_methods.h"

namespace arbor::bench {
namespace {

constexpr char kCollection[] = "bench";
constexpr std::chrono::seconds kStartTimeout{60};
constexpr std::chrono::milliseconds kHealthPollInterval{20};
constexpr std::chrono::seconds kStopTimeout{60};
// Training at the full benchmark size takes seconds, so this limit only stops a stuck run.
constexpr std::chrono::seconds kTrainTimeout{1800};
constexpr std::chrono::milliseconds kTrainPollInterval{50};
constexpr double kTrainLogWaitSeconds = 5.0;
constexpr uint32_t kListPageSize = 1000;

// The client of the calling search thread, chosen by PrepareSearchThread.
thread_local const client::Client* thread_client = nullptr;

template <typename T>
T ValueOrThrow(absl::StatusOr<T> result, const std::string& call) {
  if (!result.ok()) throw std::runtime_error(call + " failed: " + result.status().ToString());
  return *std::move(result);
}

std::string TenantName(uint32_t tenant) {
  char name[16];
  std::snprintf(name, sizeof(name), "t%05u", tenant);
  return name;
}

int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ArbordMethod : public EndToEndMethod {
 public:
  explicit ArbordMethod(const ArbordParams& params) : params_(params) {}

  void Build(const Workload& workload) override {
    workload_ = &workload;
    for (uint32_t tenant = 0; tenant < workload.readable.size(); ++tenant) {
      tenant_names_.push_back(TenantName(tenant));
    }
    StartServer();
    CreateCollectionAndTenants();
    UpsertVectors();
    ShareVectors();
    WaitUntilTrained();
    CheckLoadedCounts();
    server_rss_after_load_ = server_->ResidentBytes();
  }

  std::vector<KnobSetting> Knobs() const override {
    std::vector<KnobSetting> knobs;
    for (size_t budget : params_.budgets) knobs.push_back({"arbord", "budget", budget});
    return knobs;
  }

  void ApplyKnob(const KnobSetting& knob) override { budget_ = knob.value; }

  void UseChannelPerStream(bool per_stream) override { per_stream_ = per_stream; }

  void PrepareSearchThread() const override {
    const size_t index = per_stream_ ? next_client_.fetch_add(1) % clients_.size() : 0;
    thread_client = clients_[index].get();
  }

  void Search(uint32_t tenant, const float* query, size_t k,
              std::vector<uint32_t>* ids) const override {
    v1::SearchRequest request;
    request.set_collection(kCollection);
    request.set_tenant(tenant_names_[tenant]);
    request.mutable_query()->Add(query, query + workload_->dim);
    SetParams(k, request.mutable_params());

    ids->clear();
    const absl::StatusOr<v1::SearchResponse> response = SearchClient().Search(request);
    if (!response.ok()) {
      RecordError("Search as " + tenant_names_[tenant] + ": " + response.status().ToString());
      return;
    }
    for (const v1::Hit& hit : response->hits()) ids->push_back(BaseId(hit));
  }

  void SearchBatch(uint32_t tenant, const std::vector<const float*>& queries, size_t k,
                   std::vector<uint32_t>* ids) const override {
    v1::SearchBatchRequest request;
    request.set_collection(kCollection);
    request.set_tenant(tenant_names_[tenant]);
    for (const float* query : queries) {
      request.add_queries()->mutable_values()->Add(query, query + workload_->dim);
    }
    SetParams(k, request.mutable_params());

    ids->assign(queries.size() * k, kNoId);
    const absl::StatusOr<v1::SearchBatchResponse> response = SearchClient().SearchBatch(request);
    if (!response.ok()) {
      RecordError("SearchBatch as " + tenant_names_[tenant] + ": " +
                  response.status().ToString());
      return;
    }
    if (size_t(response->results_size()) != queries.size()) {
      RecordError("SearchBatch returned " + std::to_string(response->results_size()) +
                  " results for " + std::to_string(queries.size()) + " queries");
      return;
    }
    for (size_t i = 0; i < queries.size(); ++i) {
      const auto& hits = response->results(static_cast<int>(i)).hits();
      for (int j = 0; j < hits.size() && size_t(j) < k; ++j) (*ids)[i * k + j] = BaseId(hits[j]);
    }
  }

  std::string TakeSearchErrors() override {
    std::lock_guard<std::mutex> lock(errors_mu_);
    if (error_count_ == 0) return "";
    std::string text = std::to_string(error_count_) + " failed searches, the first: " +
                       first_error_;
    error_count_ = 0;
    first_error_.clear();
    return text;
  }

  double ExternalCpuSeconds() const override {
    return server_ != nullptr && server_->running() ? server_->CpuSeconds() : 0.0;
  }

  MemoryCount CountMemory() const override {
    MemoryCount memory;
    memory.counted_bytes = collection_.index().memory_bytes();
    memory.parts.emplace_back("arbord index (CollectionInfo.index.memory_bytes)",
                              memory.counted_bytes);
    memory.excluded.emplace_back("arbord VmRSS after the load", server_rss_after_load_);
    return memory;
  }

  JsonObject Describe() const override {
    const size_t base = workload_->base_count;
    return JsonObject()
        .Add("sync", params_.sync)
        .Add("upsert_batch", params_.upsert_batch)
        .Add("clients", clients_.size())
        .Add("create_tenants_s", create_tenants_seconds_)
        .Add("upsert_calls", upsert_calls_)
        .Add("upsert_s", upsert_seconds_)
        .Add("upsert_vectors_per_s", double(base) / upsert_seconds_)
        .Add("share_calls", share_calls_)
        .Add("share_s", share_seconds_)
        .Add("grants_per_s", double(workload_->grants.size()) / share_seconds_)
        .Add("train_s", train_seconds_)
        .Add("train_wait_after_shares_s", train_wait_seconds_)
        .Add("training_log", training_log_)
        .Add("tree_nodes", size_t{collection_.index().tree_nodes()})
        .Add("tree_depth", size_t{collection_.index().tree_depth()})
        .Add("vectors_at_training", size_t(collection_.index().vectors_at_training()))
        .Add("tenant_shortlists", tenant_shortlists_)
        .Add("tenant_split_nodes", tenant_split_nodes_)
        .Add("tenant_max_shortlist_depth", tenant_max_depth_)
        .Add("index_memory_bytes", size_t(collection_.index().memory_bytes()))
        .Add("server_rss_after_load_bytes", server_rss_after_load_)
        .Add("hardware_threads", size_t{std::thread::hardware_concurrency()});
  }

  // Closes the clients' connections, then stops the server with SIGTERM, which must end it with
  // exit code 0. An open idle connection would hold arbord's exit back until its
  // --shutdown-grace has passed.
  JsonObject MeasureExtras() override {
    JsonObject extras;
    extras.Add("server_cpu_s_total", server_->CpuSeconds())
        .Add("server_rss_end_bytes", server_->ResidentBytes());
    clients_.clear();
    const double start = NowSeconds();
    server_->Stop(kStopTimeout);
    extras.Add("stop_s", NowSeconds() - start).Add("clean_exit", true);
    std::fprintf(stderr, "[arbord] stopped with exit code 0 in %.2f s\n", NowSeconds() - start);
    return extras;
  }

 private:
  const client::Client& Admin() const { return *clients_.front(); }

  const client::Client& SearchClient() const {
    return thread_client != nullptr ? *thread_client : Admin();
  }

  void SetParams(size_t k, v1::SearchParams* params) const {
    params->set_k(static_cast<int32_t>(k));
    params->set_budget(static_cast<uint32_t>(budget_));
  }

  // Returns the base id of a hit. Every vector was upserted by its workload owner with its base
  // id as id, so any other (owner, id) is recorded as an error and returns kNoId.
  uint32_t BaseId(const v1::Hit& hit) const {
    if (hit.id() >= workload_->base_count ||
        hit.owner() != tenant_names_[workload_->owner[hit.id()]]) {
      RecordError("hit (" + hit.owner() + ", " + std::to_string(hit.id()) +
                  ") is not a base vector under its owner's name");
      return kNoId;
    }
    return static_cast<uint32_t>(hit.id());
  }

  void RecordError(const std::string& message) const {
    std::lock_guard<std::mutex> lock(errors_mu_);
    if (error_count_++ == 0) first_error_ = message;
  }

  // Starts arbord and connects max_streams clients, each with its own channel and TCP
  // connection. Every client checks health, so that its connection is open before any timed
  // search. arbord writes its address before it has recovered its database, so the first
  // client waits until the health service reports SERVING.
  void StartServer() {
    const double start = NowSeconds();
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    server_ = ArbordServer::Start(params_.binary, {"--sync", params_.sync ? "true" : "false"},
                                  kStartTimeout);
    client::ClientOptions options;
    options.server_address = server_->address();
    options.key = server_->admin_key();
    options.own_connection = true;
    for (size_t i = 0; i < std::max<size_t>(params_.max_streams, 1); ++i) {
      clients_.push_back(ValueOrThrow(client::Client::Connect(options), "Connect"));
      while (!ValueOrThrow(clients_.back()->Health(), "Health")) {
        if (std::chrono::steady_clock::now() >= deadline) {
          throw std::runtime_error("timed out after " + std::to_string(kStartTimeout.count()) +
                                   " s waiting for arbord at " + server_->address() +
                                   " to report SERVING; end of its log:\n" +
                                   server_->LogTail(4096));
        }
        std::this_thread::sleep_for(kHealthPollInterval);
      }
    }
    std::fprintf(stderr, "[arbord] pid %d on %s (data in %s, --sync %s), %zu clients, %.2f s\n",
                 int(server_->pid()), server_->address().c_str(), server_->data_dir().c_str(),
                 params_.sync ? "true" : "false", clients_.size(), NowSeconds() - start);
  }

  void CreateCollectionAndTenants() {
    v1::CreateCollectionRequest request;
    request.set_name(kCollection);
    request.set_dimension(static_cast<uint32_t>(workload_->dim));
    request.set_metric(v1::METRIC_L2);
    v1::IndexSettings* index = request.mutable_index();
    index->set_branching(static_cast<uint32_t>(params_.index.branching));
    index->set_max_leaf_size(static_cast<uint32_t>(params_.index.max_leaf_size));
    index->set_split_threshold(static_cast<uint32_t>(params_.index.split_threshold));
    index->set_merge_threshold(static_cast<uint32_t>(params_.index.merge_threshold));
    index->set_train_threshold(workload_->base_count);
    ValueOrThrow(Admin().CreateCollection(request), "CreateCollection");

    const double start = NowSeconds();
    for (const std::string& name : tenant_names_) {
      v1::CreateTenantRequest tenant;
      tenant.set_collection(kCollection);
      tenant.set_tenant(name);
      ValueOrThrow(Admin().CreateTenant(tenant), "CreateTenant " + name);
    }
    create_tenants_seconds_ = NowSeconds() - start;
  }

  // Upserts each owner's vectors in calls of upsert_batch, with the base id as the vector id.
  void UpsertVectors() {
    std::vector<std::vector<uint32_t>> owned(tenant_names_.size());
    for (uint32_t id = 0; id < workload_->base_count; ++id) owned[workload_->owner[id]].push_back(id);

    const double start = NowSeconds();
    size_t inserted = 0;
    for (uint32_t tenant = 0; tenant < owned.size(); ++tenant) {
      for (size_t first = 0; first < owned[tenant].size(); first += params_.upsert_batch) {
        const size_t last = std::min(owned[tenant].size(), first + params_.upsert_batch);
        v1::UpsertRequest request;
        request.set_collection(kCollection);
        request.set_tenant(tenant_names_[tenant]);
        for (size_t i = first; i < last; ++i) {
          const uint32_t id = owned[tenant][i];
          v1::Vector* vector = request.add_vectors();
          vector->set_id(id);
          vector->mutable_values()->Add(workload_->BaseVector(id),
                                        workload_->BaseVector(id) + workload_->dim);
        }
        inserted += ValueOrThrow(Admin().Upsert(request), "Upsert as " + tenant_names_[tenant])
                        .inserted_count();
        upsert_calls_++;
      }
    }
    last_upsert_unix_ms_ = UnixMillis();
    upsert_seconds_ = NowSeconds() - start;
    if (inserted != workload_->base_count) {
      throw std::runtime_error("arbord inserted " + std::to_string(inserted) + " of " +
                               std::to_string(workload_->base_count) + " upserted vectors");
    }
    std::fprintf(stderr, "[arbord] upserted %zu vectors in %zu calls, %.2f s\n", inserted,
                 upsert_calls_, upsert_seconds_);
  }

  // Shares each shared vector with all of its readers in one call by its owner.
  void ShareVectors() {
    std::map<uint32_t, std::vector<uint32_t>> readers;
    for (const auto& [id, reader] : workload_->grants) readers[id].push_back(reader);

    const double start = NowSeconds();
    size_t granted = 0;
    for (const auto& [id, tenants] : readers) {
      v1::ShareRequest request;
      request.set_collection(kCollection);
      request.set_tenant(tenant_names_[workload_->owner[id]]);
      request.add_ids(id);
      for (uint32_t reader : tenants) request.add_with_tenants(tenant_names_[reader]);
      granted += ValueOrThrow(Admin().Share(request), "Share of vector " + std::to_string(id))
                     .granted_count();
      share_calls_++;
    }
    share_seconds_ = NowSeconds() - start;
    if (granted != workload_->grants.size()) {
      throw std::runtime_error("arbord granted " + std::to_string(granted) + " of " +
                               std::to_string(workload_->grants.size()) + " grants");
    }
    std::fprintf(stderr, "[arbord] granted %zu shares in %zu calls, %.2f s\n", granted,
                 share_calls_, share_seconds_);
  }

  // Polls DescribeCollection until the index is trained. The training time is counted from the
  // return of the last Upsert, which reached train_threshold, to CollectionInfo's
  // trained_unix_ms. Both clocks are this machine's.
  void WaitUntilTrained() {
    v1::DescribeCollectionRequest request;
    request.set_name(kCollection);
    const double start = NowSeconds();
    while (true) {
      collection_ = ValueOrThrow(Admin().DescribeCollection(request), "DescribeCollection");
      if (collection_.index().trained()) break;
      if (NowSeconds() - start > double(kTrainTimeout.count())) {
        throw std::runtime_error("timed out after " + std::to_string(kTrainTimeout.count()) +
                                 " s waiting for arbord to train the index; end of its log:\n" +
                                 server_->LogTail(4096));
      }
      std::this_thread::sleep_for(kTrainPollInterval);
    }
    train_wait_seconds_ = NowSeconds() - start;
    train_seconds_ = double(collection_.index().trained_unix_ms() - last_upsert_unix_ms_) / 1e3;

    training_log_ = ReadTrainingLogLine();
    std::fprintf(stderr,
                 "[arbord] index trained %.2f s after the last upsert, %.2f s of waiting after "
                 "the last share: %u nodes, depth %u, when the collection held %llu vectors; "
                 "arbord log: %s\n",
                 train_seconds_, train_wait_seconds_, collection_.index().tree_nodes(),
                 collection_.index().tree_depth(),
                 static_cast<unsigned long long>(collection_.index().vectors_at_training()),
                 training_log_.c_str());
  }

  // Returns arbord's last "index trained" log line. arbord logs the training after installing
  // the tree, so the line may appear a little after DescribeCollection reports it trained.
  std::string ReadTrainingLogLine() const {
    const double deadline = NowSeconds() + kTrainLogWaitSeconds;
    std::vector<std::string> lines = server_->LogLinesContaining("index trained");
    while (lines.empty() && NowSeconds() < deadline) {
      std::this_thread::sleep_for(kTrainPollInterval);
      lines = server_->LogLinesContaining("index trained");
    }
    return lines.empty() ? "(no \"index trained\" line in arbord's log)" : lines.back();
  }

  // Compares the collection's and every tenant's counts with the workload's.
  void CheckLoadedCounts() {
    if (collection_.vector_count() != workload_->base_count ||
        collection_.tenant_count() != tenant_names_.size()) {
      throw std::runtime_error(
          "arbord holds " + std::to_string(collection_.vector_count()) + " vectors and " +
          std::to_string(collection_.tenant_count()) + " tenants, the workload " +
          std::to_string(workload_->base_count) + " and " + std::to_string(tenant_names_.size()));
    }
    std::vector<size_t> owned(tenant_names_.size(), 0);
    for (uint32_t tenant : workload_->owner) owned[tenant]++;

    std::map<std::string, uint32_t> tenant_by_name;
    for (uint32_t t = 0; t < tenant_names_.size(); ++t) tenant_by_name[tenant_names_[t]] = t;
    v1::ListTenantsRequest request;
    request.set_collection(kCollection);
    request.set_page_size(kListPageSize);
    size_t listed = 0;
    do {
      const v1::ListTenantsResponse page = ValueOrThrow(Admin().ListTenants(request), "ListTenants");
      for (const v1::TenantInfo& info : page.tenants()) {
        const auto found = tenant_by_name.find(info.name());
        if (found == tenant_by_name.end()) {
          throw std::runtime_error("arbord lists tenant " + info.name() + ", never created");
        }
        const uint32_t t = found->second;
        if (info.owned_count() != owned[t] || info.readable_count() != workload_->readable[t].size()) {
          throw std::runtime_error(
              "tenant " + info.name() + " owns " + std::to_string(info.owned_count()) +
              " and may read " + std::to_string(info.readable_count()) +
              " vectors in arbord, but " + std::to_string(owned[t]) + " and " +
              std::to_string(workload_->readable[t].size()) + " in the workload");
        }
        tenant_shortlists_ += info.shortlists();
        tenant_split_nodes_ += info.split_nodes();
        tenant_max_depth_ = std::max<size_t>(tenant_max_depth_, info.max_depth());
        listed++;
      }
      request.set_page_token(page.next_page_token());
    } while (!request.page_token().empty());
    if (listed != tenant_names_.size()) {
      throw std::runtime_error("arbord lists " + std::to_string(listed) + " tenants, expected " +
                               std::to_string(tenant_names_.size()));
    }
    std::fprintf(stderr, "[arbord] counts of %zu tenants match the workload\n", listed);
  }

  ArbordParams params_;
  const Workload* workload_ = nullptr;
  std::vector<std::string> tenant_names_;  // by workload tenant number
  std::unique_ptr<ArbordServer> server_;
  // Each has its own channel and connection. The first also makes the load's calls.
  std::vector<std::unique_ptr<client::Client>> clients_;

  // Search settings, changed only between timed runs.
  size_t budget_ = 0;
  bool per_stream_ = false;
  mutable std::atomic<size_t> next_client_{0};

  mutable std::mutex errors_mu_;
  mutable size_t error_count_ = 0;  // guarded by errors_mu_
  mutable std::string first_error_;  // guarded by errors_mu_

  v1::CollectionInfo collection_;  // as described once the index was trained
  double create_tenants_seconds_ = 0.0;
  size_t upsert_calls_ = 0;
  double upsert_seconds_ = 0.0;
  int64_t last_upsert_unix_ms_ = 0;
  size_t share_calls_ = 0;
  double share_seconds_ = 0.0;
  double train_seconds_ = 0.0;
  double train_wait_seconds_ = 0.0;
  std::string training_log_;
  size_t tenant_shortlists_ = 0;
  size_t tenant_split_nodes_ = 0;
  size_t tenant_max_depth_ = 0;
  size_t server_rss_after_load_ = 0;
};

}  // namespace

std::unique_ptr<EndToEndMethod> MakeArbordMethod(const ArbordParams& params) {
  return std::make_unique<ArbordMethod>(params);
}

}  // namespace arbor::bench

// End-to-end test on Fashion-MNIST: the arborctl binary imports the first 3,000 training images
// into the real server (run in-process), with one tenant per class, shares some vectors between
// two classes, and searches with test images. Every result is checked against a brute force that
// the test computes from the gzip-compressed idx files, read here with zlib and not with the
// client's readers.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/unit/client/test_files.h"
#include "tests/unit/client/test_server.h"

extern char** environ;

namespace arbor::client {
namespace {

using ::arbor::client::testing::RealTestServer;
using ::arbor::client::testing::ScratchDir;
using ::arbor::client::testing::WriteBytes;

constexpr char kDataDir[] = "/usr/share/datasets/fashion-mnist";
constexpr size_t kImportedRows = 3000;
constexpr size_t kQueries = 20;
constexpr size_t kK = 10;
constexpr size_t kPixels = 28 * 28;
constexpr char kTenantPrefix[] = "class-";

std::string DataFile(const std::string& name) { return std::string(kDataDir) + "/" + name; }

// The first items of an idx file of unsigned bytes: its sizes as stored in the header and the
// bytes of the first `max_items` items.
struct IdxFile {
  std::vector<uint32_t> sizes;
  std::vector<uint8_t> data;
};

// Reads the header and the first max_items items of a gzip-compressed idx file whose element
// type is unsigned byte (magic 0x000008NN), failing the test on any error.
void ReadIdxUbyte(const std::string& path, size_t max_items, IdxFile* out) {
  gzFile file = gzopen(path.c_str(), "rb");
  ASSERT_NE(file, nullptr) << "cannot open " << path
                           << "; install the Debian package dataset-fashion-mnist";
  std::unique_ptr<gzFile_s, int (*)(gzFile)> closer(file, gzclose);

  auto read_big_endian32 = [&](uint32_t* value) {
    unsigned char bytes[4];
    if (gzread(file, bytes, 4) != 4) {
      return false;
    }
    *value = (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
             uint32_t{bytes[3]};
    return true;
  };

  uint32_t magic = 0;
  ASSERT_TRUE(read_big_endian32(&magic)) << path << ": truncated header";
  ASSERT_EQ(magic & 0xFFFFFF00u, 0x00000800u) << path << ": not an idx file of unsigned bytes";
  uint32_t dimensions = magic & 0xFFu;
  ASSERT_GE(dimensions, 1u) << path;

  out->sizes.resize(dimensions);
  for (uint32_t& size : out->sizes) {
    ASSERT_TRUE(read_big_endian32(&size)) << path << ": truncated header";
  }
  size_t item_bytes = 1;
  for (size_t i = 1; i < out->sizes.size(); ++i) {
    item_bytes *= out->sizes[i];
  }
  size_t items = std::min<size_t>(max_items, out->sizes[0]);
  out->data.resize(items * item_bytes);
  ASSERT_EQ(gzread(file, out->data.data(), static_cast<unsigned>(out->data.size())),
            static_cast<int>(out->data.size()))
      << path << ": truncated data";
}

// Exit code and output of one run of the arborctl binary.
struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadWholeFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

// Runs ARBORCTL_PATH with `args`, its stdout and stderr sent to files in `dir`.
ProcessResult RunArborctlBinary(const ScratchDir& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv_strings = {ARBORCTL_PATH};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_strings) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);

  const std::string out_path = dir.File("arborctl.out");
  const std::string err_path = dir.File("arborctl.err");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);

  ProcessResult result;
  pid_t pid = 0;
  int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    result.err = absl::StrCat("posix_spawn(", argv[0], ") failed: ", std::strerror(spawned));
    return result;
  }

  int status = 0;
  if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  result.out = ReadWholeFile(out_path);
  result.err = ReadWholeFile(err_path);
  return result;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(line);
  }
  return lines;
}

struct Hit {
  std::string owner;
  uint64_t id = 0;
  double score = 0;
};

// Parses one line of `search --json`:
// {"query": i, "results": [{"owner": "...", "id": N, "score": X}, ...]}
// Returns false when the line has any other shape.
bool ParseSearchLine(const std::string& line, uint64_t* query, std::vector<Hit>* hits) {
  static const std::regex kLine(R"re(\{"query": ([0-9]+), "results": \[(.*)\]\})re");
  static const std::regex kHit(
      R"re(\{"owner": "([a-z0-9_.-]+)", "id": ([0-9]+), "score": ([^}]+)\})re");
  std::smatch line_match;
  if (!std::regex_match(line, line_match, kLine)) {
    return false;
  }
  *query = std::stoull(line_match[1].str());

  // Every hit must match, with exactly ", " between two hits.
  const std::string results = line_match[2].str();
  hits->clear();
  size_t expected_position = 0;
  for (std::sregex_iterator it(results.begin(), results.end(), kHit), end; it != end; ++it) {
    size_t position = static_cast<size_t>(it->position(0));
    size_t separator = hits->empty() ? 0 : 2;
    if (position != expected_position + separator ||
        (separator == 2 && results.compare(expected_position, 2, ", ") != 0)) {
      return false;
    }
    char* end_of_score = nullptr;
    const std::string score_text = (*it)[3].str();
    double score = std::strtod(score_text.c_str(), &end_of_score);
    if (end_of_score != score_text.c_str() + score_text.size()) {
      return false;
    }
    hits->push_back({(*it)[1].str(), std::stoull((*it)[2].str()), score});
    expected_position = position + static_cast<size_t>(it->length(0));
  }
  return expected_position == results.size();
}

int64_t SquaredL2(const uint8_t* a, const uint8_t* b) {
  int64_t sum = 0;
  for (size_t i = 0; i < kPixels; ++i) {
    int64_t d = int64_t{a[i]} - int64_t{b[i]};
    sum += d * d;
  }
  return sum;
}

class FashionMnistTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(
        ReadIdxUbyte(DataFile("train-images-idx3-ubyte.gz"), kImportedRows, &train_images_));
    ASSERT_NO_FATAL_FAILURE(
        ReadIdxUbyte(DataFile("train-labels-idx1-ubyte.gz"), kImportedRows, &train_labels_));
    ASSERT_NO_FATAL_FAILURE(
        ReadIdxUbyte(DataFile("t10k-images-idx3-ubyte.gz"), kQueries, &test_images_));
    ASSERT_EQ(train_images_.sizes.size(), 3u);
    ASSERT_EQ(train_images_.sizes[1] * train_images_.sizes[2], kPixels);
    ASSERT_EQ(train_images_.data.size(), kImportedRows * kPixels);
    ASSERT_EQ(train_labels_.data.size(), kImportedRows);
    ASSERT_EQ(test_images_.data.size(), kQueries * kPixels);

    absl::StatusOr<std::unique_ptr<RealTestServer>> server = RealTestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    WriteBytes(dir_.File("admin.key"), server_->admin_key() + "\n");
  }

  // Runs arborctl against the server with the admin key, read from a key file.
  ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(),
                {"--server", server_->address(), "--key-file", dir_.File("admin.key")});
    return RunArborctlBinary(dir_, args);
  }

  static std::string TenantOf(uint8_t label) {
    return absl::StrCat(kTenantPrefix, static_cast<int>(label));
  }

  // The k nearest imported images to test image `query` among those `tenant` may read: its own
  // class and the rows in shared_rows_[tenant]. Best first, ties by (owner, id), as the server
  // orders them. Returns (distance, owner, id) triples.
  std::vector<std::tuple<int64_t, std::string, uint64_t>> BruteForce(const std::string& tenant,
                                                                     size_t query) const {
    std::vector<std::tuple<int64_t, std::string, uint64_t>> scored;
    const uint8_t* query_pixels = &test_images_.data[query * kPixels];
    auto shared = shared_rows_.find(tenant);
    for (size_t row = 0; row < kImportedRows; ++row) {
      std::string owner = TenantOf(train_labels_.data[row]);
      bool readable = owner == tenant;
      if (!readable && shared != shared_rows_.end()) {
        readable = std::count(shared->second.begin(), shared->second.end(), row) > 0;
      }
      if (readable) {
        scored.emplace_back(SquaredL2(query_pixels, &train_images_.data[row * kPixels]), owner,
                            row);
      }
    }
    std::sort(scored.begin(), scored.end());
    scored.resize(std::min(scored.size(), kK));
    return scored;
  }

  IdxFile train_images_;
  IdxFile train_labels_;
  IdxFile test_images_;
  // Rows shared with a tenant by another tenant, by the reading tenant's name.
  std::map<std::string, std::vector<size_t>> shared_rows_;
  std::unique_ptr<RealTestServer> server_;
  ScratchDir dir_;
};

TEST_F(FashionMnistTest, SearchMatchesBruteForce) {
  ProcessResult created = Run({"collection", "create", "fm", "--dim", "784", "--metric", "l2"});
  ASSERT_EQ(created.exit_code, 0) << created.err;

  ProcessResult imported =
      Run({"--json", "import", "fm", "--file", DataFile("train-images-idx3-ubyte.gz"), "--format",
           "idx", "--labels", DataFile("train-labels-idx1-ubyte.gz"), "--tenant-prefix",
           kTenantPrefix, "--limit", std::to_string(kImportedRows)});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_THAT(imported.out,
              ::testing::StartsWith(absl::StrCat(
                  "{\"collection\": \"fm\", \"vectors\": ", kImportedRows, ", \"tenants\": 10, ")));

  std::map<std::string, int64_t> label_counts;
  for (uint8_t label : train_labels_.data) {
    ++label_counts[TenantOf(label)];
  }
  ASSERT_EQ(label_counts.size(), 10u);

  // class-0 (T-shirt/top) shares its first 40 images with class-6 (shirt), and class-6 shares its
  // first 5 with class-0. The classes look alike, so shared images show up among the results.
  const std::vector<std::pair<uint8_t, uint8_t>> shares = {{0, 6}, {6, 0}};
  const std::map<uint8_t, size_t> shared_count = {{0, 40}, {6, 5}};
  for (const auto& [owner_label, reader_label] : shares) {
    std::vector<size_t> rows;
    for (size_t row = 0; row < kImportedRows && rows.size() < shared_count.at(owner_label); ++row) {
      if (train_labels_.data[row] == owner_label) {
        rows.push_back(row);
      }
    }
    ProcessResult shared = Run({"--json", "share", "fm", "--tenant", TenantOf(owner_label), "--ids",
                                absl::StrJoin(rows, ","), "--with", TenantOf(reader_label)});
    ASSERT_EQ(shared.exit_code, 0) << shared.err;
    EXPECT_EQ(shared.out, absl::StrCat("{\"granted_count\": ", rows.size(), "}\n"));
    shared_rows_[TenantOf(reader_label)] = rows;
  }

  for (const auto& [tenant, label_count] : label_counts) {
    ProcessResult count = Run({"count", "fm", "--tenant", tenant, "--json"});
    ASSERT_EQ(count.exit_code, 0) << count.err;
    int64_t expected = label_count + static_cast<int64_t>(shared_rows_[tenant].size());
    EXPECT_EQ(count.out, absl::StrCat("{\"count\": ", expected, "}\n")) << tenant;
  }

  size_t shared_hits = 0;
  for (const auto& [tenant, label_count] : label_counts) {
    ProcessResult searched = Run({"search", "fm", "--tenant", tenant, "--query-file",
                                  DataFile("t10k-images-idx3-ubyte.gz"), "--limit-queries",
                                  std::to_string(kQueries), "--k", std::to_string(kK), "--json"});
    ASSERT_EQ(searched.exit_code, 0) << searched.err;
    std::vector<std::string> lines = SplitLines(searched.out);
    ASSERT_EQ(lines.size(), kQueries) << tenant;

    for (size_t q = 0; q < kQueries; ++q) {
      SCOPED_TRACE(absl::StrCat("tenant ", tenant, ", query ", q, ": ", lines[q]));
      uint64_t query = 0;
      std::vector<Hit> hits;
      ASSERT_TRUE(ParseSearchLine(lines[q], &query, &hits));
      EXPECT_EQ(query, q);

      std::vector<std::tuple<int64_t, std::string, uint64_t>> expected = BruteForce(tenant, q);
      ASSERT_EQ(hits.size(), expected.size());
      // Pixels are integers 0..255, so the server's float32 sums are exact below 2^24, and any
      // distance at or above 2^24 stays there. Below that bound the server's order is the exact
      // order, which the brute force computes in int64.
      ASSERT_LT(std::get<0>(expected.back()), int64_t{1} << 24)
          << "the k-th distance is too large for an exact float32 comparison";
      for (size_t i = 0; i < hits.size(); ++i) {
        const auto& [distance, owner, id] = expected[i];
        EXPECT_EQ(hits[i].owner, owner) << "rank " << i;
        EXPECT_EQ(hits[i].id, id) << "rank " << i;
        EXPECT_NEAR(hits[i].score, static_cast<double>(distance),
                    1e-3 * std::max(1.0, static_cast<double>(distance)))
            << "rank " << i;
        if (owner != tenant) {
          ++shared_hits;
        }
      }
    }
  }
  // The data set is fixed, so this only guards the test itself: it must reach shared vectors.
  EXPECT_GT(shared_hits, 0u);
}

}  // namespace
}  // namespace arbor::client

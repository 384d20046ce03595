// A GoogleTest fixture that starts one arbord per test, plus random test data.
#pragma once

#include <memory>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/arbor_api.h"
#include "tests/integration/arbord_process.h"

namespace arbor::integration {

class ArbordTest : public ::testing::Test {
 protected:
  void SetUp() override { StartArbord(); }

  // Starts arbord with `options` and connects an admin client. Fails the test on error.
  void StartArbord(ArbordOptions options = {}) {
    absl::StatusOr<std::unique_ptr<ArbordProcess>> started =
        ArbordProcess::Start(std::move(options));
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(*started);
    admin_ = std::make_unique<ArborClient>(server_->address(), server_->admin_key());
  }

  // Restarts arbord on the same data directory after it ended, and reconnects the admin client.
  void RestartArbord() {
    const absl::Status restarted = server_->Restart();
    ASSERT_TRUE(restarted.ok()) << restarted;
    admin_ = std::make_unique<ArborClient>(server_->address(), server_->admin_key());
  }

  // Closes the admin client's connection, then stops arbord with SIGTERM and expects exit
  // code 0. An open idle client connection delays the exit until --shutdown-grace or about
  // 5 s have passed, whichever is first (measured with gRPC 1.51 on this test setup), so tests
  // that only need a clean stop close the connection first.
  void StopArbord() {
    admin_.reset();
    absl::StatusOr<ExitStatus> stopped = server_->Stop();
    ASSERT_TRUE(stopped.ok()) << stopped.status();
    ASSERT_TRUE(stopped->CleanExit()) << stopped->ToString();
  }

  // A new client (with its own connection) that sends `key`.
  std::unique_ptr<ArborClient> ClientWithKey(const std::string& key) const {
    return std::make_unique<ArborClient>(server_->address(), key);
  }

  void TearDown() override {
    admin_.reset();
    server_.reset();
  }

  std::unique_ptr<ArbordProcess> server_;
  std::unique_ptr<ArborClient> admin_;
};

// `dimension` values drawn uniformly from [-1, 1).
inline std::vector<float> RandomValues(std::mt19937_64& rng, size_t dimension) {
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::vector<float> values(dimension);
  for (float& v : values) v = value(rng);
  return values;
}

// `count` random vectors with ids first_id, first_id + 1, ...
inline std::vector<TestVector> RandomVectors(std::mt19937_64& rng, size_t count,
                                             size_t dimension, uint64_t first_id) {
  std::vector<TestVector> vectors(count);
  for (size_t i = 0; i < count; ++i) {
    vectors[i].id = first_id + i;
    vectors[i].values = RandomValues(rng, dimension);
  }
  return vectors;
}

inline std::vector<float> ValuesOf(const v1::Record& record) {
  return std::vector<float>(record.values().begin(), record.values().end());
}

}  // namespace arbor::integration

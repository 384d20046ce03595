#!/usr/bin/env bash
# Installs the dependencies, builds Arbor and runs every test: the unit and integration tests
# through CTest, then the concurrency stress test again under ThreadSanitizer.
# Usage: tests/run_all.sh   (from anywhere; build trees go to build/ and build-tsan/)
set -euo pipefail
cd "$(dirname "$0")/.."

./deploy/install-deps.sh

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j2
ctest --test-dir build --output-on-failure -j2 --timeout 600

# The stress test runs the server core in-process (without gRPC, whose Debian build is not
# instrumented), so ThreadSanitizer checks Arbor's own locking.
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DARBOR_TSAN=ON
cmake --build build-tsan -j2 --target server_stress_test
ctest --test-dir build-tsan --output-on-failure -L stress --timeout 600

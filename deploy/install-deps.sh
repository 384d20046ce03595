#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and benchmarking Arbor needs.
# Idempotent: when every package is already present it only checks and returns.
set -euo pipefail

packages=(
  # Toolchain
  build-essential cmake ninja-build pkg-config git
  # Libraries arbord and arborctl link against
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  librocksdb-dev libabsl-dev libspdlog-dev libfmt-dev liburing-dev libssl-dev zlib1g-dev
  libcli11-dev libcpp-httplib-dev openssl
  # Tests, the Python client and the compose file check
  libgtest-dev libgmock-dev
  python3 python3-venv python3-pip python3-setuptools python3-wheel python3-grpcio
  python3-protobuf python3-numpy docker-compose
  # Real data set for the quickstart, integration tests and benchmarks
  dataset-fashion-mnist
  # Benchmark baselines and the recall-vs-QPS plot
  libfaiss-dev libhnswlib-dev python3-matplotlib
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages are present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

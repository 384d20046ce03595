#!/usr/bin/env bash
# Lists or installs the Debian 12 packages that the installed arbord and arborctl need at run
# time: the shared libraries they link against, and nothing for building.
# The runtime stage of deploy/Dockerfile runs `install`. tests/deploy/image_steps_test.py runs
# `list` and checks with ldd and dpkg -S that the list covers every library the binaries load.
# It also checks that every package on the list provides at least one of those libraries.
#
# Usage: deploy/runtime-deps.sh list | install
set -euo pipefail

# Package names carry the library's ABI version, so a Debian upgrade that bumps one (for
# example libgrpc29 to libgrpc30) fails the test until this list follows.
packages=(
  # C and C++ runtime
  libc6 libgcc-s1 libstdc++6
  # gRPC and Protocol Buffers, with the libraries gRPC itself loads
  libgrpc++1.51 libgrpc29 libprotobuf32 libc-ares2 libre2-9
  # OpenSSL: gRPC's TLS, and the random keys and key hashes of arbord
  libssl3
  # cpp-httplib, the HTTP server of /metrics, and the Brotli libraries it loads
  libcpp-httplib0.11 libbrotli1
  # RocksDB and its compression and flag libraries
  librocksdb7.8 libgflags2.2 libsnappy1v5 zlib1g libbz2-1.0 liblz4-1 libzstd1
  # Abseil, spdlog and fmt
  libabsl20220623 libspdlog1.10 libfmt9
)

case "${1:-}" in
  list)
    printf '%s\n' "${packages[@]}"
    ;;
  install)
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${packages[@]}"
    # The package lists are needed only for this install, so they are removed to keep the
    # image small.
    rm -rf /var/lib/apt/lists/*
    ;;
  *)
    echo "usage: $0 list | install" >&2
    exit 2
    ;;
esac

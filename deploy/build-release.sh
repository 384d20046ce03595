#!/usr/bin/env bash
# Builds arbord and arborctl and installs them, stripped, into PREFIX/bin.
# This is the build stage of deploy/Dockerfile; tests/deploy/image_steps_test.py runs it too.
#
# Usage: deploy/build-release.sh --prefix DIR [--build-dir DIR] [--jobs N]
#
# A build directory without CMakeCache.txt is configured with Ninja and RelWithDebInfo, the
# build type of the README and the benchmarks. An already configured build directory is reused
# as it is, so that a test can install from the tree it has just built, but only if its build
# type is Release or RelWithDebInfo and it is not a ThreadSanitizer build.
set -euo pipefail

source_dir="$(cd "$(dirname "$0")/.." && pwd)"
build_dir="$source_dir/build-release"
prefix=""
jobs="$(nproc)"

usage() {
  echo "usage: $0 --prefix DIR [--build-dir DIR] [--jobs N]" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || usage; prefix="$2"; shift 2 ;;
    --build-dir) [ $# -ge 2 ] || usage; build_dir="$2"; shift 2 ;;
    --jobs) [ $# -ge 2 ] || usage; jobs="$2"; shift 2 ;;
    *) echo "build-release: unknown argument '$1'" >&2; usage ;;
  esac
done
if [ -z "$prefix" ]; then
  echo "build-release: --prefix is required" >&2
  usage
fi

# Prints the value of a cache entry such as CMAKE_BUILD_TYPE:STRING=Release.
cache_value() {
  sed -n "s/^$1:[A-Z]*=//p" "$build_dir/CMakeCache.txt"
}

if [ -f "$build_dir/CMakeCache.txt" ]; then
  build_type="$(cache_value CMAKE_BUILD_TYPE)"
  tsan="$(cache_value ARBOR_TSAN)"
  case "$build_type" in
    Release | RelWithDebInfo) ;;
    *)
      echo "build-release: $build_dir has build type '$build_type'; a release needs Release" \
        "or RelWithDebInfo: pass another --build-dir" >&2
      exit 1
      ;;
  esac
  if [ "$tsan" = "ON" ]; then
    echo "build-release: $build_dir is a ThreadSanitizer build (ARBOR_TSAN=ON); pass another" \
      "--build-dir" >&2
    exit 1
  fi
  echo "build-release: reusing $build_dir ($build_type)"
else
  cmake -S "$source_dir" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi

cmake --build "$build_dir" -j "$jobs" --target arbord arborctl
cmake --install "$build_dir" --prefix "$prefix" --strip

for binary in arbord arborctl; do
  if [ ! -x "$prefix/bin/$binary" ]; then
    echo "build-release: $prefix/bin/$binary is missing after the install step" >&2
    exit 1
  fi
done
echo "build-release: installed arbord and arborctl into $prefix/bin"

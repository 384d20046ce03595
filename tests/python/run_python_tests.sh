#!/usr/bin/env bash
# Installs the Python client into a fresh venv without network access and runs its tests.
# Usage: run_python_tests.sh ARBORD SOURCE_DIR WORK_DIR
#   ARBORD      the arbord binary the tests start
#   SOURCE_DIR  the repository root
#   WORK_DIR    folder for the venv and the package copy; both are replaced on every run
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 ARBORD SOURCE_DIR WORK_DIR" >&2
  exit 2
fi
arbord=$1
source_dir=$2
work_dir=$3
venv=$work_dir/venv
package=$work_dir/package

# Debian's interpreter, because the venv must see python3-grpcio, python3-protobuf and
# python3-numpy; a python3 earlier on PATH (for example pyenv's) may not.
rm -rf "$venv" "$package"
/usr/bin/python3 -m venv --system-site-packages "$venv"

# Build from a copy, so that setuptools' build/ and *.egg-info stay out of the source tree.
# --no-build-isolation uses the system setuptools instead of downloading it, and --no-index
# keeps pip from contacting any package index.
mkdir -p "$package"
cp -r "$source_dir/client/python/"{pyproject.toml,setup.py,README.md,arbor} "$package/"
ARBOR_PROTO_DIR="$source_dir/proto" \
  "$venv/bin/pip" install --quiet --no-build-isolation --no-index "$package"

# Run from the work folder, so that `import arbor` finds the installed package (with its
# generated stubs) and not client/python/arbor.
cd "$work_dir"
ARBORD="$arbord" exec "$venv/bin/python" -m unittest discover \
  --start-directory "$source_dir/client/python/tests" --verbose

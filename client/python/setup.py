"""Build the arbor package, generating its gRPC stubs from the repository's .proto files.

The stubs are not in the source tree. The build_py step runs protoc with grpc_python_plugin
and writes them into the build directory, so every install matches proto/ of the checkout it
was built from:

- proto/arbor/v1/*.proto become arbor/v1/*_pb2.py and *_pb2_grpc.py. Their generated imports
  (`from arbor.v1 import common_pb2`) resolve to this package because it is named `arbor`.
- grpc/health/v1/health.proto (Debian's grpc-proto) becomes arbor/_health/, with the one
  generated import of `grpc.health.v1` pointed at `arbor._health`, because the `grpc` package
  name belongs to grpcio.

Environment variables override where the inputs are found:
  ARBOR_PROTO_DIR       folder containing arbor/v1/*.proto (default: ../../proto from here)
  ARBOR_GRPC_PROTO_DIR  folder containing grpc/health/v1/health.proto (/usr/share/grpc-proto)
  PROTOC                protoc binary (default: protoc on PATH)
  GRPC_PYTHON_PLUGIN    grpc_python_plugin binary (default: grpc_python_plugin on PATH)
"""

import os
import pathlib
import shutil
import subprocess
import tempfile

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent
ARBOR_PROTOS = ("common.proto", "admin.proto", "vector.proto")
HEALTH_PROTO = "grpc/health/v1/health.proto"
HEALTH_IMPORT = "from grpc.health.v1 import health_pb2 "
HEALTH_IMPORT_FIXED = "from arbor._health import health_pb2 "


def find_tool(variable, name):
    """Return the path of a build tool from `variable` or PATH, or raise naming both."""
    path = os.environ.get(variable) or shutil.which(name)
    if not path:
        raise RuntimeError(
            f"{name} not found: install Debian's protobuf-compiler and protobuf-compiler-grpc, "
            f"or set {variable} to its path")
    return path


def find_proto_dir(variable, default, relative_file):
    """Return the folder from `variable` (else `default`) after checking that it has the file."""
    folder = pathlib.Path(os.environ.get(variable) or default)
    if not (folder / relative_file).is_file():
        raise RuntimeError(
            f"{folder / relative_file} not found: build from an Arbor checkout, or set {variable} "
            "to the folder that contains it")
    return folder


def run_protoc(proto_paths, out_dir, files):
    """Run protoc with the Python and gRPC Python generators on `files`."""
    protoc = find_tool("PROTOC", "protoc")
    plugin = find_tool("GRPC_PYTHON_PLUGIN", "grpc_python_plugin")
    command = [protoc, f"--plugin=protoc-gen-grpc_python={plugin}"]
    command += [f"--proto_path={path}" for path in proto_paths]
    command += [f"--python_out={out_dir}", f"--grpc_python_out={out_dir}"]
    command += [str(path) for path in files]
    subprocess.run(command, check=True)


def move_health_stubs(generated_dir, package_dir):
    """Move the health stubs into arbor/_health and point their import at that package."""
    source_dir = generated_dir / "grpc" / "health" / "v1"
    shutil.copyfile(source_dir / "health_pb2.py", package_dir / "health_pb2.py")

    stub = (source_dir / "health_pb2_grpc.py").read_text()
    if stub.count(HEALTH_IMPORT) != 1:
        raise RuntimeError(
            f"health_pb2_grpc.py from grpc_python_plugin does not contain exactly one "
            f"'{HEALTH_IMPORT.strip()}' line; its import cannot be rewritten")
    (package_dir / "health_pb2_grpc.py").write_text(
        stub.replace(HEALTH_IMPORT, HEALTH_IMPORT_FIXED))


class BuildPyWithStubs(build_py):
    """build_py that also writes the generated stubs into the build directory."""

    def run(self):
        super().run()
        self.generated = self.generate_stubs(pathlib.Path(self.build_lib))

    def generate_stubs(self, build_lib):
        arbor_root = find_proto_dir("ARBOR_PROTO_DIR", HERE.parent.parent / "proto",
                                    "arbor/v1/common.proto")
        grpc_root = find_proto_dir("ARBOR_GRPC_PROTO_DIR", "/usr/share/grpc-proto", HEALTH_PROTO)

        # arbor/v1/__init__.py was already copied by build_py, so protoc adds only the stubs.
        run_protoc([arbor_root], build_lib,
                   [arbor_root / "arbor" / "v1" / name for name in ARBOR_PROTOS])

        with tempfile.TemporaryDirectory() as scratch:
            run_protoc([grpc_root], scratch, [grpc_root / HEALTH_PROTO])
            move_health_stubs(pathlib.Path(scratch), build_lib / "arbor" / "_health")

        generated = sorted((build_lib / "arbor" / "v1").glob("*_pb2*.py"))
        generated += sorted((build_lib / "arbor" / "_health").glob("*_pb2*.py"))
        return generated

    def get_outputs(self, include_bytecode=True):
        return super().get_outputs(include_bytecode) + [
            str(path) for path in getattr(self, "generated", [])]


setup(cmdclass={"build_py": BuildPyWithStubs})

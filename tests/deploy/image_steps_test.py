"""Run the Docker image's build and runtime steps on this machine, without a Docker engine.

1. deploy/build-release.sh (the build stage) installs arbord and arborctl into a temporary
   prefix, reusing the given build directory.
2. ldd and dpkg -S check that deploy/runtime-deps.sh (the runtime stage's package list)
   provides every shared library the installed binaries load, and lists nothing else.
3. The installed arbord starts as the container would: the image's ENTRYPOINT and user, the
   image's and the compose file's environment, and the admin key from a secret file made with
   the command docs/deployment.md gives. Only the addresses (127.0.0.1, port 0) and the paths
   (a temporary data directory and secret file) differ.
4. The compose health check runs exactly as Compose runs it, the admin key from the secret
   authorizes arborctl, /metrics returns metrics, and SIGTERM stops arbord with exit code 0.

Usage: /usr/bin/python3 tests/deploy/image_steps_test.py --source-dir REPO --build-dir BUILD
"""

import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import deploy_spec

# Docker's default PATH for a container whose image does not set one.
CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 60
COMMAND_TIMEOUT_SECONDS = 30


class Failure(Exception):
    """A step failed, so the steps after it cannot run."""


def run_build_stage(checks, source_dir, build_dir, prefix):
    script = os.path.join(source_dir, "deploy", "build-release.sh")
    result = subprocess.run([script, "--build-dir", build_dir, "--prefix", prefix, "--jobs", "2"],
                            capture_output=True, text=True, check=False)
    print(result.stdout + result.stderr, flush=True)
    if not checks.check(result.returncode == 0, "build-release.sh installs into a prefix",
                        f"exit code {result.returncode}"):
        raise Failure("the build stage failed")

    binaries = [os.path.join(prefix, "bin", name) for name in ("arbord", "arborctl")]
    for binary in binaries:
        sections = subprocess.run(["readelf", "--section-headers", binary],
                                  capture_output=True, text=True, check=True).stdout
        checks.check(".debug_info" not in sections, f"{os.path.basename(binary)} is stripped")
    return binaries


def path_spellings(library_path):
    """Returns the names under which dpkg may have recorded `library_path`.

    dpkg records the paths a package shipped (/lib/... for libc6, /usr/lib/... for most
    others), while ldd prints whichever name the loader used, and /lib is a symlink to /usr/lib
    on Debian 12. So both spellings of the path and of its symlink target are candidates.
    """
    spellings = []
    for path in (library_path, os.path.realpath(library_path)):
        spellings.append(path)
        spellings.append(path[len("/usr"):] if path.startswith("/usr/") else "/usr" + path)
    return spellings


def find_packages(library_paths):
    """Maps each library path to the Debian package that contains it, or to None.

    Each dpkg -S call loads dpkg's whole file list (about 0.5 s on a 2-core Debian 12 machine),
    so all candidate paths go into a single call.
    """
    candidates = sorted({c for path in library_paths for c in path_spellings(path)})
    # dpkg -S exits 1 when some candidates belong to no package, which is expected here.
    output = subprocess.run(["dpkg", "-S"] + candidates, capture_output=True, text=True,
                            check=False).stdout
    owners = {}
    for line in output.splitlines():
        # "libfoo1:amd64: /usr/lib/..." or "pkg-a, pkg-b: /path" for a path several packages
        # ship. Lines starting with "diversion by" name no owner.
        if line.startswith("diversion by "):
            continue
        packages, _, path = line.rpartition(": ")
        owners[path] = packages.split(", ")[0].split(":")[0]

    found = {}
    for path in library_paths:
        found[path] = next((owners[c] for c in path_spellings(path) if c in owners), None)
    return found


def loaded_libraries(binary):
    """Returns the paths of the shared libraries that ldd lists for `binary`.

    Raises Failure when ldd reports a library as "not found".
    """
    output = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    paths = []
    for line in output.splitlines():
        line = line.strip()
        if "not found" in line:
            raise Failure(f"{binary}: ldd cannot find {line}")
        match = re.match(r"\S+ => (/\S+) \(0x[0-9a-f]+\)$", line) or \
            re.match(r"(/\S+) \(0x[0-9a-f]+\)$", line)
        if match:
            paths.append(match.group(1))
    return paths


def check_runtime_packages(checks, source_dir, binaries):
    script = os.path.join(source_dir, "deploy", "runtime-deps.sh")
    listed = subprocess.run([script, "list"], capture_output=True, text=True,
                            check=True).stdout.split()
    checks.check(listed and not any(p.endswith("-dev") for p in listed),
                 "runtime-deps.sh lists no -dev package", " ".join(listed))

    used_packages = set()
    for binary in binaries:
        name = os.path.basename(binary)
        try:
            libraries = loaded_libraries(binary)
        except Failure as error:
            checks.check(False, f"ldd finds every library of {name}", str(error))
            continue
        checks.check(len(libraries) > 0, f"ldd lists the libraries of {name}")
        packages = find_packages(libraries)
        used_packages.update(packages.values())
        unowned = [library for library, package in packages.items() if package is None]
        checks.check(not unowned, f"dpkg -S finds the package of every library of {name}",
                     f"no package contains {', '.join(unowned)}")
        unlisted = [f"{os.path.basename(library)} ({package})"
                    for library, package in packages.items()
                    if package is not None and package not in listed]
        checks.check(not unlisted,
                     f"every library of {name} comes from a package in runtime-deps.sh",
                     f"add the packages of {', '.join(unlisted)} to deploy/runtime-deps.sh")

    for package in listed:
        checks.check(package in used_packages, f"runtime package {package} is needed",
                     "no library that arbord or arborctl loads comes from it; remove it "
                     "from deploy/runtime-deps.sh")


class ContainerLayout:
    """Container paths of the runtime stage and compose file, mapped onto a temporary tree."""

    def __init__(self, runtime, compose, temporary_root, prefix):
        self.runtime = runtime
        self.service = compose.service()
        self.environment = deploy_spec.container_environment(runtime, compose)
        self.uid, self.gid = deploy_spec.parse_user(runtime)
        self.data_dir = os.path.join(temporary_root, "data")
        self.secrets_dir = os.path.join(temporary_root, "secrets")
        self.bin_dir = os.path.join(prefix, "bin")

        # Container path -> test path, for the data volume, every secret and /usr/local/bin.
        self.paths = {self.environment["ARBOR_DATA_DIR"]: self.data_dir,
                      "/usr/local/bin": self.bin_dir}
        self.secret_files = {}
        for target in compose.secret_files():
            local = os.path.join(self.secrets_dir, os.path.basename(target))
            self.paths[target] = local
            self.secret_files[target] = local

    def map_path(self, value):
        """Maps a container path (or a file inside a mapped directory) to the test's path."""
        for container_path, local_path in self.paths.items():
            if value == container_path or value.startswith(container_path + "/"):
                return local_path + value[len(container_path):]
        raise Failure(f"the test has no local path for the container path {value}")

    def process_environment(self, server_address=None):
        """Returns the container's environment with test addresses and paths.

        The listen addresses become 127.0.0.1 with port 0. ARBOR_SERVER, which arborctl
        reads, becomes `server_address` once arbord runs.
        """
        variables = {"PATH": f"{self.bin_dir}:{CONTAINER_PATH}", "HOME": self.data_dir}
        for key, value in self.environment.items():
            if key in ("ARBOR_LISTEN", "ARBOR_METRICS_LISTEN"):
                value = "127.0.0.1:0"
            elif key == "ARBOR_SERVER" and server_address is not None:
                value = server_address
            elif value.startswith("/"):
                value = self.map_path(value)
            variables[key] = value
        return variables

    def as_container_user(self, command):
        """Prefixes `command` with setpriv to run it as the image's USER when the test is root.

        A non-root test runs commands as itself, which is as unprivileged as the container.
        """
        if os.geteuid() != 0:
            return command
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups",
                "--"] + command

    def working_directory(self):
        workdir = self.runtime.last("WORKDIR")
        return self.map_path(workdir.arguments) if workdir else "/"


def prepare_directories(layout, temporary_root):
    """Creates the data directory and the secret files as the image and the docs set them up."""
    # The container user must be able to traverse the temporary tree here. In a container,
    # the volume and the bind-mounted secrets are reached without the host's parent directories.
    os.chmod(temporary_root, 0o755)
    os.makedirs(layout.data_dir, mode=0o700)
    os.makedirs(layout.secrets_dir, mode=0o755)
    if os.geteuid() == 0:
        os.chown(layout.data_dir, layout.uid, layout.gid)

    # The key is made with the command that docs/deployment.md gives, and the file stays
    # readable for the container user as the docs require.
    for local in layout.secret_files.values():
        with open(local, "w", encoding="utf-8") as key_file:
            subprocess.run(["openssl", "rand", "-hex", "32"], stdout=key_file, check=True)
        os.chmod(local, 0o644)


def as_list(command):
    """Returns a compose command, which may be a string or a list, as a list of words."""
    return shlex.split(command) if isinstance(command, str) else list(command)


def entrypoint_command(layout):
    """Returns the command the container runs, as Docker combines ENTRYPOINT and CMD.

    A compose `entrypoint` replaces the image's ENTRYPOINT and drops its CMD, and a compose
    `command` replaces the CMD.
    """
    if "entrypoint" in layout.service:
        entrypoint = as_list(layout.service["entrypoint"])
        arguments = []
    else:
        entrypoint = deploy_spec.parse_exec_form(layout.runtime.last("ENTRYPOINT").arguments)
        cmd = layout.runtime.last("CMD")
        arguments = deploy_spec.parse_exec_form(cmd.arguments) if cmd else []
    if "command" in layout.service:
        arguments = as_list(layout.service["command"])
    # A bare program name is found through PATH, which lists the installed bin/ first.
    program = entrypoint[0]
    if program.startswith("/"):
        program = layout.map_path(program)
    return [program] + entrypoint[1:] + arguments


def wait_for_file(path, process, timeout):
    """Returns the stripped contents of `path` once it exists.

    Returns None when `process` exits first or `timeout` seconds pass.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path, encoding="utf-8") as file:
                return file.read().strip()
        if process.poll() is not None:
            return None
        time.sleep(0.1)
    return None


def run_as_container(layout, command, server_address):
    return subprocess.run(layout.as_container_user(command),
                          env=layout.process_environment(server_address),
                          cwd=layout.working_directory(), capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT_SECONDS, check=False)


def check_running_server(checks, layout, compose, address):
    """Runs the compose health check and checks the admin key against a running arbord."""
    health = compose.service()["healthcheck"]["test"]
    checks.check(health[0] == "CMD", "compose healthcheck uses the exec form", str(health))

    # arbord writes its address before it recovers its database and reports NOT_SERVING until
    # then, so the health check is retried as Compose retries it.
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    result = run_as_container(layout, health[1:], address)
    while result.returncode != 0 and time.monotonic() < deadline:
        time.sleep(0.2)
        result = run_as_container(layout, health[1:], address)
    checks.check(result.returncode == 0, "compose healthcheck exits 0 on a serving arbord",
                 f"exit code {result.returncode}: {result.stderr.strip()}")

    # ARBOR_KEY_FILE from compose points arborctl at the admin key secret.
    created = run_as_container(
        layout, ["arborctl", "collection", "create", "deploy_check", "--dim", "4", "--metric",
                 "l2"], address)
    checks.check(created.returncode == 0, "admin key secret authorizes collection create",
                 f"exit code {created.returncode}: {created.stderr.strip()}")
    listed = run_as_container(layout, ["arborctl", "collection", "list"], address)
    checks.check(listed.returncode == 0 and "deploy_check" in listed.stdout,
                 "admin key secret authorizes collection list",
                 f"exit code {listed.returncode}: {listed.stdout.strip()} "
                 f"{listed.stderr.strip()}")
    wrong_key = run_as_container(layout, ["arborctl", "--key", "x" * 64, "collection", "list"],
                                 address)
    checks.check(wrong_key.returncode == 1 and "UNAUTHENTICATED" in wrong_key.stderr,
                 "a key other than the secret is rejected",
                 f"exit code {wrong_key.returncode}: {wrong_key.stderr.strip()}")
    checks.check(not os.path.exists(os.path.join(layout.data_dir, "admin.key")),
                 "arbord took the admin key from the secret, not a new DATA_DIR/admin.key")


def check_metrics(checks, layout, process):
    """Fetches /metrics from the address arbord wrote to DATA_DIR/arbord.metrics.addr."""
    metrics_address = wait_for_file(os.path.join(layout.data_dir, "arbord.metrics.addr"),
                                    process, START_TIMEOUT_SECONDS)
    if not checks.check(metrics_address is not None,
                        "arbord writes DATA_DIR/arbord.metrics.addr (metrics are on)"):
        return
    checks.check(metrics_address.startswith("127.0.0.1:"), "metrics listen on loopback",
                 metrics_address)
    try:
        with urllib.request.urlopen(f"http://{metrics_address}/metrics",
                                    timeout=COMMAND_TIMEOUT_SECONDS) as response:
            status = response.status
            body = response.read().decode("utf-8")
    except OSError as error:
        status, body = None, str(error)
    checks.check(status == 200 and "# TYPE arbor_" in body, "GET /metrics returns arbor_ metrics",
                 f"status {status}: {body[:200]}")


def start_and_check_arbord(checks, layout, compose):
    command = layout.as_container_user(entrypoint_command(layout))
    log_path = os.path.join(os.path.dirname(layout.data_dir), "arbord.log")
    print("starting: " + " ".join(command), flush=True)
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(command, env=layout.process_environment(),
                                   cwd=layout.working_directory(), stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        address = wait_for_file(os.path.join(layout.data_dir, "arbord.addr"), process,
                                START_TIMEOUT_SECONDS)
        if not checks.check(address is not None, "arbord starts and writes DATA_DIR/arbord.addr",
                            f"exit code {process.poll()}"):
            raise Failure("arbord did not start")
        checks.check(address.startswith("127.0.0.1:"), "arbord listens on loopback", address)
        if os.geteuid() == 0:
            owner = os.stat(os.path.join(layout.data_dir, "db")).st_uid
            checks.check(owner == layout.uid, "arbord runs as the image's USER",
                         f"DATA_DIR/db is owned by UID {owner}, not {layout.uid}")

        check_running_server(checks, layout, compose, address)
        check_metrics(checks, layout, process)

        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=STOP_TIMEOUT_SECONDS)
        checks.check(code == 0, "arbord exits 0 on SIGTERM", f"exit code {code}")
        health = compose.service()["healthcheck"]["test"][1:]
        after_stop = run_as_container(layout, health, address)
        checks.check(after_stop.returncode != 0, "healthcheck fails once arbord has stopped")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        with open(log_path, encoding="utf-8") as log:
            output = log.read()
        print("--- arbord log\n" + output + "--- end of arbord log", flush=True)

    for target, local in layout.secret_files.items():
        with open(local, encoding="utf-8") as key_file:
            key = key_file.read().strip()
        checks.check(key not in output, f"arbord does not log the secret {target}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", required=True, help="repository root")
    parser.add_argument("--build-dir", required=True,
                        help="configured Release or RelWithDebInfo build directory to reuse")
    arguments = parser.parse_args()
    source_dir = os.path.realpath(arguments.source_dir)

    checks = deploy_spec.Checks()
    try:
        stages = deploy_spec.parse_dockerfile(os.path.join(source_dir, "deploy", "Dockerfile"))
        compose = deploy_spec.load_compose(
            os.path.join(source_dir, "deploy", "docker-compose.yml"))
    except (OSError, RuntimeError, ValueError) as error:
        checks.check(False, "Dockerfile and compose file can be read", str(error))
        checks.finish()

    temporary_root = tempfile.mkdtemp(prefix="arbor-deploy-")
    try:
        prefix = os.path.join(temporary_root, "prefix")
        binaries = run_build_stage(checks, source_dir, os.path.realpath(arguments.build_dir),
                                   prefix)
        check_runtime_packages(checks, source_dir, binaries)

        layout = ContainerLayout(stages[-1], compose, temporary_root, prefix)
        prepare_directories(layout, temporary_root)
        start_and_check_arbord(checks, layout, compose)
    except Failure as error:
        checks.check(False, "remaining steps", str(error))
    finally:
        shutil.rmtree(temporary_root, ignore_errors=True)
    checks.finish()


if __name__ == "__main__":
    main()

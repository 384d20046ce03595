"""Test support: a real arbord child process, and numpy reference searches.

ARBORD must name the arbord binary (CMake passes build/server/arbord). Each ArbordServer runs
arbord on 127.0.0.1 with a port the kernel picks and a fresh temporary data directory, and
reads the address and admin key that arbord writes there.
"""

import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np

START_TIMEOUT_SECONDS = 20
STOP_TIMEOUT_SECONDS = 30

_names = itertools.count()


def unique_name(prefix):
    """Return a collection or tenant name not used before in this test process."""
    return f"{prefix}-{next(_names)}"


def arbord_path():
    path = os.environ.get("ARBORD")
    if not path:
        raise RuntimeError(
            "ARBORD is not set: set it to the arbord binary, e.g. ARBORD=build/server/arbord")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"ARBORD={path} is not an executable file; build the arbord target")
    return path


class ArbordServer:
    """An arbord child process on its own data directory. Not thread-safe."""

    def __init__(self, extra_args=()):
        self.data_dir = tempfile.mkdtemp(prefix="arbor-python-test-")
        self.log_path = os.path.join(self.data_dir, "arbord.log")
        command = [arbord_path(), "--data-dir", self.data_dir, "--listen", "127.0.0.1:0",
                   "--sync", "false", *extra_args]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            self.address = self._wait_for_address()
            self._wait_until_serving()
        except Exception:
            self.process.kill()
            self.process.wait()
            sys.stderr.write(self.read_log())
            raise
        self.admin_key_file = os.path.join(self.data_dir, "admin.key")
        self.admin_key = read_key_file(self.admin_key_file)

    def _wait_for_address(self):
        """Wait until arbord writes DATA_DIR/arbord.addr, and return the address in it."""
        address_file = os.path.join(self.data_dir, "arbord.addr")
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"arbord exited with {self.process.returncode} during start")
            if os.path.exists(address_file):
                with open(address_file, encoding="utf-8") as file:
                    address = file.read().strip()
                if address:
                    return address
            time.sleep(0.05)
        raise RuntimeError(f"arbord wrote no {address_file} within {START_TIMEOUT_SECONDS} s")

    def _wait_until_serving(self):
        """Wait until the health service reports SERVING.

        arbord writes its address before it recovers its database, and rejects data calls with
        UNAVAILABLE until recovery ends.
        """
        import arbor

        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        with arbor.Client(self.address) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"arbord exited with {self.process.returncode} during start")
                try:
                    if client.health(timeout=2):
                        return
                except arbor.ArborError:
                    pass
                time.sleep(0.05)
        raise RuntimeError(f"arbord did not report SERVING within {START_TIMEOUT_SECONDS} s")

    def read_log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as file:
                return file.read()
        except OSError as error:
            return f"(cannot read {self.log_path}: {error})\n"

    def stop(self):
        """Send SIGTERM, wait for the exit and remove the data directory.

        Returns the exit code. On an exit other than 0, the log is printed and the directory
        kept. A process still running after STOP_TIMEOUT_SECONDS is killed.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code = self.process.returncode
        if code == 0:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        else:
            sys.stderr.write(f"arbord exited with {code}; data in {self.data_dir}; log:\n")
            sys.stderr.write(self.read_log())
        return code

    def stop_and_check(self):
        """Stop arbord and raise AssertionError unless it exited with 0 after SIGTERM."""
        code = self.stop()
        if code != 0:
            raise AssertionError(f"arbord exited with {code} after SIGTERM, expected 0")


def start_server(test_class):
    """Start an ArbordServer for `test_class`, stopped and checked by a class cleanup.

    The cleanup runs even when the rest of setUpClass fails, so no arbord is left running.
    """
    server = ArbordServer()
    test_class.addClassCleanup(server.stop_and_check)
    return server


def read_key_file(path):
    """Return the first line of a key file that is not blank and not a '#' comment."""
    with open(path, encoding="utf-8") as file:
        for line in file:
            if line.strip() and not line.strip().startswith("#"):
                return line.strip()
    raise RuntimeError(f"{path} contains no key")


def unused_loopback_address():
    """Return 127.0.0.1:PORT for a port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"127.0.0.1:{port}"


def brute_force(vectors, refs, query, k, metric):
    """Return the exact top-k of `query` as (owner, id, score) tuples, best first.

    vectors is a 2-d array whose row i is the vector with key refs[i] = (owner, id). Scores
    follow the API: squared L2 distance ascending, inner product or cosine similarity
    descending, ties broken by (owner, id). Computed in float64.
    """
    data = np.asarray(vectors, dtype=np.float64)
    q = np.asarray(query, dtype=np.float64)
    if metric == "l2":
        scores = ((data - q) ** 2).sum(axis=1)
        order_key = scores
    elif metric == "ip":
        scores = data @ q
        order_key = -scores
    elif metric == "cosine":
        unit = data / np.linalg.norm(data, axis=1, keepdims=True)
        scores = unit @ (q / np.linalg.norm(q))
        order_key = -scores
    else:
        raise ValueError(f"unknown metric {metric!r}")
    order = sorted(range(len(refs)), key=lambda i: (order_key[i], refs[i][0], refs[i][1]))
    return [(refs[i][0], refs[i][1], float(scores[i])) for i in order[:k]]

"""Connection set-up against a real arbord: keys, addresses, health, deadlines, errors, close."""

import os
import tempfile
import threading
import unittest
from unittest import mock

import numpy as np

import arbor
from support import start_server, unique_name, unused_loopback_address

# Variables that Client reads when no key or address is passed.
KEY_VARIABLES = ("ARBOR_KEY", "ARBOR_KEY_FILE", "ARBOR_SERVER")


def environment_without_keys(**values):
    """Patch os.environ so that only `values` among KEY_VARIABLES are set."""
    patched = {name: value for name, value in os.environ.items() if name not in KEY_VARIABLES}
    patched.update(values)
    return mock.patch.dict(os.environ, patched, clear=True)


class ConnectionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls)

    def setUp(self):
        # Tests that change the working directory start from a folder with no data/admin.key.
        self.original_cwd = os.getcwd()
        self.scratch = tempfile.TemporaryDirectory()
        os.chdir(self.scratch.name)

    def tearDown(self):
        os.chdir(self.original_cwd)
        self.scratch.cleanup()

    def write_file(self, name, text):
        path = os.path.join(self.scratch.name, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)
        return path

    def assert_admin_access(self, client):
        names = [info.name for info in client.list_collections()]
        self.assertIsInstance(names, list)

    def test_health_serving(self):
        with arbor.Client(self.server.address) as client:
            self.assertIs(client.health(), True)

    def test_health_unreachable(self):
        with arbor.Client(unused_loopback_address(), key="k", timeout=10) as client:
            with self.assertRaises(arbor.ArborError) as raised:
                client.health()
        self.assertEqual(raised.exception.code, "UNAVAILABLE")
        self.assertTrue(raised.exception.message)

    def test_key_argument(self):
        with environment_without_keys(), arbor.Client(self.server.address,
                                                      key=self.server.admin_key) as client:
            self.assert_admin_access(client)

    def test_key_file_argument(self):
        with environment_without_keys(), arbor.Client(
                self.server.address, key_file=self.server.admin_key_file) as client:
            self.assert_admin_access(client)

    def test_key_file_skips_comments(self):
        path = self.write_file("keys/admin", f"\n# the admin key\n   \n  {self.server.admin_key}  \n"
                                             "second-line-ignored\n")
        with environment_without_keys(), arbor.Client(self.server.address,
                                                      key_file=path) as client:
            self.assert_admin_access(client)

    def test_key_file_errors(self):
        empty = self.write_file("empty.key", "# only a comment\n\n")
        with self.assertRaises(ValueError) as raised:
            arbor.Client(self.server.address, key_file=empty)
        self.assertIn(f"key file {empty} has no key", str(raised.exception))

        missing = os.path.join(self.scratch.name, "missing.key")
        with self.assertRaises(FileNotFoundError) as raised:
            arbor.Client(self.server.address, key_file=missing)
        self.assertEqual(raised.exception.filename, missing)

    def test_key_and_key_file_together(self):
        with self.assertRaises(ValueError) as raised:
            arbor.Client(self.server.address, key="k", key_file=self.server.admin_key_file)
        self.assertIn("pass key or key_file, not both", str(raised.exception))

    def test_key_not_printable_ascii(self):
        with self.assertRaises(ValueError) as raised:
            arbor.Client(self.server.address, key="abc\ndef")
        self.assertIn("position 3", str(raised.exception))
        self.assertIn("printable ASCII", str(raised.exception))

    def test_environment_address_and_key(self):
        with environment_without_keys(ARBOR_SERVER=self.server.address,
                                      ARBOR_KEY=self.server.admin_key):
            with arbor.Client() as client:
                self.assertEqual(client.address, self.server.address)
                self.assert_admin_access(client)

    def test_environment_key_file(self):
        with environment_without_keys(ARBOR_KEY_FILE=self.server.admin_key_file):
            with arbor.Client(self.server.address) as client:
                self.assert_admin_access(client)

    def test_key_argument_before_environment(self):
        with environment_without_keys(ARBOR_KEY="wrong-key-from-environment"):
            with arbor.Client(self.server.address, key=self.server.admin_key) as client:
                self.assert_admin_access(client)

    def test_default_key_file_in_working_directory(self):
        self.write_file("data/admin.key", self.server.admin_key + "\n")
        with environment_without_keys(), arbor.Client(self.server.address) as client:
            self.assert_admin_access(client)

    def test_default_address(self):
        with environment_without_keys(), arbor.Client(key="k") as client:
            self.assertEqual(client.address, "127.0.0.1:7400")

    def test_no_key_unauthenticated(self):
        with environment_without_keys(), arbor.Client(self.server.address) as client:
            with self.assertRaises(arbor.ArborError) as raised:
                client.list_collections()
        self.assertEqual(raised.exception.code, "UNAUTHENTICATED")

    def test_wrong_key_unauthenticated(self):
        with arbor.Client(self.server.address, key="not-a-key-of-this-server") as client:
            with self.assertRaises(arbor.ArborError) as raised:
                client.list_collections()
        self.assertEqual(raised.exception.code, "UNAUTHENTICATED")

    def test_error_fields_and_text(self):
        name = unique_name("missing")
        with arbor.Client(self.server.address, key=self.server.admin_key) as client:
            with self.assertRaises(arbor.ArborError) as raised:
                client.describe_collection(name)
        error = raised.exception
        self.assertIsInstance(error, Exception)
        self.assertEqual(error.code, "NOT_FOUND")
        self.assertEqual(error.message, f"collection '{name}' not found")
        self.assertEqual(str(error), f"NOT_FOUND: collection '{name}' not found")

    def test_call_timeout_exceeded(self):
        with arbor.Client(self.server.address, key=self.server.admin_key) as client:
            with self.assertRaises(arbor.ArborError) as raised:
                client.list_collections(timeout=1e-6)
            self.assertEqual(raised.exception.code, "DEADLINE_EXCEEDED")
            # The same client still works with its default timeout.
            self.assert_admin_access(client)

    def test_client_timeout_exceeded(self):
        with arbor.Client(self.server.address, key=self.server.admin_key,
                          timeout=1e-6) as client:
            with self.assertRaises(arbor.ArborError) as raised:
                client.list_collections()
            self.assertEqual(raised.exception.code, "DEADLINE_EXCEEDED")
            # A per-call timeout overrides the client's.
            self.assertIsInstance(client.list_collections(timeout=30), list)

    def test_no_deadline(self):
        with arbor.Client(self.server.address, key=self.server.admin_key,
                          timeout=None) as client:
            self.assert_admin_access(client)

    def test_close(self):
        client = arbor.Client(self.server.address, key=self.server.admin_key)
        self.assert_admin_access(client)
        client.close()
        client.close()
        with self.assertRaises(ValueError) as raised:
            client.list_collections()
        self.assertIn("the client is closed", str(raised.exception))
        self.assertIn("closed", repr(client))

    def test_context_manager_closes(self):
        with arbor.Client(self.server.address, key=self.server.admin_key) as client:
            self.assert_admin_access(client)
        with self.assertRaises(ValueError):
            client.health()

    def test_shared_by_threads(self):
        collection = unique_name("threads")
        with arbor.Client(self.server.address, key=self.server.admin_key) as client:
            client.create_collection(collection, dim=4, metric="l2")
            client.create_tenant(collection, "t")
            client.upsert(collection, tenant="t", ids=range(50),
                          vectors=np.arange(200, dtype=np.float32).reshape(50, 4))
            failures = []

            def search_own_rows(first):
                try:
                    for row in range(first, 50, 4):
                        query = np.arange(row * 4, row * 4 + 4, dtype=np.float32)
                        hits = client.search(collection, tenant="t", vector=query, k=1)
                        if hits[0].id != row:
                            failures.append(f"row {row} found {hits[0]}")
                except Exception as error:  # Reported by the assertion below.
                    failures.append(repr(error))

            threads = [threading.Thread(target=search_own_rows, args=(first,))
                       for first in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        self.assertEqual(failures, [])


if __name__ == "__main__":
    unittest.main()

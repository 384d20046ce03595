"""TLS options of arbor.Client, against an in-process gRPC server on 127.0.0.1.

arbord does not serve TLS yet, so these tests check the client's side with a small grpcio
server that uses certificates made here with openssl: a Health service that reports SERVING,
and a VectorService whose Count checks the bearer key.
"""

import os
import subprocess
import tempfile
import unittest
from concurrent import futures

import grpc

import arbor
from arbor._health import health_pb2, health_pb2_grpc
from arbor.v1 import vector_pb2, vector_pb2_grpc

KEY = "tls-test-key"
COUNT = 42


def openssl(*arguments, cwd):
    subprocess.run(["openssl", *arguments], cwd=cwd, check=True, capture_output=True)


def make_certificates(folder):
    """Write a CA, a server certificate for "localhost" and a client certificate into folder.

    A second, unrelated CA goes to other-ca.pem. Every certificate is valid for one day.
    """
    for ca in ("ca", "other-ca"):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-days", "1", "-subj", f"/CN=arbor test {ca}",
                "-keyout", f"{ca}.key", "-out", f"{ca}.pem", cwd=folder)
    with open(os.path.join(folder, "server.ext"), "w", encoding="utf-8") as file:
        file.write("subjectAltName=DNS:localhost\n")
    for name, subject in (("server", "/CN=localhost"), ("client", "/CN=arbor test client")):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-subj", subject, "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=folder)
        extension = ["-extfile", "server.ext"] if name == "server" else []
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "1", "-out", f"{name}.pem", *extension, cwd=folder)


def read(folder, name):
    with open(os.path.join(folder, name), "rb") as file:
        return file.read()


class HealthServicer(health_pb2_grpc.HealthServicer):
    def Check(self, request, context):
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)


class CountServicer(vector_pb2_grpc.VectorServiceServicer):
    """Count returns COUNT when the request carries `authorization: Bearer KEY`."""

    def Count(self, request, context):
        metadata = dict(context.invocation_metadata())
        if metadata.get("authorization") != f"Bearer {KEY}":
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong key")
        return vector_pb2.CountResponse(count=COUNT)


def start_tls_server(folder, require_client_auth):
    """Start a TLS server on a free port of 127.0.0.1, and return it with its address."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    health_pb2_grpc.add_HealthServicer_to_server(HealthServicer(), server)
    vector_pb2_grpc.add_VectorServiceServicer_to_server(CountServicer(), server)
    credentials = grpc.ssl_server_credentials(
        [(read(folder, "server.key"), read(folder, "server.pem"))],
        root_certificates=read(folder, "ca.pem"),
        require_client_auth=require_client_auth)
    port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    return server, f"127.0.0.1:{port}"


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        scratch = tempfile.TemporaryDirectory()
        cls.addClassCleanup(scratch.cleanup)
        cls.folder = scratch.name
        make_certificates(cls.folder)

        cls.server, cls.address = start_tls_server(cls.folder, require_client_auth=False)
        cls.addClassCleanup(cls.server.stop, None)
        cls.mtls_server, cls.mtls_address = start_tls_server(cls.folder,
                                                             require_client_auth=True)
        cls.addClassCleanup(cls.mtls_server.stop, None)

    def path(self, name):
        return os.path.join(self.folder, name)

    def connect(self, address, **options):
        client = arbor.Client(address, key=KEY, timeout=10, **options)
        self.addCleanup(client.close)
        return client

    def assert_unavailable(self, client):
        with self.assertRaises(arbor.ArborError) as raised:
            client.health()
        self.assertEqual(raised.exception.code, "UNAVAILABLE")

    def test_verified_server(self):
        client = self.connect(self.address, tls_ca=self.path("ca.pem"),
                              tls_server_name="localhost")
        self.assertIs(client.health(), True)
        self.assertEqual(client.count("c", tenant="t"), COUNT)

    def test_wrong_key_over_tls(self):
        client = arbor.Client(self.address, key="other-key", tls_ca=self.path("ca.pem"),
                              tls_server_name="localhost", timeout=10)
        self.addCleanup(client.close)
        with self.assertRaises(arbor.ArborError) as raised:
            client.count("c", tenant="t")
        self.assertEqual(raised.exception.code, "UNAUTHENTICATED")
        self.assertEqual(raised.exception.message, "missing or wrong key")

    def test_untrusted_server_certificate(self):
        client = self.connect(self.address, tls_ca=self.path("other-ca.pem"),
                              tls_server_name="localhost")
        self.assert_unavailable(client)

    def test_server_name_mismatch(self):
        # The certificate is for "localhost", and gRPC checks the name against 127.0.0.1.
        self.assert_unavailable(self.connect(self.address, tls_ca=self.path("ca.pem")))

    def test_plaintext_client_to_tls_server(self):
        self.assert_unavailable(self.connect(self.address))

    def test_mutual_tls(self):
        client = self.connect(self.mtls_address, tls_ca=self.path("ca.pem"),
                              tls_cert=self.path("client.pem"), tls_key=self.path("client.key"),
                              tls_server_name="localhost")
        self.assertIs(client.health(), True)
        self.assertEqual(client.count("c", tenant="t"), COUNT)

    def test_mutual_tls_without_client_certificate(self):
        client = self.connect(self.mtls_address, tls_ca=self.path("ca.pem"),
                              tls_server_name="localhost")
        self.assert_unavailable(client)


class TlsArgumentsTest(unittest.TestCase):
    def setUp(self):
        scratch = tempfile.TemporaryDirectory()
        self.addCleanup(scratch.cleanup)
        self.folder = scratch.name

    def test_cert_without_ca(self):
        with self.assertRaises(ValueError) as raised:
            arbor.Client("127.0.0.1:1", key="k", tls_cert="c.pem", tls_key="k.pem")
        self.assertIn("need tls_ca", str(raised.exception))

    def test_cert_without_key(self):
        ca = os.path.join(self.folder, "ca.pem")
        with open(ca, "w", encoding="utf-8") as file:
            file.write("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
        with self.assertRaises(ValueError) as raised:
            arbor.Client("127.0.0.1:1", key="k", tls_ca=ca, tls_cert=ca)
        self.assertIn("both tls_cert and tls_key", str(raised.exception))

    def test_ca_not_pem(self):
        ca = os.path.join(self.folder, "ca.der")
        with open(ca, "wb") as file:
            file.write(b"\x30\x82\x01\x0a")
        with self.assertRaises(ValueError) as raised:
            arbor.Client("127.0.0.1:1", key="k", tls_ca=ca)
        self.assertIn(f"tls_ca file {ca} is not PEM", str(raised.exception))

    def test_ca_missing(self):
        missing = os.path.join(self.folder, "missing.pem")
        with self.assertRaises(FileNotFoundError) as raised:
            arbor.Client("127.0.0.1:1", key="k", tls_ca=missing)
        self.assertEqual(raised.exception.filename, missing)

    def test_server_name_without_ca(self):
        with self.assertRaises(ValueError) as raised:
            arbor.Client("127.0.0.1:1", key="k", tls_server_name="localhost")
        self.assertIn("tls_server_name needs tls_ca", str(raised.exception))


if __name__ == "__main__":
    unittest.main()

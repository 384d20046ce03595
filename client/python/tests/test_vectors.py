"""Upsert, get, delete, count, list, share and tenant isolation against a real arbord."""

import unittest

import numpy as np

import arbor
from support import start_server, unique_name

DIM = 6


class VectorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls)
        cls.client = arbor.Client(cls.server.address, key=cls.server.admin_key)
        cls.addClassCleanup(cls.client.close)

    def setUp(self):
        self.collection = unique_name("vectors")
        self.client.create_collection(self.collection, dim=DIM, metric="l2")
        for tenant in ("a", "b", "c"):
            self.client.create_tenant(self.collection, tenant)
        self.rng = np.random.default_rng(7)

    def assert_arbor_error(self, call, code, *fragments):
        with self.assertRaises(arbor.ArborError) as raised:
            call()
        self.assertEqual(raised.exception.code, code, str(raised.exception))
        for fragment in fragments:
            self.assertIn(fragment, raised.exception.message)

    def random_vectors(self, count, dtype=np.float32):
        return self.rng.standard_normal((count, DIM)).astype(dtype)

    def upsert(self, tenant, ids, vectors, **options):
        return self.client.upsert(self.collection, tenant=tenant, ids=ids, vectors=vectors,
                                  **options)

    def get(self, tenant, ids, **options):
        return self.client.get(self.collection, tenant=tenant, ids=ids, **options)

    def test_upsert_counts(self):
        vectors = self.random_vectors(5)
        self.assertEqual(self.upsert("a", [1, 2, 3], vectors[:3]),
                         arbor.UpsertResult(inserted=3, updated=0))
        self.assertEqual(self.upsert("a", [3, 4, 5], vectors[2:]),
                         arbor.UpsertResult(inserted=2, updated=1))
        self.assertEqual(self.client.count(self.collection, tenant="a"), 5)

    def test_get_returns_float32_arrays(self):
        vectors = self.random_vectors(4)
        self.upsert("a", [10, 11, 12, 13], vectors)
        records = self.get("a", [12, 10, 99, 13])

        # Records follow the requested order. Id 99 does not exist and is left out.
        self.assertEqual([record.id for record in records], [12, 10, 13])
        for record, row in zip(records, (2, 0, 3)):
            self.assertIsInstance(record, arbor.Record)
            self.assertEqual(record.owner, "a")
            self.assertEqual(record.vector.dtype, np.float32)
            self.assertEqual(record.vector.shape, (DIM,))
            np.testing.assert_array_equal(record.vector, vectors[row])
            self.assertEqual(record.shared_with, ())
            self.assertFalse(record.vector.flags.writeable)

    def test_get_many(self):
        vectors = self.random_vectors(3000)
        self.upsert("a", np.arange(3000), vectors)
        records = self.get("a", np.arange(3000))
        self.assertEqual([record.id for record in records], list(range(3000)))
        np.testing.assert_array_equal(np.stack([record.vector for record in records]), vectors)

    def test_input_types_converted(self):
        float64 = self.rng.standard_normal((2, DIM))
        inputs = {
            "float64 array": (float64, float64.astype(np.float32)),
            "float16 array": (float64.astype(np.float16),
                              float64.astype(np.float16).astype(np.float32)),
            "int array": (np.arange(2 * DIM).reshape(2, DIM),
                          np.arange(2 * DIM, dtype=np.float32).reshape(2, DIM)),
            "list of lists": (float64.tolist(), float64.astype(np.float32)),
            "Fortran-order array": (np.asfortranarray(float64), float64.astype(np.float32)),
        }
        for offset, (label, (given, expected)) in enumerate(inputs.items()):
            with self.subTest(input=label):
                ids = [100 + 2 * offset, 101 + 2 * offset]
                self.upsert("a", ids, given)
                records = self.get("a", ids)
                np.testing.assert_array_equal(np.stack([r.vector for r in records]), expected)

    def test_id_types(self):
        vectors = self.random_vectors(3)
        max_id = 2**64 - 1
        self.upsert("a", np.array([0, 5, max_id], dtype=np.uint64), vectors)
        self.assertEqual([record.id for record in self.get("a", [max_id, 0, 5])],
                         [max_id, 0, 5])
        self.upsert("a", range(20, 23), vectors)
        self.assertEqual([record.id for record in self.get("a", np.arange(20, 23))],
                         [20, 21, 22])

    def test_batched_upsert(self):
        vectors = self.random_vectors(10)
        result = self.upsert("a", list(range(10)), vectors, batch_size=3)
        self.assertEqual(result, arbor.UpsertResult(inserted=10, updated=0))
        records = self.get("a", list(range(10)))
        np.testing.assert_array_equal(np.stack([r.vector for r in records]), vectors)

    def test_upsert_server_errors(self):
        self.assert_arbor_error(lambda: self.upsert("a", [1], np.ones((1, DIM + 1))),
                                "INVALID_ARGUMENT", str(DIM + 1), f"dimension is {DIM}")
        self.assert_arbor_error(lambda: self.upsert("a", [4, 4], np.ones((2, DIM))),
                                "INVALID_ARGUMENT", "repeats id 4")
        self.assert_arbor_error(lambda: self.upsert("nobody", [1], np.ones((1, DIM))),
                                "NOT_FOUND", "nobody")
        # The failed requests wrote nothing.
        self.assertEqual(self.client.count(self.collection, tenant="a"), 0)

    def test_delete(self):
        self.upsert("a", [1, 2, 3], self.random_vectors(3))
        self.assertEqual(self.client.delete(self.collection, tenant="a", ids=[2, 3, 77]), 2)
        self.assertEqual([record.id for record in self.get("a", [1, 2, 3])], [1])
        self.assertEqual(self.client.count(self.collection, tenant="a"), 1)
        self.assert_arbor_error(lambda: self.client.delete(self.collection, tenant="a", ids=[]),
                                "INVALID_ARGUMENT", "ids is empty")

    def test_tenant_isolation(self):
        vectors_a = self.random_vectors(3)
        vectors_b = self.random_vectors(3)
        self.upsert("a", [1, 2, 3], vectors_a)
        self.upsert("b", [1, 2, 3], vectors_b)

        # The same ids belong to different vectors in each tenant.
        np.testing.assert_array_equal(self.get("a", [1])[0].vector, vectors_a[0])
        np.testing.assert_array_equal(self.get("b", [1])[0].vector, vectors_b[0])
        self.assertEqual(self.client.count(self.collection, tenant="c"), 0)
        self.assertEqual(self.get("c", [1, 2, 3]), [])
        self.assertEqual(self.get("c", [1, 2, 3], owner="a"), [])

        hits = self.client.search(self.collection, tenant="b", vector=vectors_a[0], k=10)
        self.assertEqual({hit.owner for hit in hits}, {"b"})
        self.assertEqual(len(hits), 3)

        self.client.delete(self.collection, tenant="a", ids=[1])
        self.assertEqual(len(self.get("b", [1])), 1)

    def test_share_and_unshare(self):
        vectors = self.random_vectors(3)
        self.upsert("a", [1, 2, 3], vectors)

        granted = self.client.share(self.collection, tenant="a", ids=[1, 2],
                                    with_tenants=["b", "c"])
        self.assertEqual(granted, 4)
        # Pairs already granted are skipped. A single name is taken as a list of one.
        self.assertEqual(self.client.share(self.collection, tenant="a", ids=[1],
                                           with_tenants="b"), 0)

        self.assertEqual(self.client.count(self.collection, tenant="b"), 2)
        shared = self.get("b", [1, 2, 3], owner="a")
        self.assertEqual([(record.owner, record.id) for record in shared], [("a", 1), ("a", 2)])
        np.testing.assert_array_equal(shared[0].vector, vectors[0])
        # Readers do not learn about each other, but the owner sees every reader.
        self.assertEqual(shared[0].shared_with, ())
        self.assertEqual(self.get("a", [1])[0].shared_with, ("b", "c"))

        hits = self.client.search(self.collection, tenant="b", vector=vectors[1], k=5)
        self.assertEqual([(hit.owner, hit.id) for hit in hits][0], ("a", 2))

        revoked = self.client.unshare(self.collection, tenant="a", ids=[1, 2], with_tenants=["b"])
        self.assertEqual(revoked, 2)
        self.assertEqual(self.client.count(self.collection, tenant="b"), 0)
        self.assertEqual(self.client.count(self.collection, tenant="c"), 2)

    def test_share_errors(self):
        self.upsert("a", [1], self.random_vectors(1))
        share = lambda ids, tenants: lambda: self.client.share(
            self.collection, tenant="a", ids=ids, with_tenants=tenants)
        self.assert_arbor_error(share([1, 9], ["b"]), "NOT_FOUND", "9")
        self.assert_arbor_error(share([1], ["ghost"]), "NOT_FOUND", "ghost")
        self.assert_arbor_error(share([1], ["a"]), "INVALID_ARGUMENT", "a")
        self.assertEqual(self.client.count(self.collection, tenant="b"), 0)

    def test_list_pages(self):
        self.upsert("a", [5, 1, 9, 3], self.random_vectors(4))
        self.upsert("b", [2, 8], self.random_vectors(2))
        self.client.share(self.collection, tenant="b", ids=[2, 8], with_tenants=["a"])
        expected = [("a", 1), ("a", 3), ("a", 5), ("a", 9), ("b", 2), ("b", 8)]

        pages = []
        token = ""
        while True:
            page = self.client.list(self.collection, tenant="a", page_size=4, page_token=token)
            self.assertIsInstance(page, arbor.ListPage)
            pages.append([tuple(ref) for ref in page.refs])
            token = page.next_page_token
            if not token:
                break
        self.assertEqual(pages, [expected[:4], expected[4:]])

        refs = list(self.client.iter_refs(self.collection, tenant="a", page_size=1))
        self.assertEqual(refs, [arbor.VectorRef(owner, id) for owner, id in expected])
        self.assertEqual(list(self.client.iter_refs(self.collection, tenant="c")), [])

    def test_list_bad_token(self):
        self.assert_arbor_error(
            lambda: self.client.list(self.collection, tenant="a", page_token="not a token"),
            "INVALID_ARGUMENT", "page_token")


if __name__ == "__main__":
    unittest.main()

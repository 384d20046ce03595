"""Client-side checks of call arguments.

The client points at a loopback port where nothing listens. A check that raises before
sending shows up as TypeError or ValueError. A check that failed to fire would let the call
go out and raise ArborError UNAVAILABLE instead, which fails the test.
"""

import unittest

import numpy as np

import arbor
from support import unused_loopback_address


class ArgumentChecksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = arbor.Client(unused_loopback_address(), key="unused-key", timeout=5)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def assert_value_error(self, call, *fragments):
        with self.assertRaises(ValueError) as raised:
            call()
        for fragment in fragments:
            self.assertIn(fragment, str(raised.exception))

    def assert_type_error(self, call, *fragments):
        with self.assertRaises(TypeError) as raised:
            call()
        for fragment in fragments:
            self.assertIn(fragment, str(raised.exception))

    def upsert(self, ids, vectors, **options):
        return lambda: self.client.upsert("c", tenant="t", ids=ids, vectors=vectors, **options)

    def search(self, vector, **options):
        return lambda: self.client.search("c", tenant="t", vector=vector, **options)

    def test_upsert_vectors_shape(self):
        self.assert_value_error(self.upsert([1], [1.0, 2.0, 3.0]),
                                "vectors must be 2-d", "(3,)", "reshape(1, -1)")
        self.assert_value_error(self.upsert([1], np.zeros((1, 2, 3))),
                                "vectors must be 2-d", "(1, 2, 3)")
        self.assert_value_error(self.upsert([], []), "vectors is empty")
        self.assert_value_error(self.upsert([1, 2], [[1.0, 2.0], [3.0]]),
                                "vectors is not a rectangular array")

    def test_upsert_ids_match_rows(self):
        self.assert_value_error(self.upsert([1, 2], np.ones((3, 4))),
                                "ids has 2 ids", "vectors has 3 rows")

    def test_upsert_values_finite(self):
        values = np.ones((2, 3))
        values[1, 2] = np.nan
        self.assert_value_error(self.upsert([1, 2], values), "vectors[1][2] is nan")
        self.assert_value_error(self.upsert([1], [[1.0, np.inf]]), "vectors[0][1] is inf")

    def test_float64_overflow_rejected(self):
        # 1e39 is finite in float64 but beyond float32's max of about 3.4e38.
        self.assert_value_error(self.upsert([1], np.array([[1.0, 1e39]])),
                                "vectors[0][1] is inf as float32")

    def test_vectors_dtype(self):
        self.assert_type_error(self.upsert([1], [["a", "b"]]), "vectors must contain real numbers")
        self.assert_type_error(self.upsert([1], np.array([[1 + 2j]])), "complex")
        self.assert_type_error(self.upsert([1], np.array([[True, False]])), "bool")
        self.assert_type_error(self.upsert([1], "1,2"), "vectors must be numbers")

    def test_ids_values(self):
        vectors = np.ones((1, 2))
        self.assert_value_error(self.upsert([-1], vectors), "ids[0] is -1", str(2**64 - 1))
        self.assert_value_error(self.upsert([2**64], vectors), "ids[0] is 18446744073709551616")
        self.assert_value_error(self.upsert(np.array([[1]]), vectors), "ids must be 1-d")
        self.assert_type_error(self.upsert([1.5], vectors), "ids must contain integers", "float64")
        self.assert_type_error(self.upsert(["7"], vectors), "ids must contain integers")
        self.assert_type_error(self.upsert(7, vectors), "ids must be a list", "pass [id]")
        self.assert_type_error(self.upsert("7", vectors), "ids must be a list")
        self.assert_type_error(self.upsert([True], vectors), "ids must contain integers")

    def test_ids_of_other_calls(self):
        self.assert_value_error(lambda: self.client.delete("c", tenant="t", ids=[3, -2]),
                                "ids[1] is -2")
        self.assert_type_error(lambda: self.client.get("c", tenant="t", ids=[0.5]),
                               "ids must contain integers")
        self.assert_value_error(
            lambda: self.client.share("c", tenant="t", ids=[-1], with_tenants=["u"]),
            "ids[0] is -1")

    def test_batch_size(self):
        self.assert_value_error(self.upsert([1], [[1.0]], batch_size=0),
                                "batch_size is 0", "between 1 and")

    def test_search_vector_shape(self):
        self.assert_value_error(self.search([[1.0, 2.0], [3.0, 4.0]]),
                                "vector must be 1-d", "(2, 2)", "search_batch")
        self.assert_value_error(self.search([]), "vector is empty")
        self.assert_value_error(self.search([1.0, float("nan")]), "vector[1] is nan")

    def test_search_batch_shape(self):
        batch = lambda vectors: lambda: self.client.search_batch("c", tenant="t", vectors=vectors)
        self.assert_value_error(batch([1.0, 2.0]), "vectors must be 2-d", "(2,)")
        self.assert_value_error(batch(np.zeros((0, 4))), "vectors is empty", "(0, 4)")

    def test_search_params(self):
        self.assert_type_error(self.search([1.0], k=2.0), "k must be an integer", "float")
        self.assert_type_error(self.search([1.0], k=True), "k must be an integer", "bool")
        self.assert_value_error(self.search([1.0], k=2**31), "k is 2147483648")
        self.assert_value_error(self.search([1.0], budget=-1), "budget is -1", "between 0 and")
        self.assert_type_error(self.search([1.0], exact="yes"), "exact must be a bool")
        self.assert_type_error(self.search([1.0], prune_epsilon="0.5"),
                               "prune_epsilon must be a number", "str '0.5'")
        self.assert_type_error(self.search([1.0], prune_epsilon=False),
                               "prune_epsilon must be a number", "bool")

    def test_names(self):
        self.assert_type_error(lambda: self.client.create_collection(5, dim=3),
                               "name must be a str", "int 5")
        self.assert_type_error(lambda: self.client.count("c", tenant=None),
                               "tenant must be a str", "NoneType")
        self.assert_type_error(
            lambda: self.client.share("c", tenant="t", ids=[1], with_tenants=["u", 3]),
            "with_tenants[1] must be a str")

    def test_create_collection_arguments(self):
        self.assert_value_error(lambda: self.client.create_collection("c", dim=3, metric="L2"),
                                "metric is 'L2'", "l2, ip, cosine")
        self.assert_value_error(lambda: self.client.create_collection("c", dim=-3),
                                "dim is -3")
        self.assert_type_error(lambda: self.client.create_collection("c", dim=3, index=[16]),
                               "index must be arbor.IndexSettings or a dict")
        self.assert_type_error(
            lambda: self.client.create_collection("c", dim=3, index={"branches": 4}),
            "branches")

    def test_page_arguments(self):
        self.assert_value_error(lambda: self.client.list("c", tenant="t", page_size=-1),
                                "page_size is -1")
        self.assert_type_error(lambda: self.client.list("c", tenant="t", page_token=None),
                               "page_token must be a str")

    def test_timeouts(self):
        self.assert_value_error(self.search([1.0], timeout=0), "timeout is 0",
                                "positive number of seconds")
        self.assert_value_error(self.search([1.0], timeout=-1.5), "timeout is -1.5")
        self.assert_type_error(self.search([1.0], timeout="5"), "timeout must be a number")
        self.assert_value_error(lambda: arbor.Client("127.0.0.1:1", key="k", timeout=0),
                                "timeout is 0")


if __name__ == "__main__":
    unittest.main()

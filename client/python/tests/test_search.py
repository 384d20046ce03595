"""Search results against a real arbord, checked with a numpy brute-force top-k."""

import time
import unittest

import numpy as np

import arbor
from support import start_server, brute_force, unique_name

DIM = 16
METRICS = ("l2", "ip", "cosine")
TRAIN_TIMEOUT_SECONDS = 60


class SearchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls)
        cls.client = arbor.Client(cls.server.address, key=cls.server.admin_key)
        cls.addClassCleanup(cls.client.close)

    def setUp(self):
        self.rng = np.random.default_rng(11)

    def assert_hits_match(self, hits, expected):
        """Compare hits with brute_force's (owner, id, score) tuples, scores to float32 precision."""
        self.assertEqual([(hit.owner, hit.id) for hit in hits],
                         [(owner, id) for owner, id, _ in expected])
        np.testing.assert_allclose([hit.score for hit in hits],
                                   [score for _, _, score in expected], rtol=1e-4, atol=1e-4)

    def make_collection(self, metric, tenants, count, **options):
        """Create a collection where each tenant owns `count` random vectors with ids 0..count-1.

        Returns the collection name and a dict from tenant to its vectors.
        """
        name = unique_name(f"search-{metric}")
        self.client.create_collection(name, dim=DIM, metric=metric, **options)
        data = {}
        for tenant in tenants:
            self.client.create_tenant(name, tenant)
            data[tenant] = self.rng.standard_normal((count, DIM)).astype(np.float32)
            self.client.upsert(name, tenant=tenant, ids=np.arange(count), vectors=data[tenant])
        return name, data

    def test_matches_brute_force(self):
        for metric in METRICS:
            name, data = self.make_collection(metric, ["a", "b"], 300)
            refs = [("a", id) for id in range(300)]
            queries = self.rng.standard_normal((5, DIM))
            for query_index, query in enumerate(queries):
                for exact in (False, True):
                    with self.subTest(metric=metric, query=query_index, exact=exact):
                        hits = self.client.search(name, tenant="a", vector=query, k=10,
                                                  exact=exact)
                        self.assertTrue(all(isinstance(hit, arbor.Hit) for hit in hits))
                        self.assert_hits_match(hits, brute_force(data["a"], refs, query, 10,
                                                                 metric))

    def test_hit_type(self):
        name, data = self.make_collection("l2", ["a"], 5)
        hit = self.client.search(name, tenant="a", vector=data["a"][2], k=1)[0]
        self.assertEqual(hit, arbor.Hit(owner="a", id=2, score=0.0))
        self.assertEqual((hit.owner, hit.id, hit.score), ("a", 2, 0.0))
        self.assertIsInstance(hit.id, int)
        self.assertIsInstance(hit.score, float)
        with self.assertRaises(AttributeError):
            hit.score = 1.0

    def test_search_batch_matches_single(self):
        for metric in METRICS:
            name, data = self.make_collection(metric, ["a"], 200)
            queries = self.rng.standard_normal((7, DIM)).astype(np.float64)
            batch = self.client.search_batch(name, tenant="a", vectors=queries, k=5)
            with self.subTest(metric=metric):
                self.assertEqual(len(batch), 7)
                refs = [("a", id) for id in range(200)]
                for query, hits in zip(queries, batch):
                    self.assertEqual(hits, self.client.search(name, tenant="a", vector=query,
                                                              k=5))
                    self.assert_hits_match(hits, brute_force(data["a"], refs, query, 5, metric))

    def test_shared_vectors_in_results(self):
        name, data = self.make_collection("l2", ["a", "b"], 100)
        self.client.share(name, tenant="b", ids=[4, 50], with_tenants=["a"])
        vectors = np.concatenate([data["a"], data["b"][[4, 50]]])
        refs = [("a", id) for id in range(100)] + [("b", 4), ("b", 50)]

        for query in (data["b"][4], data["b"][50], self.rng.standard_normal(DIM)):
            hits = self.client.search(name, tenant="a", vector=query, k=8, exact=True)
            self.assert_hits_match(hits, brute_force(vectors, refs, query, 8, "l2"))
        self.assertEqual(self.client.search(name, tenant="a", vector=data["b"][50], k=1)[0],
                         arbor.Hit("b", 50, 0.0))

    def test_fewer_vectors_than_k(self):
        name, _ = self.make_collection("ip", ["a"], 3)
        self.client.create_tenant(name, "empty")
        self.assertEqual(len(self.client.search(name, tenant="a", vector=np.ones(DIM), k=10)), 3)
        self.assertEqual(self.client.search(name, tenant="empty", vector=np.ones(DIM), k=10), [])
        self.assertEqual(
            self.client.search_batch(name, tenant="empty", vectors=np.ones((2, DIM)), k=3),
            [[], []])

    def test_server_errors(self):
        name, _ = self.make_collection("cosine", ["a"], 3)
        search = lambda vector, **options: lambda: self.client.search(
            name, tenant="a", vector=vector, **options)
        cases = [
            (search(np.ones(DIM), k=0), "params.k is 0"),
            (search(np.ones(DIM), k=1025), "1024"),
            (search(np.ones(DIM), k=-1), "params.k is -1"),
            (search(np.ones(DIM + 1)), f"{DIM + 1} values"),
            (search(np.zeros(DIM)), "zero"),
            (search(np.ones(DIM), budget=1_000_001), "1000000"),
            (lambda: self.client.search_batch(name, tenant="a", vectors=np.ones((1025, DIM))),
             "1024"),
        ]
        for call, fragment in cases:
            with self.subTest(fragment=fragment):
                with self.assertRaises(arbor.ArborError) as raised:
                    call()
                self.assertEqual(raised.exception.code, "INVALID_ARGUMENT")
                self.assertIn(fragment, raised.exception.message)

    def make_trained_collection(self, count):
        """Creates an l2 collection of `count` vectors of tenant "a" and waits for its tree."""
        settings = arbor.IndexSettings(branching=4, max_leaf_size=16, split_threshold=8,
                                       train_threshold=400)
        name, data = self.make_collection("l2", ["a"], count, index=settings)
        self.wait_until_trained(name)
        return name, data

    def test_trained_index(self):
        """Search through a trained index: exact and full-budget results equal brute force."""
        count = 1200
        name, data = self.make_trained_collection(count)
        refs = [("a", id) for id in range(count)]
        tenant = self.client.list_tenants(name)[0]
        self.assertGreater(tenant.split_nodes, 0)

        for query in self.rng.standard_normal((5, DIM)):
            expected = brute_force(data["a"], refs, query, 10, "l2")
            self.assert_hits_match(
                self.client.search(name, tenant="a", vector=query, k=10, exact=True), expected)
            # A budget of every readable vector, without pruning, visits every shortlist.
            self.assert_hits_match(
                self.client.search(name, tenant="a", vector=query, k=10, budget=count,
                                   prune_epsilon=-1),
                expected)

            # With a small budget the hits may differ from the exact ones, but each score is
            # the true distance of its vector and they come best first.
            hits = self.client.search(name, tenant="a", vector=query, k=10, budget=20)
            self.assertEqual(len(hits), 10)
            scores = [hit.score for hit in hits]
            self.assertEqual(scores, sorted(scores))
            for hit in hits:
                true_score = float(((data["a"][hit.id] - query) ** 2).sum())
                self.assertAlmostEqual(hit.score, true_score, delta=1e-4 * max(1, true_score))

    def test_prune_epsilon(self):
        """Check that prune_epsilon reaches the index, and that turned off it returns exact hits."""
        count = 1200
        name, data = self.make_trained_collection(count)
        refs = [("a", id) for id in range(count)]
        queries = self.rng.standard_normal((30, DIM))
        exact = self.client.search_batch(name, tenant="a", vectors=queries, k=10, exact=True)

        unpruned = self.client.search_batch(name, tenant="a", vectors=queries, k=10,
                                            budget=count, prune_epsilon=-1)
        for query_index, query in enumerate(queries):
            with self.subTest(query=query_index):
                expected = brute_force(data["a"], refs, query, 10, "l2")
                self.assert_hits_match(exact[query_index], expected)
                self.assert_hits_match(unpruned[query_index], expected)
                self.assert_hits_match(
                    self.client.search(name, tenant="a", vector=query, k=10, budget=count,
                                       prune_epsilon=-1.0), expected)

        # The strictest pruning stops before the budget runs out, so some hits differ.
        strictest = self.client.search_batch(name, tenant="a", vectors=queries, k=10,
                                             budget=count, prune_epsilon=0)
        differing = [i for i in range(len(queries))
                     if [(hit.owner, hit.id) for hit in strictest[i]]
                     != [(hit.owner, hit.id) for hit in exact[i]]]
        self.assertGreater(len(differing), 0,
                           "prune_epsilon=0 returned the exact hits for every query")

    def test_prune_epsilon_rejected(self):
        name, _ = self.make_collection("l2", ["a"], 20)
        for value, printed in ((float("nan"), "nan"), (float("-inf"), "-inf"), (100.5, "100.5")):
            for batch in (False, True):
                with self.subTest(prune_epsilon=value, batch=batch):
                    with self.assertRaises(arbor.ArborError) as raised:
                        if batch:
                            self.client.search_batch(name, tenant="a", vectors=np.ones((2, DIM)),
                                                     prune_epsilon=value)
                        else:
                            self.client.search(name, tenant="a", vector=np.ones(DIM),
                                               prune_epsilon=value)
                    self.assertEqual(raised.exception.code, "INVALID_ARGUMENT")
                    self.assertIn(f"params.prune_epsilon is {printed}", raised.exception.message)
                    self.assertIn("at most 100", raised.exception.message)

    def wait_until_trained(self, name):
        deadline = time.monotonic() + TRAIN_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.client.describe_collection(name).index.trained:
                return
            time.sleep(0.1)
        self.fail(f"collection {name} was not trained within {TRAIN_TIMEOUT_SECONDS} s")


if __name__ == "__main__":
    unittest.main()

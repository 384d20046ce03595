"""Collections, tenants and keys against a real arbord."""

import dataclasses
import unittest

import numpy as np

import arbor
from support import start_server, unique_name


class AdminTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls)
        cls.client = arbor.Client(cls.server.address, key=cls.server.admin_key)
        cls.addClassCleanup(cls.client.close)

    def assert_arbor_error(self, call, code, *fragments):
        with self.assertRaises(arbor.ArborError) as raised:
            call()
        self.assertEqual(raised.exception.code, code, str(raised.exception))
        for fragment in fragments:
            self.assertIn(fragment, raised.exception.message)

    def new_collection(self, dim=4, metric="l2", **options):
        name = unique_name("coll")
        self.client.create_collection(name, dim=dim, metric=metric, **options)
        return name

    def test_create_collection_info(self):
        for metric in ("l2", "ip", "cosine"):
            with self.subTest(metric=metric):
                name = unique_name("coll")
                info = self.client.create_collection(name, dim=784, metric=metric)
                self.assertIsInstance(info, arbor.CollectionInfo)
                self.assertEqual(info.name, name)
                self.assertEqual(info.dimension, 784)
                self.assertEqual(info.metric, metric)
                self.assertEqual(info.vector_count, 0)
                self.assertEqual(info.tenant_count, 0)
                self.assertGreater(info.created_unix_ms, 0)
                self.assertFalse(info.index.trained)

    def test_collection_info_immutable(self):
        info = self.client.describe_collection(self.new_collection())
        with self.assertRaises(dataclasses.FrozenInstanceError):
            info.name = "other"

    def test_describe_counts(self):
        name = self.new_collection(dim=2)
        self.client.create_tenant(name, "a")
        self.client.create_tenant(name, "b")
        self.client.upsert(name, tenant="a", ids=[1, 2, 3], vectors=np.ones((3, 2)))
        info = self.client.describe_collection(name)
        self.assertEqual(info.vector_count, 3)
        self.assertEqual(info.tenant_count, 2)
        self.assertGreater(info.bytes, 0)

    def test_index_settings(self):
        settings = arbor.IndexSettings(branching=4, max_leaf_size=8, split_threshold=16,
                                       merge_threshold=3, train_threshold=500, retrain_growth=3,
                                       prune_epsilon=0.5)
        info = self.client.describe_collection(self.new_collection(index=settings))
        self.assertEqual(info.index.settings, settings)

        from_dict = self.client.describe_collection(
            self.new_collection(index={"branching": 8}))
        self.assertEqual(from_dict.index.settings.branching, 8)
        # Fields left at 0 take the server's defaults.
        self.assertEqual(from_dict.index.settings.max_leaf_size, 256)
        self.assertEqual(from_dict.index.settings.split_threshold, 128)
        self.assertEqual(from_dict.index.settings.prune_epsilon, 1.0)

    def test_prune_epsilon_setting(self):
        # 0 is a setting of its own, not the default, and negative values turn pruning off.
        for value in (0, -1.0, 100):
            with self.subTest(prune_epsilon=value):
                name = self.new_collection(index=arbor.IndexSettings(prune_epsilon=value))
                info = self.client.describe_collection(name)
                self.assertEqual(info.index.settings.prune_epsilon, value)
                self.assertIsInstance(info.index.settings.prune_epsilon, float)

    def test_prune_epsilon_setting_rejected(self):
        for value, printed in ((float("nan"), "nan"), (float("inf"), "inf"), (100.5, "100.5")):
            with self.subTest(prune_epsilon=value):
                name = unique_name("coll")
                self.assert_arbor_error(
                    lambda: self.client.create_collection(
                        name, dim=4, index=arbor.IndexSettings(prune_epsilon=value)),
                    "INVALID_ARGUMENT", f"index.prune_epsilon is {printed}", "at most 100")
                self.assertNotIn(name, [info.name for info in self.client.list_collections()])

    def test_index_settings_out_of_range(self):
        self.assert_arbor_error(
            lambda: self.client.create_collection(unique_name("coll"), dim=4,
                                                  index=arbor.IndexSettings(branching=1)),
            "INVALID_ARGUMENT", "branching", "1")

    def test_create_collection_errors(self):
        name = self.new_collection()
        self.assert_arbor_error(lambda: self.client.create_collection(name, dim=4),
                                "ALREADY_EXISTS", name)
        self.assert_arbor_error(lambda: self.client.create_collection("Docs", dim=4),
                                "INVALID_ARGUMENT", "Docs")
        self.assert_arbor_error(lambda: self.client.create_collection(unique_name("c"), dim=0),
                                "INVALID_ARGUMENT", "dimension", "0")
        self.assert_arbor_error(
            lambda: self.client.create_collection(unique_name("c"), dim=4097),
            "INVALID_ARGUMENT", "4097", "4096")

    def test_list_and_drop_collection(self):
        name = self.new_collection()
        self.assertIn(name, [info.name for info in self.client.list_collections()])

        self.assertIsNone(self.client.drop_collection(name))
        self.assertNotIn(name, [info.name for info in self.client.list_collections()])
        self.assert_arbor_error(lambda: self.client.describe_collection(name), "NOT_FOUND", name)
        self.assert_arbor_error(lambda: self.client.drop_collection(name), "NOT_FOUND", name)

    def test_tenant_lifecycle(self):
        name = self.new_collection(dim=2)
        info = self.client.create_tenant(name, "acme")
        self.assertIsInstance(info, arbor.TenantInfo)
        self.assertEqual((info.collection, info.name), (name, "acme"))
        self.assertEqual((info.owned_count, info.readable_count), (0, 0))

        self.client.upsert(name, tenant="acme", ids=[1], vectors=[[1.0, 2.0]])
        self.client.drop_tenant(name, "acme")
        self.assertEqual(self.client.list_tenants(name), [])
        self.assert_arbor_error(lambda: self.client.count(name, tenant="acme"),
                                "NOT_FOUND", "acme")

        # A tenant created again with the same name starts empty.
        self.client.create_tenant(name, "acme")
        self.assertEqual(self.client.count(name, tenant="acme"), 0)

    def test_tenant_errors(self):
        name = self.new_collection()
        self.client.create_tenant(name, "t")
        self.assert_arbor_error(lambda: self.client.create_tenant(name, "t"), "ALREADY_EXISTS",
                                "t")
        self.assert_arbor_error(lambda: self.client.create_tenant(unique_name("none"), "t"),
                                "NOT_FOUND")
        self.assert_arbor_error(lambda: self.client.create_tenant(name, "-bad"),
                                "INVALID_ARGUMENT", "-bad")
        self.assert_arbor_error(lambda: self.client.drop_tenant(name, "absent"), "NOT_FOUND",
                                "absent")

    def test_list_tenants_pages(self):
        name = self.new_collection()
        tenant_names = [f"tenant-{index}" for index in (4, 0, 3, 1, 2)]
        for tenant in tenant_names:
            self.client.create_tenant(name, tenant)
        self.client.upsert(name, tenant="tenant-3", ids=[7, 8], vectors=np.ones((2, 4)))

        # Two tenants per page: three requests, put together in name order.
        tenants = self.client.list_tenants(name, page_size=2)
        self.assertEqual([tenant.name for tenant in tenants], sorted(tenant_names))
        self.assertEqual(tenants[3].owned_count, 2)
        self.assertEqual(tenants[3].readable_count, 2)
        self.assertEqual(self.client.list_tenants(name), tenants)

    def test_list_tenants_page_size_limit(self):
        name = self.new_collection()
        self.assert_arbor_error(lambda: self.client.list_tenants(name, page_size=1001),
                                "INVALID_ARGUMENT", "1001", "1000")

    def test_keys(self):
        name = self.new_collection(dim=2)
        self.client.create_tenant(name, "a")
        self.client.create_tenant(name, "b")
        key_a = self.client.create_key(name, "a")
        key_b = self.client.create_key(name, "b")
        self.assertIsInstance(key_a, arbor.CreatedKey)
        self.assertTrue(key_a.key)
        self.assertNotEqual(key_a.key, key_b.key)
        self.assertNotIn(key_a.key, repr(key_a))
        self.assertIn(key_a.key_id, repr(key_a))

        listed = self.client.list_keys(name)
        self.assertEqual(sorted(key.key_id for key in listed),
                         sorted([key_a.key_id, key_b.key_id]))
        only_a = self.client.list_keys(name, "a")
        self.assertEqual([(key.key_id, key.collection, key.tenant) for key in only_a],
                         [(key_a.key_id, name, "a")])

        self.client.revoke_key(name, key_a.key_id)
        self.assertEqual([key.key_id for key in self.client.list_keys(name)], [key_b.key_id])
        self.assert_arbor_error(lambda: self.client.revoke_key(name, key_a.key_id), "NOT_FOUND")

    def test_tenant_key_scope(self):
        name = self.new_collection(dim=2)
        self.client.create_tenant(name, "a")
        self.client.create_tenant(name, "b")
        created = self.client.create_key(name, "a")

        with arbor.Client(self.server.address, key=created.key) as tenant_client:
            inserted = tenant_client.upsert(name, tenant="a", ids=[1], vectors=[[1.0, 0.0]])
            self.assertEqual(inserted, arbor.UpsertResult(inserted=1, updated=0))
            self.assertEqual(tenant_client.count(name, tenant="a"), 1)

            self.assert_arbor_error(lambda: tenant_client.count(name, tenant="b"),
                                    "PERMISSION_DENIED")
            self.assert_arbor_error(lambda: tenant_client.list_collections(),
                                    "PERMISSION_DENIED")

            self.client.revoke_key(name, created.key_id)
            self.assert_arbor_error(lambda: tenant_client.count(name, tenant="a"),
                                    "UNAUTHENTICATED")

    def test_drop_tenant_revokes_keys(self):
        name = self.new_collection(dim=2)
        self.client.create_tenant(name, "a")
        created = self.client.create_key(name, "a")
        self.client.drop_tenant(name, "a")
        self.assertEqual(self.client.list_keys(name), [])
        with arbor.Client(self.server.address, key=created.key) as tenant_client:
            self.assert_arbor_error(lambda: tenant_client.count(name, tenant="a"),
                                    "UNAUTHENTICATED")


if __name__ == "__main__":
    unittest.main()

"""Copies between numpy arrays and repeated float fields (arbor._wire), without a server."""

import struct
import unittest

import numpy as np

from arbor import _wire
from arbor.v1 import common_pb2, vector_pb2

# Values whose float32 bits must survive unchanged: signed zeros, the smallest subnormal,
# the max float32, and a value that is not exact in binary.
SPECIAL = np.array([0.0, -0.0, 1e-45, -3.4028235e38, 3.4028235e38, 0.1], dtype=np.float32)


class WireTest(unittest.TestCase):
    def test_merge_matches_assignment(self):
        rng = np.random.default_rng(3)
        for size in (1, 6, 784, 4096):
            with self.subTest(size=size):
                values = rng.standard_normal(size).astype(np.float32)
                merged = common_pb2.Vector(id=7)
                _wire.merge_floats(merged, "values", values)
                self.assertEqual(merged, common_pb2.Vector(id=7, values=values.tolist()))

    def test_merge_keeps_bits(self):
        query = vector_pb2.Query()
        _wire.merge_floats(query, "values", SPECIAL)
        self.assertEqual(struct.pack("<6f", *query.values), SPECIAL.tobytes())

    def test_read_matches_field(self):
        rng = np.random.default_rng(4)
        for size in (0, 1, 784, 4096):
            with self.subTest(size=size):
                values = rng.standard_normal(size).astype(np.float32)
                record = common_pb2.Record(owner="tenant", id=2**64 - 1, values=values.tolist(),
                                           shared_with=["b", "c"])
                read = _wire.read_floats(record, "values")
                self.assertEqual(read.dtype, np.float32)
                self.assertEqual(read.shape, (size,))
                np.testing.assert_array_equal(read, values)
                self.assertFalse(read.flags.writeable)

    def test_read_keeps_bits(self):
        record = common_pb2.Record(owner="a", id=1, values=SPECIAL.tolist())
        self.assertEqual(_wire.read_floats(record, "values").tobytes(), SPECIAL.tobytes())

    def test_read_unpacked_falls_back(self):
        record = common_pb2.Record(owner="a", id=3, values=[1.5, -2.0, 0.25])
        unpacked = UnpackedRecord(record)
        read = _wire.read_floats(unpacked, "values")
        np.testing.assert_array_equal(read, np.array([1.5, -2.0, 0.25], dtype=np.float32))
        self.assertFalse(read.flags.writeable)


class UnpackedRecord:
    """A Record whose serialized form has `values` unpacked: one fixed32 entry per value."""

    DESCRIPTOR = common_pb2.Record.DESCRIPTOR

    def __init__(self, record):
        self.values = record.values
        self.record = record

    def SerializeToString(self):
        without_values = common_pb2.Record(owner=self.record.owner, id=self.record.id)
        tag = bytes([3 << 3 | 5])  # field 3, wire type fixed32
        return without_values.SerializeToString() + b"".join(
            tag + struct.pack("<f", value) for value in self.values)


if __name__ == "__main__":
    unittest.main()

"""Fast filling of repeated float fields from numpy arrays.

Assigning a numpy row to a repeated float field converts one Python float at a time, about
3 seconds for 5,000 vectors of dimension 784 with Debian's protobuf 4.21 (C++ backend).
Encoding the row as a packed field and merging it with MergeFromString lets protobuf's C++
parser copy the values instead, about 30 times faster. Merging appends to a repeated field,
so the field must be empty before the merge.
"""

import numpy as np

# Wire type of length-delimited fields, which include packed repeated scalars.
_LENGTH_DELIMITED = 2


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low_bits = value & 0x7F
        value >>= 7
        if value:
            out.append(low_bits | 0x80)
        else:
            out.append(low_bits)
            return bytes(out)


def merge_floats(message, field_name: str, values: np.ndarray) -> None:
    """Append the 1-d float32 array `values` to the repeated float field `field_name`."""
    field_number = message.DESCRIPTOR.fields_by_name[field_name].number
    payload = np.ascontiguousarray(values, dtype="<f4").tobytes()
    message.MergeFromString(
        _varint(field_number << 3 | _LENGTH_DELIMITED) + _varint(len(payload)) + payload)

"""Fast copies between numpy arrays and repeated float fields of protobuf messages.

Reading or assigning a repeated float field converts one Python float at a time. These helpers
go through protobuf's wire format instead, where a packed float field is the raw
little-endian float32 values. One measurement, with Debian's protobuf 4.21 (C++ backend) on
5,000 vectors of dimension 784 and a 2-core machine busy with other builds: assigning took
2.5 s and merge_floats 0.18 s. Reading value by value took 3.9 s and read_floats 0.43 s.
"""

from typing import Tuple

import numpy as np

# Wire types of the protobuf encoding.
_VARINT = 0
_FIXED64 = 1
_LENGTH_DELIMITED = 2
_FIXED32 = 5


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low_bits = value & 0x7F
        value >>= 7
        if value:
            out.append(low_bits | 0x80)
        else:
            out.append(low_bits)
            return bytes(out)


def _decode_varint(data: bytes, position: int) -> Tuple[int, int]:
    """Return the varint at data[position:] and the position after it."""
    value = 0
    shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7


def merge_floats(message, field_name: str, values: np.ndarray) -> None:
    """Append the 1-d float32 array `values` to the repeated float field `field_name`.

    MergeFromString appends to repeated fields, so the field is normally empty before.
    """
    field_number = message.DESCRIPTOR.fields_by_name[field_name].number
    payload = np.ascontiguousarray(values, dtype="<f4").tobytes()
    message.MergeFromString(
        _encode_varint(field_number << 3 | _LENGTH_DELIMITED) + _encode_varint(len(payload))
        + payload)


def read_floats(message, field_name: str) -> np.ndarray:
    """Return the repeated float field `field_name` of `message` as a 1-d float32 array.

    The array is read-only, because it may share memory with the serialized message.
    """
    field = getattr(message, field_name)
    field_number = message.DESCRIPTOR.fields_by_name[field_name].number
    data = message.SerializeToString()
    chunks = []
    position = 0
    while position < len(data):
        tag, position = _decode_varint(data, position)
        number, wire_type = tag >> 3, tag & 7
        if wire_type == _VARINT:
            _, position = _decode_varint(data, position)
        elif wire_type == _FIXED64:
            position += 8
        elif wire_type == _FIXED32:
            position += 4
        elif wire_type == _LENGTH_DELIMITED:
            length, position = _decode_varint(data, position)
            if number == field_number:
                chunks.append(data[position:position + length])
            position += length
        else:
            break

    values = np.frombuffer(b"".join(chunks), dtype="<f4").astype(np.float32, copy=False)
    if values.size != len(field):
        # The field was not written as packed chunks, so copy it value by value. Protobuf
        # writes proto3 repeated floats packed, so this is only a fallback.
        values = np.array(field, dtype=np.float32)
        values.flags.writeable = False
    return values

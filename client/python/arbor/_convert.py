"""Checks and conversions of the arguments of arbor.Client calls.

Each check runs before anything is sent. A wrong type raises TypeError and a wrong shape or
value raises ValueError, with a message that names the argument, the value and what is
expected. Limits that the server enforces (k up to 1024, batch sizes, the collection's
dimension) are left to the server, whose status names them.
"""

from __future__ import annotations

import math
import operator
from typing import Any, Iterable, List, Optional

import numpy as np

UINT64_MAX = 2**64 - 1
UINT32_MAX = 2**32 - 1
INT32_MAX = 2**31 - 1


def check_name(argument: str, value: Any) -> str:
    """Return a collection, tenant or key id name after checking that it is a str."""
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a str, got {type(value).__name__} {value!r}")
    return value


def check_names(argument: str, values: Any) -> List[str]:
    """Return tenant names as a list. A single str is taken as a list of one name."""
    if isinstance(values, str):
        return [values]
    if not isinstance(values, Iterable):
        raise TypeError(
            f"{argument} must be a str or a list of str, got {type(values).__name__} {values!r}")
    names = list(values)
    for position, name in enumerate(names):
        check_name(f"{argument}[{position}]", name)
    return names


def check_int(argument: str, value: Any, minimum: int, maximum: int) -> int:
    """Return `value` as an int after checking that it is an integer in [minimum, maximum]."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{argument} must be an integer, got bool {value!r}")
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(
            f"{argument} must be an integer, got {type(value).__name__} {value!r}") from None
    if not minimum <= number <= maximum:
        raise ValueError(f"{argument} is {number}; it must be between {minimum} and {maximum}")
    return number


def check_timeout(argument: str, value: Any) -> float:
    """Return a timeout in seconds after checking that it is a positive finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"{argument} must be a number of seconds, got {type(value).__name__} {value!r}")
    seconds = float(value)
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"{argument} is {value!r}; it must be a positive number of seconds")
    return seconds


def to_ids(argument: str, ids: Any) -> List[int]:
    """Return vector ids as a list of int, each between 0 and 2**64 - 1 (the API's uint64).

    Accepts a sequence of integers or a 1-d integer numpy array.
    """
    if isinstance(ids, (str, bytes)) or not hasattr(ids, "__len__"):
        raise TypeError(
            f"{argument} must be a list or 1-d array of integer ids, got "
            f"{type(ids).__name__} {ids!r}; pass [id] for one id")
    array = np.asarray(ids, dtype=object if _has_big_ints(ids) else None)
    if array.ndim != 1:
        raise ValueError(f"{argument} must be 1-d, got shape {array.shape}")
    if array.size == 0:
        return []

    if array.dtype.kind == "u":
        return array.tolist()
    if array.dtype.kind == "i":
        negative = np.flatnonzero(array < 0)
        if negative.size:
            position = int(negative[0])
            raise ValueError(
                f"{argument}[{position}] is {array[position]}; ids must be between 0 and "
                f"{UINT64_MAX}")
        return array.tolist()
    if array.dtype.kind == "O":
        return [check_int(f"{argument}[{position}]", value, 0, UINT64_MAX)
                for position, value in enumerate(array.tolist())]
    raise TypeError(f"{argument} must contain integers, got dtype {array.dtype}")


def _has_big_ints(ids: Any) -> bool:
    """Tell whether a list contains Python ints above int64, for which numpy infers no dtype."""
    if isinstance(ids, np.ndarray):
        return False
    return any(isinstance(value, int) and value > 2**63 - 1 for value in ids)


def to_matrix(argument: str, vectors: Any) -> np.ndarray:
    """Return vectors as a 2-d float32 array with one row per vector, all values finite."""
    array = _to_float32(argument, vectors)
    if array.size == 0 and array.ndim <= 2:
        raise ValueError(f"{argument} is empty, got shape {array.shape}; pass at least one vector")
    if array.ndim != 2:
        hint = ""
        if array.ndim == 1:
            hint = "; for one vector pass [vector] or vector.reshape(1, -1)"
        raise ValueError(
            f"{argument} must be 2-d with one row per vector, got shape {array.shape}{hint}")
    _check_finite(argument, array)
    return array


def to_vector(argument: str, vector: Any) -> np.ndarray:
    """Return one vector as a 1-d float32 array of finite values."""
    array = _to_float32(argument, vector)
    if array.ndim != 1:
        hint = "; use search_batch for several queries" if array.ndim == 2 else ""
        raise ValueError(f"{argument} must be 1-d, got shape {array.shape}{hint}")
    if array.size == 0:
        raise ValueError(f"{argument} is empty; it must have the collection's dimension")
    _check_finite(argument, array)
    return array


def _to_float32(argument: str, value: Any) -> np.ndarray:
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{argument} must be numbers, got {type(value).__name__} {value!r}")
    try:
        array = np.asarray(value)
    except ValueError as error:
        # numpy raises ValueError for ragged nested lists.
        raise ValueError(f"{argument} is not a rectangular array of numbers: {error}") from None
    if array.dtype.kind not in "fiu":
        raise TypeError(f"{argument} must contain real numbers, got dtype {array.dtype}")

    # Values beyond float32's range become infinity here, and _check_finite reports them.
    with np.errstate(over="ignore"):
        return np.ascontiguousarray(array, dtype=np.float32)


def _check_finite(argument: str, array: np.ndarray) -> None:
    finite = np.isfinite(array)
    if finite.all():
        return
    position = tuple(int(index) for index in np.argwhere(~finite)[0])
    where = "".join(f"[{index}]" for index in position)
    raise ValueError(
        f"{argument}{where} is {array[position]} as float32; values must be finite float32 "
        "numbers")


def optional_int(argument: str, value: Optional[Any], maximum: int) -> int:
    """Return 0 for None, else `value` checked to be in [0, maximum]."""
    if value is None:
        return 0
    return check_int(argument, value, 0, maximum)


def optional_float(argument: str, value: Optional[Any]) -> Optional[float]:
    """Return None for None, else `value` as a float after checking that it is a real number.

    The value's range is left to the server, so that NaN and infinity get its message too.
    """
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{argument} must be a number, got {type(value).__name__} {value!r}")
    return float(value)

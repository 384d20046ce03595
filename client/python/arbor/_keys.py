"""Find the server address and bearer key the way arborctl does."""

from __future__ import annotations

import os
from typing import Optional

DEFAULT_ADDRESS = "127.0.0.1:7400"

# Admin key file of an arbord started in the current directory with its default --data-dir.
DEFAULT_KEY_FILE = os.path.join("data", "admin.key")


def resolve_address(address: Optional[str]) -> str:
    """Return `address`, else $ARBOR_SERVER, else 127.0.0.1:7400."""
    if address:
        return address
    return os.environ.get("ARBOR_SERVER") or DEFAULT_ADDRESS


def resolve_key(key: Optional[str], key_file: Optional[str]) -> str:
    """Return the first key found, in arborctl's order, or "" when there is none.

    The order is `key`, `key_file`, $ARBOR_KEY, $ARBOR_KEY_FILE, then ./data/admin.key if it
    exists. An empty `key` or $ARBOR_KEY counts as unset. A key file that is named but cannot
    be read raises OSError, and one without a key line raises ValueError.
    """
    if key is not None and key_file is not None:
        raise ValueError("pass key or key_file, not both")
    if key:
        return key
    if key_file is not None:
        return read_key_file(key_file)

    env_key = os.environ.get("ARBOR_KEY")
    if env_key:
        return env_key
    env_key_file = os.environ.get("ARBOR_KEY_FILE")
    if env_key_file:
        return read_key_file(env_key_file)

    if os.path.exists(DEFAULT_KEY_FILE):
        return read_key_file(DEFAULT_KEY_FILE)
    return ""


def read_key_file(path: str) -> str:
    """Read a bearer key: the first line that is not blank and not a '#' comment, trimmed."""
    with open(path, encoding="utf-8") as file:
        for line in file:
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                return stripped
    raise ValueError(f"key file {path} has no key: every line is empty or a '#' comment")


def check_key(key: str) -> str:
    """Return `key` after checking that gRPC can send it in a header (printable ASCII)."""
    for position, character in enumerate(key):
        if not " " <= character <= "~":
            raise ValueError(
                f"key has character {character!r} at position {position}; keys may contain only "
                "printable ASCII")
    return key

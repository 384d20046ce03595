"""Immutable result and settings types returned and accepted by arbor.Client.

Every type is a NamedTuple or a frozen dataclass, built from the server's response messages
by the from_proto functions below, so callers never handle protobuf messages.
"""

from __future__ import annotations

import dataclasses
from typing import List, NamedTuple, Optional, Tuple

import numpy as np

from . import _wire
from .v1 import admin_pb2, common_pb2

# Metric names accepted by create_collection and shown in CollectionInfo, as arborctl spells them.
METRICS = {
    "l2": common_pb2.METRIC_L2,
    "ip": common_pb2.METRIC_IP,
    "cosine": common_pb2.METRIC_COSINE,
}
METRIC_NAMES = {value: name for name, value in METRICS.items()}


class Hit(NamedTuple):
    """One search result: the vector's key (owner, id) and its score.

    The score is the squared L2 distance for "l2" (smaller is better), and the inner product or
    cosine similarity for "ip" and "cosine" (larger is better).
    """

    owner: str
    id: int
    score: float


class VectorRef(NamedTuple):
    """The key of a stored vector: the tenant that owns it and its id."""

    owner: str
    id: int


class ListPage(NamedTuple):
    """One page of Client.list: keys sorted by (owner, id), and the token of the next page.

    next_page_token is empty on the last page.
    """

    refs: List[VectorRef]
    next_page_token: str


class UpsertResult(NamedTuple):
    """Counts of an upsert: ids that were new, and ids whose values were replaced."""

    inserted: int
    updated: int


@dataclasses.dataclass(frozen=True, eq=False)
class Record:
    """A vector as read back by Client.get.

    vector is a read-only 1-d float32 array with the values as written. shared_with lists the
    other tenants that may read the vector, and is filled only when the caller owns it.
    Records do not compare equal by value, because numpy arrays have no single truth value.
    """

    owner: str
    id: int
    vector: np.ndarray
    shared_with: Tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class IndexSettings:
    """Index settings of a collection. A field left at 0 takes the server's default.

    Defaults and ranges: branching 16 (2 to 256), max_leaf_size 256 (8 to
    100,000), split_threshold 128 (4 to 100,000), merge_threshold split_threshold / 4 (below
    split_threshold), train_threshold 10,000 vectors (at least 2), retrain_growth 4 (2 to 1,000).

    prune_epsilon sets query-aware pruning: a search stops at tree nodes more than
    1 + prune_epsilon times as far from the query as the first shortlist it scans. 0 prunes
    the most and a negative value turns pruning off. It must be finite and at most 100, and
    None (not 0) takes the server's default of 1.0. The server stores it as a float32, so
    describe_collection returns it rounded to float32.
    """

    branching: int = 0
    max_leaf_size: int = 0
    split_threshold: int = 0
    merge_threshold: int = 0
    train_threshold: int = 0
    retrain_growth: int = 0
    prune_epsilon: Optional[float] = None


@dataclasses.dataclass(frozen=True)
class IndexInfo:
    """State of a collection's index.

    trained is False until the collection first reaches train_threshold vectors and a tree is
    trained; until then every search is exact.
    """

    trained: bool
    tree_nodes: int
    tree_depth: int
    trained_unix_ms: int
    vectors_at_training: int
    memory_bytes: int
    settings: IndexSettings


@dataclasses.dataclass(frozen=True)
class CollectionInfo:
    """A collection: its fixed dimension and metric, its size and its index.

    bytes is the memory held by the vectors plus the approximate size of their records on disk.
    """

    name: str
    dimension: int
    metric: str
    vector_count: int
    tenant_count: int
    bytes: int
    created_unix_ms: int
    index: IndexInfo


@dataclasses.dataclass(frozen=True)
class TenantInfo:
    """A tenant of a collection, with its counts and the shape of its index sub-tree.

    owned_count counts the vectors the tenant owns, readable_count those it may read (its own
    plus those shared with it). max_depth is the depth of its deepest shortlist.
    """

    collection: str
    name: str
    owned_count: int
    readable_count: int
    created_unix_ms: int
    shortlists: int
    split_nodes: int
    max_depth: int


@dataclasses.dataclass(frozen=True)
class KeyInfo:
    """A tenant key as listed by Client.list_keys, without its secret."""

    key_id: str
    collection: str
    tenant: str
    created_unix_ms: int


@dataclasses.dataclass(frozen=True)
class CreatedKey:
    """A new tenant key. key is the secret bearer key, returned only once by create_key.

    repr() leaves the secret out, so that logging the object does not leak it.
    """

    key_id: str
    key: str = dataclasses.field(repr=False)


def index_settings_to_proto(settings: Optional[IndexSettings]) -> admin_pb2.IndexSettings:
    """Convert IndexSettings (None means every default) to its message."""
    if settings is None:
        return admin_pb2.IndexSettings()
    fields = dataclasses.asdict(settings)
    if fields["prune_epsilon"] is None:
        del fields["prune_epsilon"]  # unset, so that the server applies its default
    return admin_pb2.IndexSettings(**fields)


def index_settings_from_proto(message: admin_pb2.IndexSettings) -> IndexSettings:
    return IndexSettings(
        branching=message.branching,
        max_leaf_size=message.max_leaf_size,
        split_threshold=message.split_threshold,
        merge_threshold=message.merge_threshold,
        train_threshold=message.train_threshold,
        retrain_growth=message.retrain_growth,
        prune_epsilon=(message.prune_epsilon if message.HasField("prune_epsilon") else None),
    )


def collection_from_proto(message: admin_pb2.CollectionInfo) -> CollectionInfo:
    index = message.index
    return CollectionInfo(
        name=message.name,
        dimension=message.dimension,
        metric=METRIC_NAMES.get(message.metric, str(message.metric)),
        vector_count=message.vector_count,
        tenant_count=message.tenant_count,
        bytes=message.bytes,
        created_unix_ms=message.created_unix_ms,
        index=IndexInfo(
            trained=index.trained,
            tree_nodes=index.tree_nodes,
            tree_depth=index.tree_depth,
            trained_unix_ms=index.trained_unix_ms,
            vectors_at_training=index.vectors_at_training,
            memory_bytes=index.memory_bytes,
            settings=index_settings_from_proto(index.settings),
        ),
    )


def tenant_from_proto(message: admin_pb2.TenantInfo) -> TenantInfo:
    return TenantInfo(
        collection=message.collection,
        name=message.name,
        owned_count=message.owned_count,
        readable_count=message.readable_count,
        created_unix_ms=message.created_unix_ms,
        shortlists=message.shortlists,
        split_nodes=message.split_nodes,
        max_depth=message.max_depth,
    )


def key_from_proto(message: admin_pb2.KeyInfo) -> KeyInfo:
    return KeyInfo(
        key_id=message.key_id,
        collection=message.collection,
        tenant=message.tenant,
        created_unix_ms=message.created_unix_ms,
    )


def hits_from_proto(hits) -> List[Hit]:
    """Convert the repeated Hit field of a search response."""
    return [Hit(hit.owner, hit.id, hit.score) for hit in hits]


def record_from_proto(message: common_pb2.Record) -> Record:
    return Record(
        owner=message.owner,
        id=message.id,
        vector=_wire.read_floats(message, "values"),
        shared_with=tuple(message.shared_with),
    )

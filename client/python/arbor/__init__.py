"""Python client for Arbor, a multi-tenant vector database.

    import arbor

    with arbor.Client("127.0.0.1:7400", key_file="data/admin.key") as client:
        client.create_collection("docs", dim=3, metric="cosine")
        client.create_tenant("docs", "acme")
        client.upsert("docs", tenant="acme", ids=[1, 2], vectors=[[1, 0, 0], [0, 1, 0]])
        hits = client.search("docs", tenant="acme", vector=[1, 0.1, 0], k=1)

Every failed call raises ArborError, with .code (the gRPC code name) and .message.
"""

from .client import Client
from .errors import ArborError
from .types import (
    CollectionInfo,
    CreatedKey,
    Hit,
    IndexInfo,
    IndexSettings,
    KeyInfo,
    ListPage,
    Record,
    TenantInfo,
    UpsertResult,
    VectorRef,
)

__version__ = "0.1.0"

__all__ = [
    "ArborError",
    "Client",
    "CollectionInfo",
    "CreatedKey",
    "Hit",
    "IndexInfo",
    "IndexSettings",
    "KeyInfo",
    "ListPage",
    "Record",
    "TenantInfo",
    "UpsertResult",
    "VectorRef",
]

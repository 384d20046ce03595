"""arbor.Client: one connection to an arbord server, with a method per API call."""

from __future__ import annotations

from typing import Any, Iterator, List, Optional, Sequence, Union

import grpc
import numpy as np

from . import _convert, _keys, _wire
from ._health import health_pb2, health_pb2_grpc
from .errors import ArborError
from .types import (
    METRICS,
    CollectionInfo,
    CreatedKey,
    Hit,
    IndexSettings,
    KeyInfo,
    ListPage,
    Record,
    TenantInfo,
    UpsertResult,
    VectorRef,
    collection_from_proto,
    hits_from_proto,
    index_settings_to_proto,
    key_from_proto,
    record_from_proto,
    tenant_from_proto,
)
from .v1 import admin_pb2, admin_pb2_grpc, vector_pb2, vector_pb2_grpc

# The server's message limit in both directions. gRPC's default of 4 MiB is too small for a
# batch of 16,384 vectors of dimension 784 (about 51 MiB).
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024

DEFAULT_TIMEOUT_SECONDS = 60.0

# Sentinel for "use the client's timeout" in per-call arguments.
_DEFAULT = object()


class Client:
    """A connection to one arbord server.

    Admin calls (collections, tenants, keys) need the admin key. Vector calls name a collection
    and a tenant and act as that tenant; a tenant key may act only as its own tenant. Every
    failed call raises ArborError with the gRPC code name and the server's message. Bad
    arguments raise TypeError or ValueError before anything is sent.

    The channel connects on the first call, so an unreachable server shows up then, as
    ArborError UNAVAILABLE. A Client may be shared by threads, because its only mutable state
    is the gRPC channel, which is thread-safe. Use it as a context manager, or call close().
    """

    def __init__(
        self,
        address: Optional[str] = None,
        *,
        key: Optional[str] = None,
        key_file: Optional[str] = None,
        timeout: Optional[float] = DEFAULT_TIMEOUT_SECONDS,
        tls_ca: Optional[str] = None,
        tls_cert: Optional[str] = None,
        tls_key: Optional[str] = None,
        tls_server_name: Optional[str] = None,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ):
        """Create a channel to `address` (HOST:PORT).

        Args:
            address: the server. None uses $ARBOR_SERVER, else 127.0.0.1:7400.
            key: bearer key (admin or tenant key).
            key_file: file containing the key, read like arborctl's --key-file. Without key
                and key_file, the key comes from $ARBOR_KEY, $ARBOR_KEY_FILE, then
                ./data/admin.key if it exists. With none of them, calls send no key.
            timeout: default deadline of each call in seconds. None sets no deadline.
            tls_ca: PEM file of the root certificate that verifies the server. Without it the
                channel is plaintext.
            tls_cert, tls_key: PEM files of a client certificate and its private key, for
                servers that require mutual TLS. Pass both or neither. They need tls_ca.
            tls_server_name: name to verify the server's certificate against, when it differs
                from the host in `address` (for example a certificate for "localhost" on a
                server reached as 127.0.0.1).
            max_message_bytes: max size of a sent and of a received message.
        """
        self._address = _keys.resolve_address(address)
        self._key = _keys.check_key(_keys.resolve_key(key, key_file))
        self._timeout = None if timeout is None else _convert.check_timeout("timeout", timeout)
        max_bytes = _convert.check_int("max_message_bytes", max_message_bytes, 1, 2**31 - 1)

        options = [
            ("grpc.max_send_message_length", max_bytes),
            ("grpc.max_receive_message_length", max_bytes),
        ]
        credentials = _tls_credentials(tls_ca, tls_cert, tls_key)
        if credentials is None:
            if tls_server_name is not None:
                raise ValueError("tls_server_name needs tls_ca")
            self._channel = grpc.insecure_channel(self._address, options=options)
        else:
            if tls_server_name is not None:
                options.append(("grpc.ssl_target_name_override", tls_server_name))
            self._channel = grpc.secure_channel(self._address, credentials, options=options)

        self._admin = admin_pb2_grpc.AdminServiceStub(self._channel)
        self._vectors = vector_pb2_grpc.VectorServiceStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)
        self._closed = False

    @property
    def address(self) -> str:
        """The server address the channel connects to."""
        return self._address

    def close(self) -> None:
        """Close the channel. Calls made afterwards raise ValueError."""
        if not self._closed:
            self._closed = True
            self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"arbor.Client({self._address!r}, {state})"

    # Collections.

    def create_collection(
        self,
        name: str,
        dim: int,
        metric: str = "l2",
        *,
        index: Optional[IndexSettings] = None,
        timeout: Any = _DEFAULT,
    ) -> CollectionInfo:
        """Create a collection of vectors of dimension `dim` compared by `metric`.

        metric is "l2" (squared Euclidean distance), "ip" (inner product) or "cosine". Both
        are fixed for the collection's life. index overrides index settings, and None takes
        the server's defaults. Raises ArborError ALREADY_EXISTS when the name is taken.
        """
        request = admin_pb2.CreateCollectionRequest(
            name=_convert.check_name("name", name),
            dimension=_convert.check_int("dim", dim, 0, _convert.UINT32_MAX),
            metric=_metric_value(metric),
            index=index_settings_to_proto(_index_settings(index)),
        )
        response = self._call(self._admin.CreateCollection, request, timeout)
        return collection_from_proto(response)

    def drop_collection(self, name: str, *, timeout: Any = _DEFAULT) -> None:
        """Drop a collection with its tenants, keys and vectors."""
        request = admin_pb2.DropCollectionRequest(name=_convert.check_name("name", name))
        self._call(self._admin.DropCollection, request, timeout)

    def list_collections(self, *, timeout: Any = _DEFAULT) -> List[CollectionInfo]:
        response = self._call(self._admin.ListCollections, admin_pb2.ListCollectionsRequest(),
                              timeout)
        return [collection_from_proto(info) for info in response.collections]

    def describe_collection(self, name: str, *, timeout: Any = _DEFAULT) -> CollectionInfo:
        request = admin_pb2.DescribeCollectionRequest(name=_convert.check_name("name", name))
        return collection_from_proto(self._call(self._admin.DescribeCollection, request, timeout))

    # Tenants and keys.

    def create_tenant(self, collection: str, tenant: str, *,
                      timeout: Any = _DEFAULT) -> TenantInfo:
        request = admin_pb2.CreateTenantRequest(
            collection=_convert.check_name("collection", collection),
            tenant=_convert.check_name("tenant", tenant))
        return tenant_from_proto(self._call(self._admin.CreateTenant, request, timeout))

    def drop_tenant(self, collection: str, tenant: str, *, timeout: Any = _DEFAULT) -> None:
        """Drop a tenant: delete the vectors it owns, end its access to shared ones, revoke its
        keys."""
        request = admin_pb2.DropTenantRequest(
            collection=_convert.check_name("collection", collection),
            tenant=_convert.check_name("tenant", tenant))
        self._call(self._admin.DropTenant, request, timeout)

    def list_tenants(self, collection: str, *, page_size: Optional[int] = None,
                     timeout: Any = _DEFAULT) -> List[TenantInfo]:
        """Return every tenant of the collection, sorted by name.

        The tenants are fetched in pages of page_size (None uses the server's default of 100,
        the max is 1,000), and timeout applies to each page.
        """
        collection = _convert.check_name("collection", collection)
        size = _convert.optional_int("page_size", page_size, _convert.UINT32_MAX)
        tenants: List[TenantInfo] = []
        token = ""
        while True:
            request = admin_pb2.ListTenantsRequest(collection=collection, page_size=size,
                                                   page_token=token)
            response = self._call(self._admin.ListTenants, request, timeout)
            tenants.extend(tenant_from_proto(info) for info in response.tenants)
            token = response.next_page_token
            if not token:
                return tenants

    def create_key(self, collection: str, tenant: str, *, timeout: Any = _DEFAULT) -> CreatedKey:
        """Create a key that may act only as `tenant` of `collection`.

        The secret (CreatedKey.key) is returned only here: the server stores only its hash.
        """
        request = admin_pb2.CreateKeyRequest(
            collection=_convert.check_name("collection", collection),
            tenant=_convert.check_name("tenant", tenant))
        response = self._call(self._admin.CreateKey, request, timeout)
        return CreatedKey(key_id=response.key_id, key=response.key)

    def list_keys(self, collection: str, tenant: Optional[str] = None, *,
                  timeout: Any = _DEFAULT) -> List[KeyInfo]:
        """List the keys of one tenant, or of every tenant of the collection when tenant is
        None."""
        request = admin_pb2.ListKeysRequest(
            collection=_convert.check_name("collection", collection),
            tenant="" if tenant is None else _convert.check_name("tenant", tenant))
        response = self._call(self._admin.ListKeys, request, timeout)
        return [key_from_proto(info) for info in response.keys]

    def revoke_key(self, collection: str, key_id: str, *, timeout: Any = _DEFAULT) -> None:
        request = admin_pb2.RevokeKeyRequest(
            collection=_convert.check_name("collection", collection),
            key_id=_convert.check_name("key_id", key_id))
        self._call(self._admin.RevokeKey, request, timeout)

    # Vectors.

    def upsert(self, collection: str, *, tenant: str, ids: Sequence[int], vectors: Any,
               batch_size: Optional[int] = None, timeout: Any = _DEFAULT) -> UpsertResult:
        """Insert vectors owned by `tenant`, or replace the values of ids it already owns.

        ids are integers from 0 to 2**64 - 1. vectors is a 2-d array (or list of lists) with
        one row per id, converted to float32. Replaced vectors keep their shares.

        Without batch_size the call is one request, applied whole or not at all (at most
        16,384 vectors and 64 MiB). With batch_size the rows are sent in requests of that many
        rows, and timeout applies to each request. Each request is atomic, but a failed request
        leaves the earlier ones applied.
        """
        request_base = self._vector_request_fields(collection, tenant)
        id_list = _convert.to_ids("ids", ids)
        matrix = _convert.to_matrix("vectors", vectors)
        if len(id_list) != matrix.shape[0]:
            raise ValueError(
                f"ids has {len(id_list)} ids but vectors has {matrix.shape[0]} rows; pass one "
                "id per row")
        step = len(id_list)
        if batch_size is not None:
            step = _convert.check_int("batch_size", batch_size, 1, _convert.UINT32_MAX)

        inserted = updated = 0
        for start in range(0, len(id_list), step):
            request = vector_pb2.UpsertRequest(**request_base)
            for vector_id, row in zip(id_list[start:start + step], matrix[start:start + step]):
                _wire.merge_floats(request.vectors.add(id=vector_id), "values", row)
            response = self._call(self._vectors.Upsert, request, timeout)
            inserted += response.inserted_count
            updated += response.updated_count
        return UpsertResult(inserted=inserted, updated=updated)

    def delete(self, collection: str, *, tenant: str, ids: Sequence[int],
               timeout: Any = _DEFAULT) -> int:
        """Delete vectors `tenant` owns, for every reader, and return how many existed.

        Unknown ids are ignored."""
        request = vector_pb2.DeleteRequest(**self._vector_request_fields(collection, tenant),
                                           ids=_convert.to_ids("ids", ids))
        return self._call(self._vectors.Delete, request, timeout).deleted_count

    def get(self, collection: str, *, tenant: str, ids: Sequence[int],
            owner: Optional[str] = None, timeout: Any = _DEFAULT) -> List[Record]:
        """Read vectors by id, as Records whose .vector is a float32 numpy array.

        owner names the tenant that owns the ids, to read vectors it shared with `tenant`.
        None means `tenant` itself. Ids that `tenant` cannot read are left out, so the result
        may be shorter than ids.
        """
        request = vector_pb2.GetRequest(
            **self._vector_request_fields(collection, tenant),
            ids=_convert.to_ids("ids", ids),
            owner="" if owner is None else _convert.check_name("owner", owner))
        response = self._call(self._vectors.Get, request, timeout)
        return [record_from_proto(record) for record in response.records]

    def search(self, collection: str, *, tenant: str, vector: Any, k: int = 10,
               exact: bool = False, budget: Optional[int] = None,
               prune_epsilon: Optional[float] = None,
               timeout: Any = _DEFAULT) -> List[Hit]:
        """Return the k vectors nearest to `vector` among those `tenant` may read, best first.

        vector is 1-d (a list or array, converted to float32). exact=True scans every
        readable vector instead of using the index. budget is the number of candidates the
        index gathers before its exact scan, and None uses the server's default,
        max(2 * split_threshold, 16 * k, a tenth of the vectors the tenant can read).
        prune_epsilon replaces the collection's IndexSettings.prune_epsilon for this call. 0
        prunes the most, a negative value turns pruning off, and None keeps the collection's
        setting.
        """
        query = _convert.to_vector("vector", vector)
        request = vector_pb2.SearchRequest(**self._vector_request_fields(collection, tenant),
                                           params=_search_params(k, exact, budget,
                                                                 prune_epsilon))
        _wire.merge_floats(request, "query", query)
        return hits_from_proto(self._call(self._vectors.Search, request, timeout).hits)

    def search_batch(self, collection: str, *, tenant: str, vectors: Any, k: int = 10,
                     exact: bool = False, budget: Optional[int] = None,
                     prune_epsilon: Optional[float] = None,
                     timeout: Any = _DEFAULT) -> List[List[Hit]]:
        """Search with each row of the 2-d `vectors` (up to 1,024 rows) in one request.

        Returns one list of hits per row, in row order. The other arguments are as in search.
        """
        matrix = _convert.to_matrix("vectors", vectors)
        request = vector_pb2.SearchBatchRequest(**self._vector_request_fields(collection, tenant),
                                                params=_search_params(k, exact, budget,
                                                                      prune_epsilon))
        for row in matrix:
            _wire.merge_floats(request.queries.add(), "values", row)
        response = self._call(self._vectors.SearchBatch, request, timeout)
        return [hits_from_proto(result.hits) for result in response.results]

    def share(self, collection: str, *, tenant: str, ids: Sequence[int],
              with_tenants: Union[str, Sequence[str]], timeout: Any = _DEFAULT) -> int:
        """Let `with_tenants` read vectors that `tenant` owns. Returns the number of newly
        granted (id, tenant) pairs.

        Raises ArborError NOT_FOUND when an id is not owned by `tenant` or a tenant does not
        exist, and INVALID_ARGUMENT when with_tenants names `tenant` itself.
        """
        request = vector_pb2.ShareRequest(
            **self._vector_request_fields(collection, tenant),
            ids=_convert.to_ids("ids", ids),
            with_tenants=_convert.check_names("with_tenants", with_tenants))
        return self._call(self._vectors.Share, request, timeout).granted_count

    def unshare(self, collection: str, *, tenant: str, ids: Sequence[int],
                with_tenants: Union[str, Sequence[str]], timeout: Any = _DEFAULT) -> int:
        """Revoke what share granted. Returns the number of revoked (id, tenant) pairs."""
        request = vector_pb2.UnshareRequest(
            **self._vector_request_fields(collection, tenant),
            ids=_convert.to_ids("ids", ids),
            with_tenants=_convert.check_names("with_tenants", with_tenants))
        return self._call(self._vectors.Unshare, request, timeout).revoked_count

    def count(self, collection: str, *, tenant: str, timeout: Any = _DEFAULT) -> int:
        """Count the vectors `tenant` may read: its own plus those shared with it."""
        request = vector_pb2.CountRequest(**self._vector_request_fields(collection, tenant))
        return self._call(self._vectors.Count, request, timeout).count

    def list(self, collection: str, *, tenant: str, page_size: Optional[int] = None,
             page_token: str = "", timeout: Any = _DEFAULT) -> ListPage:
        """Return one page of the keys of the vectors `tenant` may read, sorted by (owner, id).

        Pass the returned next_page_token to get the next page. It is empty on the last page.
        page_size None uses the server's default of 1,000 (the max is 10,000).
        """
        request = vector_pb2.ListRequest(
            **self._vector_request_fields(collection, tenant),
            page_size=_convert.optional_int("page_size", page_size, _convert.UINT32_MAX),
            page_token=_convert.check_name("page_token", page_token))
        response = self._call(self._vectors.List, request, timeout)
        refs = [VectorRef(ref.owner, ref.id) for ref in response.vectors]
        return ListPage(refs=refs, next_page_token=response.next_page_token)

    def iter_refs(self, collection: str, *, tenant: str, page_size: Optional[int] = None,
                  timeout: Any = _DEFAULT) -> Iterator[VectorRef]:
        """Yield the key of every vector `tenant` may read, sorted by (owner, id).

        Pages are fetched as the iteration reaches them, and timeout applies to each page.
        """
        token = ""
        while True:
            page = self.list(collection, tenant=tenant, page_size=page_size, page_token=token,
                             timeout=timeout)
            yield from page.refs
            token = page.next_page_token
            if not token:
                return

    # Health.

    def health(self, *, timeout: Any = _DEFAULT) -> bool:
        """Return True when the server reports SERVING (grpc.health.v1, sent without a key).

        Raises ArborError when the server cannot be reached, e.g. UNAVAILABLE.
        """
        response = self._call(self._health.Check, health_pb2.HealthCheckRequest(service=""),
                              timeout, send_key=False)
        return response.status == health_pb2.HealthCheckResponse.SERVING

    # Helpers.

    def _vector_request_fields(self, collection: str, tenant: str) -> dict:
        return {
            "collection": _convert.check_name("collection", collection),
            "tenant": _convert.check_name("tenant", tenant),
        }

    def _call(self, method, request, timeout: Any, send_key: bool = True):
        """Run one unary call with the deadline and key, turning gRPC errors into ArborError."""
        if self._closed:
            raise ValueError("the client is closed; create a new arbor.Client")
        if timeout is _DEFAULT:
            seconds = self._timeout
        else:
            seconds = _convert.check_timeout("timeout", timeout)
        metadata = None
        if send_key and self._key:
            metadata = (("authorization", f"Bearer {self._key}"),)

        try:
            return method(request, timeout=seconds, metadata=metadata)
        except grpc.RpcError as error:
            raise ArborError.from_rpc_error(error) from None


def _tls_credentials(tls_ca: Optional[str], tls_cert: Optional[str],
                     tls_key: Optional[str]) -> Optional[grpc.ChannelCredentials]:
    """Return TLS credentials from PEM files, or None for a plaintext channel."""
    if tls_ca is None:
        if tls_cert is not None or tls_key is not None:
            raise ValueError(
                "tls_cert and tls_key need tls_ca, the root certificate that verifies the server")
        return None
    if (tls_cert is None) != (tls_key is None):
        raise ValueError("pass both tls_cert and tls_key for mutual TLS, or neither")

    return grpc.ssl_channel_credentials(
        root_certificates=_read_pem("tls_ca", tls_ca),
        private_key=None if tls_key is None else _read_pem("tls_key", tls_key),
        certificate_chain=None if tls_cert is None else _read_pem("tls_cert", tls_cert))


def _read_pem(argument: str, path: str) -> bytes:
    """Read a PEM file. OSError (such as FileNotFoundError) propagates with the path."""
    with open(path, "rb") as file:
        contents = file.read()
    if b"-----BEGIN " not in contents:
        raise ValueError(f"{argument} file {path} is not PEM: it has no '-----BEGIN' line")
    return contents


def _metric_value(metric: Any) -> int:
    if not isinstance(metric, str) or metric not in METRICS:
        raise ValueError(f"metric is {metric!r}; it must be one of {', '.join(METRICS)}")
    return METRICS[metric]


def _index_settings(index: Any) -> Optional[IndexSettings]:
    """Accept IndexSettings, a dict of its fields, or None."""
    if index is None or isinstance(index, IndexSettings):
        return index
    if isinstance(index, dict):
        return IndexSettings(**index)
    raise TypeError(f"index must be arbor.IndexSettings or a dict, got {type(index).__name__}")


def _search_params(k: Any, exact: Any, budget: Any,
                   prune_epsilon: Any) -> vector_pb2.SearchParams:
    # k is an int32 in the API so that a negative k reaches the server and gets its message.
    if not isinstance(exact, (bool, np.bool_)):
        raise TypeError(f"exact must be a bool, got {type(exact).__name__} {exact!r}")
    params = vector_pb2.SearchParams(
        k=_convert.check_int("k", k, -_convert.INT32_MAX - 1, _convert.INT32_MAX),
        exact=bool(exact),
        budget=_convert.optional_int("budget", budget, _convert.UINT32_MAX))
    epsilon = _convert.optional_float("prune_epsilon", prune_epsilon)
    if epsilon is not None:
        params.prune_epsilon = epsilon
    return params

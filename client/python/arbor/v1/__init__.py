"""Messages and stubs of the arbor.v1 gRPC API, generated from proto/arbor/v1 at build time.

- common_pb2: Metric, Vector, Record, Hit, VectorRef.
- admin_pb2, admin_pb2_grpc: AdminService (collections, tenants, keys).
- vector_pb2, vector_pb2_grpc: VectorService (vectors and search).

Most programs use arbor.Client instead of these modules.
"""

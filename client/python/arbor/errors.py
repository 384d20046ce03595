"""The exception raised for every failed call."""

import grpc


class ArborError(Exception):
    """A call that the server, or gRPC on the way to it, failed with a status.

    Attributes:
        code: name of the gRPC status code, such as "NOT_FOUND" or "UNAVAILABLE".
        message: the status message, usually the server's, naming the field, value and limit.
    """

    def __init__(self, code: str, message: str):
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError) -> "ArborError":
        """Convert the grpc.RpcError of a failed unary call."""
        code = error.code() if hasattr(error, "code") else None
        message = error.details() if hasattr(error, "details") else None
        name = code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"
        return cls(name, message if message is not None else str(error))

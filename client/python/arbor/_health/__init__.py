"""Messages and stub of grpc.health.v1, generated at build time from Debian's grpc-proto."""

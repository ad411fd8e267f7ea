"""Redis-backed stores shared by every API process: idempotency records and readiness."""

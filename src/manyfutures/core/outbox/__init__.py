"""The transactional outbox: effects that leave the process, written with the change they
report and delivered afterwards, at least once (docs/adr/0007-cross-tenant-functions.md)."""

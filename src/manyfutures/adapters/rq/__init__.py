"""RQ on Redis: how claimed work reaches the worker processes (ADR 0012)."""

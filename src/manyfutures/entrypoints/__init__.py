"""Entrypoints: the HTTP API, the worker/scheduler processes and the CLI.

Each parses input, calls one use case and maps domain errors to its transport.
"""

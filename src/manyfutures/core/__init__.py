"""The pure domain: rules, state machines, ports and use cases.

Only the standard library may be imported here (enforced by import-linter and
``tests/unit/test_architecture.py``), so every rule can be tested without servers
and every adapter can be swapped without touching business logic.
"""

"""The parts the composition root (``manyfutures.container``) assembles: one container per
capability, one for the adapters they share, one for the HTTP edge.

Outside ``core/`` because the core imports no framework and choosing adapters is not a
domain rule. Each capability container builds only its own use cases and names what it
needs from elsewhere as ``DependenciesContainer``/``Dependency`` providers, which
``container.py`` fills in; so a capability's wiring is read and changed in its own module,
and a dependency nobody supplies fails the resolution test
(tests/unit/test_container.py) instead of a request. See ADR 0006.
"""

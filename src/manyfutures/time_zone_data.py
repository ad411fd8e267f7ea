"""Time-zone rules from one source: the pinned ``tzdata`` package, never the OS files.

``zoneinfo`` looks a zone up in the directories on its search path (``TZPATH``: the
operating system's zone files, or ``PYTHONTZPATH``) before it falls back to the
``tzdata`` package. Two machines with different OS data would then put the same
delivery at different instants: the reference machine's OS files (2025b) and the
package (2026f) disagree about Africa/Casablanca's clock changes in 2026-2028.

Emptying the search path leaves the package as the only source. The package root
does it on import, which every process goes through before it can read a zone: the
CLI (``run``, ``serve`` and the gunicorn workers it forks), and any later worker
that imports a job function by its dotted path. Zones are cached by name, so any
built before the switch are dropped with it.
"""

from __future__ import annotations

import zoneinfo

import tzdata


def use_packaged_tzdata() -> str:
    """Make the ``tzdata`` package the only source of zone rules; its IANA version."""
    zoneinfo.reset_tzpath(to=[])
    zoneinfo.ZoneInfo.clear_cache()
    version: str = tzdata.IANA_VERSION
    return version

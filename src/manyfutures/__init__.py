"""Many Futures backend.

Importing the package settles where time-zone rules come from (the pinned ``tzdata``
package, never the OS files: see ``time_zone_data``), so no process can read a zone
before that is decided.
"""

from manyfutures.time_zone_data import use_packaged_tzdata

TZDATA_VERSION = use_packaged_tzdata()

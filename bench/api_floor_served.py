"""The floor app (bench/api_floor_app.py) behind ``manyfutures serve``'s own server.

bench/api_floor_app.py runs the floor on gunicorn and stays the fixed reference; this
serves the same app through ``server.serve``, so with ``MANYFUTURES_WEB_SERVER=granian``
it is the floor on the server the service runs on, options and all.

Run by the bench as ``python bench/api_floor_served.py --port P --workers W --threads T``
with the service's ``MANYFUTURES_*`` environment.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace

from api_floor_app import create_app

from manyfutures.entrypoints.http.server import serve
from manyfutures.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    settings = replace(
        Settings.from_env(os.environ),
        host="127.0.0.1",
        port=args.port,
        web_workers=args.workers,
        web_threads=args.threads,
    )
    settings.validate()
    serve(settings, create_app)


if __name__ == "__main__":
    main()

"""``manyfutures outbox …``: the outbox of outgoing email, for operators.

``dead`` lists what will never be delivered (as the app role, through the service's own
function); ``redrive`` gives dead messages back to the dispatcher after a mail outage,
as the owner through the operators' function (ADR 0007).
"""

from __future__ import annotations

import argparse
import json
import sys

from manyfutures.entrypoints.cli.command import Subcommands
from manyfutures.settings import Settings

# As in adapters/postgres/operations/redrive.py, so that `--help` need not import it.
MAX_REDRIVE = 10_000


def register(commands: Subcommands) -> None:
    parser = commands.add_parser("outbox", help="the outbox of outgoing email, for operators")
    outbox_commands = parser.add_subparsers(dest="outbox_command", required=True)
    dead = outbox_commands.add_parser(
        "dead", help="messages that will never be delivered, newest first, one JSON line each"
    )
    dead.add_argument("--limit", type=int, default=50, help="default: 50, at most 500")
    dead.add_argument("--after", help="continue after this message id (the last one shown)")
    dead.set_defaults(handler=_dead)
    redrive = outbox_commands.add_parser(
        "redrive",
        help="dead messages back to pending, due now, attempts afresh; one JSON line each",
        description="Name the messages (ids from `outbox dead`), or --org ORG, or --all. "
        "Runs as the owner (MANYFUTURES_DATABASE_URL). Fix the mail server first: a message "
        "refused again dies again after MANYFUTURES_OUTBOX_MAX_ATTEMPTS attempts.",
    )
    chosen = redrive.add_mutually_exclusive_group(required=True)
    chosen.add_argument("ids", nargs="*", default=[], metavar="ID", help="these messages")
    chosen.add_argument("--org", help="this organization's dead messages")
    chosen.add_argument("--all", action="store_true", help="every organization's dead messages")
    redrive.add_argument(
        "--limit",
        type=int,
        default=1000,
        help=f"newest dead first (default 1000, at most {MAX_REDRIVE})",
    )
    redrive.set_defaults(handler=_redrive)


def _dead(args: argparse.Namespace, settings: Settings) -> int:
    """What operators look at after a mail outage, across organizations."""
    from manyfutures.container import build_container
    from manyfutures.core.shared.errors import ValidationError

    try:
        messages = build_container(settings).outbox.list_dead_messages()(args.limit, args.after)
    except ValidationError as error:
        print(f"outbox dead: {error.message}", file=sys.stderr)
        return 2
    for message in messages:
        print(
            json.dumps(
                {
                    "id": message.id,
                    "organizationId": message.organization_id,
                    "recipient": message.recipient,
                    "subject": message.subject,
                    "attempts": message.attempts,
                    "lastError": message.last_error,
                    "createdAt": message.created_at.isoformat(),
                    "deadAt": message.dead_at.isoformat() if message.dead_at else None,
                }
            )
        )
    return 0


def _redrive(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import UTC, datetime

    from manyfutures.adapters.postgres.operations.redrive import redrive_dead_messages
    from manyfutures.entrypoints.cli.db.connect import owner_connection, reporting_failures

    if not 1 <= args.limit <= MAX_REDRIVE:
        print(f"outbox redrive: --limit must be between 1 and {MAX_REDRIVE}", file=sys.stderr)
        return 2

    def run() -> int:
        with owner_connection(settings) as connection:
            redriven = redrive_dead_messages(
                connection,
                datetime.now(UTC),
                ids=args.ids or None,
                organization=args.org,
                limit=args.limit,
            )
        for message in redriven:
            print(json.dumps({"id": message.id, "organizationId": message.organization_id}))
        print(f"outbox redrive: {len(redriven)} dead messages pending again", file=sys.stderr)
        return 0

    return reporting_failures("outbox redrive", run)

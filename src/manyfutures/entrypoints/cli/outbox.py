"""``manyfutures outbox …``: the outbox of outgoing email, for operators."""

from __future__ import annotations

import argparse
import json
import sys

from manyfutures.entrypoints.cli.command import Subcommands
from manyfutures.settings import Settings


def register(commands: Subcommands) -> None:
    parser = commands.add_parser("outbox", help="the outbox of outgoing email, for operators")
    outbox_commands = parser.add_subparsers(dest="outbox_command", required=True)
    dead = outbox_commands.add_parser(
        "dead", help="messages that will never be delivered, newest first, one JSON line each"
    )
    dead.add_argument("--limit", type=int, default=50, help="default: 50, at most 500")
    dead.add_argument("--after", help="continue after this message id (the last one shown)")
    dead.set_defaults(handler=_dead)


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

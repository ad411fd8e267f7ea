"""``manyfutures episodes …``: generations that went wrong, for operators (docs/runbook.md).

``stuck`` lists episodes in GENERATING for longer than a while, across organizations,
as the owner through the operators' function (ADR 0007); ``retry-failed`` retries one
organization's FAILED episodes through its own unit of work, as the app role. Both
print one JSON line per episode.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta

from manyfutures.entrypoints.cli.command import Subcommands
from manyfutures.settings import Settings

# As in adapters/postgres/operations/stuck.py and core/generation/retry_failed.py,
# repeated so that `manyfutures --help` need not import them.
MAX_STUCK = 1000
MAX_RETRIED = 1000


def register(commands: Subcommands) -> None:
    parser = commands.add_parser("episodes", help="generations that went wrong, for operators")
    episode_commands = parser.add_subparsers(dest="episodes_command", required=True)
    stuck = episode_commands.add_parser(
        "stuck",
        help="episodes in GENERATING for longer than --minutes, oldest first, one JSON line each",
        description="Every organization's (or --org's), as the owner (MANYFUTURES_DATABASE_URL). "
        "A run past its deadline still listed means no scheduler is failing it.",
    )
    stuck.add_argument(
        "--minutes", type=float, default=15.0, help="running for at least this long (default 15)"
    )
    stuck.add_argument("--org", help="only this organization's")
    stuck.add_argument("--limit", type=int, default=50, help=f"default: 50, at most {MAX_STUCK}")
    stuck.set_defaults(handler=_stuck)
    retry = episode_commands.add_parser(
        "retry-failed",
        help="retry an organization's FAILED episodes as its readers' retry would",
        description="Each FAILED episode of the organization's active projects goes back to "
        "DRAFT with a new slot due now; refused while its daily cost breaker is open.",
    )
    retry.add_argument("organization", metavar="ORG", help="the organization's id (org_…)")
    retry.add_argument(
        "--since", type=_moment, help="only those failed at or after this ISO 8601 moment"
    )
    retry.add_argument(
        "--limit", type=int, default=100, help=f"default: 100, at most {MAX_RETRIED}"
    )
    retry.add_argument("--dry-run", action="store_true", help="list them, change nothing")
    retry.set_defaults(handler=_retry_failed)


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 moment: {value!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _stuck(args: argparse.Namespace, settings: Settings) -> int:
    from manyfutures.adapters.postgres.operations.stuck import stuck_generations
    from manyfutures.entrypoints.cli.db.connect import owner_connection, reporting_failures

    if not 1 <= args.limit <= MAX_STUCK or args.minutes < 0:
        print(
            f"episodes stuck: --limit must be between 1 and {MAX_STUCK}, --minutes 0 or more",
            file=sys.stderr,
        )
        return 2

    def run() -> int:
        now = datetime.now(UTC)
        with owner_connection(settings) as connection:
            found = stuck_generations(
                connection, now - timedelta(minutes=args.minutes), args.org, args.limit
            )
        for episode in found:
            print(
                json.dumps(
                    {
                        "organizationId": episode.organization_id,
                        "projectId": episode.project_id,
                        "episodeId": episode.episode_id,
                        "runId": episode.run_id,
                        "attempt": episode.attempt,
                        "stage": episode.stage,
                        "percent": episode.percent,
                        "startedAt": episode.started_at.isoformat(),
                        "ageSeconds": round((now - episode.started_at).total_seconds()),
                        "deadline": episode.deadline.isoformat() if episode.deadline else None,
                        "pastDeadline": episode.deadline is not None and episode.deadline < now,
                        "queueItemId": episode.queue_item_id,
                        "itemStatus": episode.item_status,
                    }
                )
            )
        return 0

    return reporting_failures("episodes stuck", run)


def _retry_failed(args: argparse.Namespace, settings: Settings) -> int:
    from manyfutures.container import build_container
    from manyfutures.core.costs.budget import DailyCostLimitReachedError
    from manyfutures.core.generation.retry_failed import RetryFailedEpisodesCommand
    from manyfutures.core.shared.errors import NotFoundError, ValidationError

    command = RetryFailedEpisodesCommand(args.organization, args.limit, args.since, args.dry_run)
    try:
        retried = build_container(settings).generation.retry_failed_episodes()(command)
    except ValidationError as error:
        problems = [message for messages in error.field_errors.values() for message in messages]
        print(f"episodes retry-failed: {'; '.join(problems) or error.message}", file=sys.stderr)
        return 2
    except (NotFoundError, DailyCostLimitReachedError) as error:
        print(f"episodes retry-failed: {error}", file=sys.stderr)
        return 1
    for episode in retried:
        print(
            json.dumps(
                {
                    "episodeId": episode.episode_id,
                    "projectId": episode.project_id,
                    "failedAt": episode.failed_at.isoformat(),
                    "lastError": episode.last_error,
                    "retried": not args.dry_run,
                }
            )
        )
    return 0

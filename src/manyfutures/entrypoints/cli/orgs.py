"""``manyfutures orgs …``: organizations, for operators (their plans)."""

from __future__ import annotations

import argparse
import json
import sys

from manyfutures.entrypoints.cli.command import Subcommands
from manyfutures.settings import Settings


def register(commands: Subcommands) -> None:
    parser = commands.add_parser("orgs", help="organizations, for operators")
    orgs_commands = parser.add_subparsers(dest="orgs_command", required=True)
    set_plan = orgs_commands.add_parser(
        "set-plan",
        help="set an organization's plan; prints the plan in force as one JSON line",
        description="Values not given keep the stored ones. A daily cost limit above the "
        "resulting ceiling comes down to it. Audited as the operator's change.",
    )
    set_plan.add_argument("organization", metavar="ORG", help="the organization's id (org_…)")
    set_plan.add_argument(
        "--max-active-projects", type=int, metavar="N", help="projects that may be active at once"
    )
    set_plan.add_argument(
        "--daily-limit-ceiling-gbp",
        metavar="X",
        help="the highest daily cost limit its admins may set, e.g. 1000.00",
    )
    set_plan.add_argument(
        "--default",
        action="store_true",
        dest="to_defaults",
        help="back to the operator's defaults (MANYFUTURES_DEFAULT_…) for what is not given",
    )
    set_plan.set_defaults(handler=_set_plan)


def _set_plan(args: argparse.Namespace, settings: Settings) -> int:
    from manyfutures.container import build_container
    from manyfutures.core.identity.set_plan import SetPlanCommand
    from manyfutures.core.shared.errors import NotFoundError, ValidationError

    command = SetPlanCommand(
        args.organization,
        max_active_projects=args.max_active_projects,
        daily_limit_ceiling_gbp=args.daily_limit_ceiling_gbp,
        to_defaults=args.to_defaults,
    )
    try:
        result = build_container(settings).identity.set_plan()(command)
    except ValidationError as error:
        problems = [message for messages in error.field_errors.values() for message in messages]
        print(f"orgs set-plan: {'; '.join(problems) or error.message}", file=sys.stderr)
        return 2
    except NotFoundError as error:
        print(f"orgs set-plan: {error}", file=sys.stderr)
        return 1
    print(
        json.dumps(
            {
                "organizationId": result.organization_id,
                "maxActiveProjects": result.plan.max_active_projects,
                "dailyLimitCeilingGbp": str(result.plan.daily_limit_ceiling_gbp),
                "dailyCostLimitGbp": result.daily_cost_limit_gbp,
                "overrides": result.overrides.snapshot(),
                "changed": result.changed,
            }
        )
    )
    return 0

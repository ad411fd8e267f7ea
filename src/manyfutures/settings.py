"""Configuration from ``MANYFUTURES_*`` environment variables, validated up front.

A typo in a setting fails at start-up with a message naming the variable, not
as a confusing error on the first request.
"""

from __future__ import annotations

import math
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from limits import parse_many

from manyfutures.core.costs.prices import DEFAULT_MODEL_PRICES_GBP, PriceTable
from manyfutures.core.identity.plans import Plan
from manyfutures.core.shared.errors import ValidationError

PREFIX = "MANYFUTURES_"
CHOICES: dict[str, tuple[str, ...]] = {
    "storage": ("memory", "postgres"),
    "auth": ("dev", "clerk"),
    "generator": ("simulated", "n8n"),
    "email": ("console", "smtp"),
    "dispatcher": ("threads", "rq"),
    "assistant": ("local", "n8n"),
    "web_server": ("granian", "gunicorn"),
}


# MANYFUTURES_APP_URL when mail only goes to the console: `make run`'s own address.
DEV_APP_URL = "http://127.0.0.1:8000"
MIN_UNSUBSCRIBE_SECRET = 32
MIN_CONSOLE_SECRET = 32
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_FLAGS = dict.fromkeys(("1", "true", "yes", "on"), True) | dict.fromkeys(
    ("0", "false", "no", "off"), False
)


class SettingsError(ValueError):
    pass


def launch_day(value: str) -> date | None:
    """``MANYFUTURES_LAUNCH_DATE``: empty means not launched yet."""
    return date.fromisoformat(value) if value else None


# RFC 9110 token characters.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _env(name: str) -> dict[str, str]:
    """Field metadata for a variable read under a name other than ``MANYFUTURES_<FIELD>``.

    Clerk's own variable names are kept so its dashboard values paste in unchanged;
    n8n's settings keep the ``N8N_`` names the workflow's documentation uses.
    """
    return {"env": name}


@dataclass(frozen=True, slots=True)
class Settings:
    storage: str = "memory"
    auth: str = "dev"
    generator: str = "simulated"
    email: str = "console"
    dispatcher: str = "threads"
    # Who writes onboarding's and chat's replies: the deterministic local assistant, or
    # the n8n chat workflow (N8N_CHAT_WEBHOOK_URL). ADR 0017.
    assistant: str = "local"
    host: str = "127.0.0.1"
    port: int = 8000
    tick_seconds: float = 1.0
    # Items claimed per statement; a tick claims batches until one comes back short.
    scheduler_batch_size: int = 50
    # Jobs handed to the workers and not yet taken, beyond which a beat claims no more: a
    # claimed item's start lease runs while its job waits (core/scheduling/use_cases.py).
    scheduler_max_waiting_jobs: int = 500
    # An attempt's two clocks (core/scheduling/leases.py): from the claim until its job has
    # opened the run, then from there until the generator must have answered.
    start_lease_seconds: float = 60.0
    generation_deadline_seconds: float = 600.0
    # The simulated generator's pace: a report (research, writing, review, the episode)
    # every this many seconds, so the console shows each stage go by (0: all at once).
    simulated_stage_seconds: float = 2.0
    worker_threads: int = 2
    # Memories (core/feedback/memories.py): the launch day (YYYY-MM-DD) three calendar months
    # after which every project's memories move to the table (none: not launched yet), and
    # how often the scheduler evaluates the migration triggers of the projects on JSON.
    launch_date: str = ""
    memory_check_seconds: float = 86_400.0
    # The outbox dispatcher (docs/postgres.md#outbox): a batch every poll in `manyfutures run`.
    outbox_poll_seconds: float = 1.0
    outbox_batch_size: int = 10
    outbox_lease_seconds: float = 600.0
    outbox_max_attempts: int = 8
    # The first retry waits twice this, doubling up to an hour (core/outbox/use_cases.py).
    outbox_retry_base_seconds: float = 30.0
    # EMAIL=smtp: where mail goes (adapters/email/smtp_url.py). It holds the SMTP password,
    # so it is left out of the repr. FROM's domain is also the Message-ID's.
    smtp_url: str = field(default="", repr=False)
    smtp_from: str = ""
    smtp_timeout_seconds: float = 30.0
    # The most one generation may spend (sent to n8n as maxCostGbp), reserved on the
    # organization's daily budget before each run opens (ADR 0014).
    max_episode_cost_gbp: str = "1.50"
    # The operator's plan for every organization without an override of its own
    # (`manyfutures orgs set-plan`, Clerk metadata): core/identity/plans.py.
    default_max_active_projects: int = 10
    default_daily_limit_ceiling_gbp: str = "500.00"
    # Pounds per million prompt/completion tokens per model, as JSON: what a usage line
    # reported without its cost is charged (core/costs/prices.py).
    model_prices_gbp: str = DEFAULT_MODEL_PRICES_GBP
    # The API's own public base URL: n8n calls back to <public_url>/webhooks/n8n/episodes.
    public_url: str = ""
    # The reader-facing front end, which emails link to (<app_url>/episodes/<id>). Required
    # with EMAIL=smtp; otherwise DEV_APP_URL (__post_init__).
    app_url: str = ""
    # Signs the one-click unsubscribe link every email carries (docs/adr/0019). Required
    # outside memory storage; memory storage makes one per process (its data dies with it).
    unsubscribe_secret: str = field(default="", repr=False)
    # The console (entrypoints/console, ADR 0022): signs its session cookie. Required to
    # serve HTTP outside memory storage; memory storage makes one per process.
    console_secret: str = field(default="", repr=False)
    # How long a console sign-in lasts, whatever the reader does meanwhile.
    console_session_seconds: float = 28_800.0
    # Comma-separated user ids who see the operator pages across organizations: nobody by
    # default; an organization's role grants nothing here (ADR 0025).
    operator_users: str = ""
    # GENERATOR=n8n: the workflow's webhook and its Header Auth credential.
    n8n_webhook_url: str = field(default="", metadata=_env("N8N_WEBHOOK_URL"))
    n8n_webhook_header_name: str = field(
        default="X-Webhook-Key", metadata=_env("N8N_WEBHOOK_HEADER_NAME")
    )
    n8n_webhook_header_value: str = field(default="", metadata=_env("N8N_WEBHOOK_HEADER_VALUE"))
    # ASSISTANT=n8n: the chat workflow's webhook, behind the same Header Auth credential.
    n8n_chat_webhook_url: str = field(default="", metadata=_env("N8N_CHAT_WEBHOOK_URL"))
    # How long a reply job waits for the assistant's answer; a reply still pending after
    # the deadline counts as lost and may be retried. The most one reply may spend is
    # reserved on the daily budget before it is queued.
    assistant_timeout_seconds: float = 60.0
    assistant_reply_deadline_seconds: float = 120.0
    max_assistant_reply_cost_gbp: str = "0.10"
    n8n_connect_timeout_seconds: float = 3.0
    n8n_read_timeout_seconds: float = 10.0
    # When set, n8n's callbacks must also carry an HMAC signature made with it.
    n8n_callback_secret: str = field(default="", metadata=_env("N8N_CALLBACK_SECRET"))
    log_level: str = "INFO"
    # "json" (one object a line) or "text"; empty: text for `manyfutures run`, JSON for
    # every other command (entrypoints/logs.py).
    log_format: str = ""
    # GET /metrics answers only with "Authorization: Bearer <this>"; unset, it is 404.
    metrics_token: str = field(default="", repr=False)
    # Prometheus multiprocess mode: every process on the host writes here and /metrics
    # reads it all (ADR 0021). The library's own variable, which it reads at import.
    metrics_dir: str = field(default="", metadata=_env("PROMETHEUS_MULTIPROC_DIR"))
    # The scheduler's beat reading the cross-organization gauges (queue, outbox, breakers).
    metrics_gauge_seconds: float = 15.0
    # HTTP API. Dev auth trusts unsigned headers, so it needs memory storage or this force.
    allow_dev_auth: bool = False
    max_body_bytes: int = 1_048_576
    rate_limit: str = "600 per minute"
    redis_url: str = ""
    # `manyfutures serve`'s server: granian (measured faster, ADR 0020) or gunicorn.
    web_server: str = "granian"
    web_workers: int = 2
    web_threads: int = 2
    clerk_issuer: str = field(default="", metadata=_env("CLERK_ISSUER"))
    clerk_jwt_key: str = field(default="", metadata=_env("CLERK_JWT_KEY"))
    clerk_jwks_url: str = field(default="", metadata=_env("CLERK_JWKS_URL"))
    clerk_authorized_parties: str = field(default="", metadata=_env("CLERK_AUTHORIZED_PARTIES"))
    clerk_webhook_signing_secret: str = field(
        default="", metadata=_env("CLERK_WEBHOOK_SIGNING_SECRET")
    )
    # PostgreSQL (STORAGE=postgres). DATABASE_URL is the owner: `manyfutures db upgrade` runs
    # as it. The service connects as the app role: APP_DATABASE_URL, or else DATABASE_URL with
    # DB_APP_ROLE as the user and no password (local trust auth). See docs/postgres.md.
    database_url: str = ""
    app_database_url: str = ""
    db_app_role: str = "manyfutures_app"
    db_scheduler_role: str = "manyfutures_scheduler"
    db_pool_size: int = 5
    db_max_overflow: int = 5
    db_pool_timeout: float = 10.0
    # "none" turns psycopg's prepared statements off: needed behind a transaction pooler.
    db_prepare_threshold: str = "5"

    def __post_init__(self) -> None:
        # Emails are rendered, links included, when they are written: with real mail a link
        # to a made-up front end would reach readers, so only the console may default it.
        if not self.app_url and self.email != "smtp":
            object.__setattr__(self, "app_url", DEV_APP_URL)
        if not self.unsubscribe_secret and self.storage == "memory":
            object.__setattr__(self, "unsubscribe_secret", secrets.token_urlsafe(32))
        if not self.console_secret and self.storage == "memory":
            object.__setattr__(self, "console_secret", secrets.token_urlsafe(32))

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = environ.get(spec.metadata.get("env", PREFIX + spec.name.upper()))
            if raw is None or raw == "":
                continue
            values[spec.name] = _parse(spec.name, raw, spec.default)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise SettingsError(
                    f"{PREFIX}{name.upper()}={value!r} is not one of {', '.join(allowed)}"
                )
        if self.log_level.upper() not in _LOG_LEVELS:
            raise SettingsError(
                f"{PREFIX}LOG_LEVEL={self.log_level!r} is not one of {', '.join(_LOG_LEVELS)}"
            )
        if self.log_format not in ("", "json", "text"):
            raise SettingsError(f"{PREFIX}LOG_FORMAT={self.log_format!r} is not one of json, text")
        self._validate_metrics()
        self._validate_scheduling()
        self._validate_memories()
        self._validate_http()
        self._validate_outbox()
        self._validate_smtp()
        if self.app_url:
            self._validate_app_url()
        self._validate_generation()
        self._validate_assistant()
        self._validate_plans()
        self._validate_postgres()
        self._validate_unsubscribe()
        self._validate_console()

    def _validate_console(self) -> None:
        """An unset secret is refused when the console is served (entrypoints/console), not
        here: workers and the scheduler never sign a console cookie."""
        if self.console_secret and len(self.console_secret) < MIN_CONSOLE_SECRET:
            raise SettingsError(
                f"{PREFIX}CONSOLE_SECRET must be at least {MIN_CONSOLE_SECRET} characters "
                "(e.g. `openssl rand -hex 32`): it signs the console's session cookie"
            )
        if self.console_session_seconds <= 0:
            raise SettingsError(f"{PREFIX}CONSOLE_SESSION_SECONDS must be positive")

    def _validate_metrics(self) -> None:
        if self.metrics_dir and not os.path.isdir(self.metrics_dir):
            raise SettingsError(
                f"PROMETHEUS_MULTIPROC_DIR={self.metrics_dir!r} is not an existing directory"
            )
        if self.metrics_gauge_seconds <= 0:
            raise SettingsError(f"{PREFIX}METRICS_GAUGE_SECONDS must be positive")
        if self.metrics_token and len(self.metrics_token) < 16:
            raise SettingsError(f"{PREFIX}METRICS_TOKEN must be at least 16 characters")

    def _validate_scheduling(self) -> None:
        for name in ("tick_seconds", "start_lease_seconds", "generation_deadline_seconds"):
            if getattr(self, name) <= 0:
                raise SettingsError(
                    f"{PREFIX}{name.upper()}={getattr(self, name)} must be positive"
                )
        if self.dispatcher == "rq" and not (self.redis_url and self.storage == "postgres"):
            raise SettingsError(
                f"{PREFIX}DISPATCHER=rq hands jobs to worker processes through Redis: it needs "
                f"{PREFIX}REDIS_URL and {PREFIX}STORAGE=postgres (memory storage is one process's)"
            )
        if self.scheduler_batch_size < 1:
            raise SettingsError(
                f"{PREFIX}SCHEDULER_BATCH_SIZE={self.scheduler_batch_size} must be at least 1"
            )
        if self.scheduler_max_waiting_jobs < 1:
            raise SettingsError(
                f"{PREFIX}SCHEDULER_MAX_WAITING_JOBS={self.scheduler_max_waiting_jobs} must be "
                "at least 1"
            )

    def _validate_memories(self) -> None:
        try:
            launch_day(self.launch_date)
        except ValueError:
            raise SettingsError(
                f"{PREFIX}LAUNCH_DATE={self.launch_date!r} is not a date such as 2026-01-31"
            ) from None
        if self.memory_check_seconds <= 0:
            raise SettingsError(f"{PREFIX}MEMORY_CHECK_SECONDS must be positive")

    def _validate_http(self) -> None:
        if self.auth == "dev" and self.storage != "memory" and not self.allow_dev_auth:
            raise SettingsError(
                f"{PREFIX}AUTH=dev trusts unsigned X-Dev-* headers and is only allowed with "
                f"{PREFIX}STORAGE=memory; use {PREFIX}AUTH=clerk, or set "
                f"{PREFIX}ALLOW_DEV_AUTH=true if you really mean it"
            )
        if self.auth == "clerk":
            if not self.clerk_issuer:
                raise SettingsError(f"{PREFIX}AUTH=clerk needs CLERK_ISSUER")
            if not (self.clerk_jwt_key or self.clerk_jwks_url):
                raise SettingsError(
                    f"{PREFIX}AUTH=clerk needs CLERK_JWT_KEY (PEM) or CLERK_JWKS_URL"
                )
        if self.max_body_bytes <= 0:
            raise SettingsError(f"{PREFIX}MAX_BODY_BYTES must be positive")
        try:
            parse_many(self.rate_limit)
        except ValueError:
            raise SettingsError(
                f"{PREFIX}RATE_LIMIT={self.rate_limit!r} is not a rate such as '600 per minute'"
            ) from None
        for name in ("web_workers", "web_threads"):
            if getattr(self, name) < 1:
                raise SettingsError(
                    f"{PREFIX}{name.upper()}={getattr(self, name)} must be at least 1"
                )
        if not 1 <= self.port <= 65535:
            raise SettingsError(f"{PREFIX}PORT={self.port} is not a TCP port (1 to 65535)")

    def _validate_outbox(self) -> None:
        for name in ("outbox_poll_seconds", "outbox_lease_seconds", "outbox_retry_base_seconds"):
            if getattr(self, name) <= 0:
                raise SettingsError(
                    f"{PREFIX}{name.upper()}={getattr(self, name)} must be positive"
                )
        for name in ("outbox_batch_size", "outbox_max_attempts"):
            if getattr(self, name) < 1:
                raise SettingsError(
                    f"{PREFIX}{name.upper()}={getattr(self, name)} must be at least 1"
                )

    def _validate_app_url(self) -> None:
        parts = urlsplit(self.app_url)
        if not _is_http_url(self.app_url) or parts.query or parts.fragment:
            raise SettingsError(
                f"{PREFIX}APP_URL={self.app_url!r} is not an http(s) URL such as "
                "https://app.example.com (a path is allowed, a query or fragment is not)"
            )

    def _validate_smtp(self) -> None:
        from manyfutures.adapters.email.smtp import sender_domain
        from manyfutures.adapters.email.smtp_url import SmtpUrlError, parse_smtp_url

        if self.email != "smtp":
            return
        if not self.app_url:
            raise SettingsError(
                f"{PREFIX}EMAIL=smtp needs {PREFIX}APP_URL, the reader-facing front end's "
                "http(s) URL that emails link to, e.g. https://app.example.com"
            )
        if not self.smtp_url:
            raise SettingsError(
                f"{PREFIX}EMAIL=smtp needs {PREFIX}SMTP_URL, "
                "smtp://[user:password@]host[:port] or smtps://…"
            )
        try:
            parse_smtp_url(self.smtp_url)
        except SmtpUrlError as error:
            raise SettingsError(f"{PREFIX}SMTP_URL is malformed: {error}") from None
        try:
            sender_domain(self.smtp_from)
        except ValueError:
            raise SettingsError(
                f"{PREFIX}EMAIL=smtp needs {PREFIX}SMTP_FROM, an address such as "
                f"'Many Futures <briefs@example.com>', not {self.smtp_from!r}"
            ) from None
        if self.smtp_timeout_seconds <= 0:
            raise SettingsError(f"{PREFIX}SMTP_TIMEOUT_SECONDS must be positive")

    def _validate_unsubscribe(self) -> None:
        if self.email == "smtp" and not self.public_url:
            raise SettingsError(
                f"{PREFIX}EMAIL=smtp needs {PREFIX}PUBLIC_URL, the API's own http(s) URL: "
                "every email's one-click unsubscribe link points at it"
            )
        if len(self.unsubscribe_secret) < MIN_UNSUBSCRIBE_SECRET:
            raise SettingsError(
                f"{PREFIX}UNSUBSCRIBE_SECRET must be at least {MIN_UNSUBSCRIBE_SECRET} "
                "characters (e.g. `openssl rand -hex 32`): it signs every email's "
                "unsubscribe link"
            )

    def _validate_generation(self) -> None:
        if self.n8n_connect_timeout_seconds <= 0 or self.n8n_read_timeout_seconds <= 0:
            raise SettingsError(
                f"{PREFIX}N8N_CONNECT_TIMEOUT_SECONDS and {PREFIX}N8N_READ_TIMEOUT_SECONDS "
                "must be positive"
            )
        if self.public_url and not _is_http_url(self.public_url):
            raise SettingsError(f"{PREFIX}PUBLIC_URL={self.public_url!r} is not an http(s) URL")
        if self.generator == "n8n":
            self._validate_n8n()
        if not 0 <= self.simulated_stage_seconds < math.inf:
            raise SettingsError(
                f"{PREFIX}SIMULATED_STAGE_SECONDS={self.simulated_stage_seconds} must be 0 or "
                "more seconds"
            )
        try:
            PriceTable.from_json(self.model_prices_gbp)
        except ValidationError as error:
            raise SettingsError(f"{PREFIX}MODEL_PRICES_GBP: {error.message}") from None
        try:
            cost = Decimal(self.max_episode_cost_gbp)
        except InvalidOperation:
            cost = Decimal("NaN")
        if not cost.is_finite() or cost <= 0:
            raise SettingsError(
                f"{PREFIX}MAX_EPISODE_COST_GBP={self.max_episode_cost_gbp!r} is not a positive "
                "amount in pounds such as 1.50"
            )

    def _validate_assistant(self) -> None:
        if self.assistant == "n8n" and not _is_http_url(self.n8n_chat_webhook_url):
            raise SettingsError(
                f"{PREFIX}ASSISTANT=n8n needs N8N_CHAT_WEBHOOK_URL, the chat workflow's http(s) "
                "webhook URL"
            )
        header = self.n8n_webhook_header_value
        if self.assistant == "n8n" and not (header and header.isprintable()):
            raise SettingsError(
                f"{PREFIX}ASSISTANT=n8n needs N8N_WEBHOOK_HEADER_VALUE, the Header Auth "
                "credential's value"
            )
        if self.assistant_timeout_seconds <= 0:
            raise SettingsError(f"{PREFIX}ASSISTANT_TIMEOUT_SECONDS must be positive")
        # A job still waiting for the assistant must not be taken for a lost one.
        if self.assistant_reply_deadline_seconds <= (
            self.assistant_timeout_seconds + self.n8n_connect_timeout_seconds
        ):
            raise SettingsError(
                f"{PREFIX}ASSISTANT_REPLY_DEADLINE_SECONDS must be longer than "
                f"{PREFIX}ASSISTANT_TIMEOUT_SECONDS plus {PREFIX}N8N_CONNECT_TIMEOUT_SECONDS"
            )
        try:
            cost = Decimal(self.max_assistant_reply_cost_gbp)
        except InvalidOperation:
            cost = Decimal("NaN")
        if not cost.is_finite() or cost <= 0:
            raise SettingsError(
                f"{PREFIX}MAX_ASSISTANT_REPLY_COST_GBP={self.max_assistant_reply_cost_gbp!r} is "
                "not a positive amount in pounds such as 0.10"
            )

    def _validate_plans(self) -> None:
        try:
            Plan.defaults(self.default_max_active_projects, self.default_daily_limit_ceiling_gbp)
        except ValidationError as error:
            field = next(iter(error.field_errors), "")
            name = (
                "DEFAULT_MAX_ACTIVE_PROJECTS"
                if field == "maxActiveProjects"
                else "DEFAULT_DAILY_LIMIT_CEILING_GBP"
            )
            value = getattr(self, name.lower())
            messages = "; ".join(message for m in error.field_errors.values() for message in m)
            raise SettingsError(f"{PREFIX}{name}={value!r}: {messages}") from None
        # A generation reserving more than any limit may be set to could never start, and
        # every organization's breaker would open on its first slot with nothing spent.
        if Decimal(self.max_episode_cost_gbp) > Decimal(self.default_daily_limit_ceiling_gbp):
            raise SettingsError(
                f"{PREFIX}MAX_EPISODE_COST_GBP={self.max_episode_cost_gbp!r} is above "
                f"{PREFIX}DEFAULT_DAILY_LIMIT_CEILING_GBP={self.default_daily_limit_ceiling_gbp!r}"
                ": no organization's daily limit could admit one generation"
            )

    def _validate_n8n(self) -> None:
        needs = f"{PREFIX}GENERATOR=n8n needs"
        if not _is_http_url(self.n8n_webhook_url):
            raise SettingsError(f"{needs} N8N_WEBHOOK_URL, the workflow's http(s) webhook URL")
        if not _HEADER_NAME.fullmatch(self.n8n_webhook_header_name):
            raise SettingsError(
                f"N8N_WEBHOOK_HEADER_NAME={self.n8n_webhook_header_name!r} is not a header name"
            )
        if not self.n8n_webhook_header_value or not self.n8n_webhook_header_value.isprintable():
            raise SettingsError(
                f"{needs} N8N_WEBHOOK_HEADER_VALUE, the value of the Webhook node's Header "
                "Auth credential"
            )
        if not self.public_url:
            raise SettingsError(
                f"{needs} {PREFIX}PUBLIC_URL, the API's public base URL n8n calls back to"
            )

    def _validate_postgres(self) -> None:
        from manyfutures.adapters.postgres.engine import (
            DatabaseConfigError,
            check_role_name,
            parse_prepare_threshold,
        )

        checks = (
            ("db_app_role", check_role_name),
            ("db_scheduler_role", check_role_name),
            ("db_prepare_threshold", parse_prepare_threshold),
        )
        for name, check in checks:
            try:
                check(getattr(self, name))
            except DatabaseConfigError as error:
                raise SettingsError(f"{PREFIX}{name.upper()}: {error}") from None
        if self.storage == "postgres" and not (self.database_url or self.app_database_url):
            raise SettingsError(
                f"{PREFIX}STORAGE=postgres needs {PREFIX}DATABASE_URL (the owner, for migrations) "
                f"or {PREFIX}APP_DATABASE_URL (the app role)"
            )
        if self.db_pool_size < 1 or self.db_max_overflow < 0 or self.db_pool_timeout <= 0:
            raise SettingsError(
                f"{PREFIX}DB_POOL_SIZE must be at least 1, {PREFIX}DB_MAX_OVERFLOW not negative "
                f"and {PREFIX}DB_POOL_TIMEOUT positive"
            )


def _parse(name: str, raw: str, default: object) -> object:
    if isinstance(default, bool):
        try:
            return _FLAGS[raw.strip().lower()]
        except KeyError:
            raise SettingsError(
                f"{PREFIX}{name.upper()}={raw!r} is not one of true/false, yes/no, on/off, 1/0"
            ) from None
    try:
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name.upper()}={raw!r} is not a valid number") from None
    return raw.strip()

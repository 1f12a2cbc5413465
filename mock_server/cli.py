"""``piktid-mock serve``: the mock on uvicorn, printing a ready-to-use token and curl line."""

from __future__ import annotations

import ipaddress
import os
import random
import secrets
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from mock_server._build import build_kind
from mock_server.backend import Backend
from mock_server.server_limits import DEFAULT_LIMITS, HEADER_TIMEOUT_VARIABLE, ServerLimits, freeze_start_up
from mock_server.settings import Settings

if TYPE_CHECKING:
    from starlette.applications import Starlette


def _banner(base: str, token: str, settings: Settings) -> str:
    mode = "strict (users file only)" if settings.strict else "open (any token is its own pro user)"
    return "\n".join(
        [
            f"piktid-mock serving the Image Playground API at {base} ({build_kind()})",
            f"  auth: {mode}; latency {settings.latency:g} s per variation; seed {settings.seed}",
            f"  token: {token}",
            "  try:",
            f"    curl -s -X POST {base}/edit-chat -H 'Authorization: Bearer {token}' "
            '-H \'Content-Type: application/json\' -d \'{"prompt": "a red bicycle", "size": "1K"}\'',
            f"  dashboard: {base}/_mock/ (the control API lives under it; see README)"
            if settings.control
            else "  dashboard and control API: off",
            f"  API reference: {base}/docs (OpenAPI document: {base}/openapi.json)",
        ]
    )


OPEN_CONTROL_WARNING = (
    "WARNING: the control API (/_mock/) is open to anyone who can reach {host}: it shows every "
    "user's prompts, resets all state and sets credits. Pass --control-token TOKEN (or --no-control) "
    "when binding beyond loopback."
)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _default_token(users: list[dict[str, object]], seed: int | None) -> str:
    """The first user's token in strict mode; otherwise a fresh one, the same for the same ``--seed``."""
    if users:
        return str(users[0]["token"])
    source = random.Random(seed) if seed is not None else secrets.SystemRandom()
    return f"mock-{source.getrandbits(64):016x}"


def _store_option(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """``--store`` checked before anything starts: an unknown or unsupported URL is a usage error."""
    from mock_server.store import UnsupportedStore, check_store_url

    try:
        return check_store_url(value)
    except UnsupportedStore as exc:
        raise click.BadParameter(str(exc)) from None


F = TypeVar("F", bound=Callable[..., Any])
_DEFAULTS = Settings()


def _bounds_options(command: F) -> F:
    """The flags that bound memory, each a ``Settings`` field of the same name (README, "Reliability")."""
    options = [
        (
            "--retention",
            "retention",
            click.FloatRange(min=0, min_open=True),
            "Seconds finished jobs, notifications, settled deliveries and uploads are kept; older ones answer 404.",
        ),
        (
            "--upload-total-bytes",
            "upload_total_bytes",
            click.IntRange(min=1),
            "Bytes of uploads kept in all; past it the oldest uploads are dropped (at least the 25 MiB of one upload).",
        ),
        (
            "--journal-body-bytes",
            "journal_body_bytes",
            click.IntRange(min=1),
            "Bytes of a request body the journal keeps; longer ones are cut (body_truncated).",
        ),
        ("--journal-max-entries", "journal_max_entries", click.IntRange(min=1), "Journal entries kept."),
        (
            "--journal-max-bytes",
            "journal_max_bytes",
            click.IntRange(min=1),
            "Bytes the journal's entries may count in all.",
        ),
        ("--render-concurrency", "render_concurrency", click.IntRange(min=1), "Output images rendered at once."),
    ]
    for flag, name, kind, text in reversed(options):
        command = click.option(flag, name, default=getattr(_DEFAULTS, name), show_default=True, type=kind, help=text)(
            command
        )
    return command


@click.group()
def main() -> None:
    """piktid-mock: an offline fake of PiktID's Image Playground API (v2)."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--store",
    default="memory",
    show_default=True,
    callback=_store_option,
    help="Where the state lives: 'memory' (this process) or redis://HOST:PORT/DB (shared by every "
    "worker and every serve pointed at it; survives restarts).",
)
@click.option(
    "--store-prefix",
    default="piktid-mock:",
    show_default=True,
    help="Key prefix of a Redis store: mocks with different prefixes share one Redis without meeting.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="uvicorn worker processes on one port (more than 1 needs a Redis --store).",
)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--latency", default=2.0, show_default=True, type=float, help="Seconds per variation.")
@click.option("--seed", default=None, type=int, help="Reproducible ids, tokens, secrets and images.")
@click.option("--strict", is_flag=True, help="Only users from --users; spec warnings reject requests.")
@click.option("--users", "users_file", type=click.Path(exists=True, dir_okay=False), help="users.json to load.")
@click.option("--public-url", default=None, help="Base of absolute upload/output URLs (default: request host).")
@click.option(
    "--keepalive",
    default=15.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="SSE keepalive interval (s); 0: none.",
)
@click.option(
    "--webhook-backoff",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="First retry delay (s), doubling.",
)
@click.option(
    "--webhook-attempts", default=5, show_default=True, type=click.IntRange(min=1), help="Delivery attempts in all."
)
@click.option(
    "--webhook-timeout",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Timeout of one whole attempt: connect, send and reply (s).",
)
@click.option("--no-control", is_flag=True, help="Disable the /_mock/ control API.")
@click.option("--control-token", default=None, help="Require X-Mock-Control-Token on the control API.")
@click.option("--token", default=None, help="The token to print (default: a fresh one).")
@click.option(
    "--keep-alive-timeout",
    default=DEFAULT_LIMITS.keep_alive_timeout,
    show_default=True,
    type=click.IntRange(min=1),
    help="Seconds an idle HTTP keep-alive connection stays open after a response.",
)
@click.option(
    "--header-timeout",
    default=DEFAULT_LIMITS.header_timeout,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds a connection may take to send a complete request head; then it is closed.",
)
@click.option(
    "--max-connections",
    default=DEFAULT_LIMITS.max_connections,
    show_default=True,
    type=click.IntRange(min=1),
    help="Open connections (or requests in flight) past which new requests get a 503.",
)
@click.option(
    "--max-header-bytes",
    default=DEFAULT_LIMITS.max_header_bytes,
    show_default=True,
    type=click.IntRange(min=1024),
    help="Largest request head in bytes; a longer one gets a 400.",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    help="An origin browsers may call from (repeatable; default: any, '*').",
)
@_bounds_options
def serve(
    host: str,
    store: str,
    store_prefix: str,
    workers: int,
    port: int,
    latency: float,
    seed: int | None,
    strict: bool,
    users_file: str | None,
    public_url: str | None,
    keepalive: float,
    webhook_backoff: float,
    webhook_attempts: int,
    webhook_timeout: float,
    no_control: bool,
    control_token: str | None,
    token: str | None,
    keep_alive_timeout: int,
    header_timeout: float,
    max_connections: int,
    max_header_bytes: int,
    cors_origins: tuple[str, ...],
    **bounds: Any,
) -> None:
    """Run the mock on uvicorn."""
    import uvicorn

    from mock_server.backend import load_users_file
    from mock_server.http import sse  # noqa: F401  # before the server: sse_starlette hooks uvicorn's exit at import, so streams drain on shutdown
    from mock_server.http.app import SETTINGS_VARIABLE, create_app, settings_to_json

    if strict and not users_file:
        raise click.UsageError("--strict needs --users FILE (only its tokens are accepted)")
    if workers > 1 and store == "memory":
        raise click.UsageError("--workers N > 1 needs a shared store: --store redis://HOST:PORT/DB")
    try:
        users = load_users_file(users_file) if users_file else []
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--users") from None
    try:
        settings = Settings(
            store=store,
            store_prefix=store_prefix,
            public_url=public_url.rstrip("/") if public_url else None,
            latency=latency,
            seed=seed,
            strict=strict,
            users_file=users_file,
            keepalive=keepalive,
            webhook_backoff=webhook_backoff,
            webhook_attempts=webhook_attempts,
            webhook_timeout=webhook_timeout,
            control=not no_control,
            control_token=control_token,
            cors_origins=cors_origins or ("*",),
            **bounds,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if strict and not users:
        raise click.BadParameter("strict mode needs at least one user in the file", param_hint="--users")
    shown = token or _default_token(users if strict else [], seed)
    base = settings.public_url or f"http://{host}:{port}"
    click.echo(_banner(base, shown, settings))
    if settings.control and control_token is None and not is_loopback(host):
        click.echo(OPEN_CONTROL_WARNING.format(host=host), err=True)
    limits = ServerLimits(keep_alive_timeout, header_timeout, max_connections, max_header_bytes)
    options = {"host": host, "port": port, "log_level": "warning", **limits.uvicorn_options()}
    if workers == 1:
        app = create_app(backend=_opened(settings))
        freeze_start_up()
        uvicorn.run(app, **options)
        return
    _opened(settings)
    os.environ[SETTINGS_VARIABLE] = settings_to_json(settings)
    os.environ[HEADER_TIMEOUT_VARIABLE] = repr(header_timeout)
    options["http"] = "mock_server.server_limits:EnvironmentHeaderTimeout"
    uvicorn.run("mock_server.cli:worker_app", factory=True, workers=workers, **options)


def worker_app() -> Starlette:
    """The app of one ``serve --workers N`` worker process (uvicorn's factory), its start-up frozen as a
    one-process ``serve``'s is (``freeze_start_up``): each worker keeps its own requests' state."""
    from mock_server.http.app import app_from_environment

    app = app_from_environment()
    freeze_start_up()
    return app


def _opened(settings: Settings) -> Backend:
    """The backend on ``settings``' store, set up if the store is new; a store that cannot be reached
    is a clear error now, not a 503 on the first request."""
    from mock_server.store import StoreUnavailable

    try:
        return Backend(settings)
    except StoreUnavailable as exc:
        raise click.ClickException(f"{exc}; is the Redis server running?") from None


@main.command()
@click.option("--url", default=None, help="Base URL of a running mock: lint its journal (GET /_mock/journal).")
@click.option(
    "--journal",
    "journal_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="A saved GET /_mock/journal body (JSON) to lint instead.",
)
@click.option("--control-token", default=None, help="X-Mock-Control-Token of the mock at --url.")
@click.option("--user", default=None, help="Lint only this token's requests.")
def lint(url: str | None, journal_file: str | None, control_token: str | None, user: str | None) -> None:
    """Check the traffic your own tests sent to the mock: exit 0 clean, 1 findings, 2 usage error."""
    # The contract kit ships in this distribution and owns the checks; loaded only by this command.
    from contract_tests import lint as kit

    if (url is None) == (journal_file is None):
        raise click.UsageError("give exactly one of --url URL or --journal FILE")
    if control_token is not None and url is None:
        raise click.UsageError("--control-token goes with --url")
    notes: list[dict[str, object]] | None = None
    try:
        if url is not None:
            journal, notes = kit.lint_url(url, control_token=control_token, user=user)
        else:
            journal = kit.load_journal(str(journal_file))
    except kit.LintSourceError as exc:
        raise click.UsageError(str(exc)) from None
    findings = kit.lint(journal, notes, user=user)
    requests = sum(1 for e in journal if user is None or kit.same_user(e.get("user"), user))
    click.echo(kit.report(findings, requests))
    if user is not None and requests == 0:
        click.echo(f"note: the journal has no request from --user {user!r} (is it the token your tests use?)", err=True)
    sys.exit(1 if findings else 0)

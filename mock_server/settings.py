"""``Settings``: every knob of the mock, with defaults taken from ``piktid_spec.LIMITS``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Literal

from piktid_spec import LIMITS


def _limit(name: str) -> float:
    return LIMITS[name].value


@dataclass(slots=True)
class Settings:
    """Everything the mock can be told. ``create_app(Settings(...))``; the CLI maps flags onto these."""

    store: str = field(default_factory=lambda: os.environ.get("PIKTID_MOCK_STORE", "memory"))
    """Where the state lives: ``"memory"`` (this process, the default) or ``"redis://HOST:PORT/DB"``
    (shared by every process and host pointed at it; see ``mock_server.store.open_store``). A URL
    this build cannot open raises ``UnsupportedStore`` (a ``ValueError`` naming what is accepted)
    when the ``Settings`` is made, not on the first request. Default: ``$PIKTID_MOCK_STORE`` or
    ``"memory"``, so a whole test suite can run on Redis without changing a line."""
    store_prefix: str = field(default_factory=lambda: os.environ.get("PIKTID_MOCK_STORE_PREFIX", "piktid-mock:"))
    """Every key of a Redis store starts with it, so several mocks can share one Redis (default:
    ``$PIKTID_MOCK_STORE_PREFIX`` or ``"piktid-mock:"``)."""
    public_url: str | None = None
    """Base of absolute URLs (uploads, outputs). None: the base URL of the request that made them."""
    latency: float = 0.0
    """Seconds until each variation completes (variation i at (i+1) x latency). `serve` uses 2."""
    seed: int | None = None
    """Seeds ids, secrets and signing keys so runs are reproducible. None: random."""
    clock: Literal["real", "manual"] = "real"
    strict: bool = False
    """Only users from ``users_file`` are accepted, and spec warnings reject requests (400)."""
    users_file: str | None = None
    open_plan: str = "pro"
    open_credits: float = 1000
    rate_limit: int = int(_limit("edit_chat_per_minute"))
    rate_window: float = _limit("rate_window")
    upload_ttl: float = _limit("upload_url_ttl")
    upload_max_bytes: int = int(_limit("upload_max_bytes"))
    request_max_bytes: int = int(_limit("request_max_bytes"))
    blocklist: tuple[str, ...] = ("blocked-subject",)
    """Prompt terms the content filter blocks (403 content_blocked), matched case-insensitively."""
    refusal_terms: tuple[str, ...] = ("engine-refusal",)
    """Prompt terms the engine refuses: auto falls back to ``fallback_engine``, an explicit model fails."""
    fallback_engine: str = "seedream"
    backfill_horizon: float = _limit("backfill_horizon")
    keepalive: float = _limit("keepalive")
    webhook_attempts: int = 5
    webhook_backoff: float = 1.0
    webhook_timeout: float = 5.0
    control: bool = True
    control_token: str | None = None
    render_cache_size: int = 32
    render_concurrency: int = 2
    """Output renders run at once (each in a worker thread); more wait their turn. A 4K render peaks
    at about 90 MiB, so eight at once reached 2 GiB before this bound (README, "Reliability")."""
    journal_body_bytes: int = 16 * 1024
    """Bytes of a request body's JSON text the journal keeps; a longer body is cut there and its entry
    says so (``body_truncated``, ``body_bytes``)."""
    journal_max_entries: int = 100_000
    """Entries the journal keeps; the oldest go first."""
    journal_max_bytes: int = 64 * 1024 * 1024
    """Bytes the journal's entries may count in all (bodies, violations, strings, a fixed overhead
    each); the oldest go first."""
    retention: float = 24 * 3600.0
    """Seconds finished jobs, notifications, settled deliveries and uploads are kept (by the mock's
    clock); older ones are dropped and answer 404 as unknown ones do."""
    upload_total_bytes: int = 256 * 1024 * 1024
    """Bytes of uploaded files kept in all; past it the oldest uploads are dropped (at least
    ``upload_max_bytes``)."""
    cors_origins: tuple[str, ...] = ("*",)
    """Origins a browser may call the API from (CORS; inferred: the v2 API serves browsers, e.g. the
    notifications stream's ``?token=``). ``("*",)``: any origin; ``()``: no CORS headers at all."""
    extra_users: list[dict[str, object]] = field(default_factory=list)
    """Users to pre-create, shaped like the entries of a users file."""

    def __post_init__(self) -> None:
        from mock_server.store.open import check_store_url

        check_store_url(self.store)
        self._check_types()
        self._check_bounds()

    def _check_types(self) -> None:
        """A value of the wrong kind is refused here, naming the field, rather than by the first request
        (the compiled request path checks the types it reads). Lossless spellings are taken: an int for a
        float, a whole float for an int, a list of strings for a tuple."""
        for spec in fields(self):
            value, kind = getattr(self, spec.name), _KINDS.get(str(spec.type))
            if kind is None or _taken_as(value, kind):
                continue
            taken = _lossless(value, kind)
            if taken is None:
                raise TypeError(f"{spec.name} must be {_KIND_NAMES[kind]}, not {value!r}")
            setattr(self, spec.name, taken)

    def _check_bounds(self) -> None:
        """Bounds that make no sense are refused when the ``Settings`` is made, naming the field."""
        for name in ("render_concurrency", "journal_body_bytes", "journal_max_entries", "journal_max_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if not 0 < self.retention < float("inf"):
            raise ValueError("retention must be a positive, finite number of seconds")
        if self.upload_total_bytes < self.upload_max_bytes:
            raise ValueError(f"upload_total_bytes must be at least upload_max_bytes ({self.upload_max_bytes})")


_KINDS: dict[str, type] = {"bool": bool, "int": int, "float": float, "tuple[str, ...]": tuple}
"""The annotations ``Settings._check_types`` holds a value to (the others are checked where they are used)."""
_KIND_NAMES = {bool: "true or false", int: "a whole number", float: "a number", tuple: "a sequence of strings"}


def _taken_as(value: object, kind: type) -> bool:
    """``value`` is a ``kind`` as the request path reads it (a bool is no number; an int is a float)."""
    if isinstance(value, bool):
        return kind is bool
    return isinstance(value, kind) or kind is float and isinstance(value, int)


def _lossless(value: object, kind: type) -> object | None:
    """``value`` as ``kind`` when nothing is lost (None: it is not one)."""
    if isinstance(value, bool):
        return None
    if kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind is tuple and isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None

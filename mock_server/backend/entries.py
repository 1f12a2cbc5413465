"""``Entry``: one request as the journal keeps it (``mock_server.backend.journal``), a stored record.

Apart from the journal's rules so that those compile (``setup.py``) while the record stays a plain
dataclass, which the Redis store's codec reads by its type hints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

from mock_server.backend._reduce import Reduced, reduce_record

_HIDDEN = frozenset({"size"})


@dataclass(slots=True)
class Entry:
    seq: int
    at: float
    method: str
    path: str
    query: str
    user: str | None
    status: int
    code: str | None
    violations: list[dict[str, Any]] = field(default_factory=list)
    """``piktid_spec`` violations (errors and warnings) of the request, as dicts (the first ``MAX_VIOLATIONS``)."""
    duration: float = 0.0
    body: str | None = None
    """The JSON text of the body the endpoint read (``POST /edit-chat``, ``/project``), cut at the
    journal's body limit; ``as_json`` gives it back parsed unless it was cut."""
    body_truncated: bool = False
    """The body was longer than the limit: ``body`` is the first bytes of its JSON text, a string."""
    body_bytes: int = 0
    """The whole body's JSON size in bytes (UTF-8), cut or not."""
    violations_dropped: int = 0
    """Violations found past ``MAX_VIOLATIONS`` and not kept."""
    size: int = 0
    """What the entry counts against the journal's byte cap (set when it is made; not shown)."""

    def __init__(
        self,
        seq: int,
        at: float,
        method: str,
        path: str,
        query: str,
        user: str | None,
        status: int,
        code: str | None,
        violations: list[dict[str, Any]] | None = None,
        duration: float = 0.0,
        body: str | None = None,
        body_truncated: bool = False,
        body_bytes: int = 0,
        violations_dropped: int = 0,
        size: int = 0,
    ) -> None:
        """Written out, not generated: mypyc compiles it (``docs/architecture.md``, "Compiled with mypyc")."""
        self.seq, self.at, self.method, self.path, self.query = seq, at, method, path, query
        self.user, self.status, self.code = user, status, code
        self.violations = [] if violations is None else violations
        self.duration, self.body, self.body_truncated, self.body_bytes = duration, body, body_truncated, body_bytes
        self.violations_dropped, self.size = violations_dropped, size

    def __reduce__(self) -> Reduced:
        return reduce_record(self)

    def as_json(self) -> dict[str, Any]:
        """The entry as plain data, its body parsed back (a cut body stays the string it was cut to).

        A shallow copy: ``asdict`` would recurse into the parsed body, which a client may have nested."""
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _HIDDEN}
        if self.body is not None and not self.body_truncated:
            shown["body"] = json.loads(self.body)
        return shown

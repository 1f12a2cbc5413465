"""The request journal: what each request was, who sent it, what it got, which rules it broke.

Each entry is a bounded summary, so a day of hostile traffic cannot fill memory through it: the
body is kept as its JSON text cut to ``Settings.journal_body_bytes`` (text, not the parsed value:
a parsed ``[{},{},...]`` costs some 25 times its JSON size in Python objects), at most
``MAX_VIOLATIONS`` violations are kept, and each entry carries its ``size``, which the store sums
to hold the journal under ``Settings.journal_max_bytes`` as well as ``journal_max_entries``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mock_server.backend.entries import Entry
from mock_server.backend.jsontext import utf8_json

if TYPE_CHECKING:
    from mock_server.store import Store

MAX_VIOLATIONS = 32
"""Violations kept per entry: 5,000 unknown fields in one body would otherwise keep ~1.5 MB."""
ENTRY_OVERHEAD = 256
"""Bytes counted for an entry besides its body, violations and strings (the record's own cost)."""


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` built once: ``json.dumps`` with any
argument builds a new encoder per call, which was a third of a record's cost (hot path: every request)."""
_VIOLATIONS_ENCODER = json.JSONEncoder()
"""``json.dumps(violations)`` (default separators), whose length an entry counts."""


def summary(body: Any, violations: list[dict[str, Any]], max_body: int) -> dict[str, Any]:
    """The bounded fields of an entry for a request's parsed ``body`` and ``violations``."""
    kept = violations[:MAX_VIOLATIONS]
    fields_: dict[str, Any] = {"violations": kept, "violations_dropped": len(violations) - len(kept)}
    if body is None:
        return fields_
    shown, cut, whole = _body_text(body, max_body)
    return {**fields_, "body": shown, "body_truncated": cut, "body_bytes": whole}


def _body_text(body: Any, max_body: int) -> tuple[str, bool, int]:
    """(the body's compact JSON text cut at ``max_body`` bytes, whether it was cut, its whole size)."""
    data = utf8_json(body, _ENCODER, nan=True)  # orjson where its bytes are _ENCODER's (~4x faster)
    if len(data) > max_body:
        return data[:max_body].decode(errors="ignore"), True, len(data)
    return data.decode(), False, len(data)


def entry_size(entry: Entry) -> int:
    """Bytes an entry counts: its body text, its violations' JSON, its strings, and a fixed overhead."""
    strings = (entry.method, entry.path, entry.query, entry.user or "", entry.code or "")
    body = len(entry.body.encode()) if entry.body else 0
    return ENTRY_OVERHEAD + sum(map(len, strings)) + body + _violations_size(entry.violations)


def _violations_size(violations: list[dict[str, Any]]) -> int:
    return len(_VIOLATIONS_ENCODER.encode(violations)) if violations else 2  # len("[]")


class Journal:
    """The request journal, kept by the store within ``max_entries`` entries and ``max_bytes``."""

    def __init__(self, store: Store, *, max_body: int, max_entries: int, max_bytes: int) -> None:
        self.store = store
        self.max_body, self.max_entries, self.max_bytes = max_body, max_entries, max_bytes

    def record(
        self,
        at: float,
        method: str,
        path: str,
        query: str,
        user: str | None,
        status: int,
        code: str | None,
        violations: list[dict[str, Any]] | None = None,
        duration: float = 0.0,
        body: Any = None,
    ) -> None:
        """Append one request's entry, bounded as ``summary`` and ``entry_size`` say (the same fields and
        size, computed without building the summary dict: this runs on every request)."""
        kept = violations[:MAX_VIOLATIONS] if violations else []
        dropped = len(violations) - len(kept) if violations else 0
        shown, cut, whole = (None, False, 0) if body is None else _body_text(body, self.max_body)
        entry = Entry(0, at, method, path, query, user, status, code, kept, duration, shown, cut, whole, dropped)
        body_size = len(shown.encode()) if cut and shown is not None else whole
        strings = len(method) + len(path) + len(query) + len(user or "") + len(code or "")
        entry.size = ENTRY_OVERHEAD + strings + body_size + _violations_size(kept)
        self.store.append_journal(entry, max_entries=self.max_entries, max_bytes=self.max_bytes)

    def query(self, *, user: str | None = None, path: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        return [e.as_json() for e in self.store.journal(user=user, path=path, since=since)]

    def clear(self) -> None:
        self.store.clear_journal()

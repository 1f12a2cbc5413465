"""The request journal: what each request was, who sent it, what it got, which rules it broke.

Each entry is a bounded summary, so a day of hostile traffic cannot fill memory through it: the
body is kept as its JSON text cut to ``Settings.journal_body_bytes`` (text, not the parsed value:
a parsed ``[{},{},...]`` costs some 25 times its JSON size in Python objects), at most
``MAX_VIOLATIONS`` violations are kept, and each entry carries its ``size``, which the store sums
to hold the journal under ``Settings.journal_max_bytes`` as well as ``journal_max_entries``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_server.store import Store

MAX_VIOLATIONS = 32
"""Violations kept per entry: 5,000 unknown fields in one body would otherwise keep ~1.5 MB."""
ENTRY_OVERHEAD = 256
"""Bytes counted for an entry besides its body, violations and strings (the record's own cost)."""
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

    def as_json(self) -> dict[str, Any]:
        """The entry as plain data, its body parsed back (a cut body stays the string it was cut to).

        A shallow copy: ``asdict`` would recurse into the parsed body, which a client may have nested."""
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _HIDDEN}
        if self.body is not None and not self.body_truncated:
            shown["body"] = json.loads(self.body)
        return shown


def summary(body: Any, violations: list[dict[str, Any]], max_body: int) -> dict[str, Any]:
    """The bounded fields of an entry for a request's parsed ``body`` and ``violations``."""
    kept = violations[:MAX_VIOLATIONS]
    fields_: dict[str, Any] = {"violations": kept, "violations_dropped": len(violations) - len(kept)}
    if body is None:
        return fields_
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    cut = len(text) > max_body
    shown = text[:max_body].decode(errors="ignore") if cut else text.decode()
    return {**fields_, "body": shown, "body_truncated": cut, "body_bytes": len(text)}


def entry_size(entry: Entry) -> int:
    """Bytes an entry counts: its body text, its violations' JSON, its strings, and a fixed overhead."""
    strings = (entry.method, entry.path, entry.query, entry.user or "", entry.code or "")
    body = len(entry.body.encode()) if entry.body else 0
    return ENTRY_OVERHEAD + sum(map(len, strings)) + body + len(json.dumps(entry.violations))


class Journal:
    """The request journal, kept by the store within ``max_entries`` entries and ``max_bytes``."""

    def __init__(self, store: Store, *, max_body: int, max_entries: int, max_bytes: int) -> None:
        self.store = store
        self.max_body, self.max_entries, self.max_bytes = max_body, max_entries, max_bytes

    def record(self, *, body: Any = None, violations: list[dict[str, Any]] | None = None, **fields: Any) -> Entry:
        entry = Entry(seq=0, **fields, **summary(body, violations or [], self.max_body))
        entry.size = entry_size(entry)
        return self.store.append_journal(entry, max_entries=self.max_entries, max_bytes=self.max_bytes)

    def query(self, *, user: str | None = None, path: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        return [e.as_json() for e in self.store.journal(user=user, path=path, since=since)]

    def clear(self) -> None:
        self.store.clear_journal()

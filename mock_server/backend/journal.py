"""The request journal: what each request was, who sent it, what it got, which rules it broke."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, fields
from typing import Any


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
    """``piktid_spec`` violations (errors and warnings) of the request, as dicts."""
    duration: float = 0.0
    body: Any = None
    """The parsed JSON body of a ``POST /edit-chat`` (what was sent, for readable findings)."""

    def as_json(self) -> dict[str, Any]:
        """A shallow copy: ``asdict`` would recurse into ``body``, which a client may have nested deeply."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


class Journal:
    def __init__(self, limit: int = 100_000) -> None:
        self.entries: deque[Entry] = deque(maxlen=limit)
        """The newest ``limit`` entries; a deque, so dropping the oldest is O(1) on every request."""
        self.limit = limit
        self._seq = 0

    def record(self, **fields: Any) -> Entry:
        self._seq += 1
        entry = Entry(seq=self._seq, **fields)
        self.entries.append(entry)
        return entry

    def query(self, *, user: str | None = None, path: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        return [
            e.as_json()
            for e in self.entries
            if e.seq > since and (user is None or e.user == user) and (path is None or e.path.startswith(path))
        ]

    def clear(self) -> None:
        self.entries.clear()

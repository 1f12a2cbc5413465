"""The request journal: what each request was, who sent it, what it got, which rules it broke."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_server.store import Store


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
    """The request journal, kept by the store (the newest ``limit`` entries)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, **fields: Any) -> Entry:
        return self.store.append_journal(Entry(seq=0, **fields))

    def query(self, *, user: str | None = None, path: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        return [e.as_json() for e in self.store.journal(user=user, path=path, since=since)]

    def clear(self) -> None:
        self.store.clear_journal()

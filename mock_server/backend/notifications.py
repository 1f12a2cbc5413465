"""Notifications: one ordered log per user, with the v2 filters, backfill and resume rules.

The log lives in the store; the open SSE streams that a notification is fanned out to live in the
runtime (``mock_server.runtime.streams``), which hears of each one through the backend's events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import MemberDescriptorType
from typing import TYPE_CHECKING, Any

from mock_server.backend._reduce import Reduced, reduce_record
from mock_server.backend.clock import Clock
from mock_server.backend.errors import ApiError
from mock_server.backend.links import Links

if TYPE_CHECKING:
    from mock_server.store import Store


@dataclass(slots=True)
class Notification:
    """One notification of a user's log (``image_result`` or ``batch_edit``), as SSE, webhooks and the API send it."""

    id: int
    owner: str
    name: str
    timestamp: float
    data: dict[str, Any]
    deleted: bool = False

    def __init__(
        self, id: int, owner: str, name: str, timestamp: float, data: dict[str, Any], deleted: bool = False
    ) -> None:
        """Written out, not generated: mypyc compiles it (``docs/architecture.md``, "Compiled with mypyc")."""
        self.id, self.owner, self.name, self.timestamp, self.data, self.deleted = (
            id,
            owner,
            name,
            timestamp,
            data,
            deleted,
        )

    def __reduce__(self) -> Reduced:
        return reduce_record(self)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "timestamp": self.timestamp, "data": self.data}

    def unsigned(self) -> tuple[dict[str, Any], str, str] | None:
        """Links still to sign (an ``ImageResult`` not read yet): its data as it is, the base URL and the
        signer's fingerprint they will be signed with; None for every other notification."""
        return None


_DATA: MemberDescriptorType = vars(Notification)["data"]
"""The ``data`` slot itself, which ``ImageResult`` reads and writes under its property."""


class ImageResult(Notification):
    """An ``image_result`` of a completed variation whose two output links are signed when its ``data`` is
    first read through the property (the API's list, a stream, a webhook body: ``as_json``; a shared
    store's codec). Compiled code reading ``data`` of a ``Notification``-typed value (``Filters``) gets
    the dict as it is, which differs only in those two links.

    Why: signing is most of a completion's own cost, and most notifications are never read (no stream
    open, no webhook set; a results poll signs its own links). The links are a pure function of the
    job's base URL, ids and the ``Links`` (signer) in force at completion, which this record keeps, so
    the bytes are the ones an eager signing gave, whenever they are read (a reset since changes nothing).
    Until then ``data`` holds the two keys, in place, with None. No extra object is kept per record.
    """

    __slots__ = ("_links", "_base_url")

    def __init__(self, owner: str, timestamp: float, data: dict[str, Any], links: Links | None, base_url: str) -> None:
        self._links: Links | None = links
        self._base_url = base_url
        self.id, self.owner, self.name, self.timestamp, self.deleted = 0, owner, "image_result", timestamp, False
        _DATA.__set__(self, data)  # ``Notification.__init__`` written out: once per completed variation

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = _DATA.__get__(self)
        links = self._links
        if links is not None:
            self._links = None
            job_id, image_index, group_index = data["id_task"], data["image_index"], data["group_index"]
            data["output_link"] = links.output_link(self._base_url, job_id, image_index, group_index, "full")
            data["output_thumbnail_link"] = links.output_link(self._base_url, job_id, image_index, group_index, "thumb")
        return data

    @data.setter
    def data(self, value: dict[str, Any]) -> None:
        _DATA.__set__(self, value)

    def unsigned(self) -> tuple[dict[str, Any], str, str] | None:
        """While its links are unsigned: its data (the two links None), the base URL and the fingerprint
        of the signer in force at completion. A shared store keeps these, not the links: a reader signs
        them on first read with the same key (``revived``), so a completion signs nothing."""
        links = self._links
        if links is None:
            return None
        return _DATA.__get__(self), self._base_url, links.signer.fingerprint

    @staticmethod
    def revived(notification: Notification, links: Links, base_url: str) -> ImageResult:
        """``notification`` read back from a shared store that kept it unsigned (``unsigned``): its links
        are signed on first read by ``links``, whose signer must hold the key it completed under."""
        made = ImageResult(notification.owner, notification.timestamp, notification.data, links, base_url)
        made.id, made.deleted = notification.id, notification.deleted
        return made

    def __reduce__(self) -> Reduced:
        """Copied or pickled with its links signed (what its ``data`` reads): the copy needs no signer."""
        return _signed_image_result, (self.id, self.owner, self.timestamp, self.data, self.deleted)

    def as_json(self) -> dict[str, Any]:
        """``Notification.as_json`` through the property: compiled (mypyc), code that holds a ``Notification``
        reads its ``data`` from the slot, past this property, and this is the reader that shows the links."""
        return {"id": self.id, "name": self.name, "timestamp": self.timestamp, "data": self.data}


def _signed_image_result(id: int, owner: str, timestamp: float, data: dict[str, Any], deleted: bool) -> ImageResult:
    """An ``ImageResult`` whose ``data`` is already signed (``ImageResult.__reduce__``)."""
    made = ImageResult(owner, timestamp, data, None, "")
    made.id, made.deleted = id, deleted
    return made


@dataclass(slots=True)
class Filters:
    """The stream's and the polling endpoint's filters; empty means everything."""

    id_task: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    id_image: frozenset[str] = frozenset()

    def match(self, n: Notification) -> bool:
        if self.names and n.name not in self.names:
            return False
        if self.id_task and n.data.get("id_task") not in self.id_task:
            return False
        return not self.id_image or str(n.data.get("image_index")) in self.id_image


class Notifications:
    """Each user's ordered log in the store. A store step appends new ``Notification`` records (an
    ``ImageResult`` for a completed variation); the backend then tells the runtime's open streams and the
    webhooks of them (``Backend._published``); nothing here holds a stream."""

    def __init__(self, clock: Clock, store: Store) -> None:
        self.clock, self.store = clock, store

    def live(self, owner: str, filters: Filters, *, after: int = 0) -> list[Notification]:
        return [n for n in self.store.notifications(owner, after=after) if not n.deleted and filters.match(n)]

    def backfill(self, owner: str, filters: Filters, horizon: float, *, after: int = 0) -> list[Notification]:
        """Not deleted, at most ``horizon`` seconds old, oldest first (the v2 backfill rule)."""
        oldest = self.clock.now() - horizon
        return [n for n in self.live(owner, filters, after=after) if n.timestamp >= oldest]

    def resume_after(self, last_event_id: int) -> int:
        """Where a stream resumes: after ``Last-Event-ID``, unless that id is beyond the newest of this
        state (kept by a client from before a reset), in which case from the start."""
        return 0 if last_event_id > self.store.newest_notification_id() else last_event_id

    def delete(self, owner: str, notification_id: int) -> Notification:
        deleted = self.store.delete_notification(owner, notification_id)
        if deleted is None:
            raise ApiError("notification_not_found", f"notification {notification_id} not found.")
        return deleted

    def all(self, owners: Iterable[str] | None = None) -> list[Notification]:
        return self.store.all_notifications(owners)

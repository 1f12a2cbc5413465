"""``MemoryStore``: the default store, plain dicts and lists in this process.

Every method runs whole on the app's event loop (it never awaits), so each is atomic without
locks. It hands out the stored records themselves: a ``put_*`` after a change is a no-op here,
but callers make it, so the same code runs on a store that serialises.

Jobs, deliveries, files (dicts) and each user's notifications (lists) are kept in creation order,
and the mock's clock never goes back, so creation times never decrease along them: ``drop_before``
stops at the first record created at or after the cutoff (a later one cannot be older), and a
sweep costs what it drops plus the older records it must keep, not the whole state.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from mypy_extensions import mypyc_attr

if TYPE_CHECKING:
    from mock_server.backend.accounts import User
    from mock_server.backend.attempts import Attempt
    from mock_server.backend.entries import Entry
    from mock_server.backend.faults import FaultRule
    from mock_server.backend.files import StoredFile
    from mock_server.backend.identities import Identity
    from mock_server.backend.jobs import Job
    from mock_server.backend.notifications import Notification
    from mock_server.backend.projects import Project
    from mock_server.backend.webhooks import Delivery, WebhookConfig
    from mock_server.backend.work import Work

T = TypeVar("T")


@mypyc_attr(allow_interpreted_subclasses=True)  # a test may subclass it to break or watch one operation
class MemoryStore:
    """The state of one mock in memory (see ``mock_server.store.Store`` for each operation's contract)."""

    shared = False
    suspends = False

    def settle(self) -> None:
        return None

    def __init__(self, seed: int | None = None) -> None:
        self._clock: dict[str, object] | None = None
        self._secret: str | None = None
        self.clear(seed)

    def feed(self) -> tuple[str, str] | None:
        return None

    def listen(self, seconds: float) -> None:
        return None

    def decode_event(self, data: bytes, *, notifications: bool = True) -> tuple[str, object] | None:
        return None

    def begin(self) -> bool:
        return True

    def join(self) -> int:
        return 0

    def shared_secret(self, proposed: str) -> str:
        if self._secret is None:
            self._secret = proposed
        return self._secret

    def clock_state(self) -> dict[str, object] | None:
        return self._clock

    def put_clock_state(self, state: dict[str, object]) -> None:
        self._clock = state

    def clock_moved(self) -> dict[str, object] | None:
        return None

    def clear(self, seed: int | None) -> None:
        self._ids = itertools.count(1)
        self._secret = None
        self._users: dict[str, User] = {}
        self._hits: defaultdict[str, deque[float]] = defaultdict(deque)
        self._files: dict[str, StoredFile] = {}
        self._file_bytes: dict[str, int] = {}
        self._upload_bytes = 0
        self._jobs: dict[str, Job] = {}
        self._defaults: dict[str, list[Identity]] = {}
        self._identities: dict[str, Identity] = {}
        self._projects: dict[tuple[str, str], Project] = {}
        self._log: dict[str, list[Notification]] = {}
        self._newest = 0
        self._webhooks: dict[str, WebhookConfig] = {}
        self._deliveries: dict[str, Delivery] = {}
        self._rules: list[FaultRule] = []
        self._rule_ids = itertools.count(1)
        self._random = random.Random(seed)
        self._journal: deque[tuple[Any, ...]] = deque()
        """Entries as plain tuples (``_journal_row``), not ``Entry`` objects: see there."""
        self._entry_kind: type[Entry]
        """The record class rows are read back as, taken from the entries appended (this module
        imports no backend module at run time: the state's import graph has no cycle)."""
        self._journal_bytes = 0
        self._journal_seq = itertools.count(1)
        self._work: list[tuple[float, int, Work]] = []
        self._work_seq = itertools.count()

    def next_id(self) -> int:
        return next(self._ids)

    # --- accounts and credits --------------------------------------------------------------------
    def get_user(self, token: str) -> User | None:
        return self._users.get(token)

    def get_account(self, token: str) -> User | None:
        return self._users.get(token)

    def put_user(self, user: User) -> None:
        self._users[user.token] = user

    def add_user(self, user: User) -> User:
        return self._users.setdefault(user.token, user)

    def change_user(
        self, token: str, *, plan: str | None, credits: float | None, entitlements: frozenset[str] | None
    ) -> User | None:
        user = self._users.get(token)
        if user is not None:
            if plan is not None:
                user.plan = plan
            if credits is not None:
                user.credits, user.charged = float(credits), 0.0
            if entitlements is not None:
                user.entitlements = entitlements
        return user

    def users(self) -> list[User]:
        return list(self._users.values())

    def reserve_credits(self, token: str, amount: float) -> tuple[bool, float, float]:
        user = self._users[token]
        before = (user.credits, user.in_progress)
        if user.credits - user.in_progress < amount:
            return False, *before
        user.in_progress += amount
        return True, *before

    def settle_credits(self, token: str, amount: float, *, charge: bool) -> None:
        user = self._users.get(token)
        if user is None:
            return
        user.in_progress = max(0.0, user.in_progress - amount)
        if charge:
            user.credits -= amount
            user.charged += amount

    def settle_and_notify(
        self, token: str, amount: float, *, charge: bool, notifications: list[Notification]
    ) -> WebhookConfig | None:
        self.settle_credits(token, amount, charge=charge)
        config = None
        for notification in notifications:
            config = self.append_notification(notification)
        return config

    def rate_hit_and_reserve(
        self, key: str, now: float, limit: int, window: float, token: str, amount: float
    ) -> tuple[float | None, tuple[bool, float, float] | None]:
        oldest = self.rate_hit(key, now, limit, window)
        return (oldest, None) if oldest is not None else (None, self.reserve_credits(token, amount))

    def rate_hit_reserve_and_start(
        self,
        key: str,
        now: float,
        limit: int,
        window: float,
        token: str,
        amount: float,
        start: tuple[Job, list[Work], Notification],
        *,
        version: str | None = None,
    ) -> tuple[float | None, tuple[bool, float, float] | None, WebhookConfig | None]:
        oldest, reservation = self.rate_hit_and_reserve(key, now, limit, window, token, amount)
        if reservation is None or not reservation[0]:
            return oldest, reservation, None
        return oldest, reservation, self.start_generation(*start, new=True)

    def rate_hit(self, key: str, now: float, limit: int, window: float) -> float | None:
        hits = self._hits[key]
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= limit:
            return hits[0]
        hits.append(now)
        return None

    # --- files, jobs, identities -----------------------------------------------------------------
    def get_file(self, file_id: str) -> StoredFile | None:
        return self._files.get(file_id)

    def put_file(self, stored: StoredFile) -> None:
        self._files[stored.file_id] = stored
        size = 0 if stored.data is None else len(stored.data)
        self._upload_bytes += size - self._file_bytes.get(stored.file_id, 0)
        self._file_bytes[stored.file_id] = size

    def _drop_file(self, file_id: str) -> None:
        del self._files[file_id]
        self._upload_bytes -= self._file_bytes.pop(file_id, 0)

    def get_job(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def put_job(self, job: Job) -> None:
        self._jobs[job.job_id] = job

    def update_job(self, job_id: str, change: Callable[[Job], T]) -> T | None:
        job = self._jobs.get(job_id)
        return None if job is None else change(job)

    def as_one_step(self, step: Callable[[], T]) -> T:
        return step()

    def start_generation(
        self, job: Job, works: list[Work], notification: Notification, *, new: bool
    ) -> WebhookConfig | None:
        self.put_job(job)
        for work in works:
            self.schedule(work)
        return self.append_notification(notification)

    def recent_jobs(self, limit: int) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda j: (j.created_at, j.job_id), reverse=True)[:limit]

    def default_identities(self) -> dict[str, list[Identity]]:
        return self._defaults

    def put_default_identities(self, defaults: dict[str, list[Identity]]) -> None:
        self._defaults = defaults

    def own_identities(self, owner: str) -> list[Identity]:
        return [i for i in self._identities.values() if i.owner == owner]

    def get_identity(self, code: str) -> Identity | None:
        return self._identities.get(code)

    def put_identity(self, identity: Identity) -> None:
        self._identities[identity.identity_code] = identity

    def add_project(self, project: Project) -> Project:
        key = (project.owner, project.name)
        if key not in self._projects:
            project.project_id = len(self._projects) + 1
            self._projects[key] = project
        return self._projects[key]

    def get_project(self, owner: str, name: str) -> Project | None:
        return self._projects.get((owner, name))

    def add_project_file(self, owner: str, name: str, file_id: str) -> Project:
        project = self._projects[(owner, name)]
        project.file_ids.append(file_id)
        return project

    def projects(self, owner: str) -> list[Project]:
        return [p for p in self._projects.values() if p.owner == owner]

    # --- notifications ---------------------------------------------------------------------------
    def append_notification(self, notification: Notification) -> WebhookConfig | None:
        notification.id = next(self._ids)  # ``next_id``, written out: three per POST /edit-chat
        self._log.setdefault(notification.owner, []).append(notification)
        self._newest = notification.id
        return self._webhooks.get(notification.owner)

    def notifications(self, owner: str, *, after: int = 0) -> list[Notification]:
        return [n for n in self._log.get(owner, ()) if n.id > after]

    def all_notifications(self, owners: Iterable[str] | None = None) -> list[Notification]:
        keys = self._log.keys() if owners is None else owners
        return sorted((n for k in keys for n in self._log.get(k, ())), key=lambda n: n.id)

    def delete_notification(self, owner: str, notification_id: int) -> Notification | None:
        for n in self._log.get(owner, ()):
            if n.id == notification_id and not n.deleted:
                n.deleted = True
                return n
        return None

    def newest_notification_id(self) -> int:
        return self._newest

    # --- webhooks --------------------------------------------------------------------------------
    def get_webhook(self, owner: str) -> WebhookConfig | None:
        return self._webhooks.get(owner)

    def put_webhook(self, config: WebhookConfig) -> None:
        self._webhooks[config.owner] = config

    def delete_webhook(self, owner: str) -> None:
        self._webhooks.pop(owner, None)
        for delivery in self._deliveries.values():
            if delivery.owner == owner and delivery.status == "pending":
                delivery.status = "cancelled"

    def put_delivery(self, delivery: Delivery) -> None:
        self._deliveries[delivery.id] = delivery

    def get_delivery(self, delivery_id: str) -> Delivery | None:
        return self._deliveries.get(delivery_id)

    def deliveries(self, owner: str | None = None) -> list[Delivery]:
        return [d for d in self._deliveries.values() if owner is None or d.owner == owner]

    def claim_attempt(self, delivery_id: str, now: float) -> Attempt | None:
        delivery = self._deliveries.get(delivery_id)
        if delivery is None or delivery.status != "pending":
            return None
        return delivery.start_attempt(now)

    # --- faults, journal -------------------------------------------------------------------------
    def add_fault(self, rule: FaultRule) -> FaultRule:
        rule.id = next(self._rule_ids)
        self._rules.append(rule)
        return rule

    def faults(self) -> list[FaultRule]:
        return list(self._rules)

    def has_faults(self) -> bool:
        return bool(self._rules)

    def take_fault(self, kind: str, method: str | None, path: str | None, token: str | None) -> FaultRule | None:
        for rule in self._rules:
            if rule.kind != kind or not rule.matches(method, path, token):
                continue
            if rule.probability < 1 and self._random.random() >= rule.probability:
                continue
            rule.hits += 1
            if rule.times is not None:
                rule.times -= 1
                if rule.times == 0:
                    self._rules.remove(rule)
            return rule
        return None

    def remove_fault(self, rule_id: int) -> bool:
        kept = [rule for rule in self._rules if rule.id != rule_id]
        found = len(kept) != len(self._rules)
        self._rules[:] = kept
        return found

    def clear_faults(self) -> None:
        self._rules.clear()

    def append_journal(self, entry: Entry, *, max_entries: int, max_bytes: int) -> None:
        entry.seq = next(self._journal_seq)
        self._entry_kind = type(entry)
        self._journal.append(_journal_row(entry))
        self._journal_bytes += entry.size
        while len(self._journal) > 1 and (len(self._journal) > max_entries or self._journal_bytes > max_bytes):
            self._journal_bytes -= self._journal.popleft()[_SIZE]

    def journal(self, *, user: str | None = None, path: str | None = None, since: int = 0) -> list[Entry]:
        rows = [
            row
            for row in self._journal
            if row[0] > since and (user is None or row[5] == user) and (path is None or row[3].startswith(path))
        ]
        return [self._entry_kind(*_entry_fields(row)) for row in rows] if rows else []

    def clear_journal(self) -> None:
        self._journal.clear()
        self._journal_bytes = 0

    # --- scheduled work --------------------------------------------------------------------------
    def schedule(self, work: Work) -> None:
        work.seq = next(self._work_seq)
        heapq.heappush(self._work, (work.due, work.seq, work))

    def claim_due(self, now: float, done: Work | None = None) -> Work | None:
        if self._work and self._work[0][0] <= now:
            return heapq.heappop(self._work)[2]
        return None

    def done(self, work: Work) -> None:
        return None

    def next_due(self) -> float | None:
        return self._work[0][0] if self._work else None

    def pending_work(self) -> int:
        return len(self._work)

    # --- retention -------------------------------------------------------------------------------
    def drop_before(self, cutoff: float) -> dict[str, int]:
        return {
            "jobs": self._drop_jobs(cutoff),
            "notifications": self._drop_notifications(cutoff),
            "deliveries": self._drop_deliveries(cutoff),
            "files": self._drop_files(cutoff),
        }

    def _drop_jobs(self, cutoff: float) -> int:
        gone = []
        for job in self._jobs.values():
            if job.created_at >= cutoff:
                break
            if job.updated_at < cutoff and all(g.final for g in job.generations):
                gone.append(job.job_id)
        for job_id in gone:
            del self._jobs[job_id]
        return len(gone)

    def _drop_notifications(self, cutoff: float) -> int:
        dropped = 0
        for owner in list(self._log):
            log = self._log[owner]
            keep = next((i for i, n in enumerate(log) if n.timestamp >= cutoff), len(log))
            dropped += keep
            if keep == len(log):
                del self._log[owner]
            elif keep:
                del log[:keep]
        return dropped

    def _drop_deliveries(self, cutoff: float) -> int:
        gone = []
        for delivery in self._deliveries.values():
            if delivery.created_at >= cutoff:
                break
            if delivery.status != "pending":
                gone.append(delivery.id)
        for delivery_id in gone:
            del self._deliveries[delivery_id]
        return len(gone)

    def _drop_files(self, cutoff: float) -> int:
        gone = []
        for stored in self._files.values():
            if stored.created_at >= cutoff:
                break
            gone.append(stored.file_id)
        for file_id in gone:
            self._drop_file(file_id)
        return len(gone)

    def cap_uploads(self, max_bytes: int) -> int:
        victims, total = [], self._upload_bytes
        for file_id, size in self._file_bytes.items():
            if total <= max_bytes or size == total:
                break
            if size:
                victims.append(file_id)
                total -= size
        for file_id in victims:
            self._drop_file(file_id)
        return len(victims)

    def counts(self) -> dict[str, int]:
        return {
            "users": len(self._users),
            "files": len(self._files),
            "upload_bytes": self._upload_bytes,
            "jobs": len(self._jobs),
            "projects": len(self._projects),
            "notifications": sum(len(v) for v in self._log.values()),
            "deliveries": len(self._deliveries),
            "journal": len(self._journal),
            "journal_bytes": self._journal_bytes,
            "scheduled": len(self._work),
        }


_VIOLATIONS, _SIZE = 8, 14
"""Positions of ``violations`` and ``size`` among ``Entry``'s fields (``_journal_row``)."""


def _journal_row(entry: Entry) -> tuple[Any, ...]:
    """An entry as a tuple of its fields in order, its violations a tuple too.

    Why: the journal keeps up to 100,000 entries; an ``Entry`` and its list are two objects the cyclic
    collector walks in every full collection, for ever, while a tuple of strings, numbers and plain
    dicts is untracked by the collector the first time it survives one (then it costs nothing there).
    """
    return (
        entry.seq,
        entry.at,
        entry.method,
        entry.path,
        entry.query,
        entry.user,
        entry.status,
        entry.code,
        tuple(entry.violations),
        entry.duration,
        entry.body,
        entry.body_truncated,
        entry.body_bytes,
        entry.violations_dropped,
        entry.size,
    )


def _entry_fields(row: tuple[Any, ...]) -> list[Any]:
    """``Entry``'s fields back from ``_journal_row``, its violations a list again."""
    fields = list(row)
    fields[_VIOLATIONS] = list(fields[_VIOLATIONS])
    return fields

"""``Store``: every piece of the mock's state and every atomic operation on it, in one place.

The backend's rules (what a 402 is, when a variation completes, how a delivery backs off) read
and write the state only through these methods. Each method is one atomic step: when several
processes share a store (a Redis store), an implementation makes each call one round trip (a
script or a pipeline), so a request costs O(1) round trips whatever the size of the state.

Records are plain dataclasses (``User``, ``StoredFile``, ``Job``, ``Identity``, ``Project``, ``WebhookConfig``,
``Delivery``, ``Notification``, ``FaultRule``, ``Entry``, ``Work``): no closures, locks or live
objects, so a store may serialise them. A record read with ``get_*`` and changed is written back
with ``put_*``; the memory store hands out the stored object itself, so ``put_*`` costs nothing there.

Methods are synchronous on purpose (see docs/architecture.md, "The store").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol, TypeVar

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


class StoreUnavailable(Exception):
    """The store cannot be reached (a Redis that is down): the request is answered 503, and the next
    one tries again, so the mock recovers by itself when the store is back."""


class StaleAccount(Exception):
    """The admission found the user changed or gone since the copy the request was checked against
    (``rate_hit_reserve_and_start``'s ``version``): nothing was counted, reserved or stored. ``fresh`` is
    the user as stored now (None: no such user); the caller checks the request again against it."""

    def __init__(self, fresh: User | None) -> None:
        super().__init__("the account changed since it was read")
        self.fresh = fresh


class Store(Protocol):
    """The state of one mock. ``clear`` empties it (a reset); records otherwise go only as retention
    (``drop_before``), the upload cap (``cap_uploads``) and the journal's caps (``append_journal``) say."""

    shared: bool
    """Whether other processes may serve the same state (a Redis store): then what one process
    appends or schedules reaches the others through ``events`` (see ``mock_server.store.redis``),
    and the backend takes its own notifications from there too, so every process sees one order."""

    suspends: bool
    """Whether the admission (``rate_hit_reserve_and_start``) may wait for the store with the event loop
    serving other requests, when called inside ``mock_server.store.suspending`` (a Redis store): the
    endpoint then runs its backend call there. Every other call waits as it always did."""

    def settle(self) -> None:
        """End every wait now: each call that suspended (``suspends``) gets its answer and runs on until it
        ends or waits no more (blocking, on the loop's thread; nothing elsewhere). The clock's ``advance``
        calls it first, so work a run of due work had claimed is done before the clock moves."""

    def feed(self) -> tuple[str, str] | None:
        """(Redis URL, channel) where what other processes did is published; None when not shared. A
        message carries one event or several, one per line (``decode_event`` reads one line)."""

    def listen(self, seconds: float) -> None:
        """Something in this process hears notifications through the feed (an open stream): every
        notification any process appends in the next ``seconds`` is published there, once this returns.
        Without it a shared store publishes none (nothing would read them; each costs Redis and every
        subscriber a message), only work's due times, resets and clock changes. Not shared: ignored."""

    def decode_event(self, data: bytes, *, notifications: bool = True) -> tuple[str, object] | None:
        """One message of the feed as (kind, value): ("notification", Notification), ("due", time),
        ("reset", None), ("clock", state); None for what this process published itself (or junk), and
        for a notification unless ``notifications`` (then it is not decoded: the hot path's messages)."""

    def begin(self) -> bool:
        """True when the store holds no state yet and this caller sets it up (with a reset); False:
        another process has (or is doing it) and this one adopts what is there."""

    def join(self) -> int:
        """A number no other process serving this state since its last clear has (0 for the first):
        seeds this process's id stream, so ids drawn from one ``--seed`` never collide."""

    def shared_secret(self, proposed: str) -> str:
        """The state's signing secret: ``proposed`` when none is kept since the last clear, else the kept one."""

    def clock_state(self) -> dict[str, object] | None:
        """The clock every process of this state follows (mode, offset, manual time), if one was put."""

    def put_clock_state(self, state: dict[str, object]) -> None:
        """Keep the clock's state (a reset keeps it; other processes adopt it)."""

    def clock_moved(self) -> dict[str, object] | None:
        """The clock's state when another process may have changed it since this process last asked
        (None: unchanged, and always on a store of one process). Asked at the start of each request,
        so a clock change made before the request started is followed by it."""

    def clear(self, seed: int | None) -> None:
        """Forget every record; ``seed`` reseeds the store's own randomness (fault probabilities)."""

    # --- ids -------------------------------------------------------------------------------------
    def next_id(self) -> int:
        """The next of one increasing counter (notification and webhook event ids), 1 after a clear."""

    # --- accounts and credits --------------------------------------------------------------------
    def get_user(self, token: str) -> User | None: ...
    def get_account(self, token: str) -> User | None:
        """``get_user`` for a caller that reads who the user is (token, plan, entitlements), not its credits
        (their figures may be stale). A shared store may answer a copy it kept, named by its ``version``:
        the caller confirms it before acting on it (``rate_hit_reserve_and_start``'s ``version``), and
        reads afresh with ``get_user`` before refusing the request on it."""

    def put_user(self, user: User) -> None: ...
    def add_user(self, user: User) -> User:
        """Keep ``user`` unless its token is kept already: then the kept one (two processes creating
        the same new user at once agree on one record, and no reservation is overwritten)."""

    def change_user(
        self, token: str, *, plan: str | None, credits: float | None, entitlements: frozenset[str] | None
    ) -> User | None:
        """Set the named fields of a kept user (``credits`` also restarts ``charged`` at 0) in one step that
        writes nothing else, so a reservation made at the same moment is kept; the user after it (None if
        unknown). ``put_user`` writes the whole record: for setting one up, not for changing it."""

    def users(self) -> list[User]:
        """Every user, in creation order."""

    def reserve_credits(self, token: str, amount: float) -> tuple[bool, float, float]:
        """Reserve ``amount`` if ``credits - in_progress >= amount``; (reserved, credits, in_progress) before."""

    def settle_credits(self, token: str, amount: float, *, charge: bool) -> None:
        """End a reservation: ``charge`` turns it into a charge, otherwise it is released."""

    def settle_and_notify(
        self, token: str, amount: float, *, charge: bool, notifications: list[Notification]
    ) -> WebhookConfig | None:
        """What a variation's end stores: ``settle_credits``, then ``append_notification`` of each, in as
        few round trips as the store can; the owner's webhook config as the last append read it."""

    def rate_hit(self, key: str, now: float, limit: int, window: float) -> float | None:
        """Count a request in the sliding window; None if allowed, else the oldest counted hit's time."""

    def rate_hit_and_reserve(
        self, key: str, now: float, limit: int, window: float, token: str, amount: float
    ) -> tuple[float | None, tuple[bool, float, float] | None]:
        """``rate_hit``, then, unless that limited it, ``reserve_credits``, in one step: (``rate_hit``'s
        answer, ``reserve_credits``'s or None when limited). A plain ``/edit-chat`` reads nothing between."""

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
        """``rate_hit_and_reserve``, then, if it reserved, ``start_generation(*start, new=True)``, in one
        step: (its two answers, ``start_generation``'s or None when nothing started). A plain
        ``/edit-chat`` builds its job first, so its whole admission is one step. ``version``: the user's
        the request was checked against; unless it is still the stored one, nothing is done and
        ``StaleAccount`` raised (with the user as stored now)."""

    # --- files, jobs, identities -----------------------------------------------------------------
    def get_file(self, file_id: str) -> StoredFile | None: ...
    def put_file(self, stored: StoredFile) -> None: ...
    def get_job(self, job_id: str) -> Job | None: ...
    def put_job(self, job: Job) -> None: ...
    def update_job(self, job_id: str, change: Callable[[Job], T]) -> T | None:
        """``change(job)`` and store the job, as one atomic step; None (nothing stored) if there is no such job
        or ``change`` returns None. ``change`` may run more than once (a shared store retries it when another
        process wrote the job meanwhile), so it must only change the job it is given."""

    def as_one_step(self, step: Callable[[], T]) -> T:
        """``step()``: the store calls it makes (a variation's end: ``update_job``, then ``settle_and_notify``)
        as one atomic step where the store can, and the work being run (``claim_due``'s last) released with
        it. ``step`` may run more than once (a shared store runs it again when the job it changed was
        written meanwhile: then nothing of the earlier run was stored), so it must change nothing but
        through the store, and what it returns is its last run's."""

    def start_generation(
        self, job: Job, works: list[Work], notification: Notification, *, new: bool
    ) -> WebhookConfig | None:
        """What accepting an ``/edit-chat`` stores, in as few round trips as the store can: ``put_job(job)``
        (``new``: the job was never stored), ``schedule`` each of ``works``, then ``append_notification``
        (whose answer this is). The job is stored before its work can be claimed."""

    def recent_jobs(self, limit: int) -> list[Job]:
        """At most ``limit`` jobs, newest first (by creation time, then id)."""

    def default_identities(self) -> dict[str, list[Identity]]:
        """The platform's identities by tier (drawn at a clear, so a seed reproduces their codes)."""

    def put_default_identities(self, defaults: dict[str, list[Identity]]) -> None: ...
    def own_identities(self, owner: str) -> list[Identity]:
        """A user's own identities, oldest first."""

    def get_identity(self, code: str) -> Identity | None:
        """A user-created identity by code (defaults are in ``default_identities``)."""

    def put_identity(self, identity: Identity) -> None: ...

    def add_project(self, project: Project) -> Project:
        """Keep ``project`` under the next project id unless its owner has the name: then the kept one."""

    def get_project(self, owner: str, name: str) -> Project | None: ...
    def add_project_file(self, owner: str, name: str, file_id: str) -> Project:
        """Append an upload to an existing project; the project after it."""

    def projects(self, owner: str) -> list[Project]:
        """A user's projects, oldest first."""

    # --- notifications ---------------------------------------------------------------------------
    def append_notification(self, notification: Notification) -> WebhookConfig | None:
        """Append to its owner's log, giving it the next id (``next_id``), which becomes the newest id;
        the owner's webhook config at that moment (``get_webhook``), which decides its delivery.

        Taking the id and appending are one step, so ids are in append order across processes; reading
        the config in the same step saves a publish a second round trip on a shared store."""

    def notifications(self, owner: str, *, after: int = 0) -> list[Notification]:
        """The owner's notifications with id > ``after``, oldest first, deleted ones included."""

    def all_notifications(self, owners: Iterable[str] | None = None) -> list[Notification]:
        """Every notification (of ``owners``), in id order."""

    def delete_notification(self, owner: str, notification_id: int) -> Notification | None:
        """Mark one deleted; None when unknown, another user's or already deleted."""

    def newest_notification_id(self) -> int:
        """The id of the latest notification since the last clear (0 if none)."""

    # --- webhooks --------------------------------------------------------------------------------
    def get_webhook(self, owner: str) -> WebhookConfig | None: ...
    def put_webhook(self, config: WebhookConfig) -> None: ...
    def delete_webhook(self, owner: str) -> None:
        """Remove the config and cancel the owner's pending deliveries."""

    def put_delivery(self, delivery: Delivery) -> None: ...
    def get_delivery(self, delivery_id: str) -> Delivery | None: ...
    def deliveries(self, owner: str | None = None) -> list[Delivery]:
        """In creation order."""

    def claim_attempt(self, delivery_id: str, now: float) -> Attempt | None:
        """Start the next attempt of a pending delivery (appended to it); None if it is no longer pending."""

    # --- faults, journal -------------------------------------------------------------------------
    def add_fault(self, rule: FaultRule) -> FaultRule:
        """Store a rule, giving it the next rule id."""

    def faults(self) -> list[FaultRule]: ...
    def has_faults(self) -> bool:
        """Cheap test on every request's path."""

    def take_fault(self, kind: str, method: str | None, path: str | None, token: str | None) -> FaultRule | None:
        """The first live rule of ``kind`` matching, consuming one of its ``times`` (a seeded draw for
        ``probability`` < 1); a spent rule is removed."""

    def remove_fault(self, rule_id: int) -> bool:
        """Drop one rule by id; False when there is none (used up or removed already)."""

    def clear_faults(self) -> None: ...
    def append_journal(self, entry: Entry, *, max_entries: int, max_bytes: int) -> None:
        """Append, giving the entry the next sequence number (1 after a clear, never reused: ``journal``
        reads it back; ``entry`` itself may keep 0, the Redis store does not wait for the number); then
        drop the oldest entries while more than ``max_entries`` are kept or the ``size`` of those kept
        sums past ``max_bytes``. The entry just appended is always kept, whatever its size. Whoever reads
        the journal after this returned finds it, through any process of a shared store."""

    def journal(self, *, user: str | None = None, path: str | None = None, since: int = 0) -> list[Entry]: ...
    def clear_journal(self) -> None: ...

    # --- scheduled work --------------------------------------------------------------------------
    def schedule(self, work: Work) -> None:
        """Keep ``work`` until a scheduler claims it (at or after ``work.due``)."""

    def claim_due(self, now: float, done: Work | None = None) -> Work | None:
        """Claim the earliest work due at ``now`` (ties in scheduling order), or None. A claim is a
        lease: until ``done`` it is held for this caller; a store shared by processes hands work
        whose lease ran out (its process died) to the next claimant. ``done``: work this caller
        claimed and ran, whose lease ends first, in the same step (as ``done(work)``, one round trip
        fewer for each work a scheduler runs)."""

    def done(self, work: Work) -> None:
        """The claimed ``work`` ran (or failed for good): drop its lease."""

    def next_due(self) -> float | None:
        """When the earliest pending work falls due."""

    def pending_work(self) -> int:
        """Work waiting on the clock, watches (``webhook_watch``, bookkeeping) not counted."""

    # --- retention -------------------------------------------------------------------------------
    def drop_before(self, cutoff: float) -> dict[str, int]:
        """Forget the records retention no longer keeps; how many of each kind went, as
        ``{"jobs": n, "notifications": n, "deliveries": n, "files": n}`` (every key present, 0 if none).

        Dropped, and nothing else:

        - a job whose every variation is final (none ``processing``) and whose ``updated_at`` < ``cutoff``;
        - a notification whose ``timestamp`` < ``cutoff``, deleted or not;
        - a delivery whose ``status`` is not ``"pending"`` and whose ``created_at`` < ``cutoff``;
        - a file (uploaded or not) whose ``created_at`` < ``cutoff``.

        Never dropped: users, identities, projects (they keep their dropped files' ids), webhook
        configs, fault rules, journal entries (``append_journal`` bounds them), scheduled work, a
        pending delivery, a job with a variation in progress. A dropped record is gone as if never
        stored: ``get_*`` answers None and every listing and ``counts`` leave it out. Counters are
        untouched (``next_id``, ``newest_notification_id``, project ids, journal sequence numbers).
        """

    def cap_uploads(self, max_bytes: int) -> int:
        """Drop whole files holding data, oldest ``created_at`` first (ties: the one stored first), while
        the data of the files kept sums past ``max_bytes``; a file with no data (or empty data) is not
        dropped for the cap, and the file holding the last bytes is kept whatever its size. How many
        files were dropped (gone as in ``drop_before``). Called after each completed upload."""

    # --- for benchmarks and the control API ------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """How many records of each kind are kept (users, files, jobs, projects, notifications, deliveries,
        journal, scheduled), and ``journal_bytes`` (the sum of the kept entries' ``size``) and
        ``upload_bytes`` (the sum of the kept files' data lengths)."""

"""``Backend``: the only door to the mock's state; its methods are the API's operations.

It knows nothing of Starlette or sockets: endpoints parse a request, call one method here, and
render what it returns (or the ``ApiError`` it raises). Its components (accounts, files, jobs,
identities, notifications, webhooks, faults, journal, scheduler) are private: every caller outside
this package uses these methods, and every record lives in the ``Store``. What the live parts at
the edge must act on (a notification for open streams, a webhook attempt to make, a timer to arm,
a reset) is emitted as an event (``mock_server.backend.events``) to ``listeners``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mock_server.backend import credits
from mock_server.backend._reduce import Reduced, reduce_record
from mock_server.backend.accounts import Accounts, User, check_plan, check_users, load_users_file
from mock_server.backend.attempts import Attempt
from mock_server.backend.clock import Clock, Scheduler
from mock_server.backend.errors import ApiError
from mock_server.backend.events import AttemptStarted, ClockChanged, Event, Published, Scheduled, WasReset
from mock_server.backend.faults import Faults, fault_error
from mock_server.backend.files import Files
from mock_server.backend.identities import Identities
from mock_server.backend.ids import IdSource
from mock_server.backend.images import RenderSpec
from mock_server.backend.jobs import Generation, ImageRef, Job, Variation
from mock_server.backend.journal import Journal
from mock_server.backend.links import Links
from mock_server.backend.notifications import Filters, ImageResult, Notification, Notifications
from mock_server.backend.overview import job_overview
from mock_server.backend.projects import Projects, check_name
from mock_server.backend.rate_limit import RateLimiter
from mock_server.backend.results import Sources, job_results, job_status
from mock_server.backend.retention import Retention
from mock_server.backend.signing import Signer
from mock_server.backend.webhooks import Delivery, WebhookConfig, Webhooks
from mock_server.backend.work import Work
from mock_server.settings import Settings
from mock_server.store import StaleAccount, Store, open_store
from piktid_spec import (
    CREDITS_PER_IMAGE,
    DEFAULT_ENGINE,
    EditChatRequest,
    Violation,
    output_size,
    rejection,
    thumbnail_size,
)
from piktid_spec.validate import validate_and_read

Listener = Callable[[Event], None]
SharedEvent = Published | Scheduled | WasReset | ClockChanged
"""What another process of a shared store did, as ``Backend.apply_shared`` takes it."""
Sender = Callable[[AttemptStarted], None]
LISTEN_SECONDS = 10.0
"""How long one ``listen`` keeps a shared store publishing notifications; the runtime renews it every
second while a stream is open here (a loop stalled this long, or a Redis unreachable this long, lets it
lapse: streams then miss what is appended until the next renewal, as they miss what a lost feed missed)."""


@functools.lru_cache(maxsize=16)
def _lowered_pairs(terms: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Each term with its lowercase form, paired once (the content filter reads them on every request)."""
    return tuple(zip(terms, _lowered(terms), strict=True))


@functools.lru_cache(maxsize=16)
def _lowered(terms: tuple[str, ...]) -> tuple[str, ...]:
    """A term list lowercased once (the content filter and the refusal check read one per request)."""
    return tuple(term.lower() for term in terms)


@dataclass(slots=True)
class Accepted:
    """A job ``edit_chat`` accepted: the 202 body and the warnings a non-strict mock let through. (Not
    frozen: one per ``POST /edit-chat``, and a frozen dataclass's ``__init__`` costs twice a plain one's.)"""

    body: dict[str, Any]
    warnings: list[Violation]

    def __init__(self, body: dict[str, Any], warnings: list[Violation]) -> None:
        """Written out, not generated: mypyc compiles it (``docs/architecture.md``, "Compiled with mypyc")."""
        self.body, self.warnings = body, warnings

    def __reduce__(self) -> Reduced:
        return reduce_record(self)


@dataclass(frozen=True, slots=True)
class LiveFrame:
    """What an open stream does with a notification published while it is open."""

    send: bool
    close_after: bool


def _presets(settings: Settings) -> list[dict[str, Any]]:
    """The users a reset restores: the users file's, then ``extra_users`` (both checked)."""
    users = load_users_file(settings.users_file) if settings.users_file else []
    return [*users, *check_users(settings.extra_users, "extra_users")]


class Backend:
    """The mock's whole state and the API operations on it: what every endpoint, the control API and
    the harness call. One instance is one mock; its settings, clock, id source and store decide every answer.

    On a shared store that already holds a mock's state (another worker's, or this mock's before a
    restart) the new backend joins it, clock included; ``fresh=True`` clears it instead and starts
    from the settings' seed and clock (what a test harness wants: a new, empty mock)."""

    def __init__(self, settings: Settings | None = None, *, store: Store | None = None, fresh: bool = False) -> None:
        self.settings = settings or Settings()
        """The configuration (read-only for callers): the one attribute that is not an operation."""
        self._clock = Clock(self.settings.clock)
        self._store = store or open_store(
            self.settings.store, seed=self.settings.seed, prefix=self.settings.store_prefix
        )
        self.listeners: list[Listener] = []
        """Called with every ``Event``, in order (the runtime's streams and timer). On a shared store a
        notification reaches them through the feed, which carries notifications only while some process
        listens: after attaching one of your own, call ``listen`` (the runtime renews it each second)."""
        self.sender: Sender | None = None
        """Makes webhook attempts (the runtime); without one an attempt fails at once ("no event loop")."""
        self.runtime: object = None
        """The live edge attached to this backend, set and read by ``mock_server.runtime.runtime_for`` (held
        here, not in a weak map: a compiled ``Backend`` takes no weak references)."""
        self.epoch = 0
        """Counts resets: the runtime tags work in flight with it, so a report from before a reset is dropped."""
        self._preset_users = _presets(self.settings)
        """Read once: a reset restores them even if the file has changed or gone since."""
        first = self._store.begin()
        if first or fresh:
            self._store.put_clock_state(self._clock.state())
            self.reset(self.settings.seed)
        else:
            self._adopt()

    def renew(self, settings: Settings) -> None:
        """Become what ``Backend(settings, fresh=True)`` on this store would be: these settings, a new clock
        (mode from the settings, no offset), the preset users read again, then a reset from the settings'
        seed. The listeners and the sender (the runtime) stay. The test harness keeps a built app between
        tests with it, which costs less than building one."""
        self.settings = settings
        self._clock = Clock(settings.clock)
        self._preset_users = _presets(settings)
        self._store.put_clock_state(self._clock.state())
        self.reset(settings.seed)

    def reset(self, seed: int | None = None) -> None:
        """Forget everything (users, files, jobs, notifications, webhooks, pending work); the clock goes on."""
        self._store.settle()  # calls waiting for the store end first: none resumes on the emptied state
        self._store.clear(seed)
        self._components(seed)
        self._identities.draw_defaults(self._clock.now())
        for entry in self._preset_users:
            self.add_user(entry)

    def _adopt(self) -> None:
        """Take the state another process of a shared store set up (at start, or after its reset)."""
        state = self._store.clock_state()
        if state is not None:
            self._clock.adopt(state)
        self._components(self.settings.seed)

    def _components(self, seed: int | None) -> None:
        s, store = self.settings, self._store
        self.epoch += 1
        self._emit(WasReset(self.epoch))
        self._ids = IdSource(seed, store.join())
        self._links = Links(Signer(store.shared_secret(self._ids.secret())))
        self._accounts = Accounts(store, not s.strict, s.open_plan, s.open_credits)
        self._rate = RateLimiter(self._clock, s.rate_limit, s.rate_window, store)
        self._files = Files(
            store, self._clock, self._ids, self._links, s.upload_ttl, (s.upload_max_bytes, s.upload_total_bytes)
        )
        self._retention = Retention(store, self._clock, s.retention)
        self._identities = Identities(store, self._ids)
        self._projects = Projects(store, self._ids)
        self._scheduler = Scheduler(
            self._clock,
            store,
            {"variation": self._run_variation, "webhook_watch": self._run_watch, "webhook_attempt": self._run_attempt},
        )
        self._scheduler.on_schedule = self._scheduled
        self._scheduler.on_shift = self._share_clock
        self._notifications = Notifications(self._clock, store)
        self._webhooks = Webhooks(store, self._clock, self._ids, s, self._scheduler, self._start_attempt)
        self._faults = Faults(store)
        self._journal = Journal(
            store, max_body=s.journal_body_bytes, max_entries=s.journal_max_entries, max_bytes=s.journal_max_bytes
        )
        self._sources = Sources(self._files, self._links)

    def add_user(self, entry: dict[str, Any]) -> User:
        """A user from a checked users-file entry (see ``check_users``)."""
        user = self._accounts.add(
            entry["token"], entry.get("plan", "pro"), float(entry.get("credits", self.settings.open_credits))
        )
        for identity in entry.get("identities") or ():
            self._identities.create(user.token, identity.get("name") or None, self._clock.now())
        return user

    # --- events to the edge ----------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        for listener in self.listeners:
            listener(event)

    def _scheduled(self, due: float, clock_moved: bool = False) -> None:
        if self.listeners:  # ``_emit`` written out: once per new work, hot path
            event = Scheduled(due, clock_moved)
            for listener in self.listeners:
                listener(event)

    def _published(self, notifications: list[Notification], config: WebhookConfig | None) -> None:
        """The one to three notifications a store step appended (numbered, in order), with the owner's
        webhook config the step read: now the edge and the webhooks hear of each, in order. No event is
        built when no listener is attached (a backend without a runtime), nor on a shared store (the feed
        brings it); with no webhook config (``config`` None) there is nothing to deliver. (``_emit``'s
        loop written out: three notifications per variation, hot path.)"""
        listeners = self.listeners if not self._store.shared else ()
        for notification in notifications:
            if listeners:
                event = Published(notification)
                for listener in listeners:
                    listener(event)
            if config is not None:
                self._webhooks.on_notification(notification, config)

    def recover(self) -> bool:
        """A shared store that lost its state (a Redis restarted without persistence) starts anew from
        the settings, as a fresh mock, instead of failing every read; True if it had to."""
        if not self._store.begin():
            return False
        self._store.put_clock_state(self._clock.state())
        self.reset(self.settings.seed)
        return True

    @property
    def suspends(self) -> bool:
        """Whether ``edit_chat`` is best run inside ``mock_server.store.suspending`` (``Store.suspends``): its
        wait for the store then lets the loop serve other requests. Called directly it works the same."""
        return self._store.suspends

    def feed(self) -> tuple[str, str] | None:
        """(Redis URL, channel) the runtime subscribes to when the store is shared; None otherwise."""
        return self._store.feed()

    def listen(self) -> None:
        """Something here hears notifications through the feed (an open stream, a listener attached): a
        shared store publishes every notification for the next ``LISTEN_SECONDS`` (the runtime renews it
        while so). A stream's backlog asks by itself (``stream_backlog``)."""
        self._store.listen(LISTEN_SECONDS)

    def apply_feed(self, data: bytes, *, notifications: bool = True) -> None:
        """One message of the feed (see ``apply_shared``); junk and this process's own echoes are ignored,
        and a notification unread unless ``notifications`` (nothing here would hear of it)."""
        decoded = self._store.decode_event(data, notifications=notifications)
        if decoded is None:
            return
        kind, value = decoded
        if kind == "notification" and isinstance(value, Notification):
            self.apply_shared(Published(value))
        elif kind == "due" and isinstance(value, float):
            self.apply_shared(Scheduled(value))
        elif kind == "reset":
            self.apply_shared(WasReset(self.epoch))
        elif kind == "clock" and isinstance(value, dict):
            self.apply_shared(ClockChanged(value))

    def apply_shared(self, event: SharedEvent) -> None:
        """What another process of a shared store (or this one, through it) did: the runtime's feed.

        Every process emits a shared store's notifications from here, in the store's id order, so a
        stream anywhere sees one sequence; a reset elsewhere rebuilds this process's components on
        the new state; a clock change elsewhere is followed here.
        """
        if isinstance(event, Published):
            self._emit(event)
        elif isinstance(event, Scheduled):
            self._scheduled(event.due)
        elif isinstance(event, WasReset):
            self._components(self.settings.seed)
        else:
            self._clock.adopt(event.state)
            self._emit_next_due()

    def _start_attempt(self, delivery: Delivery, attempt: Attempt) -> None:
        timeout = self._faults.take("webhook_timeout", token=delivery.owner) is not None
        started = AttemptStarted(delivery, attempt, timeout, self.epoch)
        if self.sender is None:
            self.settle_attempt(started, error="no event loop")
        else:
            self.sender(started)

    def settle_attempt(
        self,
        started: AttemptStarted,
        *,
        status_code: int | None = None,
        error: str | None = None,
        duration: float | None = None,
    ) -> None:
        """The runtime's report of an attempt; ignored if the state was reset since it started."""
        if started.epoch == self.epoch:
            self._webhooks.settle(started.delivery.id, started.attempt.number, status_code, error, duration)

    def _run_watch(self, work: Work) -> None:
        delivery_id, number, deadline = work.key
        self._webhooks.watch(delivery_id, int(number), float(deadline))

    def _run_attempt(self, work: Work) -> None:
        self._webhooks.attempt(work.key[0])

    # --- uploads and storage --------------------------------------------------------------------
    def upload(self, user: User, body: object, base_url: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError("invalid_body", "The request body must be a JSON object.")
        filename, project = body.get("filename"), body.get("project_name")
        if filename is not None and not isinstance(filename, str):
            raise ApiError("invalid_type", "filename: Wrong type: string expected.", field="filename")
        if project is not None:
            check_name(project)
        answer = self._files.create_upload(user.token, filename or None, project, self.settings.public_url or base_url)
        if project is not None:
            answer["project_id"] = self._projects.file_into(
                user.token, project, answer["file_id"], self._clock.now()
            ).project_id
        return answer

    def check_upload(
        self,
        file_id: str,
        query: Mapping[str, str],
        content_type: str | None,
        has_authorization: bool,
        length: int | None,
    ) -> str:
        """Everything S3 checks before it reads a PUT's body (403, 400, 413); the file id to complete."""
        return self._files.check_put(file_id, query, content_type, has_authorization, length).file_id

    def upload_too_large(self) -> ApiError:
        return self._files.too_large()

    def complete_upload(self, file_id: str, data: bytes, image_size: tuple[int, int] | None) -> str:
        """Store the PUT's bytes (``image_size`` None: not decodable, refused when referenced); the ETag."""
        stored = self._files.get(file_id)
        if stored is None:  # reset while the body was read: the link is no longer valid
            raise ApiError("upload_signature_mismatch")
        self._files.complete_upload(stored, data, image_size)
        return f'"{file_id}"'

    def file_info(self, file_id: str) -> dict[str, Any] | None:
        """What the mock keeps of an upload (owner, filename, project, bytes received, decoded size), or None."""
        stored = self._files.get(file_id)
        if stored is None:
            return None
        return {
            "file_id": stored.file_id,
            "owner": stored.owner,
            "filename": stored.filename,
            "project_name": stored.project_name,
            "uploaded": stored.uploaded,
            "image_size": stored.image_size,
        }

    def uploaded(self, file_id: str, name: str) -> tuple[bytes, str] | None:
        """(bytes, content type) an upload's download link names, or None (404) if not a live link."""
        stored = self._files.downloadable(file_id, name)
        return None if stored is None or stored.data is None else (stored.data, stored.content_type)

    # --- projects ------------------------------------------------------------------------------
    def create_project(self, user: User, body: object) -> dict[str, Any]:
        """``POST /project {"project_name"}``: the new project, or 409 with the existing one's ``project_id``."""
        if not isinstance(body, dict):
            raise ApiError("invalid_body", "The request body must be a JSON object.")
        if "project_name" not in body:
            raise ApiError("invalid_parameter", "project_name: required.", field="project_name")
        name = check_name(body["project_name"])
        return self._projects.create(user.token, name, self._clock.now()).as_json()

    def list_projects(self, user: User, query: Mapping[str, str]) -> dict[str, Any]:
        return self._projects.listing(user.token, query)

    # --- identities ----------------------------------------------------------------------------
    def upload_identity(
        self, user: User, image: bytes, filename: str | None, name: str | None, tag: str | None
    ) -> dict[str, Any]:
        """A new identity from a decodable face image; 409 naming the existing one for the same bytes."""
        same = self._identities.same_image(user.token, image)
        if same is not None:
            raise ApiError(
                "identity_exists",
                f"image: this face is already saved as identity {same.identity_code!r}.",
                existing_identity_code=same.identity_code,
                existing_identity_name=same.name,
            )
        identity = self._identities.create(user.token, name, self._clock.now(), tag=tag, filename=filename, image=image)
        return {**identity.as_json(), "success": True, "face_detected": True}

    # --- /edit-chat ----------------------------------------------------------------------------
    def edit_chat(self, user: User, payload: object, base_url: str, *, outcome: str | None = None) -> Accepted:
        """Validate (400/403), rate-limit (429), resolve (404/400), filter (403), reserve (402), schedule.

        ``user`` may be a copy a shared store kept (its ``version``, ``Store.get_account``): a plain request's
        admission confirms it is current in the same step; a refusal, or a request needing more than that
        step, first reads the user afresh and runs on it. Checked against a changed user, it runs again."""
        kept = user.version is not None
        try:
            return self._edit_chat(user, payload, base_url, outcome, kept=kept)
        except StaleAccount as stale:
            fresh = stale.fresh
        return self._edit_chat(fresh or self._accounts.authenticate(user.token), payload, base_url, outcome, kept=False)

    def _edit_chat(self, user: User, payload: object, base_url: str, outcome: str | None, *, kept: bool) -> Accepted:
        """``edit_chat`` on ``user``; ``kept``: it may be stale (then read afresh before anything but the plain
        admission acts on it)."""
        violations, usable = validate_and_read(payload, account=user.plan_account())
        rejected = rejection(violations, strict=self.settings.strict)
        if rejected:
            if kept:
                return self._edit_chat(self._accounts.authenticate(user.token), payload, base_url, outcome, kept=False)
            raise ApiError.from_violations(*rejected)
        request = EditChatRequest.from_payload(payload, violations, usable)
        price = CREDITS_PER_IMAGE[request.size]
        if self._plain(request) and (outcome is not None or not self._store.has_faults()):
            job, works, batch, config = self._start_plain(user, request, price, base_url, outcome, kept)
        elif kept:
            return self._edit_chat(self._accounts.authenticate(user.token), payload, base_url, outcome, kept=False)
        else:
            job, works, batch, config = self._start_after_checks(user, request, price, base_url, outcome)
        self._scheduler.stored(works)
        self._published([batch], config)
        return Accepted(
            {"job_id": job.job_id, "conversation_id": job.job_id, "status": "processing"},
            [v for v in violations if not v.is_error],
        )

    def _start_plain(
        self, user: User, request: EditChatRequest, price: float, base_url: str, outcome: str | None, kept: bool
    ) -> tuple[Job, list[Work], Notification, WebhookConfig | None]:
        """A request naming nothing to resolve, passing the filter, with no fault rule to consume: its new
        job, work and notification are built first, then counted, reserved and stored in one store step
        (one round trip on Redis), which confirms ``user`` is current if ``kept``. Refused (429, 402) or
        stale (``StaleAccount``): nothing is started, its ids are given back."""
        mark, now = self._ids.mark(), self._clock.now()  # one reading: its job, variations, notification, hit
        job = self._new_job(user, base_url, now)
        generation = self._start(job, request, None, (), (), price, outcome, now)
        works, batch = self._works(job, generation), self._batch_notification(job, generation, now)
        drawn = self._ids.mark()  # the store step may wait (``Store.suspends``): others may draw meanwhile
        try:
            amount = price * request.num_variations
            version = user.version if kept else None
            config = self._rate.hit_reserve_and_start(user.token, amount, (job, works, batch), now, version=version)
        except (ApiError, StaleAccount):
            self._ids.rewind(mark, drawn)
            raise
        return job, works, batch, config

    def _start_after_checks(
        self, user: User, request: EditChatRequest, price: float, base_url: str, outcome: str | None
    ) -> tuple[Job, list[Work], Notification, WebhookConfig | None]:
        """Any other request: checked and reserved (``_admit``), then its generation stored in one step."""
        now = self._clock.now()  # one reading for the whole step: its hit, job, variations and notification
        job, working, references, identities = self._admit(user, request, price * request.num_variations, now)
        new = job is None
        job = job or self._new_job(user, base_url, now)
        outcome = outcome or self._faults.outcome(user.token)
        generation = self._start(job, request, working, references, identities, price, outcome, now)
        works, batch = self._works(job, generation), self._batch_notification(job, generation, now)
        return job, works, batch, self._store.start_generation(job, works, batch, new=new)

    def _works(self, job: Job, generation: Generation) -> list[Work]:
        return [
            Work(v.due, "variation", (job.job_id, str(generation.image_index), str(v.group_index)))
            for v in generation.variations
        ]

    def _plain(self, request: EditChatRequest) -> bool:
        """Names nothing to resolve (a conversation, images, identities) and passes the content filter."""
        return (
            request.conversation_id is None
            and not request.image_ids
            and not request.identity_codes
            and not self._blocked(request)
        )

    def _admit(
        self, user: User, request: EditChatRequest, amount: float, now: float
    ) -> tuple[Job | None, ImageRef | None, tuple[ImageRef, ...], tuple[tuple[str, str], ...]]:
        """Rate-limit (429), resolve (404/400), filter (403), reserve (402), in that order. A request that
        names nothing to resolve and passes the filter counts and reserves in one store step."""
        plain = request.conversation_id is None and not request.image_ids and not request.identity_codes
        if plain and not self._blocked(request):
            self._rate.hit_and_reserve(user.token, amount, now)
            return None, None, (), ()
        self._rate.hit(user.token, now)
        job = self._conversation(user, request.conversation_id)
        working, references, identities = self._resolve(user, request, job)
        self._content_filter(request)
        credits.reserve(self._store, user.token, amount)
        return job, working, references, identities

    def _conversation(self, user: User, conversation_id: str | None) -> Job | None:
        if conversation_id is None:
            return None
        job = self._store.get_job(conversation_id)
        if job is None or job.owner != user.token:
            raise ApiError("conversation_not_found", f"conversation_id: {conversation_id!r} not found.")
        return job

    def _resolve(
        self, user: User, request: EditChatRequest, job: Job | None
    ) -> tuple[ImageRef | None, tuple[ImageRef, ...], tuple[tuple[str, str], ...]]:
        files = [self._files.referenced(user.token, file_id) for file_id in request.image_ids]
        refs = [ImageRef("file", f.file_id, f.image_size or (0, 0)) for f in files]
        identities = tuple(
            (i.identity_code, i.name)
            for i in (self._identities.get(user.token, user.plan, code) for code in request.identity_codes)
        )
        working = job.last_output() if job else None
        if working is None and refs:
            working, refs = refs[0], refs[1:]
        return working, tuple(refs), identities

    def _content_filter(self, request: EditChatRequest) -> None:
        term = self._blocked(request)
        if term is not None:
            raise ApiError("content_blocked", f"prompt: blocked by the content filter (term {term!r}).")

    def _blocked(self, request: EditChatRequest) -> str | None:
        terms = self.settings.blocklist
        if not terms:
            return None
        prompt = (request.prompt or "").lower()
        for term, lowered in _lowered_pairs(terms):  # a loop: next() over a generator over zip() cost ~5,000
            if lowered in prompt:  # instructions, on every request
                return term
        return None

    def _new_job(self, user: User, base_url: str, now: float) -> Job:
        """A new job, stored by ``_start`` with its first generation (one write, not two)."""
        return Job(self._ids.new("job"), user.token, now, self.settings.public_url or base_url)

    def _start(
        self,
        job: Job,
        request: EditChatRequest,
        working: ImageRef | None,
        references: tuple[ImageRef, ...],
        identities: tuple[tuple[str, str], ...],
        price: float,
        outcome: str | None,
        now: float,
    ) -> Generation:
        size = output_size(request, working.size if working else None)
        generation = Generation(len(job.generations), request, now, size, working, references, identities)
        job.generations.append(generation)
        job.updated_at = now
        for index in range(request.num_variations):
            due = now + self.settings.latency * (index + 1)
            variation = Variation(index, price, due, forced=outcome if outcome != "completed" else None)
            generation.variations.append(variation)
        return generation

    # --- completion ----------------------------------------------------------------------------
    def _run_variation(self, work: Work) -> None:
        """A ``variation`` work fell due: ``_finish`` it (written out here: one call per completion)."""
        job_id, image_index, group_index = work.key
        ended = self._store.as_one_step(functools.partial(self._end, job_id, int(image_index), int(group_index)))
        if ended is not None:
            self._published(*ended)

    def _finish(self, job_id: str, image_index: int, group_index: int) -> None:
        """A variation's time has come: complete or fail it, settle its credits, notify, as one store step
        (``as_one_step``: on Redis one script, which also releases the work and claims the next)."""
        ended = self._store.as_one_step(functools.partial(self._end, job_id, image_index, group_index))
        if ended is not None:
            self._published(*ended)

    def _end(
        self, job_id: str, image_index: int, group_index: int
    ) -> tuple[list[Notification], WebhookConfig | None] | None:
        """What ``_finish`` stores: the notifications appended and the config read (None: nothing to do).

        The job is changed in one atomic step (``update_job``): on a shared store another process may be
        finishing another variation of the same job at the same moment, and a plain read then write
        would lose its outcome. The store may run this again (``as_one_step``).
        """
        now = self._clock.now()
        job = self._store.update_job(job_id, functools.partial(self._finished, image_index, group_index, now))
        if job is None:
            return None
        generation = job.generations[image_index]
        variation = generation.variations[group_index]
        data = self._image_result(job, generation, variation)
        charge = variation.status == "completed"
        if charge:  # its two links signed on first read (``ImageResult``)
            first: Notification = ImageResult(job.owner, now, data, self._links, job.base_url)
        else:
            first = Notification(0, job.owner, "image_result", now, data)
        batch = self._batch_notification(job, generation, now)
        notes = [first] if batch.data["status"] == "processing" else [first, batch]  # sent once all are final
        config = credits.settle(self._store, job.owner, variation.price, charge=charge, notifications=notes)
        return notes, config

    def _finished(self, image_index: int, group_index: int, now: float, job: Job) -> Job | None:
        """``job`` with that variation completed or failed (None: nothing to do). Changes only ``job``:
        ``update_job`` may run it again on a fresh copy."""
        if image_index >= len(job.generations):
            return None
        generation = job.generations[image_index]
        variation = generation.variations[group_index]
        if variation.final:
            return None
        model = generation.request.model
        refused = variation.forced == "refused" or self._refuses(generation.request.prompt)
        if variation.forced == "failed":
            self._fail(variation, "Generation failed (outcome forced by the mock).")
        elif refused and model != "auto":
            self._fail(
                variation,
                f"The {model} engine refused this request. Specifying an engine disables "
                'the fallback; use model "auto" to fall back to another engine.',
            )
        else:
            variation.status = "completed"
            variation.model_used = (
                self.settings.fallback_engine if refused else (DEFAULT_ENGINE if model == "auto" else model)
            )
        variation.finished_at = job.updated_at = now
        return job

    def _fail(self, variation: Variation, message: str) -> None:
        variation.status, variation.error_message = "failed", message

    def _refuses(self, prompt: str | None) -> bool:
        terms = self.settings.refusal_terms
        if not terms:
            return False
        text = (prompt or "").lower()
        for term in _lowered(terms):  # noqa: SIM110  (a loop: any() over a generator costs more, per variation)
            if term in text:
                return True
        return False

    def _image_result(self, job: Job, generation: Generation, variation: Variation) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id_task": job.job_id,
            "image_index": generation.image_index,
            "group_index": variation.group_index,
            "status": variation.status,
            "output_link": None,
            "output_thumbnail_link": None,
        }
        if variation.status == "completed":  # the two links are filled in when first read (``ImageResult``)
            data["model_used"] = variation.model_used
        else:
            data["error_message"] = variation.error_message
        return data

    def _batch_notification(self, job: Job, generation: Generation, now: float) -> Notification:
        """``batch_edit``: the generation's status (``Generation.status``) and how many variations are final,
        counted in one pass (twice per generation, hot path)."""
        processed = failed = 0
        for v in generation.variations:
            if v.status != "processing":
                processed += 1
                failed += v.status == "failed"
        total = len(generation.variations)
        status = "processing" if processed < total else ("failed" if failed == total else "completed")
        return Notification(
            0,
            job.owner,
            "batch_edit",
            now,
            {
                "id_task": job.job_id,
                "image_index": generation.image_index,
                "status": status,
                "job_type": "edit_chat",
                "total_images": total,
                "processed_images": processed,
            },
        )

    # --- jobs and outputs ----------------------------------------------------------------------
    def _job(self, user: User, job_id: str) -> Job:
        job = self._store.get_job(job_id)
        if job is None or job.owner != user.token:
            raise ApiError("job_not_found", f"job {job_id!r} not found.")
        return job

    def job_owner(self, job_id: str) -> str | None:
        """The token that owns a job, or None when there is no such job."""
        job = self._store.get_job(job_id)
        return None if job is None else job.owner

    def status(self, user: User, job_id: str) -> dict[str, Any]:
        return job_status(self._job(user, job_id))

    def results(self, user: User, job_id: str) -> dict[str, Any]:
        return job_results(self._sources, self._job(user, job_id))

    def output_link(self, job_id: str, image_index: int, group_index: int, variant: str) -> str:
        """The signed link of a variation's output (``variant``: full or thumb), whether or not it exists yet."""
        job = self._store.get_job(job_id)
        base = job.base_url if job else self.settings.public_url or ""
        return self._links.output_link(base, job_id, image_index, group_index, variant)

    def output(self, job_id: str, name: str) -> tuple[RenderSpec, tuple[int, int]] | None:
        """What to render for an output link's last path segment, or None (404) if not a live link."""
        job = self._store.get_job(job_id)
        named = self._links.parse_output(job_id, name) if job is not None else None
        if job is None or named is None:
            return None
        image_index, group_index = named.image_index, named.group_index
        generation = job.generations[image_index] if image_index < len(job.generations) else None
        variation = (
            generation.variations[group_index] if generation and group_index < len(generation.variations) else None
        )
        if generation is None or variation is None or variation.status != "completed":
            return None
        spec = RenderSpec(
            job_id,
            image_index,
            group_index,
            generation.request.prompt,
            variation.model_used or "",
            generation.request.size,
            *generation.size,
            seed=self._ids.seed or 0,
        )
        return spec, generation.size if named.variant == "full" else thumbnail_size(generation.size)

    # --- identities ------------------------------------------------------------------------------
    def list_identities(self, user: User, query: Mapping[str, str]) -> dict[str, Any]:
        """``GET /identity``: the user's own and its tier's defaults, with the v2 query (400 naming it)."""
        return self._identities.listing(user.token, user.plan, query)

    def identity(self, user: User, code: str) -> dict[str, Any]:
        """One identity the user may use; 404 for unknown, another user's or a locked tier's."""
        return self._identities.get(user.token, user.plan, code).as_json()

    def usable_identities(self, user: User) -> list[str]:
        """Codes the user may name in ``identity_codes``: its own, then its tier's defaults."""
        return [i.identity_code for i, locked in self._identities.visible(user.token, user.plan) if not locked]

    # --- notifications ---------------------------------------------------------------------------
    def notifications(self, user: User, filters: Filters) -> list[dict[str, Any]]:
        """``POST /notifications``: the user's undeleted notifications, oldest first."""
        return [n.as_json() for n in self._notifications.live(user.token, filters)]

    def delete_notification(self, user: User, notification_id: int) -> dict[str, Any]:
        n = self._notifications.delete(user.token, notification_id)
        return {"deleted": True, "id": n.id}

    def stream_backlog(self, owner: str, filters: Filters, last_event_id: int) -> tuple[int, list[Notification]]:
        """(id resumed after, what a new stream sends before ``backfill_complete``): undeleted, within the
        backfill horizon, after ``Last-Event-ID`` (an id beyond this state's newest, from before a reset,
        replays all). On a shared store, notifications are published from now on (``listen``): what was
        appended before is in the backlog, what comes after reaches this process's feed."""
        self._store.listen(LISTEN_SECONDS)
        after = self._notifications.resume_after(last_event_id)
        return after, self._notifications.backfill(owner, filters, self.settings.backfill_horizon, after=after)

    def live_frame(self, owner: str, notification: Notification) -> LiveFrame:
        """A live notification is sent unless deleted meanwhile; a ``drop_stream`` rule closes the stream after it."""
        send = not notification.deleted
        return LiveFrame(send, send and self._faults.drop_stream(owner))

    # --- webhooks --------------------------------------------------------------------------------
    def put_webhook(self, user: User, body: object) -> dict[str, Any]:
        return self._webhooks.put(user.token, body)

    def webhook(self, user: User) -> dict[str, Any]:
        return self._webhooks.get(user.token).as_json()

    def delete_webhook(self, user: User) -> dict[str, Any]:
        return self._webhooks.delete(user.token)

    def test_webhook(self, user: User) -> dict[str, Any]:
        return self._webhooks.test(user.token)

    # --- requests: journal and injected faults -------------------------------------------------
    def record_request(
        self,
        *,
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
        """Journal one API request; a retention sweep runs if one is due. (Named parameters, not
        ``**fields`` passed on: every request is journalled, and each ``**`` builds a dict.)"""
        now = self._clock.now()
        self._journal.record(now, method, path, query, user, status, code, violations, duration, body)
        self._retention.tick(now)

    def has_faults(self) -> bool:
        return self._store.has_faults()

    def follow_clock(self) -> None:
        """Called as each API request starts: a clock another process of a shared store changed (the
        control API's ``advance``, mode or time) is adopted before the request reads it, not only when
        the runtime's feed brings the change. No-op on the memory store."""
        state = self._store.clock_moved()
        if state is not None and state != self._clock.state():
            self.apply_shared(ClockChanged(state))

    def take_latency(self, method: str, path: str, token: str | None) -> float | None:
        """Seconds a ``latency`` rule adds to this request (consuming one use), or None."""
        rule = self._faults.take("latency", method=method, path=path, token=token)
        return None if rule is None else rule.delay

    def take_injected_error(self, method: str, path: str, token: str | None) -> ApiError | None:
        """The error a ``status`` rule answers this request with (consuming one use), or None."""
        rule = self._faults.take("status", method=method, path=path, token=token)
        if rule is None:
            return None
        user = self._accounts.get(token or "")
        return fault_error(rule, (user.credits, user.in_progress) if user else (0.0, 0.0), path=path)

    # --- accounts, clock and control -----------------------------------------------------------
    def authenticate(self, token: str | None, *, account_only: bool = False) -> User:
        """The user of ``token`` (401 unknown); ``account_only``: its credit figures are not read (they
        may be stale: a shared store may answer from a cache, ``Store.get_account``)."""
        return self._accounts.authenticate(token, account_only=account_only)

    def set_account(
        self,
        token: str,
        *,
        plan: str | None = None,
        credits: float | None = None,
        entitlements: Iterable[str] | None = None,
        identities: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        """Create or change a user; ``identities`` names new identities to give it; its ``account`` view.

        Setting credits sets the balance and restarts its conservation count (``charged``); variations
        already reserved are still charged on completion, so a balance set below them goes negative,
        as an account charged on completion would.
        """
        plan = None if plan is None else check_plan(plan)
        kept = self._accounts.get(token) or self._accounts.add(
            token, plan or self.settings.open_plan, self.settings.open_credits
        )
        changed = self._store.change_user(
            token,
            plan=plan,
            credits=None if credits is None else float(credits),
            entitlements=None if entitlements is None else frozenset(entitlements),
        )
        user = changed or kept
        for name in identities or ():
            self._identities.create(token, name, self._clock.now())
        return self._account_view(user)

    def account(self, token: str) -> dict[str, Any] | None:
        """The control API's view of a user (None if unknown): balance, reservations, charges, identities."""
        user = self._accounts.get(token)
        return None if user is None else self._account_view(user)

    def accounts(self) -> list[dict[str, Any]]:
        """Every user's ``account`` view, in creation order."""
        return [self._account_view(user) for user in self._store.users()]

    def _account_view(self, user: User) -> dict[str, Any]:
        own = [{"identity_code": i.identity_code, "name": i.name} for i in self._identities.own(user.token)]
        return {**user.as_dict(), "identities": own}

    def now(self) -> float:
        return self._clock.now()

    def clock(self) -> dict[str, Any]:
        """``{"mode", "now", "pending"}``: the clock and how much work waits on it."""
        return {"mode": self._clock.mode, "now": self._clock.now(), "pending": self._scheduler.pending()}

    def set_clock(self, mode: Literal["real", "manual"]) -> dict[str, Any]:
        """Switch kinds without a jump; work already due runs now (and what runs of it had claimed first)."""
        self._store.settle()
        self._clock.set_mode(mode)
        self._share_clock()
        self.run_due()
        return self.clock()

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the clock; every job completion, webhook retry and expiry that falls due runs now."""
        ran = self._scheduler.advance(seconds)
        self._retention.tick()
        self._emit_next_due()
        return {"now": self._clock.now(), "ran": ran, "pending": self._scheduler.pending()}

    def run_due(self) -> int:
        """Run the work that fell due (the real clock's timer calls this); how many ran."""
        ran = self._scheduler.run_due()
        self._retention.tick()
        self._emit_next_due()
        return ran

    def next_due(self) -> float | None:
        """When the earliest pending work falls due (None: nothing waits)."""
        return self._scheduler.next_due()

    def _share_clock(self) -> None:
        self._store.put_clock_state(self._clock.state())

    def _emit_next_due(self) -> None:
        due = self._store.next_due()
        if due is not None:
            self._scheduled(due, clock_moved=True)

    def pending_work(self) -> int:
        return self._scheduler.pending()

    def clock_mode(self) -> str:
        return self._clock.mode

    def add_fault(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Add a fault rule (checked: a bad one is a 400 naming the field); its JSON."""
        return self._faults.add(kind, **fields).as_json()

    def faults(self) -> list[dict[str, Any]]:
        return [rule.as_json() for rule in self._faults.rules()]

    def remove_fault(self, rule_id: int) -> bool:
        """Drop one rule by id; False when there is none (used up or removed already)."""
        return self._store.remove_fault(rule_id)

    def clear_faults(self) -> None:
        self._faults.clear()

    def journal(self, *, user: str | None = None, path: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        return self._journal.query(user=user, path=path, since=since)

    def clear_journal(self) -> None:
        self._journal.clear()

    def newest_notification_id(self) -> int:
        """The latest notification's id since the last reset (0 if none): what a viewer polls for change."""
        return self._store.newest_notification_id()

    def jobs_overview(self, limit: int) -> list[dict[str, Any]]:
        """At most ``limit`` jobs, newest first, as plain data (see ``job_overview``)."""
        return [job_overview(self._sources, job) for job in self._store.recent_jobs(limit)]

    def all_notifications(self, user: str | None = None) -> list[dict[str, Any]]:
        """Every notification (of ``user``), deleted ones too, with its owner."""
        items = self._notifications.all(None if user is None else [user])
        return [{**n.as_json(), "user": n.owner, "deleted": n.deleted} for n in items]

    def deliveries(self, user: str | None = None) -> list[dict[str, Any]]:
        return self._webhooks.log(user)

    def counts(self) -> dict[str, int]:
        """How many records of each kind the store keeps (for benchmarks and leak checks)."""
        return self._store.counts()

    def sweep(self) -> dict[str, int]:
        """Drop now what is older than ``Settings.retention`` (it also runs by itself, at most a minute
        apart, as requests arrive and the clock moves); how many of each kind went."""
        return self._retention.sweep()

    def dropped(self) -> dict[str, int]:
        """How many records of each kind retention has dropped since the last reset."""
        return dict(self._retention.dropped)

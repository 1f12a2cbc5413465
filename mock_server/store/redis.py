"""``RedisStore``: the state in Redis, so several processes and hosts serve one mock.

Every key starts with the store's prefix (``piktid-mock:`` by default), so mocks can share one
Redis. Each record is one JSON string (``codec``), a user a hash of JSON fields (so credits change
by script); lists of them are indexes of ids. Each protocol method is one atomic step: a Lua script
where the step is a counter, a window, a queue or the credits (ids, notifications, the rate limit,
scheduled work, the journal, reservations), a read then a compare-and-set script (``_SWAP``,
retried on a conflict) where it reads and rewrites a record (jobs, attempts), a ``WATCH``
transaction for the fault rules. The steps of one request that read nothing between them are one
script (``rate_hit_reserve_and_start``, the ``_FINISH`` of ``as_one_step``) and the journal's append
is posted (``Wire.post``): a ``POST /edit-chat`` with its completion is 3 round trips (its admission,
the claim, the variation's end): the user is the copy this process kept (``get_account``), which the
admission confirms by its ``version`` (``_CURRENT_USER``).

What one process appends or schedules, or a reset or a clock change, is published on the
``{prefix}events`` channel in the same script that makes it (a script's events one message, one
per line; notifications only while some process listens, ``listen``: most requests open no
stream), so the order subscribers see is the order of the state; ``decode_event`` reads a line
back (the runtime subscribes, reading the socket with hiredis, and hands each line to
``Backend.apply_feed``).

The clients here are synchronous: a backend operation runs whole between two awaits
(docs/architecture.md, "The store"), and each of its store calls is one loopback round trip. The
hot path's calls go through ``Wire`` (``mock_server.store.wire``), the rest through redis-py. Their
timeouts are short and nothing is retried, so an unreachable Redis is a ``StoreUnavailable``
(503) within a few seconds, never a hung worker. The fault rules are cached in the process until
``_Changes`` hears of a change (``_published``); users are kept but never trusted (``get_account``).
"""

from __future__ import annotations

import copy
import importlib
import itertools
import json
import math
import os
import random
import select
import ssl
import time
from collections.abc import Callable, Iterable
from functools import cache, wraps
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Concatenate, Final, ParamSpec, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from mock_server.store import codec
from mock_server.store._forks import forks
from mock_server.store.protocol import StaleAccount, StoreUnavailable
from mock_server.store.suspend import current
from mock_server.store.wire import Script, Wire

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

DEFAULT_PREFIX = "piktid-mock:"
LEASE_SECONDS = 10.0
"""How long claimed work stays with the process that claimed it; then another may run it."""
TIMEOUT = 2.0
"""Seconds a command may take (connect or reply) before the request fails with a 503."""

T = TypeVar("T")
P = ParamSpec("P")

_OUT = """
local out, listened = {}, nil
local function listening()
  if listened == nil then listened = redis.call('EXISTS', KEYS[#KEYS - 1]) == 1 end
  return listened
end
"""
"""What a script publishes on the events channel, gathered: sent as one message, its events one per line,
by ``_PUBLISH`` at the script's end (the channel is its last key). ``listening``: whether a notification
is published at all (``RedisStore.listen``: some process has a stream open; the key before the channel),
read once per script and only by a script that appends one."""

_PUBLISH = """
if out[1] then redis.call('PUBLISH', KEYS[#KEYS], table.concat(out, '\\n')) end
"""

_APPEND_NOTIFICATIONS = """
local n = #ARGV - 1
local last = redis.call('INCRBY', KEYS[1], string.format('%d', n))
local fields, ids, id = {}, {}, nil
for i = 1, n do
  id = string.format('%d', last - n + i)
  local text = '{"id":' .. id .. ',' .. ARGV[i + 1]
  fields[2 * i - 1], fields[2 * i] = id, text
  ids[2 * i - 1], ids[2 * i] = id, id
  if listening() then out[#out + 1] = text end
end
redis.call('HSET', KEYS[2], unpack(fields))
redis.call('ZADD', KEYS[3], unpack(ids))
redis.call('SADD', KEYS[4], ARGV[1])
redis.call('SET', KEYS[5], id)
return {last - n + 1, redis.call('GET', KEYS[6]) or ''}
"""
"""One owner's notifications (ARGV: the owner, then each as its JSON after ``{"id":0,``: ``_note_text``),
numbered in order from the mock's id counter: one command per kind of write whatever their number;
each is its own line on the events channel (no other event starts ``{"id":``) while some process
listens. Answers the first id and the owner's webhook config. Each text is made once (a string made in
Lua costs about 1.5 us a kilobyte, its garbage collection included: more than the command that stores it)."""

_RATE_HIT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1] .. ':' .. ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return false
"""
"""A hit at ARGV[1] in a window starting after ARGV[2] holding at most ARGV[3] (its oldest hit's time when
full), the key kept ARGV[4] ms, the hit named ARGV[5] (unique: ``_rate_args``). Every number arrives as
text Python made: Lua's number formatting and parsing cost more than the commands around them."""

_SCHEDULE = """
local seq = redis.call('INCR', KEYS[2])
local member = string.format('%012d', seq) .. ARGV[2]
redis.call('ZADD', KEYS[1], ARGV[1], member)
out[#out + 1] = '{"t":"due","at":' .. ARGV[1] .. '}'
return member
"""

_CLAIM_DUE = """
if ARGV[4] ~= '' then redis.call('ZREM', KEYS[2], ARGV[4]) end
local t = redis.call('TIME')
local real = tonumber(t[1]) + tonumber(t[2]) / 1e6
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', real)) do
  redis.call('ZREM', KEYS[2], member)
  redis.call('ZADD', KEYS[1], string.match(member, '^{"due":([^,]+),', 13), member)
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if not first[1] or tonumber(first[2]) > tonumber(ARGV[1]) then return {0, first[2] or ''} end
local due = first[1]
redis.call('ZREM', KEYS[1], due)
redis.call('ZADD', KEYS[2], real + tonumber(ARGV[2]), due)
local kind, job = string.match(due, '^{"due":[^,]+,"kind":"([^"]*)","key":%["([^"]*)"', 13)
if kind == 'variation' then
  return {1, due, redis.call('GET', ARGV[3] .. job) or ''}
end
return {1, due, ''}
"""
"""Release the lease ARGV[4] names (if any), put back the work whose lease ran out (at its ``due``), and
lease the earliest work due by ARGV[1] with, for a variation, its job (read ahead). A member is its
sequence number (12 digits), then the work's JSON, whose ``due``, ``kind`` and first key lead it in that
order (the codec writes fields as declared), so they are read by a pattern, not by decoding it."""

_SWAP = """
local kept
if ARGV[3] then kept = redis.call('HGET', KEYS[1], ARGV[3]) else kept = redis.call('GET', KEYS[1]) end
if not kept then return 0 end
if kept ~= ARGV[1] then return kept end
if ARGV[3] then redis.call('HSET', KEYS[1], ARGV[3], ARGV[2]) else redis.call('SET', KEYS[1], ARGV[2]) end
return 1
"""
"""Compare and set: write ARGV[2] only if the record is still ARGV[1] (1), else answer what it is now
(0: gone). An optimistic change costs one round trip, and a retry one more, where ``WATCH`` costs three."""

_ADD_JOB = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
  return 1
end
return redis.call('GET', KEYS[1])
"""
"""A new job (1), or the one kept under its id, untouched."""

_APPEND_JOURNAL = """
local seq = string.format('%d', redis.call('INCR', KEYS[2]))
local length = redis.call('RPUSH', KEYS[1], seq .. ' ' .. ARGV[1] .. ' ' .. ARGV[2])
local total = redis.call('INCRBY', KEYS[3], ARGV[1])
local max_entries, max_bytes = tonumber(ARGV[3]), tonumber(ARGV[4])
while length > 1 and (length > max_entries or total > max_bytes) do
  local oldest = redis.call('LPOP', KEYS[1])
  total = redis.call('DECRBY', KEYS[3], string.match(oldest, '^%d+ (%d+) '))
  length = length - 1
end
return seq
"""
"""Append ARGV[2] (ARGV[1] bytes) numbered after the last, then drop the oldest while more than ARGV[3]
entries or ARGV[4] bytes are kept (the newest always stays). The list's length is counted here from
``RPUSH``'s answer, and sizes pass as the text they are stored as (no Lua number formatting)."""


_NUMBER = """
local function number(x) return string.format('%.17g', x) end
"""
"""Lua writes a double back with 17 significant digits, which reads back as the same double (Python's
float arithmetic and Lua's are both IEEE doubles, so a script's sums are the memory store's)."""

_RESERVE = (
    _NUMBER
    + """
local kept = redis.call('HMGET', KEYS[1], 'credits', 'in_progress')
if not kept[1] then return false end
local credits, busy, amount = tonumber(kept[1]), tonumber(kept[2]), tonumber(ARGV[1])
if credits - busy < amount then return {0, kept[1], kept[2]} end
redis.call('HSET', KEYS[1], 'in_progress', number(busy + amount))
return {1, kept[1], kept[2]}
"""
)

_SETTLE = (
    _NUMBER
    + """
local kept = redis.call('HMGET', KEYS[1], 'credits', 'in_progress', 'charged')
if not kept[1] then return false end
local amount = tonumber(ARGV[1])
local busy = tonumber(kept[2]) - amount
if busy < 0 then busy = 0 end
if ARGV[2] == '1' then
  local credits, charged = tonumber(kept[1]) - amount, tonumber(kept[3]) + amount
  redis.call('HSET', KEYS[1], 'in_progress', number(busy), 'credits', number(credits), 'charged', number(charged))
else
  redis.call('HSET', KEYS[1], 'in_progress', number(busy))
end
return true
"""
)


def _functions(**bodies: str) -> str:
    """Lua scripts as local functions of one script (each called with its own ``KEYS`` and ``ARGV``)."""
    return "".join(f"local function {name}(KEYS, ARGV)\n{body}\nend\n" for name, body in bodies.items())


def _publishing(body: str) -> str:
    """A script that publishes (``_OUT``) run alone: its reply, after its events are sent."""
    return f"{_OUT}{_functions(step=body)}local reply = step(KEYS, ARGV)\n{_PUBLISH}return reply\n"


_NOTIFY_GROUPS = """
local replies, k, a = {}, 0, 0
for g = 1, tonumber(ARGV[1]) do
  local n = tonumber(ARGV[a + 2])
  replies[g] = notify({unpack(KEYS, k + 1, k + 6)}, {unpack(ARGV, a + 3, a + 3 + n)})
  k, a = k + 6, a + n + 2
end
return replies, k, a + 1
"""
"""The notifications of a step, by owner (ARGV: the number of owners, then per owner how many, the owner
and their JSON; six keys per owner): each owner's first id and config, and the keys and arguments used."""

_ADMISSION_FUNCTIONS = f"{_OUT}{_functions(rate_hit=_RATE_HIT, reserve=_RESERVE)}"

_CURRENT_USER = """
if ARGV[#ARGV] ~= '' and redis.call('HGET', KEYS[2], 'version') ~= ARGV[#ARGV] then
  return {4, redis.call('HGETALL', KEYS[2])}
end
"""
"""The user (KEYS[2]) is still as the request was checked against: its ``version`` field is the last
argument (as stored: JSON), or that is empty (not checked); else (4) the user as stored now."""

_ADMISSION = """
local oldest = rate_hit({KEYS[1]}, {ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]})
if oldest then return {1, oldest} end
local reserved = reserve({KEYS[2]}, {ARGV[6]})
if not reserved then return {2} end
"""
"""What both admission scripts run after their functions (``_ADMISSION_FUNCTIONS``): ``_RATE_HIT`` (1:
limited), then ``_RESERVE`` (2: no such user), ``reserved`` holding the reservation's reply."""

_RATE_AND_RESERVE = f"""{_ADMISSION_FUNCTIONS}{_ADMISSION}
return {{0, reserved[1], reserved[2], reserved[3]}}
"""
"""``_RATE_HIT``, then ``_RESERVE`` unless limited: the two steps of a plain ``/edit-chat`` in one."""

_FINISH = f"""{_OUT}
{_functions(swap=_SWAP, settle=_SETTLE, notify=_APPEND_NOTIFICATIONS, claim=_CLAIM_DUE)}
{_functions(notify_groups=_NOTIFY_GROUPS)}
local swapped = swap({{KEYS[1]}}, {{ARGV[1], ARGV[2]}})
if swapped ~= 1 then return {{0}} end
settle({{KEYS[2]}}, {{ARGV[3], ARGV[4]}})
local notes, k, a = notify_groups({{unpack(KEYS, 3)}}, {{unpack(ARGV, 5)}})
k, a = k + 3, a + 5
{_PUBLISH}
if not ARGV[a] then return {{1, notes}} end
return {{1, notes, claim({{KEYS[k], KEYS[k + 1]}}, {{ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]}})}}
"""
"""A variation's end as one script: the job's compare and set (``_SWAP``; on a conflict nothing is
written), ``_SETTLE``, the notifications (``_APPEND_NOTIFICATIONS`` per owner, one message on the events
channel), then, when the work that ran is named, ``_CLAIM_DUE`` releasing its lease and claiming the next
due work (``as_one_step``)."""

_ADMIT_AND_START = f"""{_ADMISSION_FUNCTIONS}{_CURRENT_USER}{_ADMISSION}
{_functions(add_job=_ADD_JOB, schedule=_SCHEDULE, notify=_APPEND_NOTIFICATIONS)}
if reserved[1] == 0 then return {{0, reserved}} end
local added = add_job({{KEYS[3], KEYS[4]}}, {{ARGV[7], ARGV[8], ARGV[9]}})
if added ~= 1 then return {{3, reserved, added}} end
local members, a = {{}}, 11
for i = 1, tonumber(ARGV[10]) do
  members[i] = schedule({{KEYS[5], KEYS[6]}}, {{ARGV[a], ARGV[a + 1]}})
  a = a + 2
end
local noted = notify({{unpack(KEYS, 7, 12)}}, {{ARGV[a], ARGV[a + 1]}})
{_PUBLISH}
return {{0, reserved, members, noted}}
"""
"""A plain ``/edit-chat``'s admission and start as one script: ``_CURRENT_USER`` (4: the user changed),
``_RATE_HIT`` (1: limited), ``_RESERVE`` (2: no such user; 0 with a refusal), then the new job (``_ADD_JOB``;
3: its id was taken, the rest is left to ``start_generation``), each work's ``_SCHEDULE`` and the
notification (``_APPEND_NOTIFICATIONS``), their events in one message."""

_NOTIFY = f"""{_OUT}{_functions(notify=_APPEND_NOTIFICATIONS, notify_groups=_NOTIFY_GROUPS)}
local replies = notify_groups(KEYS, ARGV)
{_PUBLISH}
return replies
"""
"""Notifications alone (``_NOTIFY_GROUPS``; the channel is the last key)."""

_START = f"""{_OUT}{_functions(schedule=_SCHEDULE, notify=_APPEND_NOTIFICATIONS)}
local members = {{}}
for i = 1, tonumber(ARGV[1]) do
  members[i] = schedule({{KEYS[1], KEYS[2]}}, {{ARGV[2 * i], ARGV[2 * i + 1]}})
end
local noted = notify({{unpack(KEYS, 3, 8)}}, {{unpack(ARGV, 2 * #members + 2)}})
{_PUBLISH}
return {{members, noted}}
"""
"""A generation's work and its notification, after its job is stored: their events in one message."""

_ADD_USER = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('HGETALL', KEYS[1]) end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], 'NX', ARGV[1], ARGV[2])
return false
"""

_CHANGE_USER = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], unpack(ARGV))
return redis.call('HGETALL', KEYS[1])
"""

_NOTIFICATION_MESSAGE = b'{"id":'
"""How a notification's line on the events channel starts: the line is the notification's JSON."""

_DUE_MESSAGE = b'{"t":"due","at":'
"""How a work's due time is published: the time follows, then ``}``."""

_WATCH_KIND = b'"kind":"webhook_watch"'
"""How a watch looks in its JSON: bookkeeping, not work a client waits for (``pending_work``)."""


class _Changes:
    """A subscription to ``{prefix}changes``, read without blocking: what this process caches of rarely
    changed state (the fault rules) is dropped whenever anything arrives on it.

    Every change to cached state publishes there in the same step that makes it. Redis writes a
    message to its subscribers before the caller of the change can hear back (and tell anyone), so
    a request that reaches this process after the change returned finds the message already in the
    socket: ``poll`` reads it (one non-blocking ``recv``, no round trip) before any cached answer is
    trusted. Without a subscription (Redis unreachable, not yet subscribed) nothing is cached. A forked
    child never reads its parent's subscription: it sees the pid change and subscribes on its own.
    """

    RETRY: ClassVar[float] = 1.0
    """Seconds between attempts to subscribe again after the subscription was lost."""

    def __init__(self, client: redis.Redis, channel: str) -> None:
        self.client, self.channel = client, channel
        self.generation = 0
        """Counts what invalidated the caches: a value read under an older generation is not kept."""
        self._poller: select.poll | None = None
        self._connection: Any = None
        """redis-py's connection (its methods are untyped), subscribed; None: not subscribed."""
        self._next_try = 0.0
        self._forks = forks()
        """The process the subscription belongs to."""
        self._quiet: Any = None
        """The loop in which a check found nothing and which has not yet run what it scheduled after it
        (``poll``); None: none. A loop that closed before it ran that never matches another."""

    def poll(self, loop: Any = None) -> bool:
        """Drain the subscription; True when caches may be trusted (subscribed, nothing new arrived).

        ``loop``: the running loop the caller is in (``Wire.loop_here``). A check that found nothing is
        then trusted until that loop runs what it schedules after it (``_heard_nothing``): a request whose
        bytes arrived before the check had its change's message in the socket already (Redis writes it
        before the change's caller hears back), and anything scheduled before the check is such a request
        or older; what comes later checks again. Three checks a request become about one a loop round."""
        if self._forks != forks():
            self._after_fork()
        if loop is not None and self._quiet is loop:
            return True
        connection, poller = self._connection, self._poller
        if connection is None or poller is None:
            self._subscribe()
            return False
        if not poller.poll(0):  # the usual answer, without the cost of a failed recv's exception
            if loop is not None:
                self._quiet = loop
                loop.call_soon(self._heard_nothing)
            return True
        try:
            data = connection._sock.recv(65536) if connection._sock is not None else b""
        except (BlockingIOError, ssl.SSLWantReadError):
            return True
        except OSError:
            data = b""
        self.generation += 1
        if not data:  # closed: drop it, subscribe again later
            self._connection = self._poller = None
            connection.disconnect()
        return False

    def _heard_nothing(self) -> None:
        self._quiet = None

    def _subscribe(self) -> None:
        if time.monotonic() < self._next_try:
            return
        self._next_try = time.monotonic() + self.RETRY
        connection: Any = self.client.connection_pool.make_connection()  # redis-py leaves its methods untyped
        try:
            connection.connect()
            connection.send_command("SUBSCRIBE", self.channel)
            sock = connection._sock  # read raw: any bytes after the confirmation mean "changed"
            if sock is None or not sock.recv(4096):  # the confirmation (a rest, if split, reads as a change)
                raise redis.ConnectionError("subscription closed")
            sock.setblocking(False)
            poller = select.poll()
            poller.register(sock, select.POLLIN)
        except (redis.RedisError, OSError):
            connection.disconnect()
            return
        self.generation += 1
        self._connection, self._poller = connection, poller

    def _after_fork(self) -> None:
        """In a fork's child: drop the parent's subscription here only (redis-py closes the socket in
        this process without shutting it down for the parent) and subscribe afresh."""
        self._forks, self._next_try, self._quiet = forks(), 0.0, None
        self.generation += 1
        self.close()

    def invalidate(self) -> None:
        """This process changed cached state: its own message may not have arrived yet."""
        self.generation += 1
        self._quiet = None

    def close(self) -> None:
        connection, self._connection, self._poller, self._quiet = self._connection, None, None, None
        if connection is not None:
            connection.disconnect()


class _Keys(dict[str, str]):
    """Keys that start with ``start``, by the name that follows, each made once (at most ``KEPT``: then
    it starts again from none). A name longer than ``LONGEST`` is not kept: any bearer token reaches
    ``get_user``, and a request head may hold kilobytes of one."""

    KEPT: ClassVar[int] = 10_000
    LONGEST: ClassVar[int] = 256

    def __init__(self, start: str) -> None:
        super().__init__()
        self.start = start

    def __missing__(self, name: str) -> str:
        if len(name) > self.LONGEST:
            return self.start + name
        if len(self) >= self.KEPT:
            self.clear()
        key = self[name] = self.start + name
        return key


class _Conflict(Exception):
    """The compare and set ``as_one_step`` kept found the record changed: nothing was written."""


_LOST: Final = (redis.ConnectionError, redis.TimeoutError)
"""What redis-py and ``Wire`` raise when Redis cannot be reached in time: a 503 (``StoreUnavailable``)."""


def _guarded(method: Callable[Concatenate[RedisStore, P], T]) -> Callable[Concatenate[RedisStore, P], T]:
    """A public method: unreachable Redis as ``StoreUnavailable``, and a compare and set kept by
    ``as_one_step`` sent before the call (it changes state, or reads what the step changed). The methods
    every request calls do the same inline (``with self._call``: ``_Guard``)."""

    @wraps(method)
    def call(self: RedisStore, /, *args: P.args, **kwargs: P.kwargs) -> T:  # private methods run inside one
        self._calls += 1
        try:
            if self._pending is not None and self._step_owner is current():
                self._flush()
            return method(self, *args, **kwargs)
        except _LOST as exc:
            raise _unavailable(self, exc) from None

    return call


class _Guard:
    """What ``_guarded`` wraps a call in, as a context manager: the methods every request calls open one
    (``with self._call``; ``_step_call`` leaves the compare and set ``as_one_step`` kept for the method to
    send) instead of a decorator, whose wrapper costs a call through Python with the arguments packed."""

    def __init__(self, store: RedisStore, *, flushes: bool) -> None:
        self.store, self.flushes = store, flushes

    def __enter__(self) -> None:
        store = self.store
        store._calls += 1
        if self.flushes and store._pending is not None and store._step_owner is current():
            try:
                store._flush()
            except _LOST as exc:
                raise _unavailable(store, exc) from None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, trace: TracebackType | None
    ) -> None:
        if exc is not None and isinstance(exc, _LOST):
            raise _unavailable(self.store, exc) from None


def _unavailable(store: RedisStore, exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable(f"the mock's Redis store at {store.url} is unreachable ({exc})")


class RedisStore:
    """The state of one mock in Redis (see ``mock_server.store.Store`` for each operation's contract)."""

    shared = True
    suspends = True
    WRITTEN_KEPT: ClassVar[int] = 4_096
    """Jobs and works kept as this process stored them (``_keep_written``), the oldest dropped first: a
    backlog of 2,048 requests (a job and a work each, ~3 KB) under load still ends from its objects; at
    1,024 the backlog of one loaded worker outgrew it and most variations' ends decoded their job."""

    def __init__(
        self,
        url: str,
        seed: int | None = None,
        *,
        prefix: str = DEFAULT_PREFIX,
        lease: float = LEASE_SECONDS,
    ) -> None:
        self.url, self.prefix, self.lease = url, prefix, lease
        self.channel = prefix + "events"
        """The pub/sub channel every change other processes must hear of is published on."""
        self.origin = os.urandom(8).hex()
        """Tags this process's resets and clock changes, so it ignores its own."""
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=TIMEOUT,
            socket_connect_timeout=TIMEOUT,
            retry=Retry(NoBackoff(), 0),  # a retried script could run twice (a hit counted twice)
            health_check_interval=30,
        )
        self._random = random.Random(seed)
        self._hit_tag, self._hits, self._tag_forks = f"{self.origin}:{os.getpid()}:", itertools.count(1), forks()
        """Names this process's rate-limit hits (``_hit_name``): its origin and pid, then a count."""
        self.changes = _Changes(self.client, prefix + "changes")
        self._clock_seen = -1
        """The ``changes`` generation under which ``clock_moved`` last read the clock."""
        self._rules: tuple[int, list[FaultRule]] | None = None
        """The fault rules as read under a generation of ``changes``: nearly every request meets none,
        and asks (``has_faults``, ``take_fault``) up to five times; consuming a rule stays in Redis."""
        self._written: dict[str | bytes, tuple[bytes, Any]] = {}
        """Jobs as this process stored them (``_keep_written``), by key: their text and object."""
        self._known: dict[str, bytes] = {}
        """Records read ahead (a variation's job, read by the claim of its work): the next ``_update`` of
        the key starts from it instead of reading; the swap checks it, so a stale one costs a retry."""
        self._calls = 0
        """Counts store calls: the next due time a claim that found nothing learnt is this process's
        answer to ``next_due`` only if no other call came between (``_next_due_seen``)."""
        self._next_due_seen: tuple[int, float | None] = (-1, None)
        self._signer: tuple[str, Any] | None = None
        """The fingerprint of this mock's link key and the ``Links`` signing with it (``_links_for``)."""
        self._old_keys: set[str] = set()
        """Fingerprints of keys no longer in Redis, met in stored notifications (``_links_for``)."""
        self._note_keys_made: dict[str, list[str]] = {}
        """The keys of an owner's ``_APPEND_NOTIFICATIONS`` (``_note_keys``)."""
        self._work_keys = [self._k("work"), self._k("work_seq")]
        """The scheduled work's sorted set and its sequence counter."""
        self._publish_keys = [self._k("listening"), self.channel]
        """A publishing script's last two keys: ``listen``'s mark, then the channel (``_OUT``)."""
        self._schedule_keys = [*self._work_keys, *self._publish_keys]
        self._claim_keys = [self._k("work"), self._k("leases")]
        self._job_key = self._k("job", "")
        """Every job's key starts so: its id follows."""
        self._user_keys, self._rate_keys = _Keys(self._k("user", "")), _Keys(self._k("rate", ""))
        """Per token, made once: keys every request names."""
        self._accounts: dict[str, User] = {}
        """Users as last read here, by token: what ``get_account`` answers (confirmed by their ``version``)."""
        self._running: dict[object, tuple[Work, str, float]] = {}
        """By greenlet (each run of due work: ``Timer`` runs several at once, each suspending on its waits):
        the work ``claim_due`` last handed out there (its leased member, the claim's clock time): the step
        that ends it (``as_one_step``) releases its lease and claims the next in the same script."""
        self._next_claim: dict[object, tuple[Work, Any]] = {}
        """By greenlet: that claim's reply, for ``claim_due(done=work)`` to hand out without a round trip."""
        self._deferring = False
        """Inside ``as_one_step``: ``update_job`` keeps its compare and set for the step's next call."""
        self._step_owner: object | None = None
        """The greenlet running ``as_one_step`` (``current``): another's calls (another request while the
        step waits for Redis, another thread's: a test reading a ``LiveServer``'s backend) neither send nor
        take over the compare and set that step keeps. A step never waits between keeping it and sending
        it, so one owner at a time is enough."""
        self._pending: tuple[str, bytes | str, str] | None = None
        """The compare and set ``update_job`` kept (key, as read, as changed); sent with ``settle_and_notify``,
        or alone before any other call."""
        self._scripts = {
            name: Script(text)
            for name, text in (
                ("notify", _NOTIFY),
                ("rate", _RATE_HIT),
                ("schedule", _publishing(_SCHEDULE)),
                ("start", _START),
                ("claim", _CLAIM_DUE),
                ("journal", _APPEND_JOURNAL),
                ("reserve", _RESERVE),
                ("rate_and_reserve", _RATE_AND_RESERVE),
                ("settle", _SETTLE),
                ("add_user", _ADD_USER),
                ("change_user", _CHANGE_USER),
                ("swap", _SWAP),
                ("add_job", _ADD_JOB),
                ("finish", _FINISH),
                ("admit_and_start", _ADMIT_AND_START),
            )
        }
        self._call, self._step_call = _Guard(self, flushes=True), _Guard(self, flushes=False)
        """What the methods every request calls run in (``_guarded``, inline)."""
        self.wire = Wire(url, TIMEOUT, list(self._scripts.values()))
        """The hot path's client (``mock_server.store.wire``): scripts and the reads every request makes."""

    def _run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return self.wire.run(self._scripts[name], keys, args)

    def _k(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def check(self) -> None:
        """Fail now, with the URL in the message, if Redis cannot be reached (``serve`` calls it at start)."""
        self.client.ping()

    def feed(self) -> tuple[str, str] | None:
        return self.url, self.channel

    @_guarded
    def listen(self, seconds: float) -> None:
        self.client.set(self._k("listening"), self.origin, px=max(1, math.ceil(seconds * 1000)))

    def decode_event(self, data: bytes, *, notifications: bool = True) -> tuple[str, object] | None:
        if data.startswith(_NOTIFICATION_MESSAGE):  # as ``_APPEND_NOTIFICATIONS`` publishes it
            if not notifications:
                return None
            return "notification", self._note(data)
        if data.startswith(_DUE_MESSAGE):  # as ``_SCHEDULE`` publishes it
            return "due", float(data[len(_DUE_MESSAGE) : -1])
        message = json.loads(data)
        kind = message.get("t")
        if message.get("origin") == self.origin:
            return None
        if kind in ("reset", "clock"):
            return kind, message.get("state")
        return None

    # --- the state's identity ----------------------------------------------------------------------
    @_guarded
    def begin(self) -> bool:
        if self.client.set(self._k("state"), self.origin, nx=True):
            return True
        deadline = time.monotonic() + 10
        while self.client.get(self._k("secret")) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return False

    @_guarded
    def join(self) -> int:
        return int(self.client.incr(self._k("joins"))) - 1

    @_guarded
    def shared_secret(self, proposed: str) -> str:
        self.client.set(self._k("secret"), proposed, nx=True)
        agreed = _text(self.client.get(self._k("secret")))
        self._signer = _signer(agreed)
        self._old_keys.clear()
        return agreed

    def _links_for(self, fingerprint: str) -> Any:
        """The ``Links`` signing with the key ``fingerprint`` names: this mock's, read again from Redis once
        when the one known is another (a reset elsewhere drew a new key); a key that is not there after
        that (a notification stored before a reset) signs with this mock's key from then on, without
        reading again. None when no key is known or Redis cannot be read (the links show as None)."""
        known = self._signer
        if known is not None and (known[0] == fingerprint or fingerprint in self._old_keys):
            return known[1]
        try:
            secret = self.client.get(self._k("secret"))
        except redis.RedisError:
            return None if known is None else known[1]
        if secret is not None:
            known = self._signer = _signer(_text(secret))
            if known[0] != fingerprint and len(self._old_keys) < 64:
                self._old_keys.add(fingerprint)
        return None if known is None else known[1]

    def _note(self, raw: bytes | str) -> Notification:
        """A stored notification; an ``image_result`` kept unsigned (``_note_text``) is revived so that its
        links are signed on first read, with the key it completed under."""
        notification: Notification = codec.loads(_kind("Notification"), raw)
        text = raw if isinstance(raw, bytes) else raw.encode()
        if not text.endswith(b'"]}'):  # a notification's own JSON ends with ``"deleted":...}``
            return notification
        base_url, fingerprint = json.loads(text[text.rfind(_UNSIGNED) + len(_UNSIGNED) - 1 : -1])
        links = self._links_for(fingerprint)
        if links is None:
            return notification
        revived: Notification = _kind("ImageResult").revived(notification, links, base_url)
        return revived

    @_guarded
    def clock_state(self) -> dict[str, object] | None:
        raw = self.client.get(self._k("clock"))
        return None if raw is None else dict(json.loads(raw))

    @_guarded
    def put_clock_state(self, state: dict[str, object]) -> None:
        text = json.dumps(state)
        pipe = self.client.pipeline()
        pipe.set(self._k("clock"), text)
        pipe.publish(self.channel, json.dumps({"t": "clock", "origin": self.origin, "state": state}))
        pipe.publish(self.changes.channel, "clock")
        pipe.execute()
        self._published()

    def _published(self) -> None:
        """After this process published on ``changes``: one more round trip, so that Redis, which may
        answer the writer in the same pass as it writes the message to the other subscribers, has
        written it to them before the change's caller hears back (and tells anyone: a request then
        reaching another process finds it in that process's socket, ``_Changes.poll``); and this
        process's own caches are dropped at once."""
        self.wire.call("PING")
        self.changes.invalidate()

    def clock_moved(self) -> dict[str, object] | None:
        """Read again only after ``changes`` heard something (any change: they are rare), or while it
        cannot be trusted (not subscribed): then one ``GET``. Otherwise no round trip."""
        with self._call:
            trusted = self.changes.poll(self.wire.loop_here())
            if trusted and self._clock_seen == self.changes.generation:
                return None
            self._clock_seen = self.changes.generation
            return self.clock_state()

    @_guarded
    def clear(self, seed: int | None) -> None:
        kept = {self._k("clock"), self._k("state"), self._k("listening")}
        found = self.client.scan_iter(match=_glob(self.prefix) + "*", count=1000)
        names = [k for k in found if _text(k) not in kept]
        for start in range(0, len(names), 500):
            self.client.unlink(*names[start : start + 500])
        self._random = random.Random(seed)
        self._accounts.clear()
        self._known.clear()
        self._written.clear()
        self._signer = None
        self._old_keys.clear()
        self._running.clear()
        self._next_claim.clear()
        pipe = self.client.pipeline(transaction=False)
        pipe.publish(self.changes.channel, "reset")
        pipe.publish(self.channel, json.dumps({"t": "reset", "origin": self.origin}))
        pipe.execute()
        self._published()

    @_guarded
    def next_id(self) -> int:
        return int(self.client.incr(self._k("ids")))

    # --- accounts and credits ------------------------------------------------------------------------
    def get_user(self, token: str) -> User | None:
        with self._call:
            user = self._user(_pairs(self.wire.call("HGETALL", self._user_keys[token])))
            self._keep_account(token, user)
            return user

    def get_account(self, token: str) -> User | None:
        with self._call:
            # The copy kept since the last read (no round trip): a copy trusted until a ``changes`` message
            # arrives could act on the old plan while that message is on its way, or forever when the user
            # went without one (FLUSHDB, eviction), so nothing is trusted: the admission confirms its
            # ``version`` in the same script (``_CURRENT_USER``), and a refusal reads afresh first.
            kept = self._accounts.get(token)
            return kept if kept is not None else self.get_user(token)

    def _keep_account(self, token: str, user: User | None) -> None:
        """``user`` (as read now) is what ``get_account`` answers for ``token`` until read again."""
        if user is None or user.version is None or len(token) > _Keys.LONGEST:
            self._accounts.pop(token, None)
            return
        self._accounts.pop(token, None)
        if len(self._accounts) >= _Keys.KEPT:
            del self._accounts[next(iter(self._accounts))]  # the oldest copy goes, not all of them
        self._accounts[token] = copy.copy(user)  # the caller's object may be changed, never the copy

    def _versioned(self, user: User) -> list[str]:
        """``user``'s fields as ``HSET`` takes them, under a new ``version`` (set on ``user``): every
        write of a user names what it wrote anew, so a copy kept elsewhere is known stale."""
        self._accounts.pop(user.token, None)
        user.version = _new_version()
        return _flat(codec.dump_fields(user))

    @_guarded
    def put_user(self, user: User) -> None:
        pipe = self.client.pipeline()
        pipe.hset(self._k("user", user.token), items=self._versioned(user))
        pipe.zadd(self._k("users"), {user.token: time.time()}, nx=True)
        pipe.execute()

    @_guarded
    def add_user(self, user: User) -> User:
        fields = self._versioned(user)
        keys = [self._k("user", user.token), self._k("users")]
        kept = self._run("add_user", keys=keys, args=[time.time(), user.token, *fields])
        return user if kept is None else self._user(_pairs(kept)) or user

    @_guarded
    def change_user(
        self, token: str, *, plan: str | None, credits: float | None, entitlements: frozenset[str] | None
    ) -> User | None:
        # Only the named fields are written, in one script: a reservation another process makes at the
        # same moment changes ``in_progress``, which this never writes, so neither change is lost.
        named: dict[str, object] = {"plan": plan, "entitlements": entitlements}
        if credits is not None:
            named.update(credits=float(credits), charged=0.0)
        given = {name: value for name, value in named.items() if value is not None}
        if not given:
            return self.get_user(token)
        self._accounts.pop(token, None)
        fields = _flat(codec.dump_values({**given, "version": _new_version()}))
        changed = self._run("change_user", keys=[self._k("user", token)], args=fields)
        return self._user(_pairs(changed or []))

    @_guarded
    def users(self) -> list[User]:
        tokens = [_text(t) for t in self.client.zrange(self._k("users"), 0, -1)]
        pipe = self.client.pipeline(transaction=False)
        for token in tokens:
            pipe.hgetall(self._k("user", token))
        return [user for user in (self._user(kept) for kept in pipe.execute()) if user is not None]

    def _user(self, fields: dict[Any, Any]) -> User | None:
        return codec.load_fields(_kind("User"), fields) if fields else None

    @_guarded
    def reserve_credits(self, token: str, amount: float) -> tuple[bool, float, float]:
        result = self._run("reserve", keys=[self._k("user", token)], args=[_number(amount)])
        if result is None:
            raise KeyError(token)
        reserved, credits, in_progress = result
        return bool(reserved), float(credits), float(in_progress)

    @_guarded
    def settle_credits(self, token: str, amount: float, *, charge: bool) -> None:
        self.wire.run(*self._settle(token, amount, charge))

    def _settle(self, token: str, amount: float, charge: bool) -> tuple[Script, list[str], list[Any]]:
        return self._scripts["settle"], [self._user_keys[token]], [_number(amount), "1" if charge else "0"]

    @_guarded
    def rate_hit(self, key: str, now: float, limit: int, window: float) -> float | None:
        oldest = self._run("rate", keys=[self._k("rate", key)], args=self._rate_args(now, limit, window))
        return None if oldest is None else float(oldest)

    def _rate_args(self, now: float, limit: int, window: float) -> list[Any]:
        """``_RATE_HIT``'s arguments: its numbers as text, and a name for the hit no other hit has."""
        return [
            _number(now),
            _number(float(now) - window),
            limit,
            math.ceil(window * 1000) + 1000,
            self._hit_name(),
        ]

    def _hit_name(self) -> str:
        """Unique among every process's hits: a forked child counts on from its parent's count, under its own pid."""
        if self._tag_forks != forks():
            self._hit_tag, self._tag_forks = f"{self.origin}:{os.getpid()}:", forks()
        return f"{self._hit_tag}{next(self._hits)}"

    @_guarded
    def rate_hit_and_reserve(
        self, key: str, now: float, limit: int, window: float, token: str, amount: float
    ) -> tuple[float | None, tuple[bool, float, float] | None]:
        keys = [self._k("rate", key), self._k("user", token)]
        reply = self._run("rate_and_reserve", keys=keys, args=[*self._rate_args(now, limit, window), _number(amount)])
        if reply[0] == 1:
            return float(reply[1]), None
        if reply[0] == 2:
            raise KeyError(token)
        return None, (bool(reply[1]), float(reply[2]), float(reply[3]))

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
        with self._call:
            job, works, notification = start
            _, job_keys, job_args = self._add_job(job)
            keys = [self._rate_keys[key], self._user_keys[token], *job_keys]
            keys += [*self._work_keys, *self._note_keys(notification.owner), *self._publish_keys]
            args: list[Any] = [*self._rate_args(now, limit, window), _number(amount), *job_args, len(works)]
            for work in works:
                args += [_number(work.due), codec.dumps(work)]
            args += [notification.owner, _note_text(notification), "" if version is None else f'"{version}"']
            # the one wait that may suspend (``suspending``): other requests run meanwhile, and any store
            # call they make counts as one between this call and what follows it (``_calls``)
            reply = self.wire.run(self._scripts["admit_and_start"], keys, args, suspend=True)
            self._calls += 1
            if reply[0] == 4:
                fresh = self._user(_pairs(reply[1]))
                self._keep_account(token, fresh)
                raise StaleAccount(fresh)
            if reply[0] == 1:
                return float(reply[1]), None, None
            if reply[0] == 2:
                raise KeyError(token)
            reservation = (bool(reply[1][0]), float(reply[1][1]), float(reply[1][2]))
            if reply[0] == 3:  # an id drawn twice: cannot happen (ids are per process), merge anyway
                return None, reservation, self.start_generation(job, works, notification, new=False)
            if not reservation[0]:
                return None, reservation, None
            for work, member in zip(works, reply[2], strict=True):
                work.seq = int(member[:12])
                self._keep_written(member, member, work)
            self._keep_written(job_keys[0], job_args[0], job)
            return None, reservation, _numbered([notification], reply[3])

    # --- files, jobs, identities -------------------------------------------------------------------
    @_guarded
    def get_file(self, file_id: str) -> StoredFile | None:
        return self._get(_kind("StoredFile"), self._k("file", file_id))

    @_guarded
    def put_file(self, stored: StoredFile) -> None:
        pipe = self.client.pipeline()
        pipe.set(self._k("file", stored.file_id), codec.dumps(stored))
        pipe.zadd(self._k("files"), {stored.file_id: stored.created_at}, nx=True)
        pipe.hset(self._k("upload_bytes"), stored.file_id, len(stored.data or b""))
        added = pipe.execute()[1]
        if added:
            self.client.rpush(self._k("file_order"), stored.file_id)

    def _files_oldest_first(self) -> list[str]:
        """File ids in the order they were first stored (the mock's clock never goes back)."""
        return [_text(i) for i in self.client.lrange(self._k("file_order"), 0, -1)]

    def _drop_file(self, file_id: str) -> None:
        pipe = self.client.pipeline()
        pipe.delete(self._k("file", file_id))
        pipe.zrem(self._k("files"), file_id)
        pipe.hdel(self._k("upload_bytes"), file_id)
        pipe.lrem(self._k("file_order"), 1, file_id)
        pipe.execute()

    def get_job(self, job_id: str) -> Job | None:
        with self._call:
            return self._get(_kind("Job"), self._k("job", job_id))

    @_guarded
    def put_job(self, job: Job) -> None:
        """A new job is one ``SET NX``; one kept already is merged with under a compare and set: two
        workers writing one job at once (a variation completing on each, or a follow-up ``/edit-chat``
        while one completes) lose neither change."""
        kept = self.wire.run(*self._add_job(job))
        if kept != 1:
            self._merge_job(job, kept)

    def _add_job(self, job: Job) -> tuple[Script, list[str], list[Any]]:
        keys = [self._job_key + job.job_id, self._k("jobs")]
        return self._scripts["add_job"], keys, [codec.dumps(job).encode(), job.created_at, job.job_id]

    def _keep_written(self, key: str | bytes, text: bytes, record: Job | Work) -> None:
        """``record`` as this process just stored it (``text``, under ``key``: a job's key, or a work's
        leased member): its variation's end, run here next (by the claim that reads the job ahead),
        starts from these objects instead of decoding the same text back. The caller of the step that
        stored them no longer changes them (``rate_hit_reserve_and_start``)."""
        if len(self._written) >= self.WRITTEN_KEPT:  # the oldest was never used (run elsewhere, a reset)
            del self._written[next(iter(self._written))]
        self._written[key] = (text, record)

    def _decoded(self, kind: type[T], key: str, raw: bytes | str) -> T:
        """The record ``raw`` holds: the object kept for ``key`` (``_keep_written``) when ``raw`` is what it
        was stored as (used once: the step changes it), else decoded."""
        written = self._written.pop(key, None) if self._written else None
        if written is not None and written[0] == raw:
            kept: T = written[1]
            return kept
        return codec.loads(kind, raw)

    def _merge_job(self, job: Job, kept: bytes) -> None:
        """Write ``job`` over the kept one (``kept``, as read), keeping what only the kept one knows."""
        key, text = self._k("job", job.job_id), codec.dumps(job)
        self._read_ahead(key, kept)

        def merged(kept: Job) -> Job:
            fresh: Job = codec.loads(_kind("Job"), text)
            _merge_job(fresh, kept)
            return fresh

        self._update(_kind("Job"), key, merged, replace=True)

    def update_job(self, job_id: str, change: Callable[[Job], T]) -> T | None:
        with self._call:
            # Under a compare and set: two processes finishing two variations of one job must not each write
            # back the job they read, or the second write loses the first variation's outcome.
            result: T | None = self._update(
                _kind("Job"),
                self._job_key + job_id,
                change,
                write=_is_some,
                defer=self._deferring and self._step_owner is current(),
            )
            return result

    def as_one_step(self, step: Callable[[], T]) -> T:
        with self._step_call:
            # The step's ``update_job`` keeps its compare and set (``_pending``) and ``settle_and_notify``
            # sends it with the rest in one script (``_FINISH``); a conflict there wrote nothing, so the step
            # runs again on what is stored now. Any other call in between sends the compare and set first.
            for _ in range(self.STEP_ATTEMPTS):
                self._deferring, self._step_owner = True, current()
                try:
                    result = step()
                    self._flush()
                    return result
                except _Conflict:
                    pass  # nothing was written: the next attempt runs the step on what is stored now
                finally:
                    if self._step_owner is current():  # not a step another run began meanwhile
                        self._deferring, self._pending, self._step_owner = False, None, None
            return step()

    STEP_ATTEMPTS: ClassVar[int] = 5
    """Runs of one ``as_one_step`` that may meet a conflict before it runs as separate steps."""

    def _flush(self) -> None:
        """Send the compare and set ``update_job`` kept (``_Conflict``: the job changed since it was read)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            key, kept, text = pending
            if self._run("swap", keys=[key], args=[kept, text]) != 1:
                self._known.pop(key, None)
                raise _Conflict

    @_guarded
    def settle(self) -> None:
        self.wire.settle()

    @_guarded
    def recent_jobs(self, limit: int) -> list[Job]:
        ids = [_text(i) for i in self.client.zrevrange(self._k("jobs"), 0, max(0, limit * 2 - 1))]
        jobs = self._many(_kind("Job"), [self._k("job", i) for i in ids])
        return sorted(jobs, key=lambda j: (j.created_at, j.job_id), reverse=True)[:limit]

    @_guarded
    def default_identities(self) -> dict[str, list[Identity]]:
        raw = self.client.get(self._k("defaults"))
        kind = _kind("Identity")
        return (
            {}
            if raw is None
            else {tier: [codec.loads(kind, json.dumps(i)) for i in items] for tier, items in json.loads(raw).items()}
        )

    @_guarded
    def put_default_identities(self, defaults: dict[str, list[Identity]]) -> None:
        plain = {tier: [json.loads(codec.dumps(i)) for i in items] for tier, items in defaults.items()}
        self.client.set(self._k("defaults"), json.dumps(plain))

    @_guarded
    def own_identities(self, owner: str) -> list[Identity]:
        codes = [_text(c) for c in self.client.lrange(self._k("identities", owner), 0, -1)]
        return self._many(_kind("Identity"), [self._k("identity", c) for c in codes])

    @_guarded
    def get_identity(self, code: str) -> Identity | None:
        return self._get(_kind("Identity"), self._k("identity", code))

    @_guarded
    def put_identity(self, identity: Identity) -> None:
        key = self._k("identity", identity.identity_code)
        created = self.client.set(key, codec.dumps(identity), get=True) is None
        if created and identity.owner is not None:
            self.client.rpush(self._k("identities", identity.owner), identity.identity_code)

    @_guarded
    def add_project(self, project: Project) -> Project:
        key = self._k("projects", project.owner)
        kept = self.client.hget(key, project.name)
        if kept is None:
            project.project_id = int(self.client.incr(self._k("project_ids")))
            if self.client.hsetnx(key, project.name, codec.dumps(project)):
                if project.file_ids:
                    self.client.rpush(self._k("project_files", project.owner, project.name), *project.file_ids)
                return project
            kept = self.client.hget(key, project.name)
        return self._project(project.owner, kept)

    @_guarded
    def get_project(self, owner: str, name: str) -> Project | None:
        kept = self.client.hget(self._k("projects", owner), name)
        return None if kept is None else self._project(owner, kept)

    @_guarded
    def add_project_file(self, owner: str, name: str, file_id: str) -> Project:
        self.client.rpush(self._k("project_files", owner, name), file_id)
        project = self.get_project(owner, name)
        if project is None:
            raise KeyError(name)
        return project

    @_guarded
    def projects(self, owner: str) -> list[Project]:
        kept = self.client.hgetall(self._k("projects", owner))
        return sorted((self._project(owner, text) for text in kept.values()), key=lambda p: p.project_id)

    def _project(self, owner: str, text: bytes | str | None) -> Project:
        project: Project = codec.loads(_kind("Project"), text or "")
        files = self.client.lrange(self._k("project_files", owner, project.name), 0, -1)
        project.file_ids = [_text(f) for f in files]
        return project

    # --- notifications -------------------------------------------------------------------------------
    @_guarded
    def append_notification(self, notification: Notification) -> WebhookConfig | None:
        keys, args = self._notify([notification])
        return _numbered_groups([notification], self._run("notify", keys=[*keys, *self._publish_keys], args=args))

    NOTE_KEYS_KEPT: ClassVar[int] = 10_000
    """Owners whose notification keys ``_note_keys`` keeps made (then it starts again from none)."""

    def _note_keys(self, owner: str) -> list[str]:
        """The keys ``_APPEND_NOTIFICATIONS`` writes for ``owner``, made once (several per request; never changed)."""
        keys = self._note_keys_made.get(owner)
        if keys is None:
            keys = [
                self._k("ids"),
                self._k("notes", owner),
                self._k("note_ids", owner),
                self._k("note_owners"),
                self._k("newest"),
                self._k("webhook", owner),
            ]
            if len(owner) <= _Keys.LONGEST:  # a long token is not kept (see ``_Keys``)
                if len(self._note_keys_made) >= self.NOTE_KEYS_KEPT:
                    self._note_keys_made.clear()
                self._note_keys_made[owner] = keys
        return keys

    def _notify(self, notifications: list[Notification]) -> tuple[list[str], list[Any]]:
        """``_NOTIFY_GROUPS``'s keys and arguments: ``notifications`` by owner, in order (one owner, as a
        step's notifications are, is one group)."""
        keys: list[str] = []
        args: list[Any] = [0]
        for owner, group in _by_owner(notifications):
            keys += self._note_keys(owner)
            args += [len(group), owner, *(_note_text(n) for n in group)]
            args[0] += 1
        return keys, args

    @_guarded
    def start_generation(
        self, job: Job, works: list[Work], notification: Notification, *, new: bool
    ) -> WebhookConfig | None:
        # One round trip for a new job: the job is written first, so its work is never claimed before it
        # exists. A kept job (a follow-up) is merged first, its work and notification sent after.
        keys = [*self._work_keys, *self._note_keys(notification.owner), *self._publish_keys]
        args: list[Any] = [len(works)]
        for work in works:
            args += [_number(work.due), codec.dumps(work)]
        start = (self._scripts["start"], keys, [*args, notification.owner, _note_text(notification)])
        if new:
            added, (members, noted) = self.wire.scripts([self._add_job(job), start])
            if added != 1:  # an id drawn twice: cannot happen (ids are per process), merge anyway
                self._merge_job(job, added)
        else:
            self.put_job(job)
            members, noted = self.wire.run(*start)
        for work, member in zip(works, members, strict=True):
            work.seq = int(member[:12])
        return _numbered([notification], noted)

    def settle_and_notify(
        self, token: str, amount: float, *, charge: bool, notifications: list[Notification]
    ) -> WebhookConfig | None:
        with self._step_call:
            if self._pending is not None and self._step_owner is current():
                return self._finish(self._pending, token, amount, charge, notifications)
            if not notifications:
                self.wire.run(*self._settle(token, amount, charge))
                return None
            keys, args = self._notify(notifications)
            notify = (self._scripts["notify"], [*keys, *self._publish_keys], args)
            replies = self.wire.scripts([self._settle(token, amount, charge), notify])
            return _numbered_groups(notifications, replies[1])

    def _finish(
        self,
        pending: tuple[str, bytes | str, str],
        token: str,
        amount: float,
        charge: bool,
        notifications: list[Notification],
    ) -> WebhookConfig | None:
        """``_FINISH``: the kept compare and set, the settlement, the notifications and, when the work
        being run is known, its lease's end and the next claim, in one script."""
        self._pending = None
        key, kept, text = pending
        note_keys, note_args = self._notify(notifications)
        keys = [key, self._user_keys[token], *note_keys]
        args: list[Any] = [kept, text, _number(amount), "1" if charge else "0", *note_args]
        running = self._running.get(me := current())
        if running is not None:
            keys += self._claim_keys
            args += [_number(running[2]), _number(self.lease), self._job_key, running[1]]
        reply = self.wire.run(self._scripts["finish"], [*keys, *self._publish_keys], args, suspend=True)
        self._calls += 1
        if reply[0] != 1:
            raise _Conflict
        config = _numbered_groups(notifications, reply[1])
        if running is not None:
            self._running.pop(me, None)
            self._next_claim[me] = (running[0], reply[2])
        return config

    @_guarded
    def notifications(self, owner: str, *, after: int = 0) -> list[Notification]:
        ids: list[Any] = list(self.client.zrangebyscore(self._k("note_ids", owner), f"({after}", "+inf"))
        if not ids:
            return []
        return [self._note(t) for t in self.client.hmget(self._k("notes", owner), ids) if t is not None]

    @_guarded
    def all_notifications(self, owners: Iterable[str] | None = None) -> list[Notification]:
        keys = [_text(o) for o in self.client.smembers(self._k("note_owners"))] if owners is None else owners
        return sorted((n for owner in keys for n in self.notifications(owner)), key=lambda n: n.id)

    @_guarded
    def delete_notification(self, owner: str, notification_id: int) -> Notification | None:
        def step(n: Notification) -> Notification | None:
            if n.deleted:
                return None
            n.deleted = True
            return n

        key = self._k("notes", owner)
        deleted: Notification | None = self._update(
            _kind("Notification"), key, step, field=str(notification_id), write=_is_some
        )
        return deleted

    @_guarded
    def newest_notification_id(self) -> int:
        return int(self.client.get(self._k("newest")) or 0)

    # --- webhooks ------------------------------------------------------------------------------------
    @_guarded
    def get_webhook(self, owner: str) -> WebhookConfig | None:
        return self._get(_kind("WebhookConfig"), self._k("webhook", owner))

    @_guarded
    def put_webhook(self, config: WebhookConfig) -> None:
        self.client.set(self._k("webhook", config.owner), codec.dumps(config))

    @_guarded
    def delete_webhook(self, owner: str) -> None:
        self.client.delete(self._k("webhook", owner))
        for delivery_id in self.client.lrange(self._k("deliveries", owner), 0, -1):
            self._update(_kind("Delivery"), self._k("delivery", _text(delivery_id)), _cancel, write=bool)

    @_guarded
    def put_delivery(self, delivery: Delivery) -> None:
        key = self._k("delivery", delivery.id)
        if self.client.set(key, codec.dumps(delivery), get=True) is None:
            pipe = self.client.pipeline()
            pipe.rpush(self._k("deliveries"), delivery.id)
            pipe.rpush(self._k("deliveries", delivery.owner), delivery.id)
            pipe.execute()

    @_guarded
    def get_delivery(self, delivery_id: str) -> Delivery | None:
        return self._get(_kind("Delivery"), self._k("delivery", delivery_id))

    @_guarded
    def deliveries(self, owner: str | None = None) -> list[Delivery]:
        index = self._k("deliveries") if owner is None else self._k("deliveries", owner)
        ids = [_text(i) for i in self.client.lrange(index, 0, -1)]
        return self._many(_kind("Delivery"), [self._k("delivery", i) for i in ids])

    @_guarded
    def claim_attempt(self, delivery_id: str, now: float) -> Attempt | None:
        def step(delivery: Delivery) -> Attempt | None:
            return delivery.start_attempt(now) if delivery.status == "pending" else None

        attempt: Attempt | None = self._update(
            _kind("Delivery"), self._k("delivery", delivery_id), step, write=_is_some
        )
        return attempt

    # --- faults, journal ---------------------------------------------------------------------------
    @_guarded
    def add_fault(self, rule: FaultRule) -> FaultRule:
        rule.id = int(self.client.incr(self._k("fault_ids")))
        pipe = self.client.pipeline()
        pipe.rpush(self._k("faults"), codec.dumps(rule))
        pipe.publish(self.changes.channel, "faults")
        pipe.execute()
        self._published()
        return rule

    @_guarded
    def faults(self) -> list[FaultRule]:
        kind = _kind("FaultRule")
        return [codec.loads(kind, t) for t in self.client.lrange(self._k("faults"), 0, -1)]

    def has_faults(self) -> bool:
        with self._call:
            return bool(self._cached_rules())

    def _cached_rules(self) -> list[FaultRule]:
        """The rules, as cached while ``changes`` hears nothing, else as read now."""
        trusted = self.changes.poll(self.wire.loop_here())
        cached = self._rules
        if trusted and cached is not None and cached[0] == self.changes.generation:
            return cached[1]
        generation = self.changes.generation
        rules = self.faults()
        self._rules = (generation, rules)
        return rules

    def take_fault(self, kind: str, method: str | None, path: str | None, token: str | None) -> FaultRule | None:
        with self._call:
            # Nearly every request meets no rule: the cached rules say so without a round trip. A rule added
            # after the cache's last check is one added after the request (see ``_Changes``).
            if not any(r.kind == kind and r.matches(method, path, token) for r in self._cached_rules()):
                return None

            def step(pipe: redis.client.Pipeline) -> FaultRule | None:
                rules: list[FaultRule] = [
                    codec.loads(_kind("FaultRule"), t) for t in pipe.lrange(self._k("faults"), 0, -1)
                ]
                taken = next((r for r in rules if self._takes(r, kind, method, path, token)), None)
                if taken is None:
                    return None
                taken.hits += 1
                if taken.times is not None:
                    taken.times -= 1
                self._put_rules(pipe, [r for r in rules if r.times != 0])
                return taken

            taken: FaultRule | None = self._transaction(step, self._k("faults"))
            if taken is not None:
                self._published()
            return taken

    def _put_rules(self, pipe: redis.client.Pipeline, kept: list[FaultRule]) -> None:
        pipe.multi()
        pipe.delete(self._k("faults"))
        if kept:
            pipe.rpush(self._k("faults"), *(codec.dumps(r) for r in kept))
        pipe.publish(self.changes.channel, "faults")

    def _takes(self, rule: FaultRule, kind: str, method: str | None, path: str | None, token: str | None) -> bool:
        if rule.kind != kind or not rule.matches(method, path, token):
            return False
        return rule.probability >= 1 or self._random.random() < rule.probability

    @_guarded
    def remove_fault(self, rule_id: int) -> bool:
        def step(pipe: redis.client.Pipeline) -> bool:
            rules = [codec.loads(_kind("FaultRule"), t) for t in pipe.lrange(self._k("faults"), 0, -1)]
            kept = [r for r in rules if r.id != rule_id]
            self._put_rules(pipe, kept)
            return len(kept) != len(rules)

        found: bool = self._transaction(step, self._k("faults"))
        self._published()
        return found

    @_guarded
    def clear_faults(self) -> None:
        pipe = self.client.pipeline()
        pipe.delete(self._k("faults"))
        pipe.publish(self.changes.channel, "faults")
        pipe.execute()
        self._published()

    def append_journal(self, entry: Entry, *, max_entries: int, max_bytes: int) -> None:
        with self._call:
            # Posted: its bytes reach Redis before this request's answer leaves, so a later reader (on any
            # connection: Redis reads what arrived first first) finds it; no round trip waits for the number.
            keys = [self._k("journal"), self._k("journal_seq"), self._k("journal_bytes")]
            args: list[Any] = [entry.size, codec.dumps(entry), max_entries, max_bytes]
            self.wire.post(self._scripts["journal"], keys, args)

    @_guarded
    def journal(self, *, user: str | None = None, path: str | None = None, since: int = 0) -> list[Entry]:
        self.wire.drain()  # what this process posted is answered (and redone if Redis lacked the script)
        kind = _kind("Entry")
        found = []
        for line in self.client.lrange(self._k("journal"), 0, -1):
            seq, _, text = _text(line).split(" ", 2)
            if int(seq) <= since:
                continue
            entry = codec.loads(kind, text, exact=True)
            entry.seq = int(seq)
            if (user is None or entry.user == user) and (path is None or entry.path.startswith(path)):
                found.append(entry)
        return found

    @_guarded
    def clear_journal(self) -> None:
        self.client.delete(self._k("journal"), self._k("journal_bytes"))

    # --- scheduled work ------------------------------------------------------------------------------
    @_guarded
    def schedule(self, work: Work) -> None:
        work.seq = int(self.wire.run(*self._schedule(work))[:12])

    def _schedule(self, work: Work) -> tuple[Script, list[str], list[Any]]:
        return self._scripts["schedule"], self._schedule_keys, [_number(work.due), codec.dumps(work)]

    def claim_due(self, now: float, done: Work | None = None) -> Work | None:
        with self._call:
            me = current()
            stashed, running = self._next_claim.pop(me, None), self._running.pop(me, None)
            if stashed is not None and stashed[0] is done:  # claimed by the script that ended ``done``
                return self._claimed(stashed[1], now)
            ran = "" if done is None else (running[1] if running and running[0] is done else self._lease(done))
            args = [_number(now), _number(self.lease), self._job_key, ran]
            claimed = self.wire.run(self._scripts["claim"], self._claim_keys, args, suspend=True)
            self._calls += 1
            return self._claimed(claimed, now)

    def _claimed(self, claimed: list[Any], now: float) -> Work | None:
        if not int(claimed[0]):
            self._next_due_seen = (self._calls, float(claimed[1]) if claimed[1] else None)
            return None
        member, job = _text(claimed[1]), claimed[2]
        work: Work = self._decoded_work(claimed[1], member)
        if job:
            self._read_ahead(self._job_key + work.key[0], job)
        self._running[current()] = (work, member, now)
        return work

    def _decoded_work(self, raw: bytes, member: str) -> Work:
        """The work a claim handed out: as this process scheduled it (``_keep_written``), else decoded."""
        written = self._written.pop(raw, None) if self._written else None
        if written is not None:
            kept: Work = written[1]
            return kept
        work: Work = codec.loads(_kind("Work"), member[12:])
        work.seq = int(member[:12])
        return work

    def done(self, work: Work) -> None:
        with self._call:
            self.wire.call("ZREM", self._k("leases"), self._lease(work))

    def _lease(self, work: Work) -> str:
        """The member ``work`` is leased under: its sequence number, then its JSON as scheduled (seq 0)."""
        seq = work.seq
        work.seq = 0
        try:
            return f"{seq:012d}{codec.dumps(work)}"
        finally:
            work.seq = seq

    def next_due(self) -> float | None:
        with self._call:
            calls, due = self._next_due_seen
            if calls == self._calls - 1:  # the claim just before found nothing due and read this
                return due
            first = self.client.zrange(self._k("work"), 0, 0, withscores=True)
            return float(first[0][1]) if first else None

    @_guarded
    def pending_work(self) -> int:
        members = self.client.zrange(self._k("work"), 0, -1)
        return sum(1 for m in members if _WATCH_KIND not in m)

    # --- retention -------------------------------------------------------------------------------------
    @_guarded
    def drop_before(self, cutoff: float) -> dict[str, int]:
        return {
            "jobs": self._drop_jobs(cutoff),
            "notifications": self._drop_notifications(cutoff),
            "deliveries": self._drop_deliveries(cutoff),
            "files": self._drop_files(cutoff),
        }

    def _drop_jobs(self, cutoff: float) -> int:
        ids = [_text(i) for i in self.client.zrangebyscore(self._k("jobs"), "-inf", f"({cutoff!r}")]
        jobs: list[Job] = self._many(_kind("Job"), [self._k("job", i) for i in ids])
        gone = [j.job_id for j in jobs if j.updated_at < cutoff and all(g.final for g in j.generations)]
        for job_id in gone:
            self.client.delete(self._k("job", job_id))
            self.client.zrem(self._k("jobs"), job_id)
        return len(gone)

    def _drop_notifications(self, cutoff: float) -> int:
        dropped = 0
        for owner in [_text(o) for o in self.client.smembers(self._k("note_owners"))]:
            old = [n.id for n in self.notifications(owner) if n.timestamp < cutoff]
            if old:
                self.client.hdel(self._k("notes", owner), *old)
                self.client.zrem(self._k("note_ids", owner), *old)
                dropped += len(old)
        return dropped

    def _drop_deliveries(self, cutoff: float) -> int:
        gone = [d for d in self.deliveries() if d.created_at < cutoff and d.status != "pending"]
        for delivery in gone:
            self.client.delete(self._k("delivery", delivery.id))
            self.client.lrem(self._k("deliveries"), 0, delivery.id)
            self.client.lrem(self._k("deliveries", delivery.owner), 0, delivery.id)
        return len(gone)

    def _drop_files(self, cutoff: float) -> int:
        ids = [_text(i) for i in self.client.zrangebyscore(self._k("files"), "-inf", f"({cutoff!r}")]
        for file_id in ids:
            self._drop_file(file_id)
        return len(ids)

    @_guarded
    def cap_uploads(self, max_bytes: int) -> int:
        sizes = {_text(k): int(v) for k, v in self.client.hgetall(self._k("upload_bytes")).items()}
        total = sum(sizes.values())
        if total <= max_bytes:
            return 0
        holding = [f for f in self._files_oldest_first() if sizes.get(f, 0) > 0]
        dropped = 0
        for file_id in holding[:-1]:
            if total <= max_bytes:
                break
            total -= sizes[file_id]
            self._drop_file(file_id)
            dropped += 1
        return dropped

    @_guarded
    def counts(self) -> dict[str, int]:
        self.wire.drain()
        pipe = self.client.pipeline()
        pipe.zcard(self._k("users"))
        pipe.zcard(self._k("files"))
        pipe.zcard(self._k("jobs"))
        pipe.get(self._k("project_ids"))
        pipe.get(self._k("ids"))
        pipe.llen(self._k("deliveries"))
        pipe.llen(self._k("journal"))
        pipe.zcard(self._k("work"))
        pipe.get(self._k("journal_bytes"))
        pipe.hvals(self._k("upload_bytes"))
        users, files, jobs, projects, _, deliveries, journal, work, journal_bytes, uploads = pipe.execute()
        notes = sum(
            self.client.zcard(self._k("note_ids", _text(o))) for o in self.client.smembers(self._k("note_owners"))
        )
        return {
            "users": users,
            "files": files,
            "jobs": jobs,
            "projects": int(projects or 0),
            "notifications": notes,
            "deliveries": deliveries,
            "journal": journal,
            "journal_bytes": int(journal_bytes or 0),
            "upload_bytes": sum(int(v) for v in uploads),
            "scheduled": work,
        }

    # --- how records are read and changed ----------------------------------------------------------------
    def _get(self, kind: type[T], key: str) -> T | None:
        raw = self.wire.call("GET", key)
        return None if raw is None else codec.loads(kind, raw)

    def _many(self, kind: type[T], keys: list[str]) -> list[T]:
        if not keys:
            return []
        return [codec.loads(kind, raw) for raw in self.client.mget(keys) if raw is not None]

    def _update(
        self,
        kind: type[T],
        key: str,
        change: Callable[[T], Any],
        *,
        field: str | None = None,
        write: Callable[[Any], bool] = lambda result: True,
        replace: bool = False,
        defer: bool = False,
    ) -> Any:
        """Read one record, ``change`` it, write it back if ``write(result)``, as one atomic step: the
        write is a compare and set against what was read, and a conflict runs ``change`` again on what
        is there now. ``replace``: what ``change`` returns is written instead of the record. ``defer``
        (a whole record): the compare and set is kept in ``_pending`` for ``as_one_step`` to send."""
        raw: bytes | str | None = self._known.pop(key, None) if field is None else None
        ahead = raw is not None
        if raw is None:
            raw = self.wire.call("GET", key) if field is None else self.wire.call("HGET", key, field)
        while raw is not None:
            record = self._decoded(kind, key, raw) if field is None else self._field(kind, raw)
            result = change(record)
            if not write(result):
                if not ahead:
                    return result
                raw, ahead = self.wire.call("GET", key), False  # decided on a copy read ahead: decide on the kept one
                continue
            text = codec.dumps(result if replace else record)
            if field is not None:
                text = _kept_unsigned(raw, record, text)
            if defer and field is None:
                self._pending = (key, raw, text)
                return result
            args: list[bytes | str] = [raw, text] if field is None else [raw, text, field]
            swapped = self._run("swap", keys=[key], args=args)
            if swapped == 1:
                return result
            raw, ahead = (None if swapped == 0 else swapped), False
        return None

    def _field(self, kind: type[T], raw: bytes | str) -> T:
        """A record kept in a hash field (a notification: ``_note``)."""
        if kind is _kind("Notification"):
            note: T = self._note(raw)  # type: ignore[assignment]
            return note
        return codec.loads(kind, raw)

    def _read_ahead(self, key: str, raw: bytes) -> None:
        if len(self._known) > 64:  # read ahead and never used (a reset, a crash of the work): forget
            self._known.clear()
        self._known[key] = raw

    def _transaction(self, step: Callable[[redis.client.Pipeline], T], *keys: str) -> T:
        result: list[T] = []

        def run(pipe: redis.client.Pipeline) -> None:
            result[:] = [step(pipe)]

        self.client.transaction(run, *keys)
        return result[0]


def _number(value: float) -> str:
    """``value`` as text that reads back as the same double (``repr``), as scripts take numbers. The
    shortest such text of a clock time costs thousands of instructions, and a request passes the same
    few values more than once (its amount, the time a claim ran at), so the latest texts are kept."""
    value = float(value)
    text = _NUMBERS.get(value)
    if text is None or value == 0:  # 0.0 and -0.0 are one key but two texts
        if len(_NUMBERS) >= 64:
            _NUMBERS.clear()
        text = _NUMBERS[value] = repr(value)
    return text


_NUMBERS: Final[dict[float, str]] = {}
"""The texts ``_number`` made lately, by value (at most 64: then it starts again from none)."""


def _new_version() -> str:
    """A user's version: random, so no two writes (by any process, before or after a reset) share one."""
    return os.urandom(8).hex()


def _note_text(notification: Notification) -> str:
    """A notification as ``_APPEND_NOTIFICATIONS`` takes it: its JSON after its id (the script numbers it).

    An ``image_result`` whose links are not signed yet is kept so: its links None, then the base URL and
    the fingerprint of the key they are signed with (``unsigned``), after its own fields; a reader signs
    them on first read (``RedisStore._note``). Signing was a twentieth of a loaded worker's time, and most
    notifications are never read."""
    notification.id = 0
    pending = notification.unsigned()
    if pending is None:
        text = codec.dumps(notification)
    else:
        data, base_url, fingerprint = pending
        fields = (notification.owner, notification.name, notification.timestamp, data, notification.deleted)
        text = codec.dumps(dict(zip(_NOTE_FIELDS, (0, *fields, [base_url, fingerprint]), strict=True)))
    if not text.startswith('{"id":0,'):
        raise ValueError(f"a notification's JSON must start with its id: {text[:40]!r}")
    return text[8:]


_NOTE_FIELDS: Final = ("id", "owner", "name", "timestamp", "data", "deleted", "unsigned")
"""An unsigned ``image_result``'s stored fields: a ``Notification``'s in their order, then ``unsigned``."""
_UNSIGNED: Final = b',"unsigned":['


def _kept_unsigned(raw: bytes | str, record: object, text: str) -> str:
    """``text`` (a changed notification's JSON), with the ``unsigned`` fields ``raw`` had when ``record``
    could not be revived (no key readable): its links stay to be signed, not stored as None."""
    before = raw if isinstance(raw, bytes) else raw.encode()
    at = before.rfind(_UNSIGNED) if before.endswith(b'"]}') else -1
    if at < 0 or type(record) is not _kind("Notification") or not text.endswith("}"):
        return text
    return text[:-1] + before[at:].decode()


def _signer(secret: str) -> tuple[str, Any]:
    """``Links`` for the link key ``secret`` and its fingerprint (the backend's, imported when first needed)."""
    links = importlib.import_module("mock_server.backend.links")
    signing = importlib.import_module("mock_server.backend.signing")
    made = links.Links(signing.Signer(secret))
    return made.signer.fingerprint, made


def _by_owner(notifications: list[Notification]) -> list[tuple[str, list[Notification]]]:
    """``notifications`` in runs of one owner, in order."""
    runs: list[tuple[str, list[Notification]]] = []
    for notification in notifications:
        if runs and runs[-1][0] == notification.owner:
            runs[-1][1].append(notification)
        else:
            runs.append((notification.owner, [notification]))
    return runs


def _numbered(notifications: list[Notification], reply: list[Any]) -> WebhookConfig | None:
    """Number one owner's ``notifications`` from ``_APPEND_NOTIFICATIONS``'s reply; the owner's config."""
    first, config = int(reply[0]), reply[1]
    for offset, notification in enumerate(notifications):
        notification.id = first + offset
    return codec.loads(_kind("WebhookConfig"), config) if config else None


def _numbered_groups(notifications: list[Notification], replies: list[Any]) -> WebhookConfig | None:
    """Number ``notifications`` from ``_NOTIFY_GROUPS``'s replies (one script: their ids follow on from
    the first owner's first); the config of the last one's owner."""
    if not replies:
        return None
    first = int(replies[0][0])
    for offset, notification in enumerate(notifications):
        notification.id = first + offset
    config = replies[-1][1]
    return codec.loads(_kind("WebhookConfig"), config) if config else None


def _merge_job(job: Job, kept: Job) -> None:
    """Fold what ``kept`` (the stored job) knows and ``job`` does not into ``job``: generations only
    grow and a variation only goes from processing to final, so the merge keeps every change."""
    job.updated_at = max(job.updated_at, kept.updated_at)
    for index, stored in enumerate(kept.generations):
        if index >= len(job.generations):
            job.generations.append(stored)
            continue
        mine = job.generations[index].variations
        for group, variation in enumerate(stored.variations):
            if group < len(mine) and variation.final and not mine[group].final:
                mine[group] = variation


def _cancel(delivery: Delivery) -> bool:
    if delivery.status != "pending":
        return False
    delivery.status = "cancelled"
    return True


def _is_some(result: object) -> bool:
    return result is not None


def _flat(fields: dict[str, str]) -> list[str]:
    """Names and values in turn, as ``HSET`` takes them."""
    return [item for pair in fields.items() for item in pair]


def _pairs(flat: list[Any]) -> dict[Any, Any]:
    """A script's ``HGETALL`` (a flat list of names and values) as a dict."""
    return dict(zip(flat[::2], flat[1::2], strict=True))


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _glob(prefix: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]\\" else c for c in prefix)


_RECORDS = {
    "User": "accounts",
    "StoredFile": "files",
    "Job": "jobs",
    "Identity": "identities",
    "Project": "projects",
    "Notification": "notifications",
    "ImageResult": "notifications",
    "WebhookConfig": "webhooks",
    "Delivery": "webhooks",
    "FaultRule": "faults",
    "Entry": "entries",
    "Work": "work",
}


@cache
def _kind(name: str) -> Any:
    """A record class by name, imported when first needed (the backend imports the store, not back)."""
    return getattr(importlib.import_module(f"mock_server.backend.{_RECORDS[name]}"), name)

"""``Wire``: the Redis store's hot-path client, commands packed and replies parsed by hiredis.

A ``POST /edit-chat`` and its completion make a few Redis calls, each a loopback round trip on the
event loop's thread. redis-py spends 20-40 us of CPU on each (connection pool, retry and
observability wrappers, its parser); the round trip itself costs about 5. This client keeps one
connection, opened by redis-py (so a URL's password, database and TLS mean the same),
and after that writes each command's bytes (``_pack``, RESP as ``hiredis.pack_command`` writes it) to
the socket itself and hands the reply bytes to ``hiredis.Reader``: a Redis call costs about what its
round trip costs.

It speaks RESP2 (replies as hiredis gives them: bytes, ints, lists, None). Any error on the socket
(a timeout, a reset) closes the connection and raises redis-py's ``ConnectionError`` or
``TimeoutError``, as the store's other calls do; nothing is retried (a script run twice could count
a hit twice). One connection serves the store, one exchange at a time: the state is used from its
event loop's thread (``MockControl`` hands other threads' calls to it), but a test may still read a
``LiveServer``'s backend from its own thread, so an exchange holds a lock (uncontended: ~0.1 us)
rather than let two threads' commands and replies interleave on the socket. A process forked from
one that holds a connection never uses it: the first exchange in the child sees the pid change and
opens its own (the parent's socket is left as it is).

``post`` sends a command whose reply nobody waits for (the journal's append): its bytes reach Redis
at once, before anything this process does after, and its reply is read when it comes (on a loop
watching the socket, below), else with the next exchange, or at once when ``POSTED_MAX`` are
waiting. An error in such a reply belongs to no caller: it is logged and counted (``posted_errors``),
never raised into the unrelated call that happened to read it.

``run(..., suspend=True)`` inside a ``Suspendable`` (``mock_server.runtime.suspending``) does not block:
the command is queued (``_out``) and the caller's greenlet switches back to the loop, which serves
other requests until ``_readable`` (the socket watched on the loop) reads the reply and switches
into the caller with it. The queue is written in the loop's next round (one write for every
command queued meanwhile: under load, many requests'), or at once ahead of any command that must
leave now (a ``post``, a blocking exchange), so commands still reach Redis in the order they were
made. Writes go to the socket's descriptor (``_write``): the socket's own ``sendall`` polls first.
Replies come in the order commands went, so one queue (``_owed``) says whose each is: a waiting caller,
a posted script's check; a blocking exchange reads the owed replies ahead of its own and leaves their
callers to the loop's next round. A watchdog fails every waiting caller (a 503) when no reply came for a
whole timeout, as a blocking read would time out; a lost connection fails them at once. TLS connections
never suspend (the ``ssl`` module buffers bytes out of the loop's sight).

``Wire.observer``, when set, hears of every command (or pipeline) sent (``benchmarks.redis_round_trips``
counts round trips so: the module is compiled, so its methods cannot be wrapped from outside).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Final, Protocol

import hiredis
import redis
from redis.connection import Connection, parse_url

from mock_server.store._forks import forks
from mock_server.store.suspend import suspend, suspendable

Arg = str | bytes | int | float
logger = logging.getLogger("mock_server.store")


class Script:
    """A Lua script as ``Wire.run`` sends it: by its SHA1, its text the first time Redis lacks it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sha = hashlib.sha1(text.encode()).hexdigest()


Posted = tuple["Script", Sequence[Arg], Sequence[Arg]]


class _Waiter(Protocol):
    """A suspended caller (its ``Suspendable``): resumed with its reply, or with the error that ended the wait."""

    loop: Any

    def switch(self, reply: Any, /) -> Any: ...
    def throw(self, error: BaseException, /) -> Any: ...


class _Handle(Protocol):
    def cancel(self) -> None: ...


class _Loop(Protocol):
    """What the Wire uses of the event loop a ``Suspendable`` carries."""

    def call_soon(self, callback: Callable[[], Any], /) -> _Handle: ...
    def add_reader(self, fd: int, callback: Callable[[], None], /) -> None: ...
    def remove_reader(self, fd: int, /) -> bool: ...
    def call_later(self, delay: float, callback: Callable[[int], None], seen: int, /) -> _Handle: ...
    def call_soon_threadsafe(self, callback: Callable[[], Any], /) -> _Handle: ...
    def is_closed(self) -> bool: ...
    def is_running(self) -> bool: ...


Owed = _Waiter | Posted | None
"""A reply still in the socket: a suspended caller's, a posted script's (sent again if Redis lacks it), or
nobody's (None: a caller whose loop went away; the reply is read and dropped)."""


class Wire:
    observer: ClassVar[Callable[[bool], None] | None] = None
    """Called for each command (or pipeline) sent, with True for a posted command (no round trip waits
    for it): each other one is a round trip for its caller, whichever write carries it (a loop round's
    commands share one). None (the default) costs one check per command."""

    def __init__(self, url: str, timeout: float, scripts: Sequence[Script] = ()) -> None:
        settings: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]  # untyped in redis-py
        self._kind = settings.pop("connection_class", Connection)
        self._settings = {**settings, "socket_timeout": timeout, "socket_connect_timeout": timeout, "protocol": 2}
        self._held: tuple[Any, hiredis.Reader] | None = None
        self._lock = threading.Lock()
        self._forks = forks()
        """The process the connection and the lock belong to: a forked child opens its own."""
        self._scripts = list(scripts)
        """Loaded on each new connection, so scripts sent together (``scripts``) find Redis has them all."""
        self._timeout = timeout
        self._owed: deque[Owed] = deque()
        """The replies still in the socket, oldest first: whose they are."""
        self._loop: _Loop | None = None
        """The loop the socket is watched on (``_attach``): there replies to suspended callers are read."""
        self._loop_thread = 0
        self._ready: deque[tuple[Callable[[Any], Any], Any]] = deque()
        """Resumes handed to the loop's next round (``_later``): ``settle`` runs them too, each once."""
        self._watchdog: _Handle | None = None
        self._out: list[bytes] = []
        """Commands of suspended callers not yet written: sent together at the loop's next round (``_flush``),
        or ahead of the next command that must leave at once."""
        self._flush_due = False
        self._replies = 0
        """Replies read so far: the watchdog fails the owed replies when none came for a whole timeout."""
        self.posted_errors = 0
        """Error replies to posted commands (each logged): what a posted command failed to store."""

    def loop_here(self) -> _Loop | None:
        """The loop the socket is watched on, when the caller runs in it (its thread, the loop running): a
        callback it is given (``call_soon``) runs before anything that loop schedules later."""
        loop = self._loop
        if loop is None or self._loop_thread != threading.get_ident() or not loop.is_running():
            return None
        return loop

    def call(self, *args: Arg) -> Any:
        """One command, one round trip; its reply."""
        reply = self._one(args)
        if isinstance(reply, hiredis.ReplyError):
            raise redis.ResponseError(str(reply))
        return reply

    def run(self, script: Script, keys: Sequence[Arg], args: Sequence[Arg], *, suspend: bool = False) -> Any:
        """``EVALSHA``, or ``EVAL`` once Redis says it lacks the script (after a restart or a flush).

        ``suspend``: inside ``suspending``, wait for the reply with the loop serving other requests
        (their commands written with this one); elsewhere the same as without."""
        command = ("EVALSHA", script.sha, len(keys), *keys, *args)
        runner = suspendable() if suspend else None
        reply = self._one(command) if runner is None else self._await(runner, command)
        if isinstance(reply, hiredis.ReplyError) and str(reply).startswith("NOSCRIPT"):
            reply = self._one(("EVAL", script.text, len(keys), *keys, *args))
        if isinstance(reply, hiredis.ReplyError):
            raise redis.ResponseError(str(reply))
        return reply

    def _one(self, command: tuple[Arg, ...]) -> Any:
        """One command's reply, errors included: ``pipeline`` of one, without its lists when nothing
        posted waits (the hot path: every request's calls)."""
        if self._forks != forks():
            self._after_fork()
        with self._lock:
            if not self._owed:
                connection, reader = self._connection()
                self._send(connection, (command,))
                try:
                    return self._reply(connection, reader)
                except (OSError, hiredis.ProtocolError) as exc:
                    raise self._lost(exc) from None
            replies, missing = self._exchange([command])
        for call in missing:
            self.run(*call)
        return replies[0]

    def scripts(self, calls: Sequence[tuple[Script, Sequence[Arg], Sequence[Arg]]]) -> list[Any]:
        """Several scripts in one round trip, run one after the other; their replies in order.

        Each connection loads every script when it opens, so none is missing unless Redis dropped them
        since (``SCRIPT FLUSH``): then those that were missing run again, in order, after the others."""
        commands = [("EVALSHA", script.sha, len(keys), *keys, *args) for script, keys, args in calls]
        replies = self.pipeline(commands, raise_errors=False)
        for index, reply in enumerate(replies):
            if isinstance(reply, hiredis.ReplyError):
                if not str(reply).startswith("NOSCRIPT"):
                    raise redis.ResponseError(str(reply))
                replies[index] = self.run(*calls[index])
        return replies

    def _await(self, runner: Any, command: tuple[Arg, ...]) -> Any:
        """``command``'s reply, errors included, the loop serving other requests until it comes: the
        command is written at once and ``runner`` (the running ``Suspendable``) switches back to the loop;
        ``_readable`` resumes it with the reply when the socket has it (or the next exchange reads it, in
        order, and the loop resumes it in its next round)."""
        if self._forks != forks():
            self._after_fork()
        loop = runner.loop
        with self._lock:
            connection, _ = self._connection()
            waits = self._loop is loop or self._attach(loop, connection)
            if waits:
                self._send_owed(loop, connection, _pack(command), runner, now=False)
        return suspend() if waits else self._one(command)

    def _send_owed(self, loop: _Loop, connection: Any, packed: bytes, owed: Owed, *, now: bool) -> None:
        """Write ``packed``, its reply owed to ``owed``: ``now``, with what waits in ``_out`` ahead of it,
        else at the loop's next round with every command written meanwhile (under load, one write for
        the commands of many requests, where each cost Redis and this process a system call or two)."""
        self._owed.append(owed)
        observer = Wire.observer
        if observer is not None:
            observer(isinstance(owed, tuple))
        self._out.append(packed)
        if now:
            self._write_out(connection)
        elif not self._flush_due:
            self._flush_due = True
            loop.call_soon(self._flush)

    def _flush(self) -> None:
        """The loop's next round: write the commands suspended callers left in ``_out``."""
        with self._lock:
            self._flush_due = False
            held = self._held
            if held is not None and self._out:
                self._write_out(held[0])

    def _write_out(self, connection: Any) -> bool:
        """Write ``_out``; False when that lost the connection: every owed reply fails (each caller raises
        where it waits). The watchdog is armed from the write, not from the queueing: a loop that stalled
        between the two (a slow callback) must not count its stall against Redis."""
        out, self._out = self._out, []
        try:
            _write(connection._sock, out[0] if len(out) == 1 else b"".join(out))
        except OSError as exc:
            self._lost(exc)
            return False
        loop = self._loop
        if self._watchdog is None and loop is not None:
            self._watchdog = loop.call_later(self._timeout, self._check, self._replies)
        return True

    def _attach(self, loop: _Loop, connection: Any) -> bool:
        """Watch the socket on ``loop`` (the caller's): False when it cannot be (TLS, whose bytes the
        ``ssl`` module buffers out of the loop's sight), and the caller waits as without suspending."""
        sock = connection._sock
        if _is_tls(sock):
            return False
        if self._out and not self._write_out(connection):  # the left loop's callers' commands go first
            return False  # the connection is lost: the caller's own exchange opens another
        self._flush_due = False
        self._unwatch()
        if any(entry is not None and not isinstance(entry, tuple) for entry in self._owed):
            self._owed = deque(
                None if entry is not None and not isinstance(entry, tuple) else entry for entry in self._owed
            )
            self._ready.clear()  # callers of a loop that is gone: no loop will ever run them again
        loop.add_reader(sock.fileno(), self._readable)
        self._loop, self._loop_thread = loop, threading.get_ident()
        return True

    def _unwatch(self) -> None:
        loop, self._loop = self._loop, None
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        held = self._held
        if loop is not None and not loop.is_closed() and held is not None:
            loop.remove_reader(held[0]._sock.fileno())

    def _readable(self) -> None:
        """The socket has bytes: the replies they complete, to whom they are owed (a suspended caller is
        resumed here, once the lock is let go: it may call the Wire again before it suspends or ends)."""
        missing: list[Posted] = []
        resumed: list[tuple[_Waiter, Any]] = []
        with self._lock:
            held = self._held
            if held is None:
                return
            try:
                data = os.read(held[0]._sock.fileno(), 65536)  # the socket is non-blocking: no poll first
            except BlockingIOError:
                return  # an exchange (or another thread) read them first
            except OSError as exc:
                self._lost(exc)
                return
            if not data:
                self._lost(ConnectionResetError("Redis closed the connection"))
                return
            reader, owed = held[1], self._owed
            reader.feed(data)
            while owed:
                reply = reader.gets()
                if reply is False:
                    break
                self._settle(owed.popleft(), reply, missing, resumed)
        self._resume(resumed)
        for call in missing:
            self.run(*call)

    def _resume(self, resumed: list[tuple[_Waiter, Any]]) -> None:
        """Switch into each waiter with its reply, in order: one that cannot be resumed (its loop is gone)
        is logged and does not strand the others."""
        for waiter, reply in resumed:
            try:
                waiter.switch(reply)
            except Exception:
                logger.exception("a caller waiting for Redis could not be resumed")

    def _settle(
        self, owed: Owed, reply: Any, missing: list[Posted], resumed: list[tuple[_Waiter, Any]] | None = None
    ) -> None:
        """Hand ``reply`` to whom it is owed: a suspended caller (into ``resumed``, else resumed by the loop
        in its next round: a blocking exchange may run inside another caller), or a posted script's check."""
        self._replies += 1
        if owed is None:
            return
        if isinstance(owed, tuple):
            if isinstance(reply, hiredis.ReplyError):
                if _is_noscript(reply):
                    missing.append(owed)
                else:
                    self.posted_errors += 1
                    logger.error("a posted Redis script (%s) failed: %s", owed[0].sha[:12], reply)
        elif resumed is not None:
            resumed.append((owed, reply))
        else:
            self._later(owed.switch, reply)

    def _later(self, resume: Callable[[Any], Any], value: Any) -> None:
        """``resume(value)`` in the loop's next round (from its thread, or handed to it), or in ``settle``
        if that comes first: queued in ``_ready``, each run once."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # its loop is gone: nothing will ever run the caller again
        self._ready.append((resume, value))
        if len(self._ready) > 1:
            return  # a drain is scheduled already
        if threading.get_ident() == self._loop_thread:
            loop.call_soon(self._run_ready)
        else:
            loop.call_soon_threadsafe(self._run_ready)

    def _run_ready(self) -> None:
        ready = self._ready
        while ready:
            resume, value = ready.popleft()
            try:
                resume(value)
            except Exception:
                logger.exception("a caller waiting for Redis could not be resumed")

    def settle(self) -> None:
        """Resume every suspended caller now, each with its reply as it comes (blocking reads), until none
        waits: what they do next runs here too. For a step that must see every wait ended (the clock's
        ``advance``); only from the loop's thread outside any ``Suspendable`` (else it does nothing)."""
        if suspendable() is not None or self._loop is None or threading.get_ident() != self._loop_thread:
            return
        while True:
            self._run_ready()  # those an exchange read, their callers resumed now rather than next round
            resumed: list[tuple[_Waiter, Any]] = []
            missing: list[Posted] = []
            if not self._read_next_waiter(resumed, missing) and not self._ready:
                return
            self._resume(resumed)
            for call in missing:
                self.run(*call)

    def _read_next_waiter(self, resumed: list[tuple[_Waiter, Any]], missing: list[Posted]) -> bool:
        """Read owed replies up to a waiter's (into ``resumed``); False when no waiter is owed one."""
        with self._lock:
            held, owed = self._held, self._owed
            if held is None or all(entry is None or isinstance(entry, tuple) for entry in owed):
                return False
            if self._out and not self._write_out(held[0]):
                return True  # lost: the waiters' errors are in ``_ready``
            try:
                while owed and not resumed:
                    self._settle(owed[0], self._reply(*held), missing, resumed)
                    owed.popleft()
            except (OSError, hiredis.ProtocolError) as exc:
                raise self._lost(exc) from None
            return True

    def _check(self, seen: int) -> None:
        """The watchdog: no reply for a whole timeout while some are owed loses the connection (a 503
        for each caller waiting), as a blocking read would time out."""
        self._watchdog = None
        with self._lock:  # another thread's exchange may be reading replies now
            if not self._owed:
                return
            if self._replies == seen:
                self._lost(TimeoutError("no reply from Redis in time"))
                return
        if self._loop is not None:
            self._watchdog = self._loop.call_later(self._timeout, self._check, self._replies)

    def post(self, script: Script, keys: Sequence[Arg], args: Sequence[Arg]) -> None:
        """Send ``EVALSHA`` without waiting for Redis to answer: its reply is read when it comes (on the
        loop watching the socket) or with the next exchange.

        Redis runs it before anything this process sends after. A missing script is sent whole when the
        reply says so (after commands sent meanwhile: only for steps whose order against them does not
        matter); any other error is logged and counted. A lost connection loses it."""
        if self._forks != forks():
            self._after_fork()
        command = ("EVALSHA", script.sha, len(keys), *keys, *args)
        with self._lock:
            connection, _ = self._connection()
            loop = self._loop
            if loop is not None and self._loop_thread == threading.get_ident() and not loop.is_closed():
                self._send_owed(loop, connection, _pack(command), (script, keys, args), now=True)
                return
            self._send(connection, [command], posted=True)
            self._owed.append((script, keys, args))
        if len(self._owed) >= self.POSTED_MAX:
            self.drain()

    POSTED_MAX: ClassVar[int] = 64
    """Posted replies left unread at most: requests that make no other call (404s, a manual clock's idle
    timer) must not pile them up in this process, the socket and Redis's output buffer."""

    def drain(self) -> None:
        """Read the replies of what ``post`` sent (no round trip when nothing is posted)."""
        if self._owed and self._forks == forks():
            self.pipeline([])

    def pipeline(self, commands: Sequence[Sequence[Arg]], *, raise_errors: bool = True) -> list[Any]:
        """Several commands in one write, their replies in order: one round trip."""
        if self._forks != forks():
            self._after_fork()
        with self._lock:
            replies, missing = self._exchange(commands)
        for call in missing:
            self.run(*call)
        if raise_errors:
            _raise_errors(replies)
        return replies

    def _lost(self, exc: OSError | hiredis.ProtocolError) -> redis.RedisError:
        """The connection is dropped (a reply may be half read); what the caller raises, as redis-py does
        (and each suspended caller waiting for a reply)."""
        if isinstance(exc, TimeoutError):
            error: redis.RedisError = redis.TimeoutError(f"Timeout reading from Redis: {exc}")
        else:
            error = redis.ConnectionError(f"Error talking to Redis: {exc}")
        self._drop(error)
        return error

    def _exchange(
        self, commands: Sequence[Sequence[Arg]]
    ) -> tuple[list[Any], list[tuple[Script, Sequence[Arg], Sequence[Arg]]]]:
        """The replies to ``commands``, after those of the posted scripts: the posted ones Redis lacked."""
        connection, reader = self._connection()
        self._send(connection, commands)
        owed = self._owed
        missing: list[Posted] = []
        try:
            while owed:
                self._settle(owed[0], self._reply(connection, reader), missing)  # resumed later
                owed.popleft()
            replies = [self._reply(connection, reader) for _ in commands]
        except (OSError, hiredis.ProtocolError) as exc:
            raise self._lost(exc) from None
        self._replies += len(replies)
        return replies, missing

    def _send(self, connection: Any, commands: Sequence[Sequence[Arg]], *, posted: bool = False) -> None:
        """Write ``commands`` after what waits in ``_out`` (whose replies come first)."""
        if not commands and not self._out:
            return
        observer = Wire.observer
        if observer is not None and commands:
            observer(posted)
        out, self._out = self._out, []
        try:
            out += [_pack(c) for c in commands]
            _write(connection._sock, out[0] if len(out) == 1 else b"".join(out))
        except TimeoutError as exc:
            self._drop()
            raise redis.TimeoutError(f"Timeout writing to Redis: {exc}") from None
        except OSError as exc:
            self._drop()
            raise redis.ConnectionError(f"Error talking to Redis: {exc}") from None

    def _reply(self, connection: Any, reader: hiredis.Reader) -> Any:
        while (reply := reader.gets()) is False:
            data = connection._sock.recv(65536)
            if not data:
                raise ConnectionResetError("Redis closed the connection")
            reader.feed(data)
        return reply

    def _connection(self) -> tuple[Any, hiredis.Reader]:
        held = self._held
        if held is None:
            connection = self._kind(**self._settings)
            try:
                connection.connect()  # redis-py's handshake: AUTH, SELECT, TLS as the URL says
            except OSError as exc:
                raise redis.ConnectionError(f"Error connecting to Redis: {exc}") from None
            held = self._held = (connection, hiredis.Reader())
            if self._scripts:
                _raise_errors(self._exchange([("SCRIPT", "LOAD", script.text) for script in self._scripts])[0])
        return held

    def _after_fork(self) -> None:
        """This process is a fork's child: forget the parent's connection (its socket is closed here
        only, redis-py does not shut it down in another process) and its lock, which a parent's thread
        may have held as it forked."""
        self._lock = threading.Lock()
        self._forks = forks()
        self._owed, self._loop, self._watchdog = deque(), None, None
        self._drop()

    def _drop(self, error: redis.RedisError | None = None) -> None:
        """Close the connection; each suspended caller still waiting gets ``error`` (a lost connection),
        raised where it waits in the loop's next round."""
        owed, self._owed = self._owed, deque()
        self._out, self._flush_due = [], False
        for waiting in owed:
            if waiting is not None and not isinstance(waiting, tuple):
                failure = redis.ConnectionError("the connection to Redis was closed") if error is None else error
                self._later(waiting.throw, type(failure)(str(failure)))
        self._unwatch()
        held, self._held = self._held, None
        if held is not None:
            held[0].disconnect()

    def close(self) -> None:
        self._drop()


def _pack(command: Sequence[Arg]) -> bytes:
    """RESP, as ``hiredis.pack_command`` writes it (a float as its ``repr``, which reads back as the same
    double), for about two thirds of its instructions: hiredis copies each argument twice and formats
    each length with ``sprintf``; here the usual lengths' heads are made once (``_HEADS``)."""
    count = len(command)
    parts = [_COUNTS[count] if count < _COUNTED else b"*%d\r\n" % count]
    for arg in command:
        if isinstance(arg, str):
            data = arg.encode()
        elif isinstance(arg, bytes):
            data = arg
        elif isinstance(arg, float):
            data = repr(arg).encode()
        elif isinstance(arg, int):
            data = str(arg).encode()
        else:
            raise TypeError(f"a Redis argument must be str, bytes, int or float, not {type(arg).__name__}")
        size = len(data)
        parts.append(_HEADS[size] if size < _HEADED else b"$%d\r\n" % size)
        parts.append(data)
        parts.append(b"\r\n")
    return b"".join(parts)


_COUNTED: Final = 64
_COUNTS: Final = tuple(b"*%d\r\n" % count for count in range(_COUNTED))
"""A command's head (``*`` and its number of arguments), by that number."""
_HEADED: Final = 512
_HEADS: Final = tuple(b"$%d\r\n" % size for size in range(_HEADED))
"""An argument's head (``$`` and its length in bytes), by that length: most are keys and short values."""


def _write(sock: Any, data: bytes) -> None:
    """All of ``data`` to ``sock``: one ``write`` to its descriptor (non-blocking: the socket has a timeout),
    where the socket's ``sendall`` first polls it (a second system call per command); ``sendall``, with
    its timeout, for what did not fit. TLS sockets write through ``ssl`` only."""
    sent = 0
    if not _is_tls(sock):
        try:
            sent = os.write(sock.fileno(), data)
        except BlockingIOError:
            sent = 0
    if sent < len(data):
        sock.sendall(data[sent:] if sent else data)


def _is_tls(sock: Any) -> bool:
    """Whether ``sock`` is an ``ssl`` socket: its bytes pass through ``ssl``, never the descriptor alone."""
    return type(sock).__name__ == "SSLSocket"


def _is_noscript(reply: object) -> bool:
    return isinstance(reply, hiredis.ReplyError) and str(reply).startswith("NOSCRIPT")


def _raise_errors(replies: list[Any]) -> None:
    for reply in replies:
        if isinstance(reply, hiredis.ReplyError):
            raise redis.ResponseError(str(reply))

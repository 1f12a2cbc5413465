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
at once, before anything this process does after, and its reply is read with the next exchange, or
at once when ``POSTED_MAX`` replies are waiting. An error in such a reply belongs to no caller: it is
logged and counted (``posted_errors``), never raised into the unrelated call that happened to read it.

``Wire.observer``, when set, hears of every write to the socket (``benchmarks.redis_round_trips`` counts
round trips so: the module is compiled, so its methods cannot be wrapped from outside).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Final

import hiredis
import redis
from redis.connection import Connection, parse_url

Arg = str | bytes | int | float
logger = logging.getLogger("mock_server.store")


class Script:
    """A Lua script as ``Wire.run`` sends it: by its SHA1, its text the first time Redis lacks it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sha = hashlib.sha1(text.encode()).hexdigest()


class Wire:
    observer: ClassVar[Callable[[bool], None] | None] = None
    """Called before each write to the socket, with True for a posted command's (no round trip waits
    for it): every other write is one round trip. None (the default) costs one check per write."""

    def __init__(self, url: str, timeout: float, scripts: Sequence[Script] = ()) -> None:
        settings: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]  # untyped in redis-py
        self._kind = settings.pop("connection_class", Connection)
        self._settings = {**settings, "socket_timeout": timeout, "socket_connect_timeout": timeout, "protocol": 2}
        self._held: tuple[Any, hiredis.Reader] | None = None
        self._lock = threading.Lock()
        self._pid = os.getpid()
        """The process the connection and the lock belong to: a forked child opens its own."""
        self._scripts = list(scripts)
        """Loaded on each new connection, so scripts sent together (``scripts``) find Redis has them all."""
        self._posted: list[tuple[Script, Sequence[Arg], Sequence[Arg]]] = []
        """Scripts ``post`` sent whose replies are still in the socket, oldest first."""
        self.posted_errors = 0
        """Error replies to posted commands (each logged): what a posted command failed to store."""

    def call(self, *args: Arg) -> Any:
        """One command, one round trip; its reply."""
        reply = self._one(args)
        if isinstance(reply, hiredis.ReplyError):
            raise redis.ResponseError(str(reply))
        return reply

    def run(self, script: Script, keys: Sequence[Arg], args: Sequence[Arg]) -> Any:
        """``EVALSHA``, or ``EVAL`` once Redis says it lacks the script (after a restart or a flush)."""
        reply = self._one(("EVALSHA", script.sha, len(keys), *keys, *args))
        if isinstance(reply, hiredis.ReplyError) and str(reply).startswith("NOSCRIPT"):
            reply = self._one(("EVAL", script.text, len(keys), *keys, *args))
        if isinstance(reply, hiredis.ReplyError):
            raise redis.ResponseError(str(reply))
        return reply

    def _one(self, command: tuple[Arg, ...]) -> Any:
        """One command's reply, errors included: ``pipeline`` of one, without its lists when nothing
        posted waits (the hot path: every request's calls)."""
        if self._pid != os.getpid():
            self._after_fork()
        with self._lock:
            if not self._posted:
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

    def post(self, script: Script, keys: Sequence[Arg], args: Sequence[Arg]) -> None:
        """Send ``EVALSHA`` now and read its reply with the next exchange: no wait for Redis to answer.

        Redis runs it before anything this process sends after. A missing script is sent whole when the
        reply says so (after commands sent meanwhile: only for steps whose order against them does not
        matter); any other error raises from that next exchange. A lost connection loses it."""
        if self._pid != os.getpid():
            self._after_fork()
        with self._lock:
            connection, _ = self._connection()
            self._send(connection, [("EVALSHA", script.sha, len(keys), *keys, *args)], posted=True)
            self._posted.append((script, keys, args))
        if len(self._posted) >= self.POSTED_MAX:
            self.drain()

    POSTED_MAX: ClassVar[int] = 64
    """Posted replies left unread at most: requests that make no other call (404s, a manual clock's idle
    timer) must not pile them up in this process, the socket and Redis's output buffer."""

    def drain(self) -> None:
        """Read the replies of what ``post`` sent (no round trip when nothing is posted)."""
        if self._posted and self._pid == os.getpid():
            self.pipeline([])

    def pipeline(self, commands: Sequence[Sequence[Arg]], *, raise_errors: bool = True) -> list[Any]:
        """Several commands in one write, their replies in order: one round trip."""
        if self._pid != os.getpid():
            self._after_fork()
        with self._lock:
            replies, missing = self._exchange(commands)
        for call in missing:
            self.run(*call)
        if raise_errors:
            _raise_errors(replies)
        return replies

    def _lost(self, exc: OSError | hiredis.ProtocolError) -> redis.RedisError:
        """The connection is dropped (a reply may be half read); what the caller raises, as redis-py does."""
        self._drop()
        if isinstance(exc, TimeoutError):
            return redis.TimeoutError(f"Timeout reading from Redis: {exc}")
        return redis.ConnectionError(f"Error talking to Redis: {exc}")

    def _exchange(
        self, commands: Sequence[Sequence[Arg]]
    ) -> tuple[list[Any], list[tuple[Script, Sequence[Arg], Sequence[Arg]]]]:
        """The replies to ``commands``, after those of the posted scripts: the posted ones Redis lacked."""
        connection, reader = self._connection()
        self._send(connection, commands)
        posted, self._posted = self._posted, []
        try:
            earlier = [self._reply(connection, reader) for _ in posted]
            replies = [self._reply(connection, reader) for _ in commands]
        except (OSError, hiredis.ProtocolError) as exc:
            raise self._lost(exc) from None
        missing = [call for call, reply in zip(posted, earlier, strict=True) if _is_noscript(reply)]
        for (script, _, _), reply in zip(posted, earlier, strict=True):
            if isinstance(reply, hiredis.ReplyError) and not _is_noscript(reply):
                self.posted_errors += 1
                logger.error("a posted Redis script (%s) failed: %s", script.sha[:12], reply)
        return replies, missing

    def _send(self, connection: Any, commands: Sequence[Sequence[Arg]], *, posted: bool = False) -> None:
        if not commands:
            return
        observer = Wire.observer
        if observer is not None:
            observer(posted)
        try:
            packed = _pack(commands[0]) if len(commands) == 1 else b"".join([_pack(c) for c in commands])
            connection._sock.sendall(packed)
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
        self._pid = os.getpid()
        self._posted = []
        self._drop()

    def _drop(self) -> None:
        held, self._held = self._held, None
        self._posted = []
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


def _is_noscript(reply: object) -> bool:
    return isinstance(reply, hiredis.ReplyError) and str(reply).startswith("NOSCRIPT")


def _raise_errors(replies: list[Any]) -> None:
    for reply in replies:
        if isinstance(reply, hiredis.ReplyError):
            raise redis.ResponseError(str(reply))

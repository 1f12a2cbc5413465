"""``Wire``: the Redis store's hot-path client, a command packed here and its reply parsed by hiredis.

A ``POST /edit-chat`` and its completion make a few Redis calls, each a loopback round trip on the
event loop's thread. redis-py spends 20-40 us of CPU on each (connection pool, retry and
observability wrappers, its parser); the round trip itself costs about 5. This client keeps one
connection, opened by redis-py (so a URL's password, database and TLS mean the same),
and after that writes each command's bytes to the socket itself and hands the reply bytes to
``hiredis.Reader``: a Redis call costs about what its round trip costs.

It speaks RESP2 (replies as hiredis gives them: bytes, ints, lists, None). Any error on the socket
(a timeout, a reset) closes the connection and raises redis-py's ``ConnectionError`` or
``TimeoutError``, as the store's other calls do; nothing is retried (a script run twice could count
a hit twice). One connection serves the store, one exchange at a time: the state is used from its
event loop's thread (``MockControl`` hands other threads' calls to it), but a test may still read a
``LiveServer``'s backend from its own thread, so an exchange holds a lock (uncontended: ~0.1 us)
rather than let two threads' commands and replies interleave on the socket. A connection opened before
a ``fork`` must not be used by the child: nothing here forks (``serve --workers`` starts each
worker afresh).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from typing import Any

import hiredis
import redis
from redis.connection import Connection, parse_url

Arg = str | bytes | int | float


class Script:
    """A Lua script as ``Wire.run`` sends it: by its SHA1, its text the first time Redis lacks it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sha = hashlib.sha1(text.encode()).hexdigest()


class Wire:
    def __init__(self, url: str, timeout: float, scripts: Sequence[Script] = ()) -> None:
        settings: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]  # untyped in redis-py
        self._kind = settings.pop("connection_class", Connection)
        self._settings = {**settings, "socket_timeout": timeout, "socket_connect_timeout": timeout, "protocol": 2}
        self._held: tuple[Any, hiredis.Reader] | None = None
        self._lock = threading.Lock()
        self._scripts = list(scripts)
        """Loaded on each new connection, so scripts sent together (``scripts``) find Redis has them all."""

    def call(self, *args: Arg) -> Any:
        """One command, one round trip; its reply."""
        return self.pipeline([args])[0]

    def run(self, script: Script, keys: Sequence[Arg], args: Sequence[Arg]) -> Any:
        """``EVALSHA``, or ``EVAL`` once Redis says it lacks the script (after a restart or a flush)."""
        reply = self.pipeline([("EVALSHA", script.sha, len(keys), *keys, *args)], raise_errors=False)[0]
        if isinstance(reply, hiredis.ReplyError) and str(reply).startswith("NOSCRIPT"):
            reply = self.pipeline([("EVAL", script.text, len(keys), *keys, *args)], raise_errors=False)[0]
        if isinstance(reply, hiredis.ReplyError):
            raise redis.ResponseError(str(reply))
        return reply

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

    def pipeline(self, commands: Sequence[Sequence[Arg]], *, raise_errors: bool = True) -> list[Any]:
        """Several commands in one write, their replies in order: one round trip."""
        with self._lock:
            replies = self._exchange(commands)
        if raise_errors:
            _raise_errors(replies)
        return replies

    def _exchange(self, commands: Sequence[Sequence[Arg]]) -> list[Any]:
        connection, reader = self._connection()
        try:
            connection._sock.sendall(b"".join(_pack(command) for command in commands))
            replies = [self._reply(connection, reader) for _ in commands]
        except TimeoutError as exc:
            self._drop()
            raise redis.TimeoutError(f"Timeout reading from Redis: {exc}") from None
        except (OSError, hiredis.ProtocolError) as exc:
            self._drop()
            raise redis.ConnectionError(f"Error talking to Redis: {exc}") from None
        return replies

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
                _raise_errors(self._exchange([("SCRIPT", "LOAD", script.text) for script in self._scripts]))
        return held

    def _drop(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            held[0].disconnect()

    def close(self) -> None:
        self._drop()


def _pack(command: Sequence[Arg]) -> bytes:
    parts = [b"*%d\r\n" % len(command)]
    for arg in command:
        data = arg if isinstance(arg, bytes) else (arg if isinstance(arg, str) else repr(arg)).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def _raise_errors(replies: list[Any]) -> None:
    for reply in replies:
        if isinstance(reply, hiredis.ReplyError):
            raise redis.ResponseError(str(reply))

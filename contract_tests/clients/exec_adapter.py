"""Clients in any language: ``--piktid-client="exec:COMMAND ARGS..."`` drives a program over JSON lines.

For each scenario the kit starts the command (split like a shell would; relative paths resolve from
the current directory) with ``PIKTID_API_URL`` and ``PIKTID_TOKEN`` set, writes one request object
per line on its stdin and reads one response object per line from its stdout:

- request ``{"id": 1, "method": "upload" | "generate" | "wait" | "verify_webhook", "params": {...}}``;
- response ``{"id": 1, "result": ...}`` or ``{"id": 1, "error": {"status_code": int | null, "message": str}}``.

``ExecClient`` is a ``PiktidClient`` like any Python adapter, so the same scenarios and checks run.
Whatever the program does (crash, print garbage, never answer) becomes an exception carrying its
stderr, which the kit reports as a finding: the suite never hangs on it.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shlex
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contract_tests.clients.protocol import ClientFactory
from mock_server.pytest_plugin import EXEC_PREFIX

CALL_TIMEOUT = 15.0
"""Seconds an adapter has to answer ``upload``, ``generate`` or ``verify_webhook`` (less than the kit's own bound)."""
WAIT_GRACE = 3.0
"""Seconds past ``wait``'s own ``timeout`` before a silent adapter is given up on."""
STOP_TIMEOUT = 3.0
"""Seconds an adapter has to exit once its stdin is closed, before it is killed."""
STDERR_TAIL = 4000
"""Characters of the adapter's stderr quoted in a finding (the end, where the error usually is)."""
NOT_IMPLEMENTED = "not implemented"
"""The ``message`` of an error response for a method the adapter does not implement."""
_EOF = object()


class AdapterError(Exception):
    """An ``error`` response: the adapter reported a failure (``status_code`` is the HTTP status, or None).

    ``message`` is the adapter's own; ``str()`` adds the end of its stderr when it printed any.
    """

    def __init__(self, status_code: int | None, message: str, stderr: str = "") -> None:
        super().__init__(f"{message}; stderr: {stderr}" if stderr else message)
        self.status_code, self.message, self.stderr = status_code, message, stderr


class AdapterFailure(Exception):
    """The adapter broke the protocol: could not start, exited, printed non-JSON or did not answer in time.

    The message ends with the adapter's stderr, so the finding shows what the program said.
    """


class ExecClient:
    """A ``PiktidClient`` whose calls are JSON-lines requests to a child process (one per scenario)."""

    def __init__(
        self,
        argv: list[str],
        base_url: str,
        token: str,
        *,
        call_timeout: float = CALL_TIMEOUT,
        stop_timeout: float = STOP_TIMEOUT,
    ) -> None:
        self.argv, self.call_timeout, self.stop_timeout = argv, call_timeout, stop_timeout
        self._lines: queue.Queue[object] = queue.Queue()
        self._stderr: deque[str] = deque()
        self._next_id = 0
        self._readers: list[threading.Thread] = []
        self._process: subprocess.Popen[str] | None = None
        self._start_error: str | None = None
        env = {**os.environ, "PIKTID_API_URL": base_url, "PIKTID_TOKEN": token}
        try:
            self._process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
            )
        except OSError as exc:
            self._start_error = f"cannot start {shlex.join(argv)!r}: {exc}"
            return
        self._read_in_background(self._process.stdout, self._lines.put, then=_EOF)
        self._read_in_background(self._process.stderr, self._keep_stderr)

    # --- the protocol -------------------------------------------------------------------------------
    def upload(self, path: str | os.PathLike[str]) -> Any:
        return self.call("upload", {"path": str(Path(path).resolve())})

    def generate(self, request: dict[str, Any]) -> Any:
        return self.call("generate", {"request": request})

    def wait(self, job_id: str, timeout: float = 60) -> Any:
        return self.call("wait", {"job_id": job_id, "timeout": timeout}, timeout=timeout + WAIT_GRACE)

    def verify_webhook(self, secret: str, body: bytes, header: str) -> Any:
        """The adapter's verdict; ``NotImplementedError`` when it answers "not implemented" (not applicable)."""
        params = {"secret": secret, "body": body.decode("utf-8", errors="replace"), "header": header}
        try:
            return self.call("verify_webhook", params)
        except AdapterError as exc:
            if exc.message == NOT_IMPLEMENTED:
                raise NotImplementedError("verify_webhook: the adapter does not implement it") from exc
            raise

    def call(self, method: str, params: dict[str, Any], *, timeout: float | None = None) -> Any:
        """Send one request; its ``result``, or ``AdapterError`` / ``AdapterFailure``."""
        self._next_id += 1
        call_id = self._next_id
        self._send({"id": call_id, "method": method, "params": params})
        answer = self._answer(call_id, method, self.call_timeout if timeout is None else timeout)
        if "error" in answer:
            error = answer["error"] if isinstance(answer["error"], dict) else {"message": answer["error"]}
            status = error.get("status_code")
            message = str(error.get("message", ""))
            raise AdapterError(status if isinstance(status, int) else None, message, self._stderr_tail())
        if "result" not in answer:
            raise self._failure(f"answered {method} without result or error: {json.dumps(answer)[:200]}")
        return answer["result"]

    def close(self) -> None:
        """Close stdin (the adapter's signal to stop), wait ``stop_timeout`` seconds, then kill it."""
        process = self._process
        if process is None:
            return
        if process.stdin is not None and not process.stdin.closed:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for reader in self._readers:
            reader.join(1.0)

    # --- plumbing -----------------------------------------------------------------------------------
    def _read_in_background(self, stream: Any, sink: Callable[[Any], None], then: object = None) -> None:
        def pump() -> None:
            for line in stream:
                sink(line)
            if then is not None:
                sink(then)

        thread = threading.Thread(target=pump, name=f"exec-adapter {self.argv[0]}", daemon=True)
        thread.start()
        self._readers.append(thread)

    def _keep_stderr(self, line: str) -> None:
        self._stderr.append(line)
        while sum(map(len, self._stderr)) > STDERR_TAIL and len(self._stderr) > 1:
            self._stderr.popleft()

    def _send(self, request: dict[str, Any]) -> None:
        if self._process is None or self._process.stdin is None:
            raise AdapterFailure(self._start_error or "the adapter is not running")
        try:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise self._failure(f"stopped reading its stdin before {request['method']}") from None

    def _answer(self, call_id: int, method: str, timeout: float) -> dict[str, Any]:
        """The response with ``call_id``; answers to earlier (abandoned) calls are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise self._failure(f"did not answer {method} within {timeout:g} s") from None
            if line is _EOF:
                self._lines.put(_EOF)
                raise self._failure(f"closed its stdout before answering {method}{self._exit_note()}")
            text = str(line).strip()
            if not text:
                continue
            answer = self._parse(text, method)
            if answer.get("id") == call_id:
                return answer
            if not isinstance(answer.get("id"), int) or answer["id"] > call_id:
                raise self._failure(f"answered {method} (id {call_id}) with id {answer.get('id')!r}")

    def _parse(self, text: str, method: str) -> dict[str, Any]:
        try:
            answer = json.loads(text)
        except ValueError:
            raise self._failure(f"printed non-JSON on stdout while answering {method}: {text[:200]!r}") from None
        if not isinstance(answer, dict):
            raise self._failure(f"printed a JSON value that is not an object while answering {method}: {text[:200]}")
        return answer

    def _exit_note(self) -> str:
        if self._process is None:
            return ""
        try:
            code = self._process.wait(1.0)
        except subprocess.TimeoutExpired:
            return ""
        return f" (exit code {code})"

    def _stderr_tail(self) -> str:
        return "".join(self._stderr).strip()

    def _failure(self, what: str) -> AdapterFailure:
        if len(self._readers) > 1:
            self._readers[1].join(0.5 if self._process is not None and self._process.poll() is not None else 0.1)
        return AdapterFailure(f"{shlex.join(self.argv)}: {what}; stderr: {self._stderr_tail() or '(empty)'}")


def exec_factory(spec: str, **options: Any) -> ClientFactory:
    """``"exec:COMMAND ARGS..."`` -> ``factory(base_url, token)`` starting that command for each client.

    ``options`` (``call_timeout``, ``stop_timeout``) go to ``ExecClient``. ``ValueError`` when the
    spec names no command or does not split.
    """
    argv = shlex.split(spec.removeprefix(EXEC_PREFIX))
    if not argv:
        raise ValueError(f"{spec!r} names no command: expected exec:COMMAND ARGS...")

    def factory(base_url: str, token: str) -> ExecClient:
        return ExecClient(argv, base_url, token, **options)

    factory.__qualname__ = f"exec_factory({spec!r})"
    return factory

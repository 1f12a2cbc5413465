"""Driving a client under test against a live mock: one ``Session`` per scenario.

A session is a fresh user (token) on a ``LiveServer`` with the real clock and a small latency, so
clients that poll, stream or use webhooks all work as in production. The kit observes the client
only through the mock (its journal, notifications and state), never by peeking inside it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from contract_tests import checks
from contract_tests.calls import Call, bounded, short
from contract_tests.checks import FINAL_STATUSES, waited_for_final_results
from contract_tests.clients.protocol import ClientFactory, close
from contract_tests.findings import Finding
from mock_server.backend import Backend
from mock_server.settings import Settings
from mock_server.testing import LiveServer, sample_image, wait_until

T = TypeVar("T")
LATENCY = 0.1
"""Seconds per variation: long enough that a client connects before the first result is final."""
CALL_TIMEOUT = 20.0
WAIT_TIMEOUT = 10.0
SETTLE_TIMEOUT = 5.0


def suite_settings(**overrides: Any) -> Settings:
    """The live mock of the client suite: real clock, ``LATENCY`` per variation."""
    return replace(Settings(latency=LATENCY), **overrides)


def on_loop(server: LiveServer, fn: Callable[[Backend], T]) -> T:
    """``fn(backend)`` on the server's event loop, where its state lives: a ``Backend`` operation only."""
    return server.control.call(fn)


def png_file(directory: Path, size: tuple[int, int], name: str = "product.png") -> Path:
    """A real PNG of ``size`` written to ``directory`` (the file the client is asked to upload)."""
    path = directory / name
    path.write_bytes(sample_image(*size))
    return path


class Session:
    """A fresh user and a fresh client; records what the scenario provoked on purpose."""

    def __init__(self, server: LiveServer, factory: ClientFactory, token: str, workdir: Path) -> None:
        self.server, self.token, self.workdir = server, token, workdir
        self.control = server.control
        self.control.set_account(token, plan="pro", credits=1000)
        self.client = factory(server.url, token)
        self.allowed: set[int] = set()
        """4xx statuses the scenario provoked."""
        self.invalid_on_purpose = False
        self.jobs: set[str] = set()
        self.asked: list[dict[str, Any]] = []
        """Every request the client was asked to send, in order (``sent_as_asked`` compares the wire)."""
        self.last_wait: tuple[Call, list[dict[str, Any]]] | None = None
        """The latest ``generate_and_wait``'s wait call and the server's final results it should match."""

    # --- calls into the client ---------------------------------------------------------------------
    def generate(self, request: dict[str, Any]) -> Call:
        self.asked.append(request)
        return bounded(f"generate({short(request)})", self.client.generate, request, timeout=CALL_TIMEOUT)

    def wait(self, job_id: str) -> Call:
        return bounded(
            f"wait({job_id!r}, timeout={WAIT_TIMEOUT:g})",
            self.client.wait,
            job_id,
            WAIT_TIMEOUT,
            timeout=WAIT_TIMEOUT + 5,
        )

    def wait_in_background(self, job_id: str) -> Callable[[], Call]:
        """Start ``wait`` on a thread; the returned function joins it and gives its ``Call``."""
        done: list[Call] = []
        thread = threading.Thread(target=lambda: done.append(self.wait(job_id)), name="contract-wait", daemon=True)
        thread.start()

        def result() -> Call:
            thread.join(WAIT_TIMEOUT + 10)
            return done[0] if done else Call(f"wait({job_id!r})", timed_out=True, seconds=WAIT_TIMEOUT + 10)

        return result

    def upload(self, size: tuple[int, int]) -> tuple[Call, Path]:
        path = png_file(self.workdir, size)
        return bounded(f"upload({path.name!r})", self.client.upload, path, timeout=CALL_TIMEOUT), path

    # --- what the mock saw ------------------------------------------------------------------------
    def journal(self) -> list[dict[str, Any]]:
        return self.control.journal(user=self.token)

    def notifications(self) -> list[dict[str, Any]]:
        return self.control.notifications(self.token)

    def owns_job(self, job_id: object) -> bool:
        return isinstance(job_id, str) and on_loop(self.server, lambda b: b.job_owner(job_id)) == self.token

    def final_results(self, job_id: str) -> list[dict[str, Any]]:
        """The server's results of the job's latest generation, once final (bounded wait)."""

        def latest() -> list[dict[str, Any]]:
            body = on_loop(self.server, lambda b: b.results(b.authenticate(self.token), job_id))
            last = max((r["image_index"] for r in body["results"]), default=0)
            return [r for r in body["results"] if r["image_index"] == last]

        def final() -> tuple[list[dict[str, Any]]] | None:
            rows = latest()
            return (rows,) if all(r["status"] in FINAL_STATUSES for r in rows) else None

        try:
            return wait_until(final, SETTLE_TIMEOUT, what=f"final results of {job_id}")[0]
        except TimeoutError:
            return latest()

    # --- composite steps --------------------------------------------------------------------------
    def generate_and_wait(self, request: dict[str, Any], *, same_job: str | None = None) -> list[Finding]:
        """generate, then wait; the results must be the final ones of this very generation."""
        self.last_wait = None
        started = self.generate(request)
        job_id = started.value
        if not started.returned or not self.owns_job(job_id):
            return [
                Finding(
                    "generate_returned_job_id",
                    started.what,
                    "a job_id of a job this user owns",
                    started.outcome(),
                    str(checks.JOB_ID),
                )
            ]
        self.jobs.add(job_id)
        found = []
        if same_job is not None and job_id != same_job:
            found.append(
                Finding(
                    "generate_returned_job_id",
                    started.what,
                    f"the continued job_id {same_job!r}",
                    started.outcome(),
                    str(checks.SAME_JOB),
                )
            )
        waited, expected = self.wait(job_id), self.final_results(job_id)
        self.last_wait = (waited, expected)
        return found + waited_for_final_results.find(waited, expected)

    def close(self) -> None:
        close(self.client)

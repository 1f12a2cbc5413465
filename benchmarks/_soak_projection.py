"""What a day at 50 requests/s would hold: the soak's steady state scaled by record costs measured here.

RSS above the idle baseline is mostly warm-up (allocator arenas, the thread pool, Pillow, the render
cache), not state, so state is projected from records: how many jobs and files one request leaves
(the soak's steady counts over one retention window of requests) times what one costs in Python
objects (``tracemalloc`` over a backend holding many), plus the journal and the upload bytes at
their caps. The figure is an upper bound: it adds all of it to the soak's own steady RSS.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from benchmarks.memory import _traced
from mock_server import Backend, Settings

KIB = 1024
DAY_RATE, DAY = 50.0, 86_400.0
JOURNAL_BODY = {"prompt": "a red bicycle leaning on a wall", "size": "1K", "num_variations": 2}


@dataclass(frozen=True, slots=True)
class Costs:
    job: float
    """Bytes one finished two-variation job holds with its four notifications and four deliveries."""
    file: float
    """Bytes of one upload's record (its data is counted by the upload cap)."""
    entry: float
    """Bytes of one journal entry of an ordinary ``POST /edit-chat``."""
    entry_counted: float
    """What such an entry counts against ``journal_max_bytes``."""


def _jobs(count: int) -> Backend:
    backend = Backend(Settings(clock="manual", latency=1.0, rate_limit=10**9, open_credits=1e12, webhook_attempts=1))
    user = backend.authenticate("projection")
    backend.put_webhook(user, {"url": "http://127.0.0.1:9/hook"})
    for _ in range(count):
        backend.edit_chat(user, {"prompt": "soak", "size": "1K", "num_variations": 2}, "http://127.0.0.1")
    backend.advance(5.0)
    return backend


def _files(count: int) -> Backend:
    backend = Backend(Settings(clock="manual"))
    user = backend.authenticate("projection")
    for _ in range(count):
        backend.upload(user, {"filename": "f.jpg"}, "http://127.0.0.1")
    return backend


def _journal(count: int) -> Backend:
    backend = Backend(Settings(clock="manual"))
    for _ in range(count):
        backend.record_request(
            method="POST",
            path="/edit-chat",
            query="",
            user="projection-user-token",
            status=202,
            code=None,
            violations=[],
            duration=0.001,
            body=JOURNAL_BODY,
        )
    return backend


def measure(count: int = 2000) -> Costs:
    empty, _ = _traced(lambda: Backend(Settings(clock="manual")))
    jobs, _ = _traced(lambda: _jobs(count))
    files, _ = _traced(lambda: _files(count))
    journal, kept = _traced(lambda: _journal(count))
    counted = kept.counts()["journal_bytes"] / count
    return Costs((jobs - empty) / count, (files - empty) / count, (journal - empty) / count, counted)


def project(steady: list[dict[str, Any]], rate: float, retention: float, costs: Costs) -> tuple[float, str]:
    """KiB for 24 h at 50 requests/s with the default limits, and the sum that makes it."""
    limits = Settings()
    window = rate * retention
    rss = statistics.median(s["rss_kib"] for s in steady)
    jobs_per_request = statistics.median(s["jobs"] for s in steady) / window
    files_per_request = statistics.median(s["files"] for s in steady) / window
    upload_per_request = statistics.median(s["upload_bytes"] for s in steady) / window
    requests = DAY_RATE * limits.retention
    state = requests * (jobs_per_request * costs.job + files_per_request * costs.file) / KIB
    entries = min(limits.journal_max_entries, limits.journal_max_bytes / costs.entry_counted)
    journal = entries * costs.entry / KIB
    uploads = min(limits.upload_total_bytes, upload_per_request * DAY_RATE * DAY) / KIB
    how = (
        f"soak steady RSS {rss / KIB:.0f} MiB + {requests:,.0f} requests' state ({jobs_per_request:.3f} jobs x "
        f"{costs.job / KIB:.1f} KiB + {files_per_request:.3f} files x {costs.file / KIB:.2f} KiB per request) "
        f"{state / KIB:.0f} MiB + journal {entries:,.0f} entries x {costs.entry / KIB:.2f} KiB {journal / KIB:.0f} MiB "
        f"+ upload bytes {uploads / KIB:.0f} MiB"
    )
    return rss + state + journal + uploads, how

"""The soak runs against the mock without a 5xx, and its flatness check tells a leak from a plateau."""

from __future__ import annotations

from typing import Any

from benchmarks._soak_projection import Costs, project
from benchmarks.soak import Options, flatness, run

MIB = 1024


def samples(rss_mib: list[float], **counts: int) -> list[dict[str, Any]]:
    base = {"jobs": 0, "files": 0, "upload_bytes": 0, **counts}
    return [{"at": float(i), "rss_kib": int(r * MIB), **base} for i, r in enumerate(rss_mib)]


def test_a_short_soak_passes_and_prints_the_projection() -> None:
    outcome = run(Options(seconds=4.0, retention=1.0, users=4, workers=2), say=lambda _: None)
    assert not [p for p in outcome.problems if "answers were 5" in p or "traceback" in p], outcome.problems
    assert any(line.startswith("projected for 24 h at 50 req/s") for line in outcome.lines)


def test_flatness_compares_the_thirds_after_warm_up() -> None:
    plateau = samples([40, 60, 70, 72, 72, 73, 72, 73, 72, 73])
    leak = samples([40, 50, 60, 70, 80, 90, 100, 110, 120, 130])
    first, last, used = flatness(plateau, retention=1.0)
    assert used == 7 and last - first <= 1 * MIB
    first, last, _ = flatness(leak, retention=1.0)
    assert last - first == 50 * MIB


def test_a_run_shorter_than_three_retentions_is_judged_on_its_second_half() -> None:
    first, last, used = flatness(samples([40, 60, 70, 72, 72, 73, 72, 73, 72, 73]), retention=10.0)
    assert used == 5 and last - first <= 1 * MIB


def test_the_projection_scales_records_per_request_to_a_day() -> None:
    steady = samples([100, 100, 100], jobs=100, files=0)
    total, how = project(steady, rate=10.0, retention=10.0, costs=Costs(job=1024, file=0, entry=0, entry_counted=1))
    assert round((total - 100 * MIB) / MIB) == round(4_320_000 * 1.0 / 1024)
    assert "4,320,000 requests" in how
